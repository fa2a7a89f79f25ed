package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The minLSTM's float vector kernels ({@link MinRecurrentKind#coefficients}, {@link
 * MinRecurrentKind#gateGradientsRows}) against its double reference unit by unit ({@code decay},
 * {@code input}, {@code gateGradients}, through {@code u = log σ(k_f) - log σ(k_i)}), on rows with
 * full vectors and a tail, pre-activations from moderate to far beyond float's exponential range
 * (where f and i both underflow, and one underflows far below the other), and infinities.
 */
class MinLstmGatesTest {

  private static final MinRecurrentKind KIND = MinRecurrentKind.MIN_LSTM;

  /** Pre-activations {@code [rows, 3H]}: a mix of scales, some rows entirely extreme. */
  private static float[] preActivations(SplittableRandom r, int rows, int h) {
    float[] p = new float[rows * 3 * h];
    double[] scales = {1, 8, 60, 150, 1e4};
    for (int i = 0; i < p.length; i++) {
      double scale = scales[r.nextInt(scales.length)];
      p[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    // Unit 0 of rows 0-4: both gates far below float's range, one a hundred below the other;
    // infinities; both gates at the lowest exponent; a large gap between two moderate ones.
    float[][] gates = {
      {-300f, -200f},
      {Float.NEGATIVE_INFINITY, -5f},
      {Float.POSITIVE_INFINITY, 3f},
      {-1e30f, -1e30f},
      {-50.3f, 0.7f}
    };
    for (int row = 0; row < gates.length; row++) {
      p[row * 3 * h] = gates[row][0];
      p[row * 3 * h + h] = gates[row][1];
      p[row * 3 * h + 2 * h] = 0.25f;
    }
    return p;
  }

  /** Within {@code ulps} units in the last place of float at the reference, or below 1e-37. */
  private static void assertNear(double expected, float actual, double ulps, String what) {
    double allowed = ulps * Math.ulp((float) expected) + 1e-37;
    assertTrue(
        Math.abs(actual - expected) <= allowed,
        what + ": expected " + expected + ", got " + actual);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 16, 35, 67})
  void coefficientsAgreeWithTheDoubleReference(int h) {
    SplittableRandom r = new SplittableRandom(h);
    int rows = 9;
    float[] p = preActivations(r, rows, h);
    float[] decay = new float[rows * h],
        input = new float[rows * h],
        decayOnly = new float[rows * h];
    KIND.coefficients(p, 0, rows, h, decay, input);
    KIND.coefficients(p, 0, rows, h, decayOnly, null);
    for (int row = 0; row < rows; row++) {
      for (int j = 0; j < h; j++) {
        int at = row * h + j;
        String unit = "row " + row + ", unit " + j;
        assertNear(KIND.decay(p, row * 3 * h, j, h), decay[at], 6, "a at " + unit);
        assertNear(KIND.input(p, row * 3 * h, j, h), input[at], 8, "b at " + unit);
        assertEquals(decay[at], decayOnly[at], "a without b at " + unit);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 16, 35, 67})
  void gateGradientsAgreeWithTheDoubleReference(int h) {
    SplittableRandom r = new SplittableRandom(100 + h);
    int rows = 9;
    float[] p = preActivations(r, rows, h);
    // finite pre-activations here: a gradient through an infinite one has no reference value
    for (int i = 0; i < p.length; i++) {
      if (Float.isInfinite(p[i])) p[i] = Math.copySign(90f, p[i]);
    }
    float[] g = new float[rows * h], hPrev = new float[rows * h];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) r.nextGaussian();
      hPrev[i] = (float) (r.nextGaussian() * 3);
    }
    float[] fast = new float[p.length], reference = new float[p.length];
    KIND.gateGradientsRows(p, 0, rows, h, g, hPrev, fast);
    for (int row = 0; row < rows; row++) {
      for (int j = 0; j < h; j++) {
        KIND.gateGradients(p, row * 3 * h, j, h, g[row * h + j], hPrev[row * h + j], reference);
      }
    }
    double scale = 0;
    for (float v : reference) scale = Math.max(scale, Math.abs(v));
    assertTrue(scale > 0, "the gradients are all zero, the comparison would prove nothing");
    for (int i = 0; i < p.length; i++) {
      // A product of a few rounded factors: within 1e-6 of the element, or of the largest one
      // by 1e-7 where the element is a difference's small remainder.
      double allowed = 1e-6 * Math.abs(reference[i]) + 1e-7 * scale;
      assertTrue(
          Math.abs(fast[i] - reference[i]) <= allowed,
          "dk at " + i + ": expected " + reference[i] + ", got " + fast[i]);
    }
  }
}
