package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.seqlab.nn.reference.Var;

/** Helpers for comparing the float32 layers with the double-precision reference. */
final class ReferenceComparison {
  private ReferenceComparison() {}

  static float[] gaussian(Random r, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (scale * r.nextGaussian());
    return a;
  }

  static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i];
    return d;
  }

  /** Asserts {@code max |actual - expected| <= tolerance * (1 + max |expected|)}. */
  static void assertClose(String what, float[] actual, double[] expected, double tolerance) {
    assertTrue(
        actual.length == expected.length,
        what + ": length " + actual.length + " vs " + expected.length);
    double max = 0, worst = 0;
    for (double v : expected) max = Math.max(max, Math.abs(v));
    for (int i = 0; i < actual.length; i++)
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    assertTrue(
        worst <= tolerance * (1 + max), what + ": max |diff| " + worst + " (scale " + max + ")");
  }

  /** The values (or gradients) of per-step {@code [B, F]} nodes, stacked time-major. */
  static double[] stack(Var[] perStep, boolean gradients) {
    int n = 0;
    for (Var v : perStep) n += v.value().length;
    double[] all = new double[n];
    int off = 0;
    for (Var v : perStep) {
      double[] src = gradients ? v.grad() : v.value();
      System.arraycopy(src, 0, all, off, src.length);
      off += src.length;
    }
    return all;
  }
}
