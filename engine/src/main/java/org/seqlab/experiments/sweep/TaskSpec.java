package org.seqlab.experiments.sweep;

import java.util.List;
import java.util.Locale;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.Tasks;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.tasks.Recall;
import org.seqlab.tasks.SyntheticTask;

/**
 * A synthetic task at one difficulty: enough to generate the same batches on any machine.
 *
 * @param task {@code adding}, {@code copy}, {@code agreement}, {@code recall} or {@code mqar}
 * @param difficulty the task's knob: the adding problem's length, the copy task's delay, the
 *     agreement distance, or the number of pairs to recall
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

  public static final List<String> TASKS =
      java.util.stream.Stream.concat(
              TrainingRunConfig.SYNTHETIC_TASKS.stream(),
              java.util.stream.Stream.of(TrainingRunConfig.CHAR_LM))
          .toList();

  /** A synthetic task. */
  public TaskSpec(String task, int difficulty, int batch, int validation, int pool) {
    this(task, difficulty, batch, validation, pool, null);
  }

  public TaskSpec {
    if (!TASKS.contains(task)) {
      throw new IllegalArgumentException(
          "unknown task '" + task + "'; choose one of " + String.join(", ", TASKS));
    }
  }

  /** The task, its data drawn from {@code seed}. */
  public SyntheticTask create(long seed) {
    return switch (task) {
      case "char-lm" -> new TextTask(java.nio.file.Path.of(text), difficulty, batch, seed);
      default -> Tasks.synthetic(task, difficulty, batch, validation, pool, seed);
    };
  }

  /** What a model must fit to train on this task. */
  public ModelSpec.Shape shape() {
    SyntheticTask t = create(0);
    return new ModelSpec.Shape(t.vocabularySize(), t.inputFeatures(), t.outputSize(), t.steps());
  }

  /** The name of the knob: "length", "delay", "distance", "k". */
  public static String knob(String task) {
    return switch (task) {
      case "adding" -> "length";
      case "copy" -> "delay";
      case "agreement" -> "distance";
      case "char-lm" -> "window";
      default -> "k";
    };
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s %d", task, knob(task), difficulty);
  }
}
