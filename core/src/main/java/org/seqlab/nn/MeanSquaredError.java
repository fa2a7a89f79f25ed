package org.seqlab.nn;

import java.util.Arrays;
import java.util.Objects;
import org.seqlab.tensor.Tensor;

/**
 * Mean squared error of one output per row against real targets, as {@code
 * torch.nn.functional.mse_loss} with {@code reduction='mean'} over the rows that ask for a value:
 *
 * <pre>
 *   L = (1/N') Σ_{r : target_r not NaN} (y_r - target_r)²
 *   dL/dy_r = 2 (y_r - target_r) / N'                      (zero for rows not asked)
 * </pre>
 *
 * <p>Shapes: outputs {@code y [*, 1]} seen as {@code N} rows (for a sequence model {@code [T, B,
 * 1]}), targets {@code N} values in row order, NaN where nothing is asked; {@code N'} counts the
 * rest. Accumulated in double.
 */
public final class MeanSquaredError {
  private MeanSquaredError() {}

  /**
   * The loss and its gradient.
   *
   * @param loss the mean squared error over asked rows
   * @param dOutputs {@code dL/dy}, the outputs' shape
   * @param count {@code N'}, the number of rows asked
   */
  public record Result(double loss, Tensor dOutputs, int count) {
    public Result {
      Objects.requireNonNull(dOutputs, "dOutputs");
    }
  }

  /** The mean squared error of {@code outputs [*, 1]} against {@code targets}, and its gradient. */
  public static Result compute(Tensor outputs, float[] targets) {
    Objects.requireNonNull(outputs, "outputs");
    Objects.requireNonNull(targets, "targets");
    if (outputs.rank() < 2 || outputs.dim(outputs.rank() - 1) != 1) {
      throw new IllegalArgumentException(
          "outputs has shape " + Arrays.toString(outputs.shape()) + ", expected [*, 1]");
    }
    if (targets.length != outputs.size()) {
      throw new IllegalArgumentException(
          "targets has "
              + targets.length
              + " entries, expected one per row of outputs "
              + Arrays.toString(outputs.shape()));
    }
    int count = 0;
    for (float t : targets) if (!Float.isNaN(t)) count++;
    if (count == 0) {
      throw new IllegalArgumentException(
          "every one of the " + targets.length + " targets is NaN; the mean is undefined");
    }
    Tensor dOutputs = Tensor.zeros(outputs.shape());
    float[] y = outputs.data();
    float[] dy = dOutputs.data();
    double total = 0;
    for (int r = 0; r < targets.length; r++) {
      if (Float.isNaN(targets[r])) continue;
      double error = (double) y[r] - targets[r];
      total += error * error;
      dy[r] = (float) (2 * error / count);
    }
    return new Result(total / count, dOutputs, count);
  }
}
