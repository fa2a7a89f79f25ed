package org.seqlab.nn;

import java.util.random.RandomGenerator;

/**
 * Inverted dropout, as {@code torch.nn.Dropout} in training mode: every element is kept with
 * probability {@code 1 - p} and scaled by {@code 1/(1-p)}, or zeroed, so that its expectation is
 * unchanged and evaluation needs no rescaling.
 *
 * <pre>
 *   y = x ⊙ m,   m_i = 1/(1-p) with probability 1-p, else 0
 *   dx = dy ⊙ m
 * </pre>
 *
 * The mask is drawn element by element in storage order, so the same generator state gives the same
 * mask on any number of threads.
 */
public final class Dropout {
  private Dropout() {}

  /** Checks that {@code p} is a dropout probability, in {@code [0, 1)}. */
  public static double checkProbability(double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + p);
    }
    return p;
  }

  /**
   * Draws a mask of {@code n} elements into {@code mask}: {@code 1/(1-p)} or 0.
   *
   * @return {@code mask}, or a new array if it is null or too short
   */
  public static float[] drawMask(float[] mask, int n, double p, RandomGenerator rng) {
    float[] m = mask == null || mask.length < n ? new float[n] : mask;
    float keep = (float) (1.0 / (1.0 - p));
    long threshold = threshold(p);
    // Without branches: the drops are random, so a branch would be mispredicted at every drop.
    // (u - threshold) >>> 63 is 1 exactly when u < threshold.
    int pairs = n / 2;
    for (int j = 0; j < pairs; j++) {
      long bits = rng.nextLong();
      m[2 * j] = keep * (1 - (((bits >>> 32) - threshold) >>> 63));
      m[2 * j + 1] = keep * (1 - (((bits & 0xFFFF_FFFFL) - threshold) >>> 63));
    }
    if (n % 2 == 1) m[n - 1] = (rng.nextLong() >>> 32) < threshold ? 0f : keep;
    return m;
  }

  /** {@code p·2³²} rounded: a 32-bit draw below it drops its element. */
  static long threshold(double p) {
    return Math.round(p * 0x1p32);
  }

  /** {@code x[i] *= mask[i]} for {@code i < n}: the forward and, on gradients, the backward. */
  public static void apply(float[] x, float[] mask, int n) {
    for (int i = 0; i < n; i++) x[i] *= mask[i];
  }
}
