package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The vector array kernels of {@link Elementwise}: exp, sigmoid and tanh against double precision
 * on a sweep over every 1021st float bit pattern plus the special values, in units in the last
 * place (ulp) of the correctly rounded float; the sums bit for bit against plain loops.
 */
class ElementwiseTest {

  /**
   * Every 1021st bit pattern (about 4.2 million floats of every sign and exponent) and specials.
   */
  private static float[] sweep() {
    float[] specials = {
      0f,
      -0f,
      Float.MIN_VALUE,
      -Float.MIN_VALUE,
      Float.MIN_NORMAL,
      -Float.MIN_NORMAL,
      Float.MAX_VALUE,
      -Float.MAX_VALUE,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      1f,
      -1f,
      0.625f,
      -0.625f,
      Math.nextDown(0.625f),
      1e-30f,
      -1e-30f,
      88.72283f,
      88.72284f,
      89f,
      -87.33655f,
      -103.27893f,
      -103.97208f,
      -104f,
      9.01f,
      -9.01f
    };
    int step = 1021;
    int count = (int) ((1L << 32) / step);
    float[] x = new float[count + specials.length];
    for (int i = 0; i < count; i++) x[i] = Float.intBitsToFloat((int) ((long) i * step));
    System.arraycopy(specials, 0, x, count, specials.length);
    return x;
  }

  private interface ArrayKernel {
    void run(float[] x, int xOff, float[] y, int yOff, int n);
  }

  /**
   * The largest error of {@code kernel} over the sweep, in ulps of the float nearest the exact
   * value.
   */
  private static double maxUlpError(String name, ArrayKernel kernel, DoubleUnaryOperator exact) {
    float[] x = sweep();
    float[] y = new float[x.length];
    kernel.run(x, 0, y, 0, x.length);
    double worst = 0;
    float worstAt = 0;
    for (int i = 0; i < x.length; i++) {
      double reference = exact.applyAsDouble(x[i]);
      float rounded = (float) reference;
      String where = name + "(" + x[i] + ") = " + y[i] + ", exact " + reference;
      if (Double.isNaN(reference)) {
        assertTrue(Float.isNaN(y[i]), where);
        continue;
      }
      if (Float.isInfinite(rounded) || reference == 0) {
        assertEquals(rounded, y[i], where);
        continue;
      }
      assertTrue(Float.isFinite(y[i]), where);
      double error = Math.abs(y[i] - reference) / Math.ulp(rounded);
      if (error > worst) {
        worst = error;
        worstAt = x[i];
      }
    }
    System.out.printf("%s: max error %.2f ulp at x = %s%n", name, worst, worstAt);
    return worst;
  }

  private static double exactSigmoid(double x) {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    double e = Math.exp(x);
    return e / (1 + e);
  }

  @Test
  void expIsWithinTwoUlpsEverywhere() {
    assertTrue(maxUlpError("exp", Elementwise::exp, Math::exp) <= 2.0);
  }

  @Test
  void sigmoidIsWithinThreeUlpsEverywhere() {
    assertTrue(maxUlpError("sigmoid", Elementwise::sigmoid, ElementwiseTest::exactSigmoid) <= 3.0);
  }

  @Test
  void tanhIsWithinTwoUlpsEverywhere() {
    assertTrue(maxUlpError("tanh", Elementwise::tanh, Math::tanh) <= 2.0);
  }

  @Test
  void knownValuesAndSigns() {
    float[] x = {0f, -0f, 1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -20f, 20f};
    float[] y = new float[x.length];
    Elementwise.tanh(x, 0, y, 0, x.length);
    assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(y[0]), "tanh(+0) is +0");
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(y[1]), "tanh(-0) is -0");
    assertArrayEquals(new float[] {-1f, 1f, -1f, 1f}, new float[] {y[3], y[4], y[5], y[6]});
    Elementwise.sigmoid(x, 0, y, 0, x.length);
    assertArrayEquals(new float[] {0.5f, 0.5f}, new float[] {y[0], y[1]});
    assertEquals(0f, y[3]);
    assertEquals(1f, y[4]);
    assertEquals(
        2.0611537e-9f, y[5], 2 * Math.ulp(2.0611537e-9f), "sigmoid(-20) keeps its tiny value");
    Elementwise.exp(x, 0, y, 0, x.length);
    assertArrayEquals(new float[] {1f, 1f}, new float[] {y[0], y[1]});
    assertEquals((float) Math.E, y[2], Math.ulp((float) Math.E));
    assertEquals(0f, y[3]);
    assertEquals(Float.POSITIVE_INFINITY, y[4]);
  }

  /**
   * Offsets, every length around the vector width, and writing in place: each element gets the same
   * bits wherever it sits, and nothing outside the range is written.
   */
  @Test
  void arrayKernelsRespectRangesAndDoNotDependOnPosition() {
    SplittableRandom rng = new SplittableRandom(3);
    ArrayKernel[] kernels = {Elementwise::exp, Elementwise::sigmoid, Elementwise::tanh};
    for (ArrayKernel kernel : kernels) {
      for (int n = 0; n <= 70; n++) {
        int xOff = rng.nextInt(5), yOff = rng.nextInt(5);
        float[] x = new float[xOff + n + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-30, 30);
        float[] y = new float[yOff + n + 3];
        java.util.Arrays.fill(y, 42f);
        kernel.run(x, xOff, y, yOff, n);
        for (int i = 0; i < y.length; i++) {
          if (i < yOff || i >= yOff + n) {
            assertEquals(42f, y[i], "written outside the range at " + i + " (n = " + n + ")");
          } else {
            float[] one = new float[1];
            kernel.run(x, xOff + i - yOff, one, 0, 1);
            assertEquals(one[0], y[i], "element " + (i - yOff) + " of " + n);
          }
        }
        float[] inPlace = java.util.Arrays.copyOfRange(x, xOff, xOff + n);
        kernel.run(inPlace, 0, inPlace, 0, n);
        assertArrayEquals(
            java.util.Arrays.copyOfRange(y, yOff, yOff + n), inPlace, "in place, n = " + n);
      }
    }
  }

  @Test
  void sumsAndAdditionsMatchPlainLoopsBitForBit() {
    SplittableRandom rng = new SplittableRandom(5);
    for (int n = 0; n <= 40; n++) {
      int rows = 1 + rng.nextInt(4);
      float[] x = new float[2 + rows * n];
      float[] bias = new float[1 + n];
      for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-1, 1);
      for (int i = 0; i < bias.length; i++) bias[i] = (float) rng.nextDouble(-1, 1);

      float[] expected = x.clone();
      for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) expected[2 + r * n + j] += bias[1 + j];
      float[] got = x.clone();
      Elementwise.addRowVector(got, 2, rows, bias, 1, n);
      assertArrayEquals(expected, got, "addRowVector n = " + n);

      float[] expectedSum = bias.clone();
      for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) expectedSum[1 + j] += x[2 + r * n + j];
      float[] sum = bias.clone();
      Elementwise.sumRowsInto(x, 2, rows, n, sum, 1);
      assertArrayEquals(expectedSum, sum, "sumRowsInto n = " + n);

      float[] added = new float[n + 3];
      Elementwise.add(x, 2, bias, 1, added, 3 - 0, n);
      for (int j = 0; j < n; j++)
        assertEquals(x[2 + j] + bias[1 + j], added[3 + j], "add n = " + n);
      assertEquals(0f, added[0]);
    }
  }

  @Test
  void maxSubtractAndScaleMatchPlainLoopsBitForBit() {
    SplittableRandom rng = new SplittableRandom(6);
    for (int n = 0; n <= 70; n++) {
      float[] x = new float[3 + n];
      for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-50, 50);
      float expectedMax = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) expectedMax = Math.max(expectedMax, x[3 + j]);
      assertEquals(expectedMax, Elementwise.max(x, 3, n), "max n = " + n);

      float c = (float) rng.nextDouble(-5, 5);
      float[] y = new float[n + 1];
      Elementwise.subtract(x, 3, c, y, 1, n);
      float[] scaled = x.clone();
      Elementwise.scaleInPlace(scaled, 3, n, c);
      for (int j = 0; j < n; j++) {
        assertEquals(x[3 + j] - c, y[1 + j], "subtract n = " + n);
        assertEquals(x[3 + j] * c, scaled[3 + j], "scaleInPlace n = " + n);
      }
      assertEquals(0f, y[0]);
      assertArrayEquals(
          java.util.Arrays.copyOfRange(x, 0, 3),
          java.util.Arrays.copyOfRange(scaled, 0, 3),
          "scaleInPlace stays in its range");
    }
    for (int n = 0; n <= 40; n++) {
      float[] zeros = new float[n + 2];
      zeros[0] = 1f;
      zeros[n + 1] = 1f;
      if (n > 0) zeros[1 + n / 2] = -0f;
      assertTrue(Elementwise.allZero(zeros, 1, n), "zeros, -0 included, n = " + n);
      for (int j = 0; j < n; j++) {
        for (float v : new float[] {Float.MIN_VALUE, -1e-30f, Float.NaN}) {
          float[] one = zeros.clone();
          one[1 + j] = v;
          assertFalse(Elementwise.allZero(one, 1, n), v + " at " + j + ", n = " + n);
        }
      }
    }
    float[] withNaN = new float[40];
    withNaN[33] = Float.NaN;
    assertTrue(Float.isNaN(Elementwise.max(withNaN, 0, 40)), "NaN propagates as in Math.max");
  }

  @Test
  void columnSumsOnSeveralThreadsEqualThePlainLoop() {
    // Large enough to be split between threads; odd widths leave a part vector at the end.
    SplittableRandom rng = new SplittableRandom(17);
    int saved = Parallel.threads();
    try {
      for (int n : new int[] {1, 37, 1000}) {
        int rows = 3000;
        float[] x = new float[1 + rows * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-1, 1);
        float[] expected = new float[n + 2];
        for (int r = 0; r < rows; r++)
          for (int j = 0; j < n; j++) expected[2 + j] += x[1 + r * n + j];
        for (int threads : new int[] {1, 2, 3}) {
          Parallel.setThreads(threads);
          float[] sum = new float[n + 2];
          Elementwise.sumRowsInto(x, 1, rows, n, sum, 2);
          assertArrayEquals(expected, sum, "n = " + n + ", threads = " + threads);
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }
}
