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
 * (so a run limited by wall clock still ends its decay on time).
 *
 * @param kind constant, warm-up then constant, or warm-up then cosine
 * @param learningRate the peak rate {@code lr}
 * @param warmupSteps {@code w}, {@code >= 0} (0: no warm-up)
 * @param minimumLearningRate cosine: {@code lr_min}, in {@code [0, lr]}
 */
public record LearningRateSchedule(
    Kind kind, double learningRate, int warmupSteps, double minimumLearningRate) {

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
