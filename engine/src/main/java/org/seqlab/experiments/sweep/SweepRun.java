package org.seqlab.experiments.sweep;

import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.TrainingRun;
import org.seqlab.experiments.TrainingRunConfig;

/**
 * One training run of a sweep: a model on a task with a budget and a seed. Runs of a sweep do not
 * depend on each other, so they run side by side, in any order, on any machine.
 *
 * @param id a name unique within the sweep, also its key in the metrics ({@code
 *     lstm-distance40-seed1})
 * @param series the curve the run belongs to in a table or plot ("LSTM H 48", "forget bias 1")
 * @param x where the run sits on the sweep's x axis (the distance, k, the forget bias, ...)
 * @param model the architecture and its initialisation
 * @param task the task and its difficulty
 * @param budget what the run may spend
 * @param seed the seed's index {@code n} (0, 1, ...): every model at index {@code n} sees the same
 *     data, and its weights are drawn from {@code n} and the sweep's base seed
 * @param baseSeed the sweep's base seed
 * @param grid the settings of the grid point the run belongs to, by option without its dashes
 *     ({@code {"lr": "0.003"}}), in the grid's order; empty for a sweep without a grid
 */
public record SweepRun(
    String id,
    String series,
    double x,
    ModelSpec model,
    TaskSpec task,
    Budget budget,
    int seed,
    long baseSeed,
    java.util.Map<String, String> grid) {

  public SweepRun {
    grid = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(grid));
  }

  /** A run outside any grid. */
  public SweepRun(
      String id,
      String series,
      double x,
      ModelSpec model,
      TaskSpec task,
      Budget budget,
      int seed,
      long baseSeed) {
    this(id, series, x, model, task, budget, seed, baseSeed, new java.util.LinkedHashMap<>());
  }

  /**
   * This run at a grid point: its id and series name the point, so that every run stays apart; a
   * run already at a point (an experiment's own tuning grid) keeps it and adds this one.
   */
  public SweepRun atGridPoint(java.util.Map<String, String> point) {
    if (point.isEmpty()) return this;
    StringBuilder id = new StringBuilder(this.id);
    java.util.List<String> words = new java.util.ArrayList<>();
    for (var e : point.entrySet()) {
      id.append('-').append(e.getKey()).append(e.getValue());
      words.add(e.getKey() + " " + e.getValue());
    }
    String at = String.join(", ", words);
    // A run already at a point of its experiment's own tuning grid keeps that point last, so that
    // the series' name up to its last separator stays the model and the grid's point.
    int last = grid.isEmpty() ? -1 : series.lastIndexOf(Tuning.SEPARATOR);
    String named =
        last < 0
            ? series + Tuning.SEPARATOR + at
            : series.substring(0, last) + Tuning.SEPARATOR + at + series.substring(last);
    String cleanId =
        id.toString().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]+", "");
    java.util.Map<String, String> merged = new java.util.LinkedHashMap<>(grid);
    merged.putAll(point);
    return new SweepRun(cleanId, named, x, model, task, budget, seed, baseSeed, merged);
  }

  /** The seed of the task's data: shared by every model at the same seed index. */
  public long dataSeed() {
    return mix(baseSeed, seed, 0x5EED_DA7AL);
  }

  /** The seed of the model's initial weights (and dropout). */
  public long modelSeed() {
    return mix(baseSeed, seed, 0x5EED_0DE1L);
  }

  /**
   * The run as {@code seqlab train} would run it: the one description every face trains from, so
   * that a run of a sweep and a run of {@code train} (or the lab) with the same settings give the
   * same model and the same curve, bit for bit. The mapping of what differs in name:
   *
   * <ul>
   *   <li>seeds: the weights (and dropout) are drawn from {@link #modelSeed}, the config's {@code
   *       seed}; the data from {@link #dataSeed}, the config's {@code data_seed}. Both are
   *       functions of the sweep's base seed and the run's seed index, so {@code train --seed S} is
   *       the sweep's run only where both are S;
   *   <li>the budget: Adam with PyTorch's defaults (or SGD without momentum) at a constant rate,
   *       {@code steps} as the step limit, no time limit, no early stopping but the goal, no
   *       checkpoints (a run of a sweep is short and repeated whole);
   *   <li>the task: a synthetic task's validation sequences as {@code validation}, recall's pool of
   *       {@link org.seqlab.experiments.TrainingRun#RECALL_POOL} keys; char-lm's window as {@code
   *       seq_len};
   *   <li>one kernel thread, as every run of a sweep.
   * </ul>
   */
  public TrainingRunConfig runConfig() {
    boolean charLm = task.task().equals(TrainingRunConfig.CHAR_LM);
    if (task.task().equals("recall") && task.pool() != TrainingRun.RECALL_POOL) {
      throw new IllegalArgumentException(
          "recall draws from " + TrainingRun.RECALL_POOL + " keys, not " + task.pool());
    }
    return new TrainingRunConfig(
        task.task(),
        charLm ? task.text() : null,
        null,
        charLm ? 0 : task.difficulty(),
        charLm ? task.difficulty() : SYNTHETIC_SEQ_LEN,
        task.batch(),
        model.model(),
        model.layers(),
        model.hidden(),
        model.embedding(),
        model.dropout(),
        model.heads(),
        model.feedForward(),
        budget.optimizer(),
        budget.lr(),
        0,
        0.9,
        0.999,
        1e-8,
        0,
        "constant",
        0,
        budget.lr(),
        budget.clip(),
        budget.steps(),
        0,
        budget.validateEvery(),
        budget.patience(),
        Integer.MAX_VALUE,
        modelSeed(),
        1,
        model.spectralRadius(),
        model.forgetBias(),
        charLm ? null : task.validation(),
        dataSeed(),
        budget.goal());
  }

  /** A synthetic task's sequences have their own length; the config's window is unused. */
  private static final int SYNTHETIC_SEQ_LEN = 64;

  private static long mix(long base, int index, long salt) {
    long z = base * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + salt;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
