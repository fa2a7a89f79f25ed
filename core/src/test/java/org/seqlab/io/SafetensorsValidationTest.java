package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every rule of the format, broken one at a time: each file must be refused with a {@link
 * SafetensorsException} whose single-line message names the file and the problem.
 */
class SafetensorsValidationTest {

  @TempDir Path dir;

  private static final String ONE_F32 =
      "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
  private static final byte[] TWO_FLOATS = HandBuiltFile.f32(1f, 2f);

  /** Writes {@code bytes}, expects the read to fail, checks the message, returns the exception. */
  private SafetensorsException refused(byte[] bytes, String... messageParts) throws IOException {
    Path file = dir.resolve("bad.safetensors");
    Files.write(file, bytes);
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file));
    String message = e.getMessage();
    assertTrue(message.startsWith(file + ": "), message);
    assertFalse(message.contains("\n"), "one line: " + message);
    for (String part : messageParts)
      assertTrue(message.contains(part), "'" + part + "' in: " + message);
    return e;
  }

  private SafetensorsException refused(String header, byte[] data, String... messageParts)
      throws IOException {
    return refused(HandBuiltFile.of(header, data), messageParts);
  }

  @Test
  void theValidBaseFileIsAccepted() throws IOException {
    Path file = dir.resolve("good.safetensors");
    Files.write(file, HandBuiltFile.of("{" + ONE_F32 + "}", TWO_FLOATS));
    assertArrayEquals(new float[] {1f, 2f}, Safetensors.read(file).tensor("w").data());
  }

  // ---- length prefix ---------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7})
  void fileShorterThanTheLengthPrefix(int size) throws IOException {
    refused(new byte[size], "file has " + size + " bytes", "8-byte header length");
  }

  @Test
  void headerLengthBeyondTheFile() throws IOException {
    byte[] header = ("{" + ONE_F32 + "}").getBytes(StandardCharsets.UTF_8);
    byte[] bytes =
        HandBuiltFile.concat(HandBuiltFile.lengthPrefix(header.length + 9), header, TWO_FLOATS);
    refused(
        bytes,
        "header length " + (header.length + 9),
        "larger than the " + (header.length + 8) + " bytes");
  }

  @Test
  void headerLengthJustUnderTheLimitInATinyFileIsRefusedWithoutReadingIt() throws IOException {
    // Refused by comparing with the file size, before a 100 MB buffer could be allocated.
    refused(
        HandBuiltFile.concat(HandBuiltFile.lengthPrefix(99_999_999), "{}".getBytes()),
        "header length 99999999",
        "larger than the 2 bytes");
  }

  @Test
  void headerLengthOverTheFormatLimit() throws IOException {
    refused(
        HandBuiltFile.concat(HandBuiltFile.lengthPrefix(100_000_001), "{}".getBytes()),
        "header length 100000001",
        "limit of 100000000");
  }

  @Test
  void headerLengthAboveTheSignedRangeIsReadAsUnsigned() throws IOException {
    refused(
        HandBuiltFile.concat(HandBuiltFile.lengthPrefix(-1), "{}".getBytes()),
        "18446744073709551615",
        "limit of 100000000");
  }

  // ---- header text ------------------------------------------------------------------------------

  @Test
  void headerThatIsNotUtf8() throws IOException {
    byte[] header =
        HandBuiltFile.concat(
            "{\"w".getBytes(), new byte[] {(byte) 0xff, (byte) 0xfe}, "\":1}".getBytes());
    refused(HandBuiltFile.of(header, new byte[0]), "not valid UTF-8", "header offset 3");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"w\":",
        "{\"w\" {}}",
        "{} {}",
        "{}x",
        "{'w':{}}",
        "{\"w\":{\"dtype\":\"F32\",}}"
      })
  void headerThatIsNotJson(String header) throws IOException {
    refused(header, new byte[0], "header is not valid JSON");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "[1,2]", "\"w\"", "null", "42", " {}"})
  void headerThatIsNotAnObject(String header) throws IOException {
    refused(header, new byte[0], "header must be a JSON object");
  }

  @Test
  void duplicateTensorName() throws IOException {
    String twice =
        "{" + ONE_F32 + ",\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}";
    SafetensorsException e =
        refused(twice, TWO_FLOATS, "header names a key twice", "'w'", "must appear once");
    assertTrue(e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException);
  }

  @Test
  void entryThatIsNotAnObject() throws IOException {
    refused("{\"w\":[0,8]}", TWO_FLOATS, "tensor \"w\" must map to an object", "[0,8]");
  }

  // ---- dtype ------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"\"F4\"", "\"f32\"", "\"FLOAT\"", "32", "null"})
  void unknownDtype(String dtype) throws IOException {
    refused(
        "{\"w\":{\"dtype\":" + dtype + ",\"shape\":[2],\"data_offsets\":[0,8]}}",
        TWO_FLOATS,
        "tensor \"w\" has unknown dtype " + dtype,
        "known dtypes: BOOL, U8, I8",
        "F32");
  }

  @Test
  void missingDtype() throws IOException {
    refused(
        "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}",
        TWO_FLOATS,
        "tensor \"w\" has no dtype",
        "known dtypes");
  }

  // ---- shape ------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {"2", "[-1]", "[2.0]", "[2.5]", "[\"2\"]", "[[2]]", "[null]", "[3000000000]", "{}"})
  void shapeThatIsNotAListOfNonNegativeInts(String shape) throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,8]}}",
        TWO_FLOATS,
        "tensor \"w\" has shape " + shape,
        "shape must be a list of");
  }

  @Test
  void missingShape() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}",
        TWO_FLOATS,
        "has shape (missing)",
        "non-negative integers");
  }

  @Test
  void elementCountBeyondAJavaArrayIsRefusedBeforeAnyAllocation() throws IOException {
    // 65536 * 65536 = 2^32 elements: the offsets even agree, but no array can hold them.
    refused(
        "{\"w\":{\"dtype\":\"U8\",\"shape\":[65536,65536],\"data_offsets\":[0,4294967296]}}",
        new byte[0],
        "shape [65536, 65536]",
        "more elements than a Java array holds",
        String.valueOf(org.seqlab.tensor.Tensor.MAX_ELEMENTS));
  }

  @Test
  void elementCountWhoseProductOverflowsALong() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}",
        new byte[8],
        "more elements than a Java array holds");
  }

  @Test
  void tensorBytesBeyondAJavaArrayAreRefusedBeforeAnyAllocation() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000],\"data_offsets\":[0,4000000000]}}",
        new byte[0],
        "takes 4000000000 bytes",
        "at most 2147483639 bytes per tensor");
  }

  // ---- data_offsets -----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[0]",
        "[0,8,8]",
        "[\"0\",8]",
        "[-1,7]",
        "[0.0,8]",
        "[0,8.5]",
        "8",
        "[0,18446744073709551616]"
      })
  void offsetsThatAreNotTwoNonNegativeInts(String offsets) throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsets + "}}",
        TWO_FLOATS,
        "tensor \"w\" has data_offsets " + offsets,
        "two non-negative integers");
  }

  @Test
  void missingOffsets() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}",
        TWO_FLOATS,
        "data_offsets (missing)",
        "[begin, end]");
  }

  @Test
  void offsetsWithBeginAfterEnd() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}",
        TWO_FLOATS,
        "data_offsets [8, 0] with begin > end",
        "begin must be <= end");
  }

  @Test
  void byteLengthThatDoesNotMatchTheShape() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        TWO_FLOATS,
        "shape [2] of F64, which takes 16 bytes",
        "[0, 8] span 8 bytes",
        "must match");
  }

  @Test
  void offsetsBeyondTheEndOfTheFile() throws IOException {
    refused(
        "{" + ONE_F32 + "}",
        HandBuiltFile.f32(1f),
        "data_offsets [0, 8] beyond the data region, which has 4 bytes",
        "truncated");
  }

  @Test
  void offsetsFarBeyondTheFile() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"U8\",\"shape\":[1000000000],\"data_offsets\":[1000000000000,1001000000000]}}",
        new byte[0],
        "beyond the data region, which has 0 bytes");
  }

  @Test
  void overlappingTensors() throws IOException {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    refused(
        header, HandBuiltFile.f32(1f, 2f, 3f), "tensors \"a\" [0, 8) and \"b\" [4, 12) overlap");
  }

  @Test
  void emptyTensorInsideAnotherCountsAsOverlap() throws IOException {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
    refused(header, TWO_FLOATS, "\"e\" [4, 4) overlap");
  }

  @Test
  void holeBetweenTensors() throws IOException {
    String header =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    refused(
        header,
        HandBuiltFile.f32(1f, 2f, 3f),
        "bytes [4, 8) of the data region belong to no tensor",
        "hole before \"b\"");
  }

  @Test
  void holeAtTheStartOfTheDataRegion() throws IOException {
    refused(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        TWO_FLOATS,
        "bytes [0, 4) of the data region belong to no tensor");
  }

  @Test
  void dataRegionLongerThanTheTensorsCover() throws IOException {
    refused(
        "{" + ONE_F32 + "}",
        HandBuiltFile.f32(1f, 2f, 3f),
        "data region has 12 bytes but the tensors cover only 8");
    refused("{}", new byte[] {0}, "data region has 1 bytes but the tensors cover only 0");
  }

  // ---- metadata ---------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"text\"",
        "[\"a\",\"b\"]",
        "{\"epoch\":3}",
        "{\"nested\":{\"a\":\"b\"}}",
        "{\"n\":null}",
        "7"
      })
  void metadataThatIsNotAStringMap(String metadata) throws IOException {
    refused(
        "{\"__metadata__\":" + metadata + "," + ONE_F32 + "}",
        TWO_FLOATS,
        "__metadata__ must ",
        "strings to strings");
  }

  @Test
  void metadataWithADuplicateKey() throws IOException {
    refused(
        "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + ONE_F32 + "}",
        TWO_FLOATS,
        "header names a key twice");
  }

  // ---- accepted variations ----------------------------------------------------------------------

  @Test
  void acceptedVariationsOfAValidFile() throws IOException {
    Path file = dir.resolve("variations.safetensors");
    // Null metadata (the reference accepts it), unknown keys in an entry, trailing spaces and
    // newline, whitespace inside the JSON, and empty tensors sharing an offset.
    String header =
        "{ \"__metadata__\" : null, \"w\" : {\"dtype\":\"F32\", \"shape\":[2], \"data_offsets\":[0,8], \"extra\":1},"
            + "\"e1\":{\"dtype\":\"I64\",\"shape\":[0,5],\"data_offsets\":[8,8]},"
            + "\"e0\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[8,8]}}  \n  ";
    Files.write(file, HandBuiltFile.of(header, TWO_FLOATS));

    SafetensorsFile read = Safetensors.read(file);

    assertEquals(Map.of(), read.metadata());
    assertEquals(java.util.List.of("w", "e1", "e0"), java.util.List.copyOf(read.names()));
    assertArrayEquals(new float[] {1f, 2f}, read.tensor("w").data());
    assertEquals(0, read.longs("e0").length);
  }

  @Test
  void metadataStringLongerThanJacksonsDefaultCapIsRead() throws IOException {
    Path file = dir.resolve("long-metadata.safetensors");
    String note = "x".repeat(21_000_000);
    Files.write(
        file, HandBuiltFile.of("{\"__metadata__\":{\"note\":\"" + note + "\"}}", new byte[0]));

    assertEquals(note.length(), Safetensors.read(file).metadata().get("note").length());
  }

  @Test
  void controlCharactersInANameCannotBreakTheMessageLine() throws IOException {
    refused(
        "{\"bad\\nname\":{\"dtype\":\"Q\",\"shape\":[],\"data_offsets\":[0,0]}}",
        new byte[0],
        "tensor \"bad\\nname\"");
  }

  @Test
  void aDirectoryIsAnIoErrorNotAFormatError() {
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(dir));
    assertFalse(e instanceof SafetensorsException, e.toString());
  }
}
