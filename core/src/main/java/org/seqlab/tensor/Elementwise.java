package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise functions and their derivatives, on float arrays with explicit ranges. Derivatives
 * are written in terms of the function's output where that is cheaper ({@code tanh' = 1 - y^2},
 * {@code sigmoid' = y (1 - y)}), which is what backward passes cache.
 *
 * <p>The single-value {@link #sigmoid(float)} and {@link #tanh(float)} go through double and are
 * correctly rounded in practice. The array forms ({@link #exp(float[], int, float[], int, int)},
 * {@link #sigmoid(float[], int, float[], int, int)}, {@link #tanh(float[], int, float[], int,
 * int)}) run on the Vector API in float and are within a few units in the last place of them (the
 * bound each one meets is in its Javadoc and tested on a sweep of all floats); an element gets the
 * same result wherever it sits in the array. The sums and additions are exact per element, so their
 * vector forms give the same bits as the plain loops.
 */
public final class Elementwise {
  private Elementwise() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** The logistic function {@code 1 / (1 + e^-x)}, evaluated without overflow for large |x|. */
  public static float sigmoid(float x) {
    if (x >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
    double e = Math.exp(x);
    return (float) (e / (1.0 + e));
  }

  public static float tanh(float x) {
    return (float) Math.tanh(x);
  }

  /** {@code y[i] = a[i] + b[i]} for {@code n} elements. */
  public static void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
      FloatVector.fromArray(SPECIES, a, aOff + i)
          .add(FloatVector.fromArray(SPECIES, b, bOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] = a[aOff + i] + b[bOff + i];
  }

  /** {@code y[i] += x[i]} for {@code n} elements. */
  public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
    int i = 0;
    for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
      FloatVector.fromArray(SPECIES, y, yOff + i)
          .add(FloatVector.fromArray(SPECIES, x, xOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] += x[xOff + i];
  }

  /**
   * The largest of {@code x[off..off+n)} ({@code -∞} for {@code n = 0}); NaN if one of them is, as
   * {@link Math#max(float, float)}.
   */
  public static float max(float[] x, int off, int n) {
    float max = Float.NEGATIVE_INFINITY;
    int i = 0;
    if (n >= LANES) {
      FloatVector m = FloatVector.fromArray(SPECIES, x, off);
      for (i = LANES; i <= n - LANES; i += LANES) {
        m = m.max(FloatVector.fromArray(SPECIES, x, off + i));
      }
      max = m.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) max = Math.max(max, x[off + i]);
    return max;
  }

  /** Whether every one of {@code x[off..off+n)} is zero (either sign); a NaN is not zero. */
  public static boolean allZero(float[] x, int off, int n) {
    int i = 0;
    for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
      if (FloatVector.fromArray(SPECIES, x, off + i).compare(VectorOperators.NE, 0f).anyTrue()) {
        return false;
      }
    }
    for (; i < n; i++) if (x[off + i] != 0f) return false;
    return true;
  }

  /** {@code y[i] = x[i] - c} for {@code n} elements; {@code x} and {@code y} may be the same. */
  public static void subtract(float[] x, int xOff, float c, float[] y, int yOff, int n) {
    int i = 0;
    for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
      FloatVector.fromArray(SPECIES, x, xOff + i).sub(c).intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] = x[xOff + i] - c;
  }

  /** {@code y[i] *= c} for {@code n} elements. */
  public static void scaleInPlace(float[] y, int yOff, int n, float c) {
    int i = 0;
    for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
      FloatVector.fromArray(SPECIES, y, yOff + i).mul(c).intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] *= c;
  }

  /**
   * Adds {@code bias[0..n)} to each of the {@code rows} rows of length {@code n} starting at {@code
   * yOff}.
   */
  public static void addRowVector(float[] y, int yOff, int rows, float[] bias, int biasOff, int n) {
    for (int r = 0; r < rows; r++) addInPlace(y, yOff + r * n, bias, biasOff, n);
  }

  /**
   * {@code sum[j] += Σ_r x[r, j]}: the bias gradient of a layer applied to {@code rows} rows. Rows
   * are added in order, so each {@code sum[j]} sees the same additions as in a plain loop. Threads
   * split the columns (in whole vectors), never the rows, so the result does not depend on how many
   * there are.
   */
  public static void sumRowsInto(float[] x, int xOff, int rows, int n, float[] sum, int sumOff) {
    int vectors = (n + LANES - 1) / LANES;
    Parallel.forRange(
        vectors,
        (long) rows * LANES,
        (from, to) -> {
          int first = from * LANES, width = Math.min(n, to * LANES) - first;
          for (int r = 0; r < rows; r++) {
            addInPlace(sum, sumOff + first, x, xOff + r * n + first, width);
          }
        });
  }

  /**
   * {@code y[i] = e^x[i]} for {@code n} elements, in float, within 2 units in the last place of the
   * exact value over the whole float range (subnormal results included; overflow gives infinity,
   * {@code -∞} gives 0, NaN gives NaN). {@code x} and {@code y} may be the same range.
   */
  public static void exp(float[] x, int xOff, float[] y, int yOff, int n) {
    expFamily(EXP, x, xOff, y, yOff, n);
  }

  /**
   * {@code y[i] = 1 / (1 + e^-x[i])} for {@code n} elements, in float, within 3 units in the last
   * place of the exact value (tiny results for very negative {@code x} are kept, not flushed to 0).
   * {@code x} and {@code y} may be the same range.
   */
  public static void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    expFamily(SIGMOID, x, xOff, y, yOff, n);
  }

  /**
   * {@code y[i] = tanh(x[i])} for {@code n} elements, in float, within 2 units in the last place of
   * the exact value; odd exactly (also for ±0). {@code x} and {@code y} may be the same range.
   */
  public static void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    expFamily(TANH, x, xOff, y, yOff, n);
  }

  private static final int EXP = 0, SIGMOID = 1, TANH = 2;

  private static final float LOG2_E = 1.44269504088896341f;
  // ln 2 split in two (Cody and Waite): n * LN2_HIGH is exact for |n| < 2^9.
  private static final float LN2_HIGH = 0.693359375f;
  private static final float LN2_LOW = -2.12194440e-4f;
  // 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in its low bits.
  private static final float ROUND_TO_INTEGER = 12582912f;
  // Beyond these, e^x is infinite or rounds to 0 in float; clamping keeps n within the scaling.
  private static final float EXP_MAX_ARGUMENT = 89f;
  private static final float EXP_MIN_ARGUMENT = -104f;
  // Below this |x|, tanh uses its odd polynomial; above, the exponential form.
  private static final float TANH_POLYNOMIAL_LIMIT = 0.625f;

  /**
   * exp, sigmoid and tanh, which share one exponential, in one loop.
   *
   * <p>The exponential: {@code t = n ln2 + r} with {@code |r| ≤ ln2/2}, {@code e^r} by the Cephes
   * expf polynomial (degree 6, relative error below 1.5e-7), then multiplied by {@code 2^n} in two
   * exact halves so that results in the subnormal range and up to overflow are rounded once. Every
   * step is an exactly specified lanewise operation, so the result does not depend on the hardware
   * or on whether the code is compiled ({@code lanewise(EXP)} is faster where it maps to a vendor
   * library, but its rounding is left open and its fallback is a scalar call per lane).
   *
   * <p>Everything is written in this one method, not in helpers taking vectors: a helper that the
   * compiler declines to inline makes every vector an object, a hundred times slower.
   */
  private static void expFamily(int function, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i += LANES) {
      // The constants are made inside the loop (the compiler hoists them): made before it, a
      // constant that only one function's branch uses was kept as an object, one allocation per
      // call, once the method had been compiled for all three functions.
      FloatVector one = FloatVector.broadcast(SPECIES, 1f);
      FloatVector minusLn2High = FloatVector.broadcast(SPECIES, -LN2_HIGH);
      FloatVector minusLn2Low = FloatVector.broadcast(SPECIES, -LN2_LOW);
      VectorMask<Float> inRange = SPECIES.indexInRange(i, n);
      FloatVector v = FloatVector.fromArray(SPECIES, x, xOff + i, inRange);
      FloatVector magnitude = v.abs();
      // sigmoid needs e^-|x|, in (0, 1]; tanh needs e^2|x|.
      FloatVector t = v;
      if (function == SIGMOID) t = magnitude.neg();
      if (function == TANH) t = magnitude.add(magnitude);

      // Only the side a function can reach is clamped (t ≤ 0 for sigmoid, t ≥ 0 for tanh): each
      // clamp is several instructions, as Java's max and min order NaN and the two zeros.
      FloatVector clamped = t;
      if (function != TANH) clamped = clamped.max(EXP_MIN_ARGUMENT);
      if (function != SIGMOID) clamped = clamped.min(EXP_MAX_ARGUMENT);
      FloatVector shifted = clamped.fma(LOG2_E, ROUND_TO_INTEGER);
      FloatVector whole = shifted.sub(ROUND_TO_INTEGER);
      IntVector exponent =
          shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND_TO_INTEGER));
      FloatVector r = whole.fma(minusLn2High, clamped);
      r = whole.fma(minusLn2Low, r);
      FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
      p = p.fma(r, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
      p = p.fma(r, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
      p = p.fma(r.mul(r), r).add(one);
      IntVector half = exponent.lanewise(VectorOperators.ASHR, 1);
      FloatVector scaleHigh =
          half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      FloatVector scaleLow =
          exponent.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      // NaN in, NaN out: max and min pass a NaN through (Java's semantics), and so does every
      // step after them, whatever exponent its bits make.
      FloatVector result = p.mul(scaleHigh).mul(scaleLow);

      if (function == SIGMOID) {
        // 1/(1+e) is σ(|x|) and e/(1+e) is σ(-|x|); neither can overflow. The numerator is
        // chosen first, so one division serves both signs.
        result = one.blend(result, v.lt(0f)).div(result.add(one));
      }
      if (function == TANH) {
        // Away from 0: 1 - 2/(e^2|x| + 1), which tends to exactly 1 as e^2|x| overflows.
        FloatVector far = one.sub(FloatVector.broadcast(SPECIES, 2f).div(result.add(one)));
        // Near 0 that form would cancel: an odd polynomial (Cephes tanhf) keeps full relative
        // precision there.
        FloatVector z = magnitude.mul(magnitude);
        FloatVector near = z.fma(-5.70498872745e-3f, 2.06390887954e-2f);
        near = near.fma(z, FloatVector.broadcast(SPECIES, -5.37397155531e-2f));
        near = near.fma(z, FloatVector.broadcast(SPECIES, 1.33314422036e-1f));
        near = near.fma(z, FloatVector.broadcast(SPECIES, -3.33332819422e-1f));
        near = near.mul(z).fma(magnitude, magnitude);
        FloatVector unsigned =
            near.blend(far, magnitude.compare(VectorOperators.GE, TANH_POLYNOMIAL_LIMIT));
        // Put back the sign of x bit for bit, so tanh(-0) = -0 and tanh(-x) = -tanh(x) exactly.
        IntVector sign = v.reinterpretAsInts().and(0x80000000);
        result = unsigned.reinterpretAsInts().or(sign).reinterpretAsFloats();
      }
      result.intoArray(y, yOff + i, inRange);
    }
  }
}
