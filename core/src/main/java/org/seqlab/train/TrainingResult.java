package org.seqlab.train;

/**
 * How a run ended and its final figures.
 *
 * @param stop why it ended
 * @param steps training steps done
 * @param seconds wall-clock seconds of the whole run (across resumes)
 * @param trainingLoss the training loss of the last step
 * @param validationLoss the last validation loss (NaN if there was none)
 * @param validationAccuracy the last validation accuracy over the asked tokens (NaN if there was
 *     none, or the task asks for values)
 * @param bestValidationLoss the lowest validation loss
 * @param bestStep the step at which it was measured
 * @param tokensPerSecond training tokens per second of training time (validation excluded)
 * @param divergence what went wrong, when {@code stop} is {@link Stop#DIVERGED}; else null
 */
public record TrainingResult(
    Stop stop,
    long steps,
    double seconds,
    double trainingLoss,
    double validationLoss,
    double validationAccuracy,
    double bestValidationLoss,
    long bestStep,
    double tokensPerSecond,
    Divergence divergence) {

  /** Why a run ended. */
  public enum Stop {
    /** The step limit was reached. */
    MAX_STEPS("finished"),
    /** The time limit was reached. */
    TIME_LIMIT("time limit reached"),
    /**
     * Validation made no progress for {@code patience} passes ({@link TrainingOptions#minDelta}):
     * the curve was flat, so the run stopped before its step limit.
     */
    EARLY_STOP("plateaued"),
    /** A validation pass reached the goal accuracy or loss. */
    GOAL_REACHED("goal reached"),
    /** A listener or the user cancelled it. */
    CANCELLED("stopped"),
    /** A loss or gradient became NaN or infinite. */
    DIVERGED("diverged");

    private final String words;

    Stop(String words) {
      this.words = words;
    }

    /** How a person would say it: "finished", "time limit reached", ... */
    public String words() {
      return words;
    }
  }
}
