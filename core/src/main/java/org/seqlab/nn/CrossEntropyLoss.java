package org.seqlab.nn;

import java.util.Arrays;
import java.util.Objects;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.Tensor;

/**
 * Cross entropy of logits against class targets, as {@code torch.nn.functional.cross_entropy} with
 * {@code reduction='mean'} and {@code ignore_index=-100}:
 *
 * <pre>
 *   L = (1/N') Σ_{r : target_r ≠ -100} -log softmax(z_r)[target_r]
 *     = (1/N') Σ_r (logsumexp(z_r) - z_r[target_r])
 *   dL/dz_r = (softmax(z_r) - onehot(target_r)) / N'      (zero for ignored rows)
 * </pre>
 *
 * <p>Shapes: logits {@code z [*, V]} seen as {@code N} rows of {@code V} classes (for a language
 * model {@code [T, B, V]}), targets {@code N} class indices in row order; {@code N'} is the number
 * of rows not ignored. The row maximum is subtracted before exponentiating; each exponential is
 * taken once, in float on the Vector API (within 2 units in the last place), and serves both the
 * loss (its row sum, and the mean over rows, accumulated in double) and the gradient.
 */
public final class CrossEntropyLoss {
  private CrossEntropyLoss() {}

  /** A target with this value contributes nothing (PyTorch's default {@code ignore_index}). */
  public static final int IGNORE_INDEX = -100;

  /**
   * The loss and its gradient.
   *
   * @param loss the mean over counted rows of {@code -log p(target)}, in nats
   * @param dLogits {@code dL/dz}, the logits' shape
   * @param count {@code N'}, the number of rows that were not ignored
   */
  public record Result(double loss, Tensor dLogits, int count) {
    public Result {
      Objects.requireNonNull(dLogits, "dLogits");
    }
  }

  /** The mean cross entropy of {@code logits [*, V]} against {@code targets}, and its gradient. */
  public static Result compute(Tensor logits, int[] targets) {
    Objects.requireNonNull(logits, "logits");
    Objects.requireNonNull(targets, "targets");
    if (logits.rank() < 2 || logits.dim(logits.rank() - 1) == 0) {
      throw new IllegalArgumentException(
          "logits has shape " + Arrays.toString(logits.shape()) + ", expected [*, V] with V > 0");
    }
    int classes = logits.dim(logits.rank() - 1);
    int rows = logits.size() / classes;
    if (targets.length != rows) {
      throw new IllegalArgumentException(
          "targets has "
              + targets.length
              + " entries, expected one per row of logits "
              + Arrays.toString(logits.shape())
              + " ("
              + rows
              + ")");
    }
    int count = 0;
    for (int r = 0; r < rows; r++) {
      int target = targets[r];
      if (target == IGNORE_INDEX) continue;
      if (target < 0 || target >= classes) {
        throw new IllegalArgumentException(
            "target "
                + target
                + " at row "
                + r
                + " is outside [0, V="
                + classes
                + ") and is not the ignore index "
                + IGNORE_INDEX);
      }
      count++;
    }
    if (count == 0) {
      throw new IllegalArgumentException(
          "every one of the " + rows + " targets is the ignore index; the mean is undefined");
    }

    Tensor dLogits = Tensor.zeros(logits.shape());
    float[] z = logits.data();
    float[] dz = dLogits.data();
    double total = 0;
    double perRow = 1.0 / count;
    for (int r = 0; r < rows; r++) {
      int target = targets[r];
      if (target == IGNORE_INDEX) continue;
      int row = r * classes;
      // e_c = exp(z_c - max z), once per class, kept in dz: the loss needs their sum (in double),
      // the gradient each one over it. The vector exponential is within 2 units in the last place.
      float max = Elementwise.max(z, row, classes);
      Elementwise.subtract(z, row, max, dz, row, classes);
      Elementwise.exp(dz, row, dz, row, classes);
      double sum = 0;
      for (int c = 0; c < classes; c++) sum += dz[row + c];
      double logSumExp = max + Math.log(sum);
      total += logSumExp - z[row + target];
      // dL/dz_c = (softmax_c - onehot_c) / N'.
      Elementwise.scaleInPlace(dz, row, classes, (float) (perRow / sum));
      dz[row + target] -= (float) perRow;
    }
    return new Result(total / count, dLogits, count);
  }
}
