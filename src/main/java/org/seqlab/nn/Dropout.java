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
    for (int i = 0; i < n; i++) m[i] = rng.nextDouble() < p ? 0f : keep;
    return m;
  }

  /** {@code x[i] *= mask[i]} for {@code i < n}: the forward and, on gradients, the backward. */
  public static void apply(float[] x, float[] mask, int n) {
    for (int i = 0; i < n; i++) x[i] *= mask[i];
  }
}
