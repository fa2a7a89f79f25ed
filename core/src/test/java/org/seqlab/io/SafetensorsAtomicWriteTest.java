package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.tensor.Tensor;

/** Writes replace the target whole or not at all, and never leave temporary files behind. */
class SafetensorsAtomicWriteTest {

  @TempDir Path dir;

  private static final byte[] OLD_CONTENT = "the previous checkpoint".getBytes();

  private List<String> filesIn(Path directory) throws IOException {
    try (Stream<Path> listing = Files.list(directory)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static SafetensorsWriter someTensors() {
    return Safetensors.writer()
        .f32("w", Tensor.of(new double[] {1, 2, 3, 4}, 2, 2))
        .f32("big", Tensor.zeros(300_000)) // several write chunks, so a failure can land mid-data
        .metadata("step", "2");
  }

  @Test
  void writeReplacesAnExistingFileAndLeavesNothingElse() throws IOException {
    Path target = dir.resolve("model.safetensors");
    Files.write(target, OLD_CONTENT);

    someTensors().write(target);

    assertEquals(List.of("model.safetensors"), filesIn(dir));
    assertArrayEquals(new float[] {1, 2, 3, 4}, Safetensors.read(target).tensor("w").data());
  }

  @Test
  void failureWhileWritingDataLeavesTheOldFileUntouched() throws IOException {
    Path target = dir.resolve("model.safetensors");
    Files.write(target, OLD_CONTENT);

    // An interrupted thread makes the first channel write fail, after the temporary file exists.
    Thread.currentThread().interrupt();
    try {
      assertThrows(ClosedByInterruptException.class, () -> someTensors().write(target));
    } finally {
      Thread.interrupted();
    }

    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
    assertEquals(List.of("model.safetensors"), filesIn(dir));
  }

  @Test
  void failureToRenameDeletesTheTemporaryFile() throws IOException {
    // A non-empty directory cannot be replaced by a file, so the final rename fails.
    Path target = dir.resolve("occupied");
    Files.createDirectory(target);
    Files.write(target.resolve("keep.txt"), OLD_CONTENT);

    assertThrows(IOException.class, () -> someTensors().write(target));

    assertEquals(List.of("occupied"), filesIn(dir));
    assertEquals(List.of("keep.txt"), filesIn(target));
    assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target.resolve("keep.txt")));
  }

  @Test
  void missingDirectoryFailsWithoutCreatingAnything() throws IOException {
    Path target = dir.resolve("no-such-dir").resolve("model.safetensors");

    assertThrows(NoSuchFileException.class, () -> someTensors().write(target));

    assertEquals(List.of(), filesIn(dir));
  }

  @Test
  void readOnlyDirectoryFailsAndLeavesTheOldFileUntouched() throws IOException {
    Path locked = Files.createDirectory(dir.resolve("locked"));
    Path target = locked.resolve("model.safetensors");
    Files.write(target, OLD_CONTENT);
    Files.setPosixFilePermissions(
        locked, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_EXECUTE));
    try {
      // The superuser ignores directory permissions; the check is then whether the write worked.
      boolean enforced = !Files.isWritable(locked);
      if (enforced) {
        assertThrows(IOException.class, () -> someTensors().write(target));
        assertArrayEquals(OLD_CONTENT, Files.readAllBytes(target));
      } else {
        someTensors().write(target);
        assertTrue(Safetensors.read(target).contains("w"));
      }
      assertEquals(List.of("model.safetensors"), filesIn(locked));
    } finally {
      Files.setPosixFilePermissions(
          locked,
          Set.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));
    }
  }

  @Test
  void writtenFileGetsOrdinaryPermissionsNotThoseOfATemporaryFile() throws IOException {
    Path target = dir.resolve("model.safetensors");
    Path reference = Files.write(dir.resolve("plain.txt"), OLD_CONTENT);

    someTensors().write(target);

    assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
    assertFalse(Files.getPosixFilePermissions(target).isEmpty());
  }

  @Test
  void writeShorthandProducesTheSameBytesAsTheWriter() throws IOException {
    Path viaShorthand = dir.resolve("a.safetensors");
    Path viaWriter = dir.resolve("b.safetensors");
    Tensor t = Tensor.of(new double[] {0.5, -1}, 2);

    Safetensors.write(viaShorthand, Map.of("t", t), Map.of("k", "v"));
    Safetensors.writer().f32("t", t).metadata("k", "v").write(viaWriter);

    assertArrayEquals(Files.readAllBytes(viaWriter), Files.readAllBytes(viaShorthand));
  }
}
