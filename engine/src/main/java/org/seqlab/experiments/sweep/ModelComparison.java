package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * RNN, LSTM, GRU and Transformer at matched parameter counts, each trained with the same budget and
 * seeds on one task at a range of difficulties: {@code long-range} (subject–verb agreement against
 * distance), {@code adding} (the adding problem against length) and {@code copy} (copy memory
 * against delay).
 *
 * <p>Every model's hidden size is the one whose parameter count comes closest to {@code --params}
 * on the hardest setting; the recurrent models read through an embedding of 16 (or the adding
 * problem's two features directly), the Transformer has two blocks of two heads.
 */
final class ModelComparison extends SweepExperiment {

  static final int EMBEDDING = 16;
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

  @Override
  public ExperimentSettings defaults() {
    return defaults;
  }

  @Override
  public List<String> options() {
    List<String> o = new ArrayList<>(List.of("--models", "--distances", "--params"));
    o.addAll(COMMON);
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    int max = task.equals("agreement") ? 1000 : 10_000;
    s.checkCommon(max, task.equals("adding") || task.equals("agreement") ? 2 : 1);
  }

  @Override
  public String xName() {
    return TaskSpec.knob(task);
  }

  @Override
  public SyntheticTask.Metric metric() {
    return task.equals("adding") || task.equals("copy")
        ? SyntheticTask.Metric.LOSS
        : SyntheticTask.Metric.ACCURACY;
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

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    Budget budget = budget(s);
    List<Integer> distances = s.distances().stream().sorted(Comparator.reverseOrder()).toList();
    TaskSpec hardest = new TaskSpec(task, distances.getFirst(), s.batch(), s.validation(), 0);
    ModelSpec.Shape shape = hardest.shape();
    List<ModelSpec> models = new ArrayList<>();
    for (String m : s.models()) models.add(matched(m, s.params(), shape));
    List<SweepRun> runs = new ArrayList<>();
    for (int d : distances) {
      TaskSpec t = new TaskSpec(task, d, s.batch(), s.validation(), 0);
      for (int seed = 0; seed < s.seeds(); seed++) {
        for (ModelSpec m : models) {
          String series = m.label();
          runs.add(
              new SweepRun(
                  runId(m.model(), xName(), d, seed), series, d, m, t, budget, seed, s.seed()));
        }
      }
    }
    return runs;
  }

  /**
   * The model of kind {@code model} closest to {@code params} parameters; the LSTM with its forget
   * bias at 1, as practice has it since Gers et al. (2000) and Jozefowicz et al. (2015) (the {@code
   * forget-bias} experiment measures what that changes).
   */
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

  static ModelSpec matched(String model, long params, ModelSpec.Shape shape) {
    int layers = Architecture.fromId(model).hasAttention() ? TRANSFORMER_LAYERS : 1;
    ModelSpec spec = ModelSpec.matched(model, params, shape, layers, EMBEDDING, HEADS);
    return Architecture.fromId(model).hasForgetGate() ? spec.withForgetBias(1) : spec;
  }

  static Budget budget(ExperimentSettings s) {
    return new Budget(s.steps(), "adam", s.lr(), s.clip(), s.validateEvery(), s.goal());
  }
}
