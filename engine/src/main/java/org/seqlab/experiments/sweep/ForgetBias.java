package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.tasks.SyntheticTask;

/**
 * The LSTM's forget gate at initialisation: the same LSTM on subject–verb agreement at one long
 * distance, its forget-gate bias set to 0, 1 and a larger value. With {@code f_t = σ(b_f + ...)}, a
 * bias of 0 starts the gate near 0.5, so the cell keeps {@code 0.5^d} of what it held {@code d}
 * steps ago; a bias of 1 keeps {@code 0.73^d}, of 3 {@code 0.95^d}: the highway starts open.
 *
 * <p>Every bias trains at one learning rate, {@link #LR}: the rate that {@code long-range}'s tuning
 * grid chose for the LSTM (0.001 of 0.001, 0.003 and 0.009), so that the biases are compared where
 * the LSTM trains best rather than where one of them happens to.
 */
final class ForgetBias extends SweepExperiment {

  /** The LSTM's learning rate as {@code long-range}'s tuning chose it on validation. */
  static final double LR = 1e-3;

  @Override
  public String name() {
    return "forget-bias";
  }

  @Override
  public String title() {
    return "LSTM on agreement at one long distance, by the forget gate's initial bias";
  }

  @Override
  public String claim() {
    return "the forget gate decides how much of the cell state survives: a larger forget bias keeps"
        + " the cell's memory open from the first step, so more seeds learn the long distance than"
        + " at the smallest bias";
  }

  /** The smallest bias's share of seeds that learned the agreement, against each larger one's. */
  @Override
  public Hypothesis test(Summary summary) {
    List<Summary.Point> byBias =
        summary.points().stream().sorted(Comparator.comparingDouble(Summary.Point::x)).toList();
    if (byBias.size() < 2) {
      return Hypothesis.notConfirmed("a single forget bias has nothing to compare with");
    }
    List<Hypothesis.Share> larger = new ArrayList<>();
    for (Summary.Point p : byBias.subList(1, byBias.size())) larger.add(share(p));
    return Hypothesis.smallerShare(
        "seeds that learned the agreement at distance " + byBias.getFirst().distance(),
        List.of(share(byBias.getFirst())),
        larger);
  }

  private static Hypothesis.Share share(Summary.Point p) {
    return new Hypothesis.Share("forget bias " + Summary.number(p.x()), p.solved(), p.seeds());
  }

  @Override
  public ExperimentSettings defaults() {
    return new ExperimentSettings(
        List.of("lstm"),
        List.of(20),
        null,
        List.of(0.0, 1.0, 3.0),
        5,
        12_000L,
        3000,
        LR,
        1.0,
        32,
        256,
        50,
        0.99,
        null,
        null,
        null,
        1L,
        null);
  }

  @Override
  public List<String> options() {
    List<String> o = new ArrayList<>(List.of("--distances", "--forget-biases", "--params"));
    o.addAll(COMMON);
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    s.checkCommon(1000, 2);
    if (s.distances().size() != 1) {
      throw new IllegalArgumentException(
          "--distances: forget-bias trains at one distance; give one value, e.g. --distances 100");
    }
    if (!s.models().equals(List.of("lstm"))) {
      throw new IllegalArgumentException("--models: the forget-gate bias is the LSTM's; use lstm");
    }
  }

  @Override
  public String xName() {
    return "forget bias";
  }

  @Override
  public SyntheticTask.Metric metric() {
    return SyntheticTask.Metric.ACCURACY;
  }

  @Override
  public String xLabel() {
    return "forget-gate bias at initialisation (b_if + b_hf)";
  }

  @Override
  public String scoreName() {
    return "accuracy";
  }

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    Budget budget = ModelComparison.budget(s);
    int d = s.distances().getFirst();
    TaskSpec t = new TaskSpec("agreement", d, s.batch(), s.validation(), 0);
    ModelSpec lstm =
        ModelSpec.matched(
            "lstm", s.params(), t.shape(), 1, ModelComparison.EMBEDDING, ModelComparison.HEADS);
    List<SweepRun> runs = new ArrayList<>();
    for (int seed = 0; seed < s.seeds(); seed++) {
      for (double bias : s.forgetBiases()) {
        String series = String.format(Locale.ROOT, "%s, distance %d", lstm.label(), d);
        runs.add(
            new SweepRun(
                runId("lstm-bias", "", bias, seed),
                series,
                bias,
                lstm.withForgetBias(bias),
                t,
                budget,
                seed,
                s.seed()));
      }
    }
    return runs;
  }

  /** Each bias's score, and how many of its seeds reached the goal and after how many steps. */
  @Override
  public String report(
      ExperimentSettings settings,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    String report = super.report(settings, rows, curves, dir, figures);
    Summary summary = new Summary(metric(), rows, learnedWhat());
    StringBuilder s = new StringBuilder();
    for (Summary.Point p : summary.points()) {
      List<SweepRow> mine = rows.stream().filter(r -> r.x() == p.x()).toList();
      List<Long> solved =
          mine.stream().filter(r -> r.stop().equals("goal reached")).map(SweepRow::steps).toList();
      s.append(
          String.format(
              Locale.ROOT,
              "Forget bias %s (the gate starts at σ(%s) = %.2f): %s; %d of %d seeds reached %s%s.%n",
              Summary.number(p.x()),
              Summary.number(p.x()),
              1 / (1 + Math.exp(-p.x())),
              summary.cell(p),
              solved.size(),
              mine.size(),
              Summary.number(settings.goal()),
              solved.isEmpty()
                  ? ""
                  : " after "
                      + String.join(", ", solved.stream().map(String::valueOf).toList())
                      + " steps"));
    }
    // the biases' lines before the hypothesis's, which end the report
    int expected = report.lastIndexOf("\nexpected: ");
    return expected < 0
        ? report + s
        : report.substring(0, expected + 1) + s + report.substring(expected);
  }

  @Override
  String conclusion(Summary summary) {
    return "";
  }

  /** One curve per forget bias (seed 0). */
  @Override
  void curvesPlot(
      Summary summary,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    List<Figure.Series> lines = new ArrayList<>();
    for (double x : summary.xs()) {
      for (SweepRow r : rows) {
        if (r.x() != x || r.seed() != 0 || !curves.containsKey(r.run())) continue;
        List<RunCurve.Point> v =
            curves.get(r.run()).points().stream()
                .filter(p -> !Double.isNaN(p.validationScore()))
                .toList();
        lines.add(
            new Figure.Series(
                "forget bias " + Summary.number(x),
                v.stream().mapToDouble(RunCurve.Point::step).toArray(),
                v.stream().mapToDouble(RunCurve.Point::validationScore).toArray()));
      }
    }
    figures.draw(
        Figure.lines(
                "Validation accuracy while training, by forget bias (seed 0)",
                "training step",
                Figure.Scale.LINEAR,
                "validation accuracy",
                Figure.Scale.LINEAR,
                lines)
            .withSvg(),
        dir.resolve("curves.png"));
  }
}
