package org.seqlab.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one check every command that writes a directory ({@code train}, {@code run}, {@code rerun},
 * {@code sweep}, the lab's runs) makes before it starts: that the directory exists or can be
 * created, and that files can be written in it. A path under {@code /proc} or {@code /sys}, under a
 * file, or in a directory without write permission is refused in one sentence naming the path and
 * why, before any work is done or anything is printed; without this check the refusal came from the
 * first write, as a stack trace, after the run had been announced.
 */
public final class OutputDirectory {
  private OutputDirectory() {}

  /**
   * Checks that {@code dir} can hold the files of a command, leaving nothing behind: its nearest
   * existing ancestor (or itself) must be a directory in which a directory can be created, which is
   * tried and undone.
   *
   * @param option the option that named it, for the message ({@code --out})
   * @throws IllegalArgumentException "--out /proc/x cannot be created: /proc takes no new
   *     directories (No such file or directory)"
   */
  public static void requireWritable(String option, Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    String what = option + " " + dir;
    if (existing == null) {
      throw new IllegalArgumentException(what + " cannot be created: no part of the path exists");
    }
    if (!Files.isDirectory(existing)) {
      throw new IllegalArgumentException(
          existing.equals(absolute)
              ? what + " is a file, not a directory"
              : what + " cannot be created: " + existing + " is a file, not a directory");
    }
    try {
      Files.delete(Files.createTempDirectory(existing, ".seqlab-check-"));
    } catch (IOException | SecurityException e) {
      throw new IllegalArgumentException(
          (existing.equals(absolute)
                  ? what + " cannot be written: " + existing + " takes no new files"
                  : what + " cannot be created: " + existing + " takes no new directories")
              + " ("
              + reason(e)
              + "); choose a directory you can write",
          e);
    }
  }

  private static String reason(Exception e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NoSuchFileException) return "no such file or directory";
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason().toLowerCase(java.util.Locale.ROOT);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
