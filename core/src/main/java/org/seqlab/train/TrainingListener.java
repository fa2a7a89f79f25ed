package org.seqlab.train;

import java.util.List;

/**
 * Watches a run: a progress bar, a metrics file, live charts in a browser. Every method is called
 * on the training thread between steps, so a listener must be quick; what it needs to keep it must
 * copy. A listener stops a run with {@link Trainer#cancel()}.
 */
public interface TrainingListener {

  /**
   * The run begins (or resumes after {@code step} steps).
   *
   * @param parameterNames the names behind {@link StepReport#parameterGradientNorms()}
   */
  default void onStart(long step, List<String> parameterNames) {}

  default void onStep(StepReport report) {}

  default void onValidation(ValidationReport report) {}

  /**
   * A consistent snapshot to keep: everything a resumed run needs. Called after validation when one
   * is due, and at the end of a run that did not diverge.
   */
  default void onCheckpoint(TrainingState state) {}

  /** Something the user should know, in one sentence (a window too short for the task, say). */
  default void onWarning(String message) {}

  /** The run ended: finished, stopped early, cancelled, or diverged. */
  default void onFinish(TrainingResult result) {}
}
