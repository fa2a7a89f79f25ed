package org.seqlab.train;

import java.util.Objects;

/**
 * How the engine trains: the optimizer, the schedule, clipping, when to validate and checkpoint,
 * and when to stop. A run stops at whichever limit comes first: {@code maxSteps}, {@code
 * timeLimitSeconds}, early stopping, or a cancel.
 *
 * @param optimizer the optimizer and its settings
 * @param schedule the learning rate at every step
 * @param clipNorm the largest global gradient norm; gradients above it are scaled down to it (0: no
 *     clipping)
 * @param maxSteps the number of training steps (0: no step limit)
 * @param timeLimitSeconds the wall-clock budget of the whole run, across resumes (0: no limit)
 * @param validateEvery steps between validation passes (0: only at the end)
 * @param patience validation passes without progress after which training stops early, its stop
 *     {@link TrainingResult.Stop#EARLY_STOP} ("plateaued") (0: never)
 * @param checkpointEvery steps between checkpoints (0: at every validation); there is always one at
 *     the end
 * @param seed seeds the model's initialisation, the data order and the dropout masks
 * @param goalAccuracy stop as soon as a validation pass reaches this accuracy (0: never); for a
 *     task that is solved once it is solved, so that a sweep spends its budget where it is needed
 * @param goalLoss stop as soon as a validation pass reaches this loss or less (0: never)
 * @param minDelta the relative fall in validation loss that counts as progress: a pass makes
 *     progress when its loss is below {@code (1 - minDelta)} times the loss of the last pass that
 *     made progress (0: any new best is progress)
 * @param minSteps never stop early before this step, however flat the curve (0: no minimum)
 */
public record TrainingOptions(
    Optimizer.Settings optimizer,
    LearningRateSchedule schedule,
    double clipNorm,
    long maxSteps,
    double timeLimitSeconds,
    int validateEvery,
    int patience,
    int checkpointEvery,
    long seed,
    double goalAccuracy,
    double goalLoss,
    double minDelta,
    long minSteps) {

  /** Options that stop early on any validation without a new best, from the first step. */
  public TrainingOptions(
      Optimizer.Settings optimizer,
      LearningRateSchedule schedule,
      double clipNorm,
      long maxSteps,
      double timeLimitSeconds,
      int validateEvery,
      int patience,
      int checkpointEvery,
      long seed,
      double goalAccuracy,
      double goalLoss) {
    this(
        optimizer,
        schedule,
        clipNorm,
        maxSteps,
        timeLimitSeconds,
        validateEvery,
        patience,
        checkpointEvery,
        seed,
        goalAccuracy,
        goalLoss,
        0,
        0);
  }

  /** Options without a goal: the run goes on until a limit stops it. */
  public TrainingOptions(
      Optimizer.Settings optimizer,
      LearningRateSchedule schedule,
      double clipNorm,
      long maxSteps,
      double timeLimitSeconds,
      int validateEvery,
      int patience,
      int checkpointEvery,
      long seed) {
    this(
        optimizer,
        schedule,
        clipNorm,
        maxSteps,
        timeLimitSeconds,
        validateEvery,
        patience,
        checkpointEvery,
        seed,
        0,
        0);
  }

  /**
   * How far a run is through its schedule's decay, in {@code [0, 1]}, after {@code step} steps and
   * {@code seconds} of training: by steps when the run has a step limit (so the rates are the same
   * on every machine), else by wall-clock time; measured from where the decay begins (the end of
   * the warm-up, or where the schedule was re-planned) to the limit.
   */
  public double progress(long step, double seconds) {
    if (maxSteps > 0) {
      long from = Math.max(schedule.warmupSteps(), schedule.startStep());
      long span = maxSteps - from;
      return span <= 0 ? 1 : (double) (step - from) / span;
    }
    double span = timeLimitSeconds - schedule.startSeconds();
    return span <= 0 ? 1 : (seconds - schedule.startSeconds()) / span;
  }

  /** The learning rate of the step after {@code step} steps and {@code seconds} of training. */
  public double learningRate(long step, double seconds) {
    return schedule.at(step, progress(step, seconds));
  }

  /** These options with a plateau rule: stop after {@code patience} passes without progress. */
  public TrainingOptions withPlateau(int patience, double minDelta, long minSteps) {
    return new TrainingOptions(
        optimizer,
        schedule,
        clipNorm,
        maxSteps,
        timeLimitSeconds,
        validateEvery,
        patience,
        checkpointEvery,
        seed,
        goalAccuracy,
        goalLoss,
        minDelta,
        minSteps);
  }

  public TrainingOptions {
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(schedule, "schedule");
    if (!(clipNorm >= 0) || !Double.isFinite(clipNorm)) {
      throw new IllegalArgumentException(
          "the clipping norm must be >= 0 (0: off), got " + clipNorm);
    }
    if (maxSteps < 0) throw new IllegalArgumentException("max steps must be >= 0, got " + maxSteps);
    if (!(timeLimitSeconds >= 0)) {
      throw new IllegalArgumentException("the time limit must be >= 0, got " + timeLimitSeconds);
    }
    if (maxSteps == 0 && timeLimitSeconds == 0) {
      throw new IllegalArgumentException("a run needs a step limit or a time limit (or both)");
    }
    if (!(goalAccuracy >= 0 && goalAccuracy <= 1)
        || !(goalLoss >= 0)
        || Double.isInfinite(goalLoss)) {
      throw new IllegalArgumentException(
          "the goal accuracy must lie in [0, 1] and the goal loss be >= 0 (0: none), got "
              + goalAccuracy
              + " and "
              + goalLoss);
    }
    if (!(minDelta >= 0 && minDelta < 1) || minSteps < 0) {
      throw new IllegalArgumentException(
          "the minimum progress must lie in [0, 1) and the minimum steps be >= 0, got "
              + minDelta
              + " and "
              + minSteps);
    }
    if (validateEvery < 0 || patience < 0 || checkpointEvery < 0) {
      throw new IllegalArgumentException(
          "validation interval, patience and checkpoint interval must be >= 0");
    }
  }
}
