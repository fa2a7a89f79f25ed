package org.seqlab.experiments.sweep;

import java.util.List;
import java.util.Locale;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.Task;
import org.seqlab.tasks.Recall;
import org.seqlab.tasks.SyntheticTask;

/**
 * A synthetic task at one difficulty: enough to generate the same batches on any machine.
 *
 * @param task a row of the table of tasks ({@link Task}): {@code adding}, {@code copy}, {@code
 *     agreement}, {@code recall}, {@code mqar}, ... or {@code char-lm}
 * @param difficulty the task's knob ({@link Task#knob()}): the adding problem's length, the copy
 *     task's delay, the agreement distance, the number of pairs to recall, char-lm's window
 * @param batch sequences per training step
 * @param validation sequences in the fixed validation set
 * @param pool recall only: the number of distinct keys (and values); 0 otherwise. Recall runs in
 *     the {@link Recall.Layout#PAIRED} layout, one token per pair: the capacity of a recurrent
 *     state is what is measured, not how fast a Transformer learns to link a value to its key (with
 *     separate tokens it stayed at the baseline for 8000 steps on some seeds)
 * @param text char-lm only: the text file (the difficulty is then the window); null otherwise
 */
public record TaskSpec(
    String task, int difficulty, int batch, int validation, int pool, String text) {

  /** Every task a sweep can run: the synthetic rows of the table of tasks, then the text. */
  public static final List<String> TASKS =
      java.util.stream.Stream.concat(
              Task.syntheticIds().stream(),
              java.util.Arrays.stream(Task.values()).filter(Task::isText).map(Task::id))
          .toList();

  /** A synthetic task. */
  public TaskSpec(String task, int difficulty, int batch, int validation, int pool) {
    this(task, difficulty, batch, validation, pool, null);
  }

  public TaskSpec {
    Task.fromId(task);
  }

  /** The row of the table of tasks. */
  public Task row() {
    return Task.fromId(task);
  }

  /** The task, its data drawn from {@code seed}. */
  public SyntheticTask create(long seed) {
    Task row = row();
    return row.isText()
        ? new TextTask(java.nio.file.Path.of(text), difficulty, batch, seed)
        : row.create(difficulty, batch, validation, pool, seed);
  }

  /** What a model must fit to train on this task. */
  public ModelSpec.Shape shape() {
    SyntheticTask t = create(0);
    return new ModelSpec.Shape(t.vocabularySize(), t.inputFeatures(), t.outputSize(), t.steps());
  }

  /** The name of the knob ({@link Task#knob()}): "length", "delay", "distance", "k", "window". */
  public static String knob(String task) {
    return Task.fromId(task).knob();
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s %d", task, knob(task), difficulty);
  }
}
