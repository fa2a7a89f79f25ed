package org.seqlab.experiments;

import org.seqlab.tasks.SyntheticTask;

/**
 * The synthetic tasks by name, as a training run and a sweep's runs create them: the {@link Task}
 * table's factory, so that a run of {@code seqlab train} and a run of a sweep on the same task see
 * the same batches.
 */
public final class Tasks {
  private Tasks() {}

  /**
   * The synthetic task {@code task} (a row of {@link Task} other than the text) at one difficulty,
   * its data drawn from {@code seed}: {@link Task#create}.
   *
   * @param difficulty the task's knob ({@link Task#knob()})
   * @param pool recall only: the number of distinct keys (and values)
   * @throws IllegalArgumentException for a name that is not a synthetic task
   */
  public static SyntheticTask synthetic(
      String task, int difficulty, int batch, int validation, int pool, long seed) {
    return Task.fromId(task).create(difficulty, batch, validation, pool, seed);
  }

  /**
   * Whether {@code task}'s score is its validation accuracy (agreement, recall, mqar) rather than
   * its validation loss (char-lm, adding, copy): what the {@code val_score} of its curve holds.
   */
  public static boolean scoredByAccuracy(String task) {
    return Task.fromId(task).scoredByAccuracy();
  }
}
