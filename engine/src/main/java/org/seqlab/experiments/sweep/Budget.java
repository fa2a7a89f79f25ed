package org.seqlab.experiments.sweep;

import org.seqlab.experiments.Limits;

/**
 * What every run of a sweep may spend, the same for every model: a step limit (so that a rerun gets
 * the same numbers), Adam at a constant rate, clipping, how often to validate, and a goal score at
 * which a run stops early because the task is solved.
 *
 * @param steps the training steps
 * @param optimizer {@code adam} or {@code sgd}
 * @param lr the learning rate
 * @param clip the global gradient-norm threshold (0: no clipping)
 * @param validateEvery steps between validation passes
 * @param goal stop once the score reaches it: an accuracy (at or above), or a loss (at or below); 0
 *     to always spend the whole budget
 */
public record Budget(
    int steps, String optimizer, double lr, double clip, int validateEvery, double goal) {

  /** Every run of a sweep validates: its curve and its score come from validations. */
  public static final Limits.Range VALIDATE_EVERY =
      Limits.VALIDATE_EVERY.narrowed(1, Integer.MAX_VALUE);

  public Budget {
    Limits.STEPS.check(steps);
    if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
      throw new IllegalArgumentException("--optimizer must be adam or sgd, got " + optimizer);
    }
    Limits.checkLearningRate(lr);
    Limits.checkClip(clip);
    VALIDATE_EVERY.check(validateEvery);
    Limits.checkGoal(goal);
  }
}
