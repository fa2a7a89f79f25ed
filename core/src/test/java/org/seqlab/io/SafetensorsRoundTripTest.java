package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.tensor.Tensor;

class SafetensorsRoundTripTest {

  @TempDir Path dir;

  private static float[] randomFloats(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) values[i] = (float) random.nextGaussian();
    return values;
  }

  private static void assertSameTensor(Tensor expected, Tensor actual) {
    assertArrayEquals(expected.shape(), actual.shape());
    assertArrayEquals(expected.data(), actual.data());
  }

  @Test
  void mixedTypesShapesAndMetadataSurviveARoundTrip() throws IOException {
    Random random = new Random(7);
    Tensor matrix = Tensor.wrap(randomFloats(random, 3 * 5), 3, 5);
    Tensor cube = Tensor.wrap(randomFloats(random, 2 * 1 * 7), 2, 1, 7);
    Tensor scalar = Tensor.wrap(new float[] {Float.NaN}, new int[0]);
    Tensor empty = Tensor.zeros(4, 0, 2);
    double[] f64 = {Math.E, -0.0, Double.MAX_VALUE, Double.NaN, Double.NEGATIVE_INFINITY, 1e-310};
    long[] i64 = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 42};
    Path file = dir.resolve("model.safetensors");

    Safetensors.writer()
        .f32("encoder.weight", matrix)
        .f32("cube", cube)
        .f64("doubles", new int[] {2, 3}, f64)
        .f32("scalar", scalar)
        .i64("step", new int[0], new long[] {123_456_789_012L})
        .f32("empty", empty)
        .i64("ids", new int[] {6}, i64)
        .f64("no_doubles", new int[] {0}, new double[0])
        .metadata("format", "pt")
        .metadata("note", "ünïcödé, \"quotes\" and\nnewlines")
        .write(file);
    SafetensorsFile read = Safetensors.read(file);

    assertEquals(
        List.of(
            "encoder.weight", "cube", "doubles", "scalar", "step", "empty", "ids", "no_doubles"),
        List.copyOf(read.names()));
    assertEquals(
        Map.of("format", "pt", "note", "ünïcödé, \"quotes\" and\nnewlines"), read.metadata());
    assertSameTensor(matrix, read.tensor("encoder.weight"));
    assertArrayEquals(cube.data(), read.tensor("cube").data());
    assertArrayEquals(new int[] {2, 1, 7}, read.shape("cube"));
    assertArrayEquals(f64, read.doubles("doubles"));
    assertArrayEquals(new int[] {2, 3}, read.shape("doubles"));
    assertEquals(DType.F64, read.dtype("doubles"));
    assertTrue(Float.isNaN(read.tensor("scalar").data()[0]));
    assertArrayEquals(new int[0], read.shape("scalar"));
    assertArrayEquals(new long[] {123_456_789_012L}, read.longs("step"));
    assertEquals(DType.I64, read.dtype("step"));
    assertArrayEquals(new int[] {4, 0, 2}, read.tensor("empty").shape());
    assertArrayEquals(i64, read.longs("ids"));
    assertEquals(0, read.doubles("no_doubles").length);
    assertTrue(read.contains("cube"));
    assertFalse(read.contains("absent"));
  }

  @Test
  void float32ValuesWidenExactlyToDoubles() throws IOException {
    float[] values = {0.1f, -3.5f, Float.MIN_VALUE, Float.MAX_VALUE};
    Path file = dir.resolve("f.safetensors");
    Safetensors.write(file, Map.of("v", Tensor.wrap(values, 4)), Map.of());

    double[] widened = Safetensors.read(file).doubles("v");

    for (int i = 0; i < values.length; i++) assertEquals((double) values[i], widened[i]);
  }

  @Test
  void writeKeepsTheMapsIterationOrderAndAnEmptyFileIsValid() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (String name : List.of("z", "a", "m", "b")) tensors.put(name, Tensor.zeros(2));
    Path file = dir.resolve("ordered.safetensors");
    Safetensors.write(file, tensors, Map.of());
    assertEquals(List.of("z", "a", "m", "b"), List.copyOf(Safetensors.read(file).names()));

    Path nothing = dir.resolve("nothing.safetensors");
    Safetensors.write(nothing, Map.of(), Map.of());
    SafetensorsFile empty = Safetensors.read(nothing);
    assertTrue(empty.names().isEmpty());
    assertTrue(empty.metadata().isEmpty());
  }

  @Test
  void accessorsReturnCopiesSoCallersCannotChangeTheFileContents() throws IOException {
    Path file = dir.resolve("copies.safetensors");
    Safetensors.write(file, Map.of("w", Tensor.wrap(new float[] {1f, 2f}, 2)), Map.of());
    SafetensorsFile read = Safetensors.read(file);

    read.tensor("w").data()[0] = 99f;
    read.shape("w")[0] = 99;

    assertArrayEquals(new float[] {1f, 2f}, read.tensor("w").data());
    assertArrayEquals(new int[] {2}, read.shape("w"));
    assertThrows(UnsupportedOperationException.class, () -> read.names().clear());
    assertThrows(UnsupportedOperationException.class, () -> read.metadata().clear());
  }

  @Test
  void missingNameErrorListsTheNamesPresent() throws IOException {
    Path file = dir.resolve("names.safetensors");
    Safetensors.writer().f32("weight", Tensor.zeros(1)).f32("bias", Tensor.zeros(1)).write(file);
    SafetensorsFile read = Safetensors.read(file);

    for (var access :
        List.<java.util.function.Consumer<String>>of(
            read::tensor, read::doubles, read::longs, read::shape, read::dtype)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> access.accept("wieght"));
      assertTrue(e.getMessage().contains("no tensor \"wieght\""), e.getMessage());
      assertTrue(e.getMessage().contains("2 tensors: \"weight\", \"bias\""), e.getMessage());
      assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
  }

  @Test
  void writerRefusesBadArgumentsUpFront() {
    SafetensorsWriter writer = Safetensors.writer().f32("a", Tensor.zeros(1));
    IllegalArgumentException duplicate =
        assertThrows(IllegalArgumentException.class, () -> writer.f32("a", Tensor.zeros(2)));
    assertTrue(duplicate.getMessage().contains("already added"), duplicate.getMessage());
    IllegalArgumentException reserved =
        assertThrows(
            IllegalArgumentException.class, () -> writer.f32("__metadata__", Tensor.zeros(1)));
    assertTrue(reserved.getMessage().contains("__metadata__"), reserved.getMessage());
    IllegalArgumentException wrongLength =
        assertThrows(
            IllegalArgumentException.class, () -> writer.f64("d", new int[] {2, 2}, new double[3]));
    assertTrue(
        wrongLength.getMessage().contains("holds 4 elements but 3 values"),
        wrongLength.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> writer.i64("n", new int[] {-1}, new long[0]));
  }

  @Test
  void largeTensorsSpanManyWriteChunks() throws IOException {
    Random random = new Random(11);
    Tensor big = Tensor.wrap(randomFloats(random, 100_003), 100_003);
    double[] doubles = new double[40_001];
    for (int i = 0; i < doubles.length; i++) doubles[i] = random.nextDouble();
    Path file = dir.resolve("big.safetensors");

    Safetensors.writer().f32("big", big).f64("doubles", new int[] {40_001}, doubles).write(file);
    SafetensorsFile read = Safetensors.read(file);

    assertSameTensor(big, read.tensor("big"));
    assertArrayEquals(doubles, read.doubles("doubles"));
  }
}
