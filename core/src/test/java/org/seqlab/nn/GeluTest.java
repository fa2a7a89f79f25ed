package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vectorised float GELU and its derivative against the exact double {@link Gelu#value} and
 * {@link Gelu#derivative}, on a dense sweep: the errors are bounded as the class comment says, and
 * printed.
 */
class GeluTest {

  /** Every 512th float in [-16, 16] (both signs, all exponents), then the pieces' seams densely. */
  private static float[] sweep() {
    int count = 0;
    float[] xs = new float[1 << 23];
    for (int bits = 0; Float.intBitsToFloat(bits) <= 16f; bits += 512) {
      float x = Float.intBitsToFloat(bits);
      xs[count++] = x;
      xs[count++] = -x;
    }
    for (float seam : new float[] {1f, 13f}) {
      for (int k = -20000; k <= 20000; k++) {
        xs[count++] = seam + k * 1e-6f * seam;
        xs[count++] = -(seam + k * 1e-6f * seam);
      }
    }
    return java.util.Arrays.copyOf(xs, count);
  }

  @Test
  void forwardIsWithinATenthOfAMillionthTimesMaxOneAbsX() {
    float[] x = sweep();
    float[] y = new float[x.length];
    Gelu.forward(y, 0, x, 0, x.length);
    double worst = 0, worstAt = 0, worstCdf = 0;
    for (int i = 0; i < x.length; i++) {
      double exact = Gelu.value(x[i]);
      double scaled = Math.abs(y[i] - exact) / Math.max(1, Math.abs(x[i]));
      if (scaled > worst) {
        worst = scaled;
        worstAt = x[i];
      }
      // The error on Φ itself, where x is large enough to divide by.
      if (Math.abs(x[i]) >= 0.5)
        worstCdf = Math.max(worstCdf, Math.abs(y[i] / x[i] - exact / x[i]));
    }
    System.out.printf(
        Locale.ROOT,
        "gelu over %d points: max |error| / max(1, |x|) = %.3e (at x = %g); implied max |error of Φ| = %.3e%n",
        x.length,
        worst,
        worstAt,
        worstCdf);
    assertTrue(worst <= 1.5e-7, "gelu error " + worst + " at " + worstAt);
    assertTrue(worstCdf <= 1.5e-7, "Φ error " + worstCdf);
  }

  @Test
  void derivativeIsWithinTwoTenthsOfAMillionth() {
    float[] x = sweep();
    float[] dy = new float[x.length];
    java.util.Arrays.fill(dy, 1f);
    float[] dx = new float[x.length];
    Gelu.backwardOverwrite(dx, 0, x, 0, dy, 0, x.length);
    double worst = 0, worstAt = 0;
    for (int i = 0; i < x.length; i++) {
      double error = Math.abs(dx[i] - Gelu.derivative(x[i]));
      if (error > worst) {
        worst = error;
        worstAt = x[i];
      }
    }
    System.out.printf(
        Locale.ROOT,
        "gelu' over %d points: max |error| = %.3e (at x = %g)%n",
        x.length,
        worst,
        worstAt);
    assertTrue(worst <= 2e-7, "gelu' error " + worst + " at " + worstAt);
  }

  @Test
  void lowerTailKeepsItsRelativeAccuracy() {
    for (float x = -1f; x >= -12.9f; x -= 0.013f) {
      float[] y = new float[1];
      Gelu.forward(y, 0, new float[] {x}, 0, 1);
      double exact = Gelu.value(x);
      assertEquals(exact, y[0], 1e-6 * Math.abs(exact), "gelu(" + x + ")");
    }
  }

  @Test
  void specialValues() {
    float[] x = {0f, -0f, Float.POSITIVE_INFINITY, 1e30f, -1e30f, -13.5f, 13.5f, Float.NaN};
    float[] y = new float[x.length];
    Gelu.forward(y, 0, x, 0, x.length);
    assertEquals(0f, y[0]);
    assertEquals(0f, y[1], 0f);
    assertEquals(Float.POSITIVE_INFINITY, y[2]);
    assertEquals(1e30f, y[3]);
    assertEquals(0f, y[4], 0f); // -1e30 · Φ(-1e30) = -1e30 · 0
    assertEquals(0f, y[5], 0f);
    assertEquals(13.5f, y[6]);
    assertTrue(Float.isNaN(y[7]));
    float[] d = new float[x.length];
    float[] ones = new float[x.length];
    java.util.Arrays.fill(ones, 1f);
    Gelu.backwardOverwrite(d, 0, x, 0, ones, 0, x.length);
    assertEquals(0.5f, d[0]);
    assertEquals(1f, d[3]);
    assertEquals(0f, d[4], 0f);
    assertTrue(Float.isNaN(d[7]));
  }

  @Test
  void arrayFormsAgreeWithEachOtherAtEveryOffsetAndLength() {
    Random r = new Random(5);
    for (int n : new int[] {0, 1, 7, 15, 16, 17, 33, 100}) {
      int off = r.nextInt(5);
      float[] x = new float[n + off], bias = new float[n + 3], dy = new float[n + off];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (3 * r.nextGaussian());
        dy[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < bias.length; i++) bias[i] = (float) r.nextGaussian();
      // forwardAddingBias = add the bias, then forward, element by element.
      float[] a = x.clone(), h = new float[n + 2];
      Gelu.forwardAddingBias(h, 2, a, off, bias, 3, n);
      for (int i = 0; i < n; i++) {
        float pre = x[off + i] + bias[3 + i];
        assertEquals(pre, a[off + i], 0f);
        float[] one = new float[1];
        Gelu.forward(one, 0, new float[] {pre}, 0, 1);
        assertEquals(one[0], h[2 + i], 0f, "element " + i + " of " + n);
      }
      // backward accumulates what backwardOverwrite writes.
      float[] over = new float[n + off], acc = new float[n + off];
      java.util.Arrays.fill(acc, 0.25f);
      Gelu.backwardOverwrite(over, off, x, off, dy, off, n);
      Gelu.backward(acc, off, x, off, dy, off, n);
      for (int i = 0; i < n; i++) {
        assertEquals(over[off + i] + 0.25f, acc[off + i], 0f);
        assertEquals(
            dy[off + i] * Gelu.derivative(x[off + i]),
            over[off + i],
            3e-7 * (1 + Math.abs(dy[off + i])));
      }
      for (int i = 0; i < off; i++) assertEquals(0.25f, acc[i]);
    }
  }
}
