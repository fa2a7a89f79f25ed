package org.seqlab.experiments;

import org.seqlab.tasks.AddingProblem;
import org.seqlab.tasks.Agreement;
import org.seqlab.tasks.CopyMemory;
import org.seqlab.tasks.MultiQueryRecall;
import org.seqlab.tasks.Recall;
import org.seqlab.tasks.SyntheticTask;

/**
 * The synthetic tasks by name, as a training run and a sweep's runs create them: one place, so that
 * a run of {@code seqlab train} and a run of a sweep on the same task see the same batches.
 */
public final class Tasks {
  private Tasks() {}

  /**
   * The synthetic task {@code task} ({@link TrainingRunConfig#SYNTHETIC_TASKS}) at one difficulty,
   * its data drawn from {@code seed}. Recall runs in the {@link Recall.Layout#PAIRED} layout, one
   * token per pair.
   *
   * @param difficulty the adding problem's length, the copy task's delay, the agreement distance,
   *     or the number of pairs to recall
   * @param pool recall only: the number of distinct keys (and values)
   * @throws IllegalArgumentException for a name that is not a synthetic task
   */
  public static SyntheticTask synthetic(
      String task, int difficulty, int batch, int validation, int pool, long seed) {
    return switch (task) {
      case "adding" -> new AddingProblem(difficulty, batch, validation, seed);
      case "copy" -> new CopyMemory(difficulty, batch, validation, seed);
      case "agreement" -> new Agreement(difficulty, batch, validation, seed);
      case "recall" -> new Recall(difficulty, batch, validation, seed, pool, Recall.Layout.PAIRED);
      case "mqar" -> new MultiQueryRecall(difficulty, batch, validation, seed);
      default ->
          throw new IllegalArgumentException(
              "unknown synthetic task '"
                  + task
                  + "'; choose one of "
                  + String.join(", ", TrainingRunConfig.SYNTHETIC_TASKS));
    };
  }

  /**
   * Whether {@code task}'s score is its validation accuracy (agreement, recall) rather than its
   * validation loss (char-lm, adding, copy): what the {@code val_score} of its curve holds.
   */
  public static boolean scoredByAccuracy(String task) {
    if (TrainingRunConfig.CHAR_LM.equals(task)) return false;
    return synthetic(task, 2, 1, 1, 8, 0).metric() == SyntheticTask.Metric.ACCURACY;
  }
}
