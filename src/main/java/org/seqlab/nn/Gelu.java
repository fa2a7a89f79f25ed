package org.seqlab.nn;

import org.apache.commons.numbers.gamma.Erfc;

/**
 * The Gaussian error linear unit in its exact form, as PyTorch's default {@code nn.GELU()} ({@code
 * approximate='none'}):
 *
 * <pre>
 *   gelu(x)  = x Φ(x) = 0.5 x (1 + erf(x / √2))
 *   gelu'(x) = Φ(x) + x φ(x),     φ(x) = exp(-x²/2) / √(2π)
 * </pre>
 *
 * <p>{@code Φ} is evaluated as {@code 0.5 erfc(-x/√2)}, which equals {@code 0.5 (1 + erf(x/√2))}
 * but keeps its relative accuracy for large negative {@code x}, where {@code 1 + erf} would cancel
 * to zero. Both functions are evaluated in double and rounded once to float.
 */
public final class Gelu {
  private Gelu() {}

  private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
  private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  /** {@code Φ(x)}, the standard normal distribution function. */
  private static double normalCdf(double x) {
    return 0.5 * Erfc.value(-x * INV_SQRT2);
  }

  /** {@code gelu(x) = x Φ(x)}. */
  public static double value(double x) {
    return x * normalCdf(x);
  }

  /** {@code gelu'(x) = Φ(x) + x φ(x)}. */
  public static double derivative(double x) {
    return normalCdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
  }

  /** {@code y[yOff + i] = gelu(x[xOff + i])} for {@code n} elements. */
  public static void forward(float[] y, int yOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] = (float) value(x[xOff + i]);
  }

  /**
   * {@code dx[dxOff + i] += dy[dyOff + i] · gelu'(x[xOff + i])} for {@code n} elements, where
   * {@code x} is the forward input.
   */
  public static void backward(
      float[] dx, int dxOff, float[] x, int xOff, float[] dy, int dyOff, int n) {
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] += (float) (dy[dyOff + i] * derivative(x[xOff + i]));
    }
  }
}
