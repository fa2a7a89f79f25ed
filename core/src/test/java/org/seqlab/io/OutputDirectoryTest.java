package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check every command makes of the directory it will write. */
class OutputDirectoryTest {

  @TempDir Path tmp;

  private List<Path> entries(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void aNewOrExistingDirectoryPassesAndNothingIsLeftBehind() throws Exception {
    Files.writeString(tmp.resolve("kept.txt"), "x");
    List<Path> before = entries(tmp);
    OutputDirectory.requireWritable("--out", tmp);
    OutputDirectory.requireWritable("--out", tmp.resolve("a/b/c"));
    assertEquals(before, entries(tmp), "the check creates nothing that stays");
    assertFalse(Files.exists(tmp.resolve("a")));
  }

  @Test
  void aPathUnderAFileIsRefusedNamingTheFile() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputDirectory.requireWritable("--out", file.resolve("x")));
    assertEquals(
        "--out "
            + file.resolve("x")
            + " cannot be created: "
            + file
            + " is a file, not a directory",
        e.getMessage());
    var same =
        assertThrows(
            IllegalArgumentException.class, () -> OutputDirectory.requireWritable("--out", file));
    assertEquals("--out " + file + " is a file, not a directory", same.getMessage());
  }

  @Test
  void aFileSystemThatTakesNoDirectoriesIsRefusedWithTheReason() {
    assumeTrue(Files.isDirectory(Path.of("/proc")), "a Linux /proc");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputDirectory.requireWritable("--out", Path.of("/proc/x")));
    assertTrue(
        e.getMessage()
            .startsWith("--out /proc/x cannot be created: /proc takes no new directories ("),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    var inside =
        assertThrows(
            IllegalArgumentException.class,
            () -> OutputDirectory.requireWritable("--out", Path.of("/proc")));
    assertTrue(e.getMessage().contains("choose a directory you can write"), inside.getMessage());
  }
}
