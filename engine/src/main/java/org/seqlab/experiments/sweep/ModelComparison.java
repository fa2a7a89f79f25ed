package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.seqlab.experiments.Limits;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.Task;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * RNN, LSTM, GRU and Transformer at matched parameter counts, each trained with the same budget and
 * seeds on one task at a range of difficulties: {@code long-range} (subject–verb agreement against
 * distance), {@code adding} (the adding problem against length) and {@code copy} (copy memory
 * against delay).
 *
 * <p>Every model's hidden size is the one whose parameter count comes closest to {@code --params}
 * on the hardest setting (the Transformer's feed-forward width re-matched at each easier one); the
 * recurrent models read through an embedding of 16 (or the adding problem's two features directly),
 * the Transformer has two blocks of two heads and learned positions. Every model trains at each
 * point of its {@link Tuning} grid, and the tables report the point chosen on validation.
 */
final class ModelComparison extends SweepExperiment {

  static final int EMBEDDING = 16;

  /** How far a run's parameter count may be from {@code --params}, at every difficulty: 5%. */
  static final double PARAMS_TOLERANCE = 0.05;

  static final int HEADS = 2;
  static final int TRANSFORMER_LAYERS = 2;

  private final String name;
  private final String task;
  private final String title;
  private final String claim;
  private final String xLabel;
  private final ExperimentSettings defaults;

  ModelComparison(
      String name,
      String task,
      String title,
      String claim,
      String xLabel,
      ExperimentSettings defaults) {
    this.name = name;
    this.task = task;
    this.title = title;
    this.claim = claim;
    this.xLabel = xLabel;
    this.defaults = defaults;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String title() {
    return title;
  }

  @Override
  public String claim() {
    return claim;
  }

  /** The vanilla RNN solves a smaller share of seeds than the gated models or attention. */
  @Override
  public Hypothesis test(Summary summary) {
    return Hypothesis.solvesLess(
        summary, xName(), Set.of("rnn"), Set.of("lstm", "gru", "transformer"));
  }

  /** Each model's learning rate comes from its {@link Tuning} grid around {@code --lr}. */
  @Override
  public List<String> tunes() {
    return List.of("lr");
  }

  @Override
  public ExperimentSettings defaults() {
    return defaults;
  }

  @Override
  public List<String> options() {
    List<String> o =
        new ArrayList<>(List.of("--models", "--distances", "--params", "--forget-biases"));
    o.addAll(COMMON);
    return o;
  }

  /** The task's own range of difficulties, from the table of tasks. */
  @Override
  public void check(ExperimentSettings s) {
    Limits.Range range = Task.fromId(task).knobRange();
    s.checkCommon((int) range.max(), (int) range.min());
  }

  @Override
  public String xName() {
    return TaskSpec.knob(task);
  }

  @Override
  public SyntheticTask.Metric metric() {
    return Task.fromId(task).metric();
  }

  @Override
  public String xLabel() {
    return xLabel;
  }

  @Override
  public String scoreName() {
    return switch (task) {
      case "adding" -> "mean squared error";
      case "copy" -> "cross entropy, nats per step";
      default -> "accuracy";
    };
  }

  /**
   * Every architecture at every difficulty, seed and point of its tuning grid ({@link Tuning}).
   * Each model's width is matched to {@code --params} at the hardest difficulty, and the
   * Transformer's feed-forward width re-matched at each easier one (its learned position table
   * shrinks with the sequence), so that every run's count is within a few per cent of the target.
   */
  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    Budget budget = budget(s);
    List<Integer> distances = s.distances().stream().sorted(Comparator.reverseOrder()).toList();
    ModelSpec.Shape hardest =
        new TaskSpec(task, distances.getFirst(), s.batch(), s.validation(), 0).shape();
    List<ModelSpec> models = new ArrayList<>();
    for (String m : s.models()) models.add(matched(m, s.params(), hardest));
    List<SweepRun> runs = new ArrayList<>();
    for (int d : distances) {
      TaskSpec t = new TaskSpec(task, d, s.batch(), s.validation(), 0);
      for (int seed = 0; seed < s.seeds(); seed++) {
        for (ModelSpec width : models) {
          ModelSpec m = rematched(width, s.params(), t.shape());
          for (Tuning.Setting setting : Tuning.grid(m.architecture(), s.lr(), s.forgetBiases())) {
            ModelSpec tuned =
                setting.forgetBias() == null ? m : m.withForgetBias(setting.forgetBias());
            runs.add(
                new SweepRun(
                        runId(m.model(), xName(), d, seed),
                        m.label(),
                        d,
                        tuned,
                        t,
                        budget.withLr(setting.lr()),
                        seed,
                        s.seed())
                    .atGridPoint(setting.point()));
          }
        }
      }
    }
    return runs;
  }

  /**
   * {@code width} on a task of {@code shape}: a recurrent model as it is (its count does not depend
   * on the sequence length); a Transformer with the feed-forward width whose count comes closest to
   * {@code params} (the count is linear in it).
   */
  static ModelSpec rematched(ModelSpec width, long params, ModelSpec.Shape shape) {
    if (!width.architecture().hasAttention()) return width;
    long at = width.parameterCount(shape);
    ModelSpec wider = width.withFeedForward(width.feedForward() + 1);
    long perUnit = wider.parameterCount(shape) - at;
    long units = Math.round((double) (params - at) / perUnit);
    long feedForward =
        Math.clamp(
            width.feedForward() + units, Limits.FEED_FORWARD.min(), Limits.FEED_FORWARD.max());
    return width.withFeedForward((int) feedForward);
  }

  /** The report, after an example of the task (agreement: a sentence). */
  @Override
  public String report(
      ExperimentSettings settings,
      java.util.List<SweepRow> rows,
      java.util.Map<String, RunCurve> curves,
      java.nio.file.Path dir,
      org.seqlab.experiments.FigureSink figures)
      throws java.io.IOException {
    String report = super.report(settings, rows, curves, dir, figures);
    if (!task.equals("agreement") || rows.isEmpty()) return report;
    // a sentence short enough to read: at the first distance of 10 or more (or the longest)
    int d =
        settings.distances().stream()
            .filter(x -> x >= 10)
            .min(Integer::compare)
            .orElse(settings.distances().stream().max(Integer::compare).orElseThrow());
    var example = new org.seqlab.tasks.Agreement(d, 1, 1, settings.seed()).validationBatches();
    int firstLine = report.indexOf('\n') + 1;
    return report.substring(0, firstLine)
        + "a sentence at distance "
        + d
        + ": "
        + org.seqlab.tasks.Agreement.sentence(example.getFirst(), 0)
        + "\n"
        + report.substring(firstLine);
  }

  /**
   * The model of kind {@code model} closest to {@code params} parameters, with PyTorch's default
   * initialisation: its forget bias, where it has one, is part of its tuning grid.
   */
  static ModelSpec matched(String model, long params, ModelSpec.Shape shape) {
    int layers = Architecture.fromId(model).hasAttention() ? TRANSFORMER_LAYERS : 1;
    return ModelSpec.matched(model, params, shape, layers, EMBEDDING, HEADS);
  }

  static Budget budget(ExperimentSettings s) {
    return new Budget(s.steps(), "adam", s.lr(), s.clip(), s.validateEvery(), s.goal());
  }
}
