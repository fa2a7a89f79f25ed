package org.seqlab.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not valid safetensors. The message is one line: the file, what is wrong, and what
 * the format allows, so a command line can print it as is.
 */
public final class SafetensorsException extends IOException {

  private static final long serialVersionUID = 1L;

  /** A problem with {@code file}; {@code problem} says what is wrong and what is allowed. */
  public SafetensorsException(Path file, String problem) {
    super(file + ": " + problem);
  }

  /** As {@link #SafetensorsException(Path, String)}, keeping the parser error that found it. */
  public SafetensorsException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
