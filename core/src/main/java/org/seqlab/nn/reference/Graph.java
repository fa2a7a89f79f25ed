package org.seqlab.nn.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;
import org.apache.commons.numbers.gamma.Erfc;

/**
 * A tape of double-precision matrix operations with reverse-mode differentiation: the slow,
 * obviously correct oracle against which seqlab's fast float32 layers are checked, and the engine
 * of the gradient-flow probes, where double precision lets a vanishing gradient be followed down to
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
          op
              + ": shapes ["
              + a.rows
              + ", "
              + a.cols
              + "] and ["
              + b.rows
              + ", "
              + b.cols
              + "] differ");
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
    for (int i = 0; i < a.rows; i++)
      System.arraycopy(a.value, i * a.cols + from, y, i * width, width);
    Var result = node(y, a.rows, width);
    result.backward =
        () -> {
          for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < width; j++)
              a.grad[i * a.cols + from + j] += result.grad[i * width + j];
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
            for (int j = 0; j < width; j++)
              table.grad[ids[i] * width + j] += result.grad[i * width + j];
          }
        };
    return result;
  }

  /**
   * {@code y = a b} for {@code a [n, k]}, {@code b [k, m]}: attention probabilities times values.
   */
  public Var matmul(Var a, Var b) {
    if (a.cols != b.rows) {
      throw new IllegalArgumentException(
          "matmul: a is [" + a.rows + ", " + a.cols + "], b is [" + b.rows + ", " + b.cols + "]");
    }
    int n = a.rows, inner = a.cols, m = b.cols;
    double[] y = new double[n * m];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < inner; k++) s += a.value[i * inner + k] * b.value[k * m + j];
        y[i * m + j] = s;
      }
    }
    Var result = node(y, n, m);
    // da = dy b^T,  db = a^T dy
    result.backward =
        () -> {
          for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
              double g = result.grad[i * m + j];
              if (g == 0) continue;
              for (int k = 0; k < inner; k++) {
                a.grad[i * inner + k] += g * b.value[k * m + j];
                b.grad[k * m + j] += g * a.value[i * inner + k];
              }
            }
          }
        };
    return result;
  }

  /** {@code s a} for a constant {@code s}: the {@code 1/√d_h} of scaled dot-product attention. */
  public Var scale(Var a, double s) {
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) y[i] = s * a.value[i];
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) a.grad[i] += s * result.grad[i];
        };
    return result;
  }

  /**
   * The softmax of each row over its allowed entries: {@code p_ij = e^(a_ij) / Σ_{k allowed}
   * e^(a_ik)} where {@code allowed[i * cols + j]}, and exactly {@code 0} elsewhere. A masked
   * entry's value is never read (it may be anything, even NaN) and it receives no gradient, which
   * is what an additive {@code -∞} mask means in the limit. The backward is {@code da_ij = p_ij
   * (dp_ij - Σ_k p_ik dp_ik)}.
   *
   * @param allowed one flag per entry of {@code a}, row-major; null allows everything
   * @throws IllegalArgumentException if a row has no allowed entry: its softmax is undefined
   */
  public Var softmaxRows(Var a, boolean[] allowed) {
    if (allowed != null && allowed.length != a.value.length) {
      throw new IllegalArgumentException(
          "softmaxRows: mask has "
              + allowed.length
              + " entries for ["
              + a.rows
              + ", "
              + a.cols
              + "]");
    }
    int cols = a.cols;
    double[] p = new double[a.value.length];
    for (int i = 0; i < a.rows; i++) {
      int row = i * cols;
      // Subtracting the row maximum keeps e^x finite; it cancels in the ratio.
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        if (allowed == null || allowed[row + j]) max = Math.max(max, a.value[row + j]);
      }
      if (max == Double.NEGATIVE_INFINITY) {
        throw new IllegalArgumentException("softmaxRows: row " + i + " has no allowed entry");
      }
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        if (allowed == null || allowed[row + j]) {
          p[row + j] = Math.exp(a.value[row + j] - max);
          sum += p[row + j];
        }
      }
      for (int j = 0; j < cols; j++) p[row + j] /= sum;
    }
    Var result = node(p, a.rows, cols);
    result.backward =
        () -> {
          for (int i = 0; i < a.rows; i++) {
            int row = i * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += p[row + j] * result.grad[row + j];
            // p = 0 on masked entries, so they receive exactly nothing.
            for (int j = 0; j < cols; j++)
              a.grad[row + j] += p[row + j] * (result.grad[row + j] - dot);
          }
        };
    return result;
  }

  /**
   * Layer normalisation of each row, as {@code torch.nn.LayerNorm}: {@code μ = mean(a_i)}, {@code
   * σ² = mean((a_i - μ)²)} (biased), {@code â = (a_i - μ) / √(σ² + eps)}, {@code y_i = â ⊙ γ + β}.
   * The backward, with {@code g = dy ⊙ γ} and {@code r = 1/√(σ² + eps)}: {@code da = r (g - mean(g)
   * - â mean(g ⊙ â))}, {@code dγ = Σ_i dy_i ⊙ â_i}, {@code dβ = Σ_i dy_i}.
   *
   * @param gamma {@code [1, cols]} scale
   * @param beta {@code [1, cols]} shift
   */
  public Var layerNorm(Var a, Var gamma, Var beta, double eps) {
    int cols = a.cols;
    if (gamma.rows != 1 || gamma.cols != cols || beta.rows != 1 || beta.cols != cols) {
      throw new IllegalArgumentException("layerNorm: gamma and beta must be [1, " + cols + "]");
    }
    double[] normalized = new double[a.value.length];
    double[] rstd = new double[a.rows];
    double[] y = new double[a.value.length];
    for (int i = 0; i < a.rows; i++) {
      int row = i * cols;
      double mean = 0;
      for (int j = 0; j < cols; j++) mean += a.value[row + j];
      mean /= cols;
      double variance = 0;
      for (int j = 0; j < cols; j++)
        variance += (a.value[row + j] - mean) * (a.value[row + j] - mean);
      variance /= cols;
      rstd[i] = 1 / Math.sqrt(variance + eps);
      for (int j = 0; j < cols; j++) {
        normalized[row + j] = (a.value[row + j] - mean) * rstd[i];
        y[row + j] = normalized[row + j] * gamma.value[j] + beta.value[j];
      }
    }
    Var result = node(y, a.rows, cols);
    result.backward =
        () -> {
          for (int i = 0; i < a.rows; i++) {
            int row = i * cols;
            double meanG = 0, meanGx = 0;
            for (int j = 0; j < cols; j++) {
              double g = result.grad[row + j] * gamma.value[j];
              meanG += g;
              meanGx += g * normalized[row + j];
              gamma.grad[j] += result.grad[row + j] * normalized[row + j];
              beta.grad[j] += result.grad[row + j];
            }
            meanG /= cols;
            meanGx /= cols;
            for (int j = 0; j < cols; j++) {
              double g = result.grad[row + j] * gamma.value[j];
              a.grad[row + j] += rstd[i] * (g - meanG - normalized[row + j] * meanGx);
            }
          }
        };
    return result;
  }

  /**
   * The exact GELU, {@code x Φ(x) = 0.5 x (1 + erf(x/√2))}, as {@code torch.nn.GELU()} without
   * approximation; its derivative is {@code Φ(x) + x φ(x)} with {@code φ(x) = e^(-x²/2) / √(2π)}. Φ
   * is computed as {@code 0.5 erfc(-x/√2)}, equal to {@code 0.5 (1 + erf(x/√2))} but without the
   * cancellation of {@code 1 + erf} for negative x.
   */
  public Var gelu(Var a) {
    double[] cdf = new double[a.value.length];
    double[] y = new double[a.value.length];
    for (int i = 0; i < y.length; i++) {
      cdf[i] = 0.5 * Erfc.value(-a.value[i] / Math.sqrt(2));
      y[i] = a.value[i] * cdf[i];
    }
    Var result = node(y, a.rows, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) {
            double x = a.value[i];
            double density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            a.grad[i] += result.grad[i] * (cdf[i] + x * density);
          }
        };
    return result;
  }

  /** The parts side by side, {@code [rows, Σ cols_k]}: the heads of attention joined again. */
  public Var concatColumns(Var... parts) {
    if (parts.length == 0) throw new IllegalArgumentException("concatColumns: no parts");
    int rows = parts[0].rows, width = 0;
    for (Var p : parts) {
      if (p.rows != rows) {
        throw new IllegalArgumentException(
            "concatColumns: parts have " + rows + " and " + p.rows + " rows");
      }
      width += p.cols;
    }
    double[] y = new double[rows * width];
    int[] offsets = new int[parts.length];
    for (int k = 0, offset = 0; k < parts.length; offset += parts[k].cols, k++) {
      offsets[k] = offset;
      for (int i = 0; i < rows; i++) {
        System.arraycopy(parts[k].value, i * parts[k].cols, y, i * width + offset, parts[k].cols);
      }
    }
    int totalWidth = width;
    Var result = node(y, rows, width);
    result.backward =
        () -> {
          for (int k = 0; k < parts.length; k++) {
            Var p = parts[k];
            for (int i = 0; i < rows; i++) {
              for (int j = 0; j < p.cols; j++)
                p.grad[i * p.cols + j] += result.grad[i * totalWidth + offsets[k] + j];
            }
          }
        };
    return result;
  }

  /** The parts one under another, {@code [Σ rows_k, cols]}: the steps of a sequence stacked. */
  public Var concatRows(Var... parts) {
    if (parts.length == 0) throw new IllegalArgumentException("concatRows: no parts");
    int cols = parts[0].cols, length = 0;
    for (Var p : parts) {
      if (p.cols != cols) {
        throw new IllegalArgumentException(
            "concatRows: parts have " + cols + " and " + p.cols + " columns");
      }
      length += p.value.length;
    }
    double[] y = new double[length];
    for (int k = 0, offset = 0; k < parts.length; offset += parts[k].value.length, k++) {
      System.arraycopy(parts[k].value, 0, y, offset, parts[k].value.length);
    }
    Var result = node(y, length / cols, cols);
    result.backward =
        () -> {
          for (int k = 0, offset = 0; k < parts.length; offset += parts[k].value.length, k++) {
            for (int i = 0; i < parts[k].grad.length; i++)
              parts[k].grad[i] += result.grad[offset + i];
          }
        };
    return result;
  }

  /** Rows {@code [from, to)} of {@code a}: one step {@code [B, D]} of a time-major sequence. */
  public Var rows(Var a, int from, int to) {
    if (from < 0 || to > a.rows || from > to) {
      throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + a.rows);
    }
    int offset = from * a.cols;
    double[] y = new double[(to - from) * a.cols];
    System.arraycopy(a.value, offset, y, 0, y.length);
    Var result = node(y, to - from, a.cols);
    result.backward =
        () -> {
          for (int i = 0; i < y.length; i++) a.grad[offset + i] += result.grad[i];
        };
    return result;
  }

  /**
   * The scalar mean cross entropy {@code L = (1/N) Σ_i -log softmax(logits_i)[targets_i]} over the
   * {@code N} rows whose target is not negative, as {@code torch.nn.functional.cross_entropy} with
   * its {@code ignore_index} (any negative target is ignored, so -100 works as in PyTorch). The
   * backward is {@code dlogits_i = (softmax(logits_i) - onehot(targets_i)) / N} on counted rows.
   *
   * @param logits {@code [n, V]} unnormalised log-probabilities
   * @param targets {@code n} class indices in {@code [0, V)}, or negative to ignore the row
   */
  public Var crossEntropy(Var logits, int[] targets) {
    int n = logits.rows, classes = logits.cols;
    if (targets.length != n) {
      throw new IllegalArgumentException(
          "crossEntropy: " + targets.length + " targets for " + n + " rows");
    }
    int counted = 0;
    for (int target : targets) {
      if (target >= classes)
        throw new IllegalArgumentException(
            "crossEntropy: target " + target + " outside [0, " + classes + ")");
      if (target >= 0) counted++;
    }
    if (counted == 0) throw new IllegalArgumentException("crossEntropy: every target is ignored");
    double[] probabilities = new double[logits.value.length];
    double total = 0;
    for (int i = 0; i < n; i++) {
      if (targets[i] < 0) continue;
      int row = i * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < classes; j++) max = Math.max(max, logits.value[row + j]);
      double sum = 0;
      for (int j = 0; j < classes; j++) sum += Math.exp(logits.value[row + j] - max);
      double logSum = max + Math.log(sum);
      for (int j = 0; j < classes; j++)
        probabilities[row + j] = Math.exp(logits.value[row + j] - logSum);
      total += logSum - logits.value[row + targets[i]];
    }
    int count = counted;
    Var result = node(new double[] {total / count}, 1, 1);
    result.backward =
        () -> {
          double g = result.grad[0] / count;
          for (int i = 0; i < n; i++) {
            if (targets[i] < 0) continue;
            int row = i * classes;
            for (int j = 0; j < classes; j++) logits.grad[row + j] += g * probabilities[row + j];
            logits.grad[row + targets[i]] -= g;
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
      throw new IllegalArgumentException(
          "weightedSum: " + weights.length + " weights for " + a.value.length + " values");
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
    if (a.value.length != 1 || b.value.length != 1)
      throw new IllegalArgumentException("addScalars needs [1, 1] values");
    return add(a, b);
  }

  /**
   * Fills every gradient reachable from {@code loss}: seeds {@code dL/dL = 1} and runs the recorded
   * local derivatives in reverse order of creation. Gradients of leaves accumulate across calls.
   */
  public void backward(Var loss) {
    backward(loss, null);
  }

  /**
   * As {@link #backward(Var)}, telling {@code progress} the fraction done (0 to 1) now and then.
   */
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
