package org.seqlab.experiments.sweep;

import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Optimizer;
import org.seqlab.train.TrainingOptions;

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

  public Budget {
    if (steps < 1 || steps > 10_000_000) {
      throw new IllegalArgumentException("--steps must be between 1 and 10000000, got " + steps);
    }
    if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
      throw new IllegalArgumentException("--optimizer must be adam or sgd, got " + optimizer);
    }
    if (!(lr > 0 && lr <= 10)) {
      throw new IllegalArgumentException("--lr must be in (0, 10], got " + lr);
    }
    if (!(clip >= 0 && clip <= 1e6)) {
      throw new IllegalArgumentException("--clip must be in [0, 1e6] (0: off), got " + clip);
    }
    if (validateEvery < 1) {
      throw new IllegalArgumentException("--val-every must be >= 1, got " + validateEvery);
    }
  }

  /** The engine's options for one run of this budget. */
  public TrainingOptions options(long seed, boolean accuracyGoal) {
    Optimizer.Kind kind = optimizer.equals("sgd") ? Optimizer.Kind.SGD : Optimizer.Kind.ADAM;
    Optimizer.Settings settings = Optimizer.Settings.defaults(kind);
    if (kind == Optimizer.Kind.SGD) settings = new Optimizer.Settings(kind, 0, 0.9, 0.999, 1e-8, 0);
    return new TrainingOptions(
        settings,
        LearningRateSchedule.constant(lr),
        clip,
        steps,
        0,
        validateEvery,
        0,
        Integer.MAX_VALUE,
        seed,
        accuracyGoal ? goal : 0,
        accuracyGoal ? 0 : goal);
  }
}
