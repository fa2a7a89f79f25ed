package org.seqlab.experiments.sweep;

import org.seqlab.experiments.Limits;

/**
 * What every run of a sweep may spend, the same for every model: a step limit (so that a rerun gets
 * the same numbers), Adam at a constant rate, clipping, how often to validate, and a goal score at
 * which a run stops early because the task is solved.
 *
 * <p><b>When a run stops.</b> At its goal ("goal reached"); or when its curve is flat
 * ("plateaued"): {@code patience} validations in a row without the validation loss falling more
 * than {@link #MIN_DELTA} (1%, relative) below the loss of the last validation that did, and never
 * before {@link #minSteps()} (half the cap); or at the cap ("finished", counted as "capped" when
 * unsolved). The default patience is {@link #plateauPatience}: enough validations that at least a
 * quarter of the cap passes without progress before a run is called flat. The loss decides for
 * every task, accuracies included: it keeps falling while a model is still learning and its
 * accuracy has not moved yet.
 *
 * @param steps the training steps
 * @param optimizer {@code adam} or {@code sgd}
 * @param lr the learning rate
 * @param clip the global gradient-norm threshold (0: no clipping)
 * @param validateEvery steps between validation passes
 * @param goal stop once the score reaches it: an accuracy (at or above), or a loss (at or below); 0
 *     to always spend the whole budget
 * @param patience validations without progress after which a run has plateaued (0: never)
 */
public record Budget(
    int steps,
    String optimizer,
    double lr,
    double clip,
    int validateEvery,
    double goal,
    int patience) {

  /** The relative fall of the validation loss that counts as progress: 1%. */
  public static final double MIN_DELTA = 0.01;

  /**
   * No run plateaus before this share of its cap. Half: a recurrent model can sit at the baseline
   * for a long stretch and then learn (the LSTM on the adding problem at length 100 is flat for
   * about 2000 steps), so a run is given most of its budget before its curve is read as flat.
   */
  public static final double MIN_STEPS_SHARE = 0.5;

  /** The share of the cap that must pass without progress before a run has plateaued. */
  public static final double FLAT_SHARE = 0.25;

  /** The same budget at another learning rate. */
  public Budget withLr(double rate) {
    return new Budget(steps, optimizer, rate, clip, validateEvery, goal, patience);
  }

  /** A budget with the default plateau rule ({@link #plateauPatience}). */
  public Budget(
      int steps, String optimizer, double lr, double clip, int validateEvery, double goal) {
    this(steps, optimizer, lr, clip, validateEvery, goal, plateauPatience(steps, validateEvery));
  }

  /**
   * The validations that cover at least {@link #FLAT_SHARE} of the cap, and at least 3: {@code
   * max(3, ceil(0.25 · steps / validateEvery))}. 3000 steps validated every 50: 15 validations, 750
   * steps.
   */
  public static int plateauPatience(int steps, int validateEvery) {
    return Math.max(3, (int) Math.ceil(FLAT_SHARE * steps / Math.max(1, validateEvery)));
  }

  /** The earliest step at which a run may plateau: half the cap. */
  public long minSteps() {
    return (long) Math.ceil(MIN_STEPS_SHARE * steps);
  }

  /** The rule in words, for a report's legend. */
  public String plateauRule() {
    return patience == 0
        ? "no plateau rule: a run stops at its goal or its cap"
        : String.format(
            java.util.Locale.ROOT,
            "plateaued: %d validations in a row (%d steps) without the validation loss falling more"
                + " than %s%% below its last progress, never before step %d",
            patience,
            (long) patience * validateEvery,
            Summary.number(100 * MIN_DELTA),
            minSteps());
  }

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
    Limits.PATIENCE.check(patience);
  }
}
