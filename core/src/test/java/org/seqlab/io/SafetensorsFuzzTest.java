package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.tensor.Tensor;

/**
 * Mutates valid files at random (seeded) and reads the results: every outcome must be a successful
 * read whose tensors convert cleanly, or a {@link SafetensorsException}. Any other exception, or a
 * read that does not finish, is a bug in the validation.
 */
class SafetensorsFuzzTest {

  private static final int MUTANTS = 3000;
  private static final long SEED = 0x5afe_7e45L;
  private static final byte[] HEADER_ALPHABET = "{}[]\":,0123456789-. eE\\FUI8".getBytes();

  @TempDir Path dir;

  @Test
  void mutatedFilesAreReadOrRefusedButNeverCrashTheReader() throws Exception {
    byte[][] bases = {writtenByUs(), goldenFromPyTorch()};
    Random random = new Random(SEED);
    Path file = dir.resolve("mutant.safetensors");
    int[] outcomes = new int[2]; // [read, refused]

    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          for (int i = 0; i < MUTANTS; i++) {
            byte[] base = bases[i % bases.length];
            byte[] mutant = mutate(base, random);
            Files.write(file, mutant);
            try {
              exerciseEverything(Safetensors.read(file));
              outcomes[0]++;
            } catch (SafetensorsException expected) {
              outcomes[1]++;
            } catch (Throwable unexpected) {
              fail(
                  "mutant " + i + " (" + HexFormat.of().formatHex(mutant) + ") threw " + unexpected,
                  unexpected);
            }
          }
        });

    // Both outcomes must be common, or the mutations are too weak or too destructive to test much.
    assertTrue(outcomes[0] > MUTANTS / 50, "successful reads: " + outcomes[0]);
    assertTrue(outcomes[1] > MUTANTS / 2, "refused: " + outcomes[1]);
  }

  /** Reads every tensor the way its type allows, as a caller would. */
  private static void exerciseEverything(SafetensorsFile file) {
    file.metadata().forEach((k, v) -> {});
    for (String name : file.names()) {
      file.shape(name);
      switch (file.dtype(name)) {
        case F32, F64, F16, BF16 -> {
          file.tensor(name);
          file.doubles(name);
        }
        case I64, I32, I16, I8, U32, U16, U8, BOOL -> file.longs(name);
        default -> {}
      }
    }
  }

  private static byte[] mutate(byte[] base, Random random) {
    int headerLength = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
    byte[] mutant = base.clone();
    switch (random.nextInt(8)) {
      case 0 -> mutant = Arrays.copyOf(base, random.nextInt(base.length)); // truncate
      case 1 -> { // flip bits anywhere
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          mutant[random.nextInt(mutant.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 2 -> { // flip bits in the length prefix
        mutant[random.nextInt(8)] ^= (byte) (1 << random.nextInt(8));
      }
      case 3 -> { // replace header characters with JSON-ish ones
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
          mutant[8 + random.nextInt(headerLength)] =
              HEADER_ALPHABET[random.nextInt(HEADER_ALPHABET.length)];
        }
      }
      case 4 -> { // change one digit of the header: shapes and offsets stay well-formed JSON
        int at = findDigit(mutant, 8 + random.nextInt(headerLength), 8 + headerLength);
        if (at >= 0) mutant[at] = (byte) ('0' + random.nextInt(10));
      }
      case 5 -> mutant = spliceHeader(base, headerLength, random, true); // delete a header range
      case 6 ->
          mutant = spliceHeader(base, headerLength, random, false); // duplicate a header range
      default -> { // append bytes or drop some data at the end
        mutant =
            random.nextBoolean()
                ? Arrays.copyOf(base, base.length + 1 + random.nextInt(16))
                : Arrays.copyOf(
                    base, Math.max(8 + headerLength, base.length - 1 - random.nextInt(8)));
      }
    }
    return mutant;
  }

  private static int findDigit(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) if (bytes[i] >= '0' && bytes[i] <= '9') return i;
    return -1;
  }

  /**
   * Deletes or duplicates a range of the header. Half the time the length prefix is corrected, so
   * the mutant reaches the JSON and layout checks rather than failing on the length alone.
   */
  private static byte[] spliceHeader(byte[] base, int headerLength, Random random, boolean delete) {
    int from = 8 + random.nextInt(headerLength);
    int to = Math.min(8 + headerLength, from + 1 + random.nextInt(24));
    byte[] before = Arrays.copyOfRange(base, 0, delete ? from : to);
    byte[] after = Arrays.copyOfRange(base, delete ? to : from, base.length);
    byte[] mutant = HandBuiltFile.concat(before, after);
    if (random.nextBoolean()) {
      long newLength = headerLength + (delete ? -(to - from) : (to - from));
      System.arraycopy(HandBuiltFile.lengthPrefix(newLength), 0, mutant, 0, 8);
    }
    return mutant;
  }

  private byte[] writtenByUs() throws IOException {
    Path file = dir.resolve("base.safetensors");
    Safetensors.writer()
        .f32("weight", Tensor.of(new double[] {1, -2, 3.5, 0.25, 8, -16}, 2, 3))
        .f64("scale", new int[0], new double[] {0.5})
        .f32("empty", Tensor.zeros(0, 4))
        .i64("ids", new int[] {3}, new long[] {7, -1, 1L << 40})
        .f32("bias", Tensor.of(new double[] {0.1, 0.2}, 2))
        .metadata("format", "pt")
        .metadata("step", "12")
        .write(file);
    return Files.readAllBytes(file);
  }

  private static byte[] goldenFromPyTorch() throws IOException, URISyntaxException {
    return Files.readAllBytes(
        Path.of(SafetensorsFuzzTest.class.getResource("/io/golden.safetensors").toURI()));
  }
}
