package org.seqlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * <h2>Reference values</h2>
 *
 * {@link #value} and {@link #derivative} evaluate {@code Φ} as {@code 0.5 erfc(-x/√2)} in double,
 * which equals {@code 0.5 (1 + erf(x/√2))} but keeps its relative accuracy for large negative
 * {@code x}, where {@code 1 + erf} would cancel to zero. They define the function; the array forms
 * are tested against them.
 *
 * <h2>Array forms</h2>
 *
 * The array forms ({@link #forward}, {@link #forwardAddingBias}, {@link #backward}) run in float on
 * the Vector API, a whole vector of elements at a time, with {@code Φ} in two pieces:
 *
 * <pre>
 *   |x| &lt; 1:   Φ(x) = 1/2 + x P(x²)                              P of degree 5
 *   |x| ≥ 1:   Φ(-|x|) = exp(-x²/2) · t S(t),  t = 1/(1 + |x|/2)   S of degree 7
 *              Φ(x) = Φ(-|x|) for x &lt; 0,  1 - Φ(-|x|) for x &gt; 0
 *   |x| ≥ 13:  Φ(-|x|) = 0 (it is below 7e-39, under float's normal range)
 * </pre>
 *
 * <p>Near zero the odd polynomial is what keeps the absolute error small where {@code Φ ≈ 1/2}; in
 * the tails the exponential form keeps the <em>relative</em> error of {@code Φ(-|x|)} small, as
 * {@code erfc} does in {@link #value}. Both were fitted for this class (minimax by Lawson's
 * iteration, in double): the polynomial is within 1.3e-10 of {@code Φ - 1/2} on {@code [0, 1]},
 * {@code t S(t)} within a relative 4.6e-8 of {@code Φ(-u) e^{u²/2}} on {@code u ∈ [1, 14]}. In
 * float, with rounding, the computed {@code Φ} is within 8e-8 of the exact one everywhere (under
 * 1.5 units in the last place of values near 1) and within a relative 5e-7 in the lower tail.
 * {@code exp(-x²/2)} is evaluated as {@code e^{-h/2} (1 - l/2)}, where {@code x² = h + l} exactly
 * ({@code l} by a fused multiply-add): the rounding of {@code x²} alone would cost a relative
 * {@code x² · 3e-8} in the tail. The exponential is the Cephes expf scheme ({@code n ln2 + r},
 * degree-6 polynomial in {@code r}), which the clamping at 13 keeps within float's normal range.
 *
 * <p>So {@code gelu} is within {@code 1e-7 · max(1, |x|)} plus its own rounding of the exact value,
 * and {@code gelu'} within 2e-7 ({@code GeluTest} checks a dense sweep and prints the errors).
 * Every element gets the same result wherever it sits in the array. NaN gives NaN.
 *
 * <p>Everything is written in the one loop of {@link #apply}, not in helpers taking vectors: a
 * helper the compiler declines to inline turns every vector into an object.
 */
public final class Gelu {
  private Gelu() {}

  private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
  private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  /** {@code Φ(x)}, the standard normal distribution function. */
  private static double normalCdf(double x) {
    return 0.5 * Erfc.value(-x * INV_SQRT2);
  }

  /** {@code gelu(x) = x Φ(x)}, in double. */
  public static double value(double x) {
    return x * normalCdf(x);
  }

  /** {@code gelu'(x) = Φ(x) + x φ(x)}, in double. */
  public static double derivative(double x) {
    return normalCdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
  }

  /**
   * {@code y[yOff + i] = gelu(x[xOff + i])} for {@code n} elements, in float (see the class comment
   * for the accuracy). {@code x} and {@code y} may be the same range.
   */
  public static void forward(float[] y, int yOff, float[] x, int xOff, int n) {
    apply(FORWARD, y, yOff, x, xOff, null, 0, null, 0, n);
  }

  /**
   * The first half of a feed-forward layer's activation, fused: for {@code n} elements, {@code
   * a[aOff + i] += bias[biasOff + i]}, then {@code h[hOff + i] = gelu(a[aOff + i])}. {@code a} is
   * the product {@code x W^T} on entry and the pre-activation, which the backward pass needs, on
   * exit; one pass reads it once and writes both results, where adding the bias and applying the
   * GELU separately would stream it through the cache twice more.
   */
  public static void forwardAddingBias(
      float[] h, int hOff, float[] a, int aOff, float[] bias, int biasOff, int n) {
    apply(FORWARD_ADDING_BIAS, h, hOff, a, aOff, null, 0, bias, biasOff, n);
  }

  /**
   * {@code dx[dxOff + i] += dy[dyOff + i] · gelu'(x[xOff + i])} for {@code n} elements, in float,
   * where {@code x} is the forward input.
   */
  public static void backward(
      float[] dx, int dxOff, float[] x, int xOff, float[] dy, int dyOff, int n) {
    apply(BACKWARD_ACCUMULATE, dx, dxOff, x, xOff, dy, dyOff, null, 0, n);
  }

  /**
   * {@code dx[dxOff + i] = dy[dyOff + i] · gelu'(x[xOff + i])} for {@code n} elements: {@link
   * #backward} for an output that need not be zeroed first. {@code dx} may be the same range as
   * {@code dy}.
   */
  public static void backwardOverwrite(
      float[] dx, int dxOff, float[] x, int xOff, float[] dy, int dyOff, int n) {
    apply(BACKWARD_OVERWRITE, dx, dxOff, x, xOff, dy, dyOff, null, 0, n);
  }

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private static final int FORWARD = 0;
  private static final int FORWARD_ADDING_BIAS = 1;
  private static final int BACKWARD_ACCUMULATE = 2;
  private static final int BACKWARD_OVERWRITE = 3;

  /** Below this |x|, Φ is the polynomial; from it on, the exponential form. */
  private static final float NEAR_LIMIT = 1f;

  /** From this |x| on, Φ(-|x|) = 0 and φ(x) = 0 in float. */
  private static final float TAIL_LIMIT = 13f;

  // Φ(x) - 1/2 = x P(x²) on [-1, 1].
  private static final float P0 = 3.989422917e-01f;
  private static final float P1 = -6.649032980e-02f;
  private static final float P2 = 9.973171167e-03f;
  private static final float P3 = -1.185984700e-03f;
  private static final float P4 = 1.131436438e-04f;
  private static final float P5 = -7.530305993e-06f;
  // Φ(-u) = exp(-u²/2) t S(t), t = 1/(1 + u/2), on u in [1, 14].
  private static final float S0 = 1.994704157e-01f;
  private static final float S1 = 1.994485706e-01f;
  private static final float S2 = 1.505170465e-01f;
  private static final float S3 = 3.873855621e-02f;
  private static final float S4 = 5.450744182e-03f;
  private static final float S5 = -3.406064212e-01f;
  private static final float S6 = 3.736050725e-01f;
  private static final float S7 = -1.275598705e-01f;

  private static final float INV_SQRT_2PI_FLOAT = (float) INV_SQRT_2PI;
  private static final float LOG2_E = 1.44269504088896341f;
  // ln 2 split in two (Cody and Waite): n * LN2_HIGH is exact for |n| < 2^9.
  private static final float LN2_HIGH = 0.693359375f;
  private static final float LN2_LOW = -2.12194440e-4f;
  // 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in its low bits.
  private static final float ROUND_TO_INTEGER = 12582912f;

  /**
   * The one loop behind the array forms. {@code out} receives gelu (forward) or {@code dy · gelu'}
   * (backward); {@code x} is the input, with {@code bias} added to it in place first for {@link
   * #FORWARD_ADDING_BIAS}.
   */
  private static void apply(
      int mode,
      float[] out,
      int outOff,
      float[] x,
      int xOff,
      float[] dy,
      int dyOff,
      float[] bias,
      int biasOff,
      int n) {
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector minusLn2High = FloatVector.broadcast(SPECIES, -LN2_HIGH);
    FloatVector minusLn2Low = FloatVector.broadcast(SPECIES, -LN2_LOW);
    for (int i = 0; i < n; i += LANES) {
      VectorMask<Float> inRange = SPECIES.indexInRange(i, n);
      FloatVector v = FloatVector.fromArray(SPECIES, x, xOff + i, inRange);
      if (mode == FORWARD_ADDING_BIAS) {
        v = v.add(FloatVector.fromArray(SPECIES, bias, biasOff + i, inRange));
        v.intoArray(x, xOff + i, inRange);
      }
      FloatVector magnitude = v.abs();
      FloatVector u = magnitude.min(TAIL_LIMIT);
      FloatVector square = u.mul(u);
      FloatVector squareError = u.fma(u, square.neg()); // u² = square + squareError exactly

      // Near zero: 1/2 + x P(x²).
      FloatVector p = square.fma(P5, P4);
      p = p.fma(square, FloatVector.broadcast(SPECIES, P3));
      p = p.fma(square, FloatVector.broadcast(SPECIES, P2));
      p = p.fma(square, FloatVector.broadcast(SPECIES, P1));
      p = p.fma(square, FloatVector.broadcast(SPECIES, P0));
      FloatVector near = v.fma(p, FloatVector.broadcast(SPECIES, 0.5f));

      // exp(-square/2) = 2^k e^r with r = -square/2 - k ln2, |r| ≤ ln2/2.
      FloatVector argument = square.mul(-0.5f);
      FloatVector shifted = argument.fma(LOG2_E, ROUND_TO_INTEGER);
      FloatVector whole = shifted.sub(ROUND_TO_INTEGER);
      IntVector exponent =
          shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND_TO_INTEGER));
      FloatVector r = whole.fma(minusLn2High, argument);
      r = whole.fma(minusLn2Low, r);
      FloatVector e = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
      e = e.fma(r, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
      e = e.fma(r.mul(r), r).add(one);
      FloatVector scale =
          exponent.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      e = e.mul(scale);
      // e^{-u²/2} = e^{-square/2} e^{-squareError/2}, the second factor to first order.
      FloatVector gauss = e.fma(squareError.mul(-0.5f), e);
      gauss = gauss.blend(zero, magnitude.compare(VectorOperators.GE, TAIL_LIMIT));

      // The tails: Φ(-|x|) = gauss · t S(t).
      FloatVector t = one.div(u.fma(0.5f, 1f));
      FloatVector s = t.fma(S7, S6);
      s = s.fma(t, FloatVector.broadcast(SPECIES, S5));
      s = s.fma(t, FloatVector.broadcast(SPECIES, S4));
      s = s.fma(t, FloatVector.broadcast(SPECIES, S3));
      s = s.fma(t, FloatVector.broadcast(SPECIES, S2));
      s = s.fma(t, FloatVector.broadcast(SPECIES, S1));
      s = s.fma(t, FloatVector.broadcast(SPECIES, S0));
      FloatVector lowerTail = gauss.mul(t).mul(s);
      FloatVector far = one.sub(lowerTail).blend(lowerTail, v.lt(0f));
      FloatVector cdf = far.blend(near, magnitude.lt(NEAR_LIMIT));

      if (mode == FORWARD || mode == FORWARD_ADDING_BIAS) {
        v.mul(cdf).intoArray(out, outOff + i, inRange);
      } else {
        // gelu'(x) = Φ(x) + x φ(x), φ(x) = gauss / √(2π).
        FloatVector slope =
            v.mul(gauss).fma(FloatVector.broadcast(SPECIES, INV_SQRT_2PI_FLOAT), cdf);
        FloatVector grad = FloatVector.fromArray(SPECIES, dy, dyOff + i, inRange).mul(slope);
        if (mode == BACKWARD_ACCUMULATE) {
          grad = grad.add(FloatVector.fromArray(SPECIES, out, outOff + i, inRange));
        }
        grad.intoArray(out, outOff + i, inRange);
      }
    }
  }
}
