package org.seqlab.nn.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;

/**
 * A tape of double-precision matrix operations with reverse-mode differentiation: the slow,
 * obviously correct oracle against which seqlab's fast float32 layers are checked, and the engine of
 * the gradient-flow probes, where double precision lets a vanishing gradient be followed down to
 * 1e-300 instead of underflowing at 1e-38.
 *
 * <p>Every operation computes its value when called and records, right beside it, how to send its
 * output gradient back to its inputs. {@link #backward(Var)} seeds {@code dL/dL = 1} and runs the
 * records in reverse. Each operation's local derivative is checked by central finite differences in
 * the tests, so a model written with these operations has correct gradients by construction.
 *
 * <p>Shapes are {@code [rows, cols]}; a batch of vectors is a matrix with one row per example.
 */
public final class Graph {
  private final List<Var> tape = new ArrayList<>();

  /** A leaf whose gradient is wanted (a parameter or an input). The array is used, not copied. */
  public Var leaf(double[] value, int rows, int cols) {
    return new Var(value, rows, cols);
  }

  private Var node(double[] value, int rows, int cols) {
    Var v = new Var(value, rows, cols);
    tape.add(v);
    return v;
  }

  private static void requireSameShape(String op, Var a, Var b) {
    if (a.rows != b.rows || a.cols != b.cols) {
      throw new IllegalArgumentException(
          op + ": shapes [" + a.rows + ", " + a.cols + "] and [" + b.rows + ", " + b.cols + "] differ");
    }
  }

  /** {@code y = x W^T} for {@code x [n, in]}, {@code W [out, in]}: a layer's input projection. */
  public Var matmulTransposed(Var x, Var w) {
    if (x.cols != w.cols) {
      throw new IllegalArgumentException(
          "matmulTransposed: x has " + x.cols + " columns, W has " + w.cols);
    }
    int n = x.rows, in = x.cols, out = w.rows;
    double[] y = new double[n * out];
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int k = 0; k < in; k++) s += x.value[i * in + k] * w.value[o * in + k];
        y[i * out + o] = s;
      }
    }
    Var result = node(y, n, out);
    // dx = dy W,  dW = dy^T x
    result.backward =
        () -> {
          for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
              double g = result.grad[i * out + o];
              if (g == 0) continue;
              for (int k = 0; k < in; k++) {
                x.grad[i * in + k] += g * w.value[o * in + k];
                w.grad[o * in + k] += g * x.value[i * in + k];
              }
            }
          }
        };
    return result;
  }

  /** {@code y[i, j] = a[i, j] + bias[j]} for a bias row vector {@code [1, cols]}. */
  public Var addBias(Var a, Var bias) {
    if (bias.rows != 1 || bias.cols != a.cols) {
      throw new IllegalArgumentException("addBias: bias must be [1, " + a.cols + "]");
    }
    double[] y = new double[a.value.length];
    for (int i = 0; i < a.rows; i++) {
      for (int j = 0; j < a.cols; j++) y[i * a.cols + j] = a.value[i * a.cols + j] + bias.value[j];
    }
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < a.cols; j++) {
              double g = result.grad[i * a.cols + j];
              a.grad[i * a.cols + j] += g;
              bias.grad[j] += g;
            }
          }
        };
    return result;
  }

  /** {@code a + b}. */
  public Var add(Var a, Var b) {
    requireSameShape("add", a, b);
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = a.value[i] + b.value[i];
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) {
            a.grad[i] += result.grad[i];
            b.grad[i] += result.grad[i];
          }
        };
    return result;
  }

  /** {@code a ⊙ b}, the elementwise product. */
  public Var mul(Var a, Var b) {
    requireSameShape("mul", a, b);
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = a.value[i] * b.value[i];
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) {
            a.grad[i] += result.grad[i] * b.value[i];
            b.grad[i] += result.grad[i] * a.value[i];
          }
        };
    return result;
  }

  /** {@code 1 - a}. */
  public Var oneMinus(Var a) {
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = 1 - a.value[i];
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) a.grad[i] -= result.grad[i];
        };
    return result;
  }

  /** {@code tanh(a)}; {@code tanh'(a) = 1 - tanh(a)^2}. */
  public Var tanh(Var a) {
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = Math.tanh(a.value[i]);
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) a.grad[i] += result.grad[i] * (1 - y[i] * y[i]);
        };
    return result;
  }

  /** {@code σ(a) = 1 / (1 + e^-a)}; {@code σ'(a) = σ(a)(1 - σ(a))}. */
  public Var sigmoid(Var a) {
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-a.value[i]));
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) a.grad[i] += result.grad[i] * y[i] * (1 - y[i]);
        };
    return result;
  }

  /** {@code max(a, 0)}; the derivative at 0 is taken as 0, as PyTorch does. */
  public Var relu(Var a) {
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = Math.max(a.value[i], 0);
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) if (a.value[i] > 0) a.grad[i] += result.grad[i];
        };
    return result;
  }

  /** Columns {@code [from, to)} of {@code a}: one gate block of a fused gate matrix. */
  public Var columns(Var a, int from, int to) {
    if (from < 0 || to > a.cols || from > to) {
      throw new IllegalArgumentException("columns [" + from + ", " + to + ") of " + a.cols);
    }
    int width = to - from;
    double[] y = new double[a.rows * width];
    for (int i = 0; i < a.rows; i++) System.arraycopy(a.value, i * a.cols + from, y, i * width, width);
    Var result = node(y, a.rows, width);
    result.backward =
        () -> {
          for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < width; j++) a.grad[i * a.cols + from + j] += result.grad[i * width + j];
          }
        };
    return result;
  }

  /** Rows {@code ids[0], ids[1], ...} of {@code table}: an embedding lookup. */
  public Var gatherRows(Var table, int[] ids) {
    int width = table.cols;
    double[] y = new double[ids.length * width];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= table.rows) {
        throw new IllegalArgumentException("id " + ids[i] + " outside [0, " + table.rows + ")");
      }
      System.arraycopy(table.value, ids[i] * width, y, i * width, width);
    }
    Var result = node(y, ids.length, width);
    result.backward =
        () -> {
          for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < width; j++) table.grad[ids[i] * width + j] += result.grad[i * width + j];
          }
        };
    return result;
  }

  /**
   * The scalar {@code Σ a ⊙ weights} for a constant matrix of weights: a loss whose gradient with
   * respect to {@code a} is exactly {@code weights}. With all-ones weights it is {@code Σ a}.
   */
  public Var weightedSum(Var a, double[] weights) {
    if (weights.length != a.value.length) {
      throw new IllegalArgumentException("weightedSum: " + weights.length + " weights for " + a.value.length + " values");
    }
    double s = 0;
    for (int i = 0; i < weights.length; i++) s += a.value[i] * weights[i];
    Var result = node(new double[] {s}, 1, 1);
    result.backward =
        () -> {
          for (int i = 0; i < weights.length; i++) a.grad[i] += result.grad[0] * weights[i];
        };
    return result;
  }

  /** {@code a + b} for two scalars {@code [1, 1]}: to add up the terms of a loss. */
  public Var addScalars(Var a, Var b) {
    if (a.value.length != 1 || b.value.length != 1) throw new IllegalArgumentException("addScalars needs [1, 1] values");
    return add(a, b);
  }

  /**
   * Fills every gradient reachable from {@code loss}: seeds {@code dL/dL = 1} and runs the recorded
   * local derivatives in reverse order of creation. Gradients of leaves accumulate across calls.
   */
  public void backward(Var loss) {
    backward(loss, null);
  }

  /** As {@link #backward(Var)}, telling {@code progress} the fraction done (0 to 1) now and then. */
  public void backward(Var loss, DoubleConsumer progress) {
    if (loss.value.length != 1) throw new IllegalArgumentException("the loss must be a scalar");
    loss.grad[0] += 1;
    int n = tape.size();
    for (int i = n - 1; i >= 0; i--) {
      Var v = tape.get(i);
      if (v.backward != null) v.backward.run();
      if (progress != null && (i & 1023) == 0) progress.accept((n - i) / (double) n);
    }
  }
}
