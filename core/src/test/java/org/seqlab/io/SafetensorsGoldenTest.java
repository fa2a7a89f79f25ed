package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

/**
 * Reads {@code io/golden.safetensors}, whose element bytes PyTorch produced (see {@code
 * scripts/golden/safetensors_fixture.py}). The expected values are written out here by hand, so the
 * test checks our decoding of F16, BF16 and the integer types against PyTorch's encoding.
 */
class SafetensorsGoldenTest {

  private static SafetensorsFile golden;

  @BeforeAll
  static void readFixture() throws IOException, URISyntaxException {
    golden =
        Safetensors.read(
            Path.of(SafetensorsGoldenTest.class.getResource("/io/golden.safetensors").toURI()));
  }

  @Test
  void namesComeInDataOrderAndMetadataIsKept() {
    assertEquals(
        List.of(
            "f64", "i64", "empty", "f32", "i32", "scalar", "bf16", "f16", "i16", "i8", "mask",
            "u8"),
        List.copyOf(golden.names()));
    assertEquals(
        Map.of("format", "pt", "source", "scripts/golden/safetensors_fixture.py"),
        golden.metadata());
  }

  @Test
  void float32() {
    Tensor t = golden.tensor("f32");
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertArrayEquals(new float[] {1.5f, -2.25f, 3.0e-38f, 1f / 3f, 1.0e30f, -0.0f}, t.data());
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(t.data()[5]));
  }

  @Test
  void float64KeepsFullPrecisionAsDoublesAndRoundsAsTensor() {
    assertArrayEquals(new double[] {Math.PI, -1.0e300, Double.MIN_VALUE}, golden.doubles("f64"));
    assertArrayEquals(
        new float[] {(float) Math.PI, Float.NEGATIVE_INFINITY, 0f}, golden.tensor("f64").data());
  }

  @Test
  void float16IncludingExtremesSubnormalsAndRounding() {
    assertEquals(DType.F16, golden.dtype("f16"));
    float[] expected = {
      0.5f, -2f, 65504f, 0x1p-14f, 0x1p-24f, Float.POSITIVE_INFINITY, -0.0f, 0.333251953125f
    };
    assertArrayEquals(expected, golden.tensor("f16").data());
    double[] asDoubles = golden.doubles("f16");
    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], asDoubles[i]);
  }

  @Test
  void bfloat16() {
    assertEquals(DType.BF16, golden.dtype("bf16"));
    assertArrayEquals(
        new float[] {0.333984375f, -1f, Float.intBitsToFloat(0x7f620000), 0x1p-130f},
        golden.tensor("bf16").data());
  }

  @Test
  void integerTypesIncludingTheirExtremes() {
    assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1}, golden.longs("i64"));
    assertArrayEquals(new int[] {2, 2}, golden.shape("i64"));
    assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 7}, golden.longs("i32"));
    assertArrayEquals(new long[] {Short.MIN_VALUE, Short.MAX_VALUE}, golden.longs("i16"));
    assertArrayEquals(new long[] {-128, 127}, golden.longs("i8"));
    assertArrayEquals(new long[] {0, 255, 128}, golden.longs("u8"));
    assertEquals(DType.BOOL, golden.dtype("mask"));
    assertArrayEquals(new long[] {1, 0, 1}, golden.longs("mask"));
  }

  @Test
  void scalarAndEmptyTensors() {
    Tensor scalar = golden.tensor("scalar");
    assertEquals(0, scalar.rank());
    assertArrayEquals(new float[] {2.5f}, scalar.data());
    Tensor empty = golden.tensor("empty");
    assertArrayEquals(new int[] {0, 3}, empty.shape());
    assertEquals(0, empty.size());
  }

  @Test
  void integerTensorsAreNotReadAsFloatsNorFloatsAsIntegers() {
    IllegalArgumentException asFloat =
        assertThrows(IllegalArgumentException.class, () -> golden.tensor("i64"));
    assertTrue(asFloat.getMessage().contains("\"i64\" is stored as I64"), asFloat.getMessage());
    assertTrue(asFloat.getMessage().contains("F32, F64, F16 or BF16"), asFloat.getMessage());
    IllegalArgumentException asDoubles =
        assertThrows(IllegalArgumentException.class, () -> golden.doubles("u8"));
    assertTrue(asDoubles.getMessage().contains("stored as U8"), asDoubles.getMessage());
    IllegalArgumentException asLongs =
        assertThrows(IllegalArgumentException.class, () -> golden.longs("f16"));
    assertTrue(asLongs.getMessage().contains("stored as F16"), asLongs.getMessage());
  }
}
