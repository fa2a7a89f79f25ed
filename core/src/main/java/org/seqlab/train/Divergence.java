package org.seqlab.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where a run broke: the first step whose loss or gradient was not a finite number, the first
 * parameter whose gradient went bad, and the global gradient norms of the last good steps (the
 * run-up, which says whether the gradient exploded or the loss jumped at once).
 *
 * @param step the step that broke (1 for the first)
 * @param loss that step's loss (may itself be NaN or infinite)
 * @param parameter the first parameter, in model order, whose gradient holds a NaN or infinity;
 *     null when the loss broke before any gradient was computed
 * @param gradientNorm that step's global gradient norm
 * @param recentNorms the global gradient norms of the last good steps, oldest first
 */
public record Divergence(
    long step, double loss, String parameter, double gradientNorm, double[] recentNorms) {

  /** One line for a person. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "training diverged at step %d: ", step));
    if (!Double.isFinite(loss)) s.append("the loss is ").append(loss);
    else s.append(String.format(Locale.ROOT, "the loss is %.4f", loss));
    if (parameter != null) {
      s.append(", the gradient of ")
          .append(parameter)
          .append(" is not finite (global norm ")
          .append(gradientNorm)
          .append(")");
    }
    if (recentNorms.length > 0) {
      s.append("; global gradient norm over the last good steps: ")
          .append(
              Arrays.stream(recentNorms)
                  .mapToObj(n -> String.format(Locale.ROOT, "%.3g", n))
                  .collect(Collectors.joining(", ")));
    }
    return s.toString();
  }
}
