package org.seqlab.tensor;

/**
 * Elementwise functions and their derivatives, on float arrays with explicit ranges. Derivatives are
 * written in terms of the function's output where that is cheaper ({@code tanh' = 1 - y^2},
 * {@code sigmoid' = y (1 - y)}), which is what backward passes cache.
 */
public final class Elementwise {
  private Elementwise() {}

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
    for (int i = 0; i < n; i++) y[yOff + i] = a[aOff + i] + b[bOff + i];
  }

  /** {@code y[i] += x[i]} for {@code n} elements. */
  public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
  }

  /** Adds {@code bias[0..n)} to each of the {@code rows} rows of length {@code n} starting at {@code yOff}. */
  public static void addRowVector(float[] y, int yOff, int rows, float[] bias, int biasOff, int n) {
    for (int r = 0; r < rows; r++) {
      int row = yOff + r * n;
      for (int j = 0; j < n; j++) y[row + j] += bias[biasOff + j];
    }
  }

  /** {@code sum[j] += Σ_r x[r, j]}: the bias gradient of a layer applied to {@code rows} rows. */
  public static void sumRowsInto(float[] x, int xOff, int rows, int n, float[] sum, int sumOff) {
    for (int r = 0; r < rows; r++) {
      int row = xOff + r * n;
      for (int j = 0; j < n; j++) sum[sumOff + j] += x[row + j];
    }
  }
}
