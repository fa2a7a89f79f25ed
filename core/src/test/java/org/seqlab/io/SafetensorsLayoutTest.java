package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.tensor.Tensor;

/**
 * Byte-exact checks of what we write, against bytes spelled out from the format description, so
 * that compatibility with other implementations does not rest on our reader agreeing with our
 * writer.
 */
class SafetensorsLayoutTest {

  @TempDir Path dir;

  /**
   * {"__metadata__":{"k":"v"},"a":{...F32 [2]...},"b":{...I64 []...}} is 132 bytes; 4 spaces pad
   * it.
   */
  private static final String TINY_HEADER =
      "{\"__metadata__\":{\"k\":\"v\"},"
          + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}"
          + "    ";

  private static final byte[] TINY_FILE =
      HandBuiltFile.concat(
          new byte[] {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0}, // 136, unsigned little-endian
          TINY_HEADER.getBytes(StandardCharsets.US_ASCII),
          new byte[] {0, 0, (byte) 0x80, 0x3f}, // 1.0f  = 0x3f800000
          new byte[] {0, 0, 0, (byte) 0xc0}, // -2.0f = 0xc0000000
          new byte[] {5, 0, 0, 0, 0, 0, 0, 0}); // 5L

  @Test
  void writerProducesTheBytesTheFormatPrescribes() throws IOException {
    assertEquals(136, TINY_HEADER.length(), "hand-built header length");
    Path file = dir.resolve("tiny.safetensors");

    Safetensors.writer()
        .f32("a", Tensor.wrap(new float[] {1f, -2f}, 2))
        .i64("b", new int[0], new long[] {5})
        .metadata("k", "v")
        .write(file);

    assertArrayEquals(TINY_FILE, Files.readAllBytes(file));
  }

  @Test
  void readerUnderstandsTheHandBuiltBytes() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    Files.write(file, TINY_FILE);

    SafetensorsFile read = Safetensors.read(file);

    assertEquals(Map.of("k", "v"), read.metadata());
    assertEquals(List.of("a", "b"), List.copyOf(read.names()));
    assertArrayEquals(new float[] {1f, -2f}, read.tensor("a").data());
    assertArrayEquals(new long[] {5}, read.longs("b"));
    assertArrayEquals(new int[0], read.shape("b"));
  }

  @Test
  void headerIsPaddedWithFewerThanEightSpacesToAMultipleOfEight() throws IOException {
    for (int nameLength = 1; nameLength <= 16; nameLength++) {
      Path file = dir.resolve("pad" + nameLength + ".safetensors");
      Safetensors.write(
          file, Map.of("x".repeat(nameLength), Tensor.wrap(new float[] {7f}, 1)), Map.of());

      byte[] bytes = Files.readAllBytes(file);
      int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
      String json = header.stripTrailing();
      String where = "name length " + nameLength + ", header " + header;
      assertEquals(0, headerLength % 8, where);
      assertTrue(json.endsWith("}"), where);
      assertTrue(headerLength - json.length() < 8, where);
      assertEquals(
          " ".repeat(headerLength - json.length()), header.substring(json.length()), where);
      assertArrayEquals(
          HandBuiltFile.f32(7f), Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length));
    }
  }

  @Test
  void unpaddedHeaderAndNonAsciiNamesAreRead() throws IOException {
    Path file = dir.resolve("unpadded.safetensors");
    String header = "{\"gewicht_ä→\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    Files.write(file, HandBuiltFile.of(header, HandBuiltFile.f32(0.25f)));

    SafetensorsFile read = Safetensors.read(file);

    assertEquals(List.of("gewicht_ä→"), List.copyOf(read.names()));
    assertArrayEquals(new float[] {0.25f}, read.tensor("gewicht_ä→").data());
  }
}
