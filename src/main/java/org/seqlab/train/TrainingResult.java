package org.seqlab.train;

/**
 * How a run ended and its final figures.
 *
 * @param stop why it ended
 * @param steps training steps done
 * @param seconds wall-clock seconds of the whole run (across resumes)
 * @param trainingLoss the training loss of the last step
 * @param validationLoss the last validation loss (NaN if there was none)
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
    double bestValidationLoss,
    long bestStep,
    double tokensPerSecond,
    Divergence divergence) {

  /** Why a run ended. */
  public enum Stop {
    /** The step limit was reached. */
    MAX_STEPS,
    /** The time limit was reached. */
    TIME_LIMIT,
    /** Validation stopped improving for {@code patience} passes. */
    EARLY_STOP,
    /** A listener or the user cancelled it. */
    CANCELLED,
    /** A loss or gradient became NaN or infinite. */
    DIVERGED
  }
}
