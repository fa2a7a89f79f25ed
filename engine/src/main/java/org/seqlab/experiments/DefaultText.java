package org.seqlab.experiments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The text char-lm trains on when none is given: tiny Shakespeare (1.1 MB, public domain), shipped
 * in seqlab's directory as {@value #PATH}, so that the README's examples run on a fresh clone. The
 * one place that names it: {@code seqlab train --task char-lm}, {@code seqlab run char-lm}, their
 * help and their messages read it here.
 *
 * <p>A relative path is found from the current directory, or else from seqlab's own directory,
 * which the {@code ./seqlab} launcher passes as the system property {@value #HOME_PROPERTY}, so
 * that the default works from any directory.
 */
public final class DefaultText {
  private DefaultText() {}

  /** The shipped text, relative to seqlab's directory. */
  public static final String PATH = "data/tinyshakespeare.txt";

  /** The system property that holds seqlab's directory (set by the launcher). */
  public static final String HOME_PROPERTY = "seqlab.home";

  /** The shipped text, where it is; empty where this installation lacks it. */
  public static Optional<Path> find() {
    Path found = resolve(PATH);
    return Files.isRegularFile(found) ? Optional.of(found) : Optional.empty();
  }

  /**
   * The file {@code text} names: as it is when it exists from the current directory (or is
   * absolute), else, for {@link #PATH}, the shipped text in seqlab's directory.
   */
  public static Path resolve(String text) {
    Path path = Path.of(text);
    if (path.isAbsolute() || Files.exists(path) || !text.equals(PATH)) return path;
    String home = System.getProperty(HOME_PROPERTY);
    return home == null || home.isBlank() ? path : Path.of(home).resolve(path);
  }

  /** What a command says when char-lm has no text: the option, and where the default was sought. */
  public static String missing() {
    return "--text FILE is required: the UTF-8 text to train on (the text seqlab ships, "
        + PATH
        + ", is not in "
        + resolve(PATH).toAbsolutePath().normalize().getParent().getParent()
        + ")";
  }
}
