package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the calls recorded by {@code scripts/golden/numpy_random.py} and compares every value
 * with numpy's bit for bit.
 */
class NumpyRandomTest {

  private static JsonNode golden() throws IOException {
    try (InputStream in = NumpyRandomTest.class.getResourceAsStream("/golden/numpy_random.json")) {
      if (in == null) throw new IllegalStateException("golden/numpy_random.json is missing");
      return new ObjectMapper().readTree(in);
    }
  }

  @TestFactory
  List<DynamicTest> reproducesNumpyStreamBitForBit() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode seedEntry : golden().get("seeds")) {
      long seed = seedEntry.get("seed").longValue();
      tests.add(
          DynamicTest.dynamicTest("seed " + seed, () -> replay(seed, seedEntry.get("calls"))));
    }
    assertEquals(4, tests.size(), "seeds in the golden file");
    return tests;
  }

  /**
   * Runs the recorded calls in order on one generator, as the script ran them on one RandomState.
   */
  private static void replay(long seed, JsonNode calls) {
    NumpyRandom random = new NumpyRandom(seed);
    int index = 0;
    for (JsonNode call : calls) {
      String method = call.get("method").asText();
      JsonNode args = call.get("args");
      JsonNode size = call.get("size");
      JsonNode expected = call.get("values");
      String where = "seed " + seed + ", call " + index + " " + method + args;
      switch (method) {
        case "randint" -> {
          long low = args.get(0).longValue();
          long high = args.get(1).longValue();
          long[] got =
              size.isNull()
                  ? new long[] {random.randint(low, high)}
                  : random.randint(low, high, size.intValue());
          assertEquals(expected.size(), got.length, where);
          for (int i = 0; i < got.length; i++) {
            assertEquals(expected.get(i).longValue(), got[i], where + " element " + i);
          }
        }
        case "rand" -> assertBits(expected, random.rand(size.intValue()), where);
        case "randn" -> assertBits(expected, random.randn(size.intValue()), where);
        case "uniform" ->
            assertBits(
                expected,
                new double[] {random.uniform(args.get(0).doubleValue(), args.get(1).doubleValue())},
                where);
        default -> throw new AssertionError("unknown method in golden file: " + method);
      }
      index++;
    }
    assertTrue(index > 10, "golden file lists the calls");
  }

  private static void assertBits(JsonNode expected, double[] got, String where) {
    assertEquals(expected.size(), got.length, where);
    for (int i = 0; i < got.length; i++) {
      double want = expected.get(i).doubleValue();
      assertEquals(
          Double.doubleToLongBits(want),
          Double.doubleToLongBits(got[i]),
          where + " element " + i + ": expected " + want + " got " + got[i]);
    }
  }

  @Test
  void matchesReferenceMersenneTwisterOutput() {
    // mt19937ar.c with init_genrand(5489) starts 3499211612, 581869302, 3890346734.
    NumpyRandom random = new NumpyRandom(5489);
    assertEquals(3499211612L, random.nextUint32());
    assertEquals(581869302L, random.nextUint32());
    assertEquals(3890346734L, random.nextUint32());
  }

  @Test
  void refusesSeedsNumpyRefuses() {
    assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(-1));
    IllegalArgumentException tooLarge =
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(1L << 32));
    assertTrue(tooLarge.getMessage().contains("2**32 - 1"), tooLarge.getMessage());
    new NumpyRandom(0);
    new NumpyRandom(NumpyRandom.MAX_SEED);
  }

  @Test
  void refusesEmptyRanges() {
    NumpyRandom random = new NumpyRandom(0);
    assertThrows(IllegalArgumentException.class, () -> random.randint(5, 5));
    assertThrows(IllegalArgumentException.class, () -> random.randint(5, 4, 3));
    assertThrows(IllegalArgumentException.class, () -> random.randint(0, 4, -1));
    assertThrows(
        IllegalArgumentException.class, () -> random.uniform(-Double.MAX_VALUE, Double.MAX_VALUE));
  }

  @Test
  void shapesAreRowMajorCounts() {
    assertEquals(6, new NumpyRandom(1).randn(2, 3).length);
    assertEquals(0, new NumpyRandom(1).rand(4, 0).length);
    assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(1).randn(-1));
  }

  @Test
  void randomGeneratorMethodsFollowTheNumpyStream() {
    NumpyRandom a = new NumpyRandom(42);
    NumpyRandom b = new NumpyRandom(42);
    assertEquals(
        Double.doubleToLongBits(a.randomSample()), Double.doubleToLongBits(b.nextDouble()));
    assertEquals(Double.doubleToLongBits(a.gauss()), Double.doubleToLongBits(b.nextGaussian()));
    assertEquals(Double.doubleToLongBits(a.gauss()), Double.doubleToLongBits(b.nextGaussian()));
    long high = a.nextUint32();
    long low = a.nextUint32();
    assertEquals((high << 32) | low, b.nextLong());
    assertEquals((int) a.nextUint32(), b.nextInt());
    assertArrayEquals(a.randint(-3, 1000, 50), b.randint(-3, 1000, 50));
  }
}
