package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The text char-lm defaults to ships with seqlab, and is found from any directory. */
class DefaultTextTest {

  /** seqlab's directory: this module's parent. */
  static final Path HOME = Path.of("").toAbsolutePath().getParent();

  @Test
  void theRepositoryShipsTheDefaultText() throws Exception {
    Path text = HOME.resolve(DefaultText.PATH);
    assertTrue(Files.isRegularFile(text), text + " is part of a fresh clone");
    assertTrue(Files.readString(text).startsWith("First Citizen:"), "tiny Shakespeare");
  }

  @Test
  void itIsFoundThroughSeqlabsDirectoryWhereTheCurrentOneLacksIt() {
    String before = System.getProperty(DefaultText.HOME_PROPERTY);
    try {
      // The tests run in the module's directory, which has no data/ of its own.
      System.clearProperty(DefaultText.HOME_PROPERTY);
      assertTrue(DefaultText.find().isEmpty());
      assertTrue(DefaultText.missing().startsWith("--text FILE is required"));
      System.setProperty(DefaultText.HOME_PROPERTY, HOME.toString());
      assertEquals(HOME.resolve(DefaultText.PATH), DefaultText.find().orElseThrow());
      // Another text is taken as given.
      assertEquals(Path.of("other.txt"), DefaultText.resolve("other.txt"));
    } finally {
      if (before == null) System.clearProperty(DefaultText.HOME_PROPERTY);
      else System.setProperty(DefaultText.HOME_PROPERTY, before);
    }
  }
}
