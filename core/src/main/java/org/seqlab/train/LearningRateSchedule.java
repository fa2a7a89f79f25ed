package org.seqlab.train;

import java.util.Objects;

/**
 * The learning rate at each step: constant, with a linear warm-up, or a cosine decay after the
 * warm-up.
 *
 * <pre>
 *   warm-up (s &lt; w):   lr(s) = lr · (s + 1) / w
 *   constant:           lr(s) = lr
 *   cosine:             lr(s) = lr_min + (lr - lr_min) · (1 + cos(π · q)) / 2
 * </pre>
 *
 * where {@code q} in {@code [0, 1]} is how far training has gone after the warm-up: {@code (s - w)
 * / (S - w)} for a run limited to {@code S} steps, otherwise the fraction of the time limit spent
 * (so a run limited by wall clock still ends its decay on time); {@link TrainingOptions#progress}
 * computes it.
 *
 * <p>A run extended past the limits its cosine was planned for is re-planned where it resumes
 * ({@link #replannedAt}): from step {@code s0} (at {@code t0} seconds) the decay starts again from
 * the rate the old plan had reached there, {@code lr0}, and ends at {@code lr_min} at the new
 * limit: {@code q = (s - s0) / (S - s0)}, or {@code (t - t0) / (T - t0)} by time, and {@code lr0}
 * in place of {@code lr}. The rate is continuous at the resume point and falls monotonically to the
 * same final rate, so an extension neither jumps back to the peak (which could undo what the decay
 * settled) nor stays at the end rate of a plan whose end has moved.
 *
 * @param kind constant, warm-up then constant, or warm-up then cosine
 * @param learningRate the peak rate {@code lr}; for a re-planned cosine, {@code lr0}
 * @param warmupSteps {@code w}, {@code >= 0} (0: no warm-up)
 * @param minimumLearningRate cosine: {@code lr_min}, in {@code [0, lr]}
 * @param startStep the step {@code s0} where the cosine was re-planned; 0 for a plan from the start
 * @param startSeconds the seconds {@code t0} trained by then; 0 for a plan from the start
 */
public record LearningRateSchedule(
    Kind kind,
    double learningRate,
    int warmupSteps,
    double minimumLearningRate,
    long startStep,
    double startSeconds) {

  /** A schedule planned from the first step. */
  public LearningRateSchedule(
      Kind kind, double learningRate, int warmupSteps, double minimumLearningRate) {
    this(kind, learningRate, warmupSteps, minimumLearningRate, 0, 0);
  }

  /** The shapes of schedule, with their command-line names. */
  public enum Kind {
    CONSTANT("constant"),
    WARMUP("warmup"),
    COSINE("cosine");

    private final String cliName;

    Kind(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    public static Kind fromName(String name) {
      for (Kind k : values()) if (k.cliName.equals(name)) return k;
      throw new IllegalArgumentException(
          "unknown schedule '" + name + "'; use constant, warmup or cosine");
    }
  }

  public LearningRateSchedule {
    Objects.requireNonNull(kind, "kind");
    Adam.checkLearningRate(learningRate);
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
    }
    if (!(minimumLearningRate >= 0 && minimumLearningRate <= learningRate)) {
      throw new IllegalArgumentException(
          "the minimum learning rate must be in [0, "
              + learningRate
              + "], got "
              + minimumLearningRate);
    }
    if (startStep < 0 || !(startSeconds >= 0)) {
      throw new IllegalArgumentException(
          "a re-planned schedule starts at a step and a time >= 0, got "
              + startStep
              + " and "
              + startSeconds);
    }
  }

  /**
   * This cosine re-planned at step {@code step}, {@code seconds} into the run, where it had reached
   * {@code rate}: from there it decays from {@code rate} to the same minimum over what is left up
   * to the run's (new) limit. The warm-up, already over, plays no part.
   *
   * @throws IllegalArgumentException if this is not a cosine, or the step is still in the warm-up
   *     (where nothing needs re-planning: the decay has not begun)
   */
  public LearningRateSchedule replannedAt(long step, double seconds, double rate) {
    if (kind != Kind.COSINE || step <= warmupSteps) {
      throw new IllegalArgumentException(
          "only a cosine past its warm-up is re-planned; this is "
              + kind.cliName()
              + " at "
              + step);
    }
    return new LearningRateSchedule(kind, rate, warmupSteps, minimumLearningRate, step, seconds);
  }

  /** Whether this plan starts where an earlier one was re-planned, not at the first step. */
  public boolean isReplanned() {
    return startStep > 0;
  }

  /** A constant rate. */
  public static LearningRateSchedule constant(double learningRate) {
    return new LearningRateSchedule(Kind.CONSTANT, learningRate, 0, 0);
  }

  /**
   * The rate for step {@code step} (0 for the first).
   *
   * @param progress how far the run is, in {@code [0, 1]} (steps done over the step limit, or
   *     seconds over the time limit); only the cosine reads it
   */
  public double at(long step, double progress) {
    if (kind != Kind.CONSTANT && step < warmupSteps) {
      return learningRate * (step + 1) / warmupSteps;
    }
    if (kind != Kind.COSINE) return learningRate;
    double q = Math.max(0, Math.min(1, progress));
    return minimumLearningRate
        + (learningRate - minimumLearningRate) * (1 + Math.cos(Math.PI * q)) / 2;
  }
}
