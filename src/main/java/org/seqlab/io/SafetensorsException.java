package org.seqlab.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not valid safetensors. The message is one line: the file, what is wrong, and what
 * the format allows, so a command line can print it as is.
 */
public final class SafetensorsException extends IOException {

  public SafetensorsException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public SafetensorsException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
