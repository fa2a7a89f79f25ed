package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.RunCurve;
import org.seqlab.tasks.SyntheticTask;

/**
 * An experiment whose runs sweep one knob for several series (models, hidden sizes, forget biases):
 * the report is a table of how many seeds solved each point (with a 95% Wilson interval) and their
 * median score, the steps the solving runs took, a sentence per point saying what the counts mean,
 * the score against the knob as a plot with the baseline drawn, and the validation curves at the
 * hardest setting.
 */
abstract class SweepExperiment implements Experiment {

  /** Options every sweep takes. */
  static final List<String> COMMON =
      List.of(
          "--seeds",
          "--steps",
          "--lr",
          "--clip",
          "--batch",
          "--validation",
          "--val-every",
          "--goal",
          "--seed",
          "--jobs");

  /** The knob in a word, for tables and sentences ("distance"). */
  @Override
  public abstract String xName();

  /** Plot the x axis on a log scale (distances spanning decades). */
  Figure.Scale xScale() {
    return Figure.Scale.LINEAR;
  }

  @Override
  public String report(
      ExperimentSettings settings,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    if (rows.isEmpty()) return "no run has finished yet\n";
    List<SweepRow> all = rows;
    boolean tuned = !tunes().isEmpty() && Tuning.tuned(all);
    if (tuned) rows = Tuning.chosenRows(metric(), all, judged());
    Summary summary = new Summary(metric(), rows, learnedWhat());
    StringBuilder s = new StringBuilder();
    s.append(title()).append('\n');
    s.append(scoreName())
        .append(
            metric() == SyntheticTask.Metric.ACCURACY
                ? " (higher is better)"
                : " (lower is better)")
        .append(
            String.format(
                Locale.ROOT,
                "; a run solved it if it reached %s; per cell the seeds that solved,"
                    + " the 95%% Wilson interval for that share, and the median score%n%n",
                metric() == SyntheticTask.Metric.ACCURACY
                    ? "an accuracy of " + Summary.number(Summary.LEARNED_ACCURACY)
                    : "a loss of "
                        + Summary.number(Summary.LOSS_LEARNED)
                        + " × the baseline's or lower"));
    s.append(summary.table(xName())).append('\n');
    if (tuned) s.append(tuningSection(all));
    s.append(
        "steps to the goal (median over the runs that solved and stopped there);"
            + " capped: runs that used every step without solving"
            + (summary.points().stream()
                    .anyMatch(p -> p.capped() > 0 && !Double.isNaN(p.cappedLateChange()))
                ? ", in brackets how far their validation score still moved over their last "
                    + Math.round(100 * Budget.FLAT_SHARE)
                    + "% of steps (median; near 0: converged)"
                : "")
            + "; "
            + ModelComparison.budget(settings).plateauRule()
            + "\n\n");
    s.append(summary.stepsTable(xName())).append('\n');
    for (Summary.Point p : summary.points()) s.append(summary.sentence(p, xName())).append('\n');
    s.append('\n').append(conclusion(summary)).append('\n');
    s.append('\n').append(expectedAndFound(summary));
    scorePlot(summary, dir, figures);
    curvesPlot(summary, rows, curves, dir, figures);
    return s.toString();
  }

  /**
   * The tuning grid in words, every point's table (the chosen one marked) and the chosen rates at
   * the edge of their grid: what a report says after its main table when its models were tuned.
   */
  String tuningSection(List<SweepRow> all) {
    Tuning.Judged judged = judged();
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "tuning: every model trained at each point of its grid (learning rate × %s%s),"
                + " every seed; the table above follows the point marked *, %s. Per point, %s:%n%n",
            String.join(
                ", ",
                java.util.Arrays.stream(Tuning.LR_FACTORS)
                    .mapToObj(f -> f < 1 ? "1/" + Summary.number(1 / f) : Summary.number(f))
                    .toList()),
            // said only where the grid held forget biases: a run records each point it trained at
            all.stream().anyMatch(r -> r.grid() != null && r.grid().containsKey("forget-bias"))
                ? "; with a forget gate, also each forget bias"
                : "",
            judged == Tuning.Judged.BY_GOAL
                ? "the one that solved most runs on validation (ties: the better mean score)"
                : "the one with the best mean validation score",
            judged == Tuning.Judged.BY_GOAL ? "seeds solved and median score" : "median score"));
    s.append(Tuning.table(metric(), all, xName(), judged)).append('\n');
    String edges = Tuning.edges(metric(), all, judged);
    if (!edges.isEmpty()) s.append(edges).append('\n');
    return s.toString();
  }

  /** What a model learns, in the report's sentences. */
  String learnedWhat() {
    return "the dependency";
  }

  /** The finding in a few sentences: per series, the seeds that solved it at each x. */
  String conclusion(Summary summary) {
    StringBuilder s = new StringBuilder();
    for (String series : summary.series()) {
      s.append(summary.finding(series, xName())).append('\n');
    }
    return s.toString().stripTrailing();
  }

  void scorePlot(Summary summary, Path dir, FigureSink figures) throws IOException {
    List<Figure.Series> lines = new ArrayList<>();
    for (String series : summary.series()) {
      List<Summary.Point> ps =
          summary.points().stream().filter(p -> p.series().equals(series)).toList();
      double[] x = ps.stream().mapToDouble(Summary.Point::x).toArray();
      // the median: with seeds split between solving and not, a mean lies between them at a
      // score no seed had
      double[] y = ps.stream().mapToDouble(Summary.Point::median).toArray();
      lines.add(new Figure.Series(series + " (" + summary.parameters(series) + " params)", x, y));
    }
    List<Double> xs = summary.xs();
    double[] bx = new double[xs.size()], by = new double[xs.size()];
    for (int i = 0; i < bx.length; i++) {
      bx[i] = xs.get(i);
      for (Summary.Point p : summary.points()) if (p.x() == bx[i]) by[i] = p.baseline();
    }
    figures.draw(
        Figure.lines(
                title(),
                xLabel(),
                xScale(),
                scoreName()
                    + (metric() == SyntheticTask.Metric.ACCURACY
                        ? ", median over seeds (higher is better)"
                        : ", median over seeds (lower is better)"),
                metric() == SyntheticTask.Metric.ACCURACY ? Figure.Scale.LINEAR : Figure.Scale.LOG,
                lines)
            .scores(
                null,
                new Figure.Series("trivial baseline", bx, by),
                metric() == SyntheticTask.Metric.ACCURACY ? 1.0 : null)
            .withSvg(),
        dir.resolve("score.png"));
  }

  /** Validation score against step for every series at the hardest setting, first seed. */
  void curvesPlot(
      Summary summary,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    List<Double> xs = summary.xs();
    double hardest = xs.getLast();
    List<Figure.Series> lines = new ArrayList<>();
    for (String series : summary.series()) {
      SweepRow first = null;
      for (SweepRow r : rows) {
        if (r.series().equals(series)
            && r.x() == hardest
            && (first == null || r.seed() < first.seed())) {
          first = r;
        }
      }
      RunCurve curve = first == null ? null : curves.get(first.run());
      if (curve == null) continue;
      List<RunCurve.Point> validated =
          curve.points().stream().filter(p -> !Double.isNaN(p.validationScore())).toList();
      lines.add(
          new Figure.Series(
              series,
              validated.stream().mapToDouble(RunCurve.Point::step).toArray(),
              validated.stream().mapToDouble(RunCurve.Point::validationScore).toArray()));
    }
    figures.draw(
        Figure.lines(
                String.format(
                    Locale.ROOT, "Learning at %s %s (seed 0)", xName(), Summary.number(hardest)),
                "training step",
                Figure.Scale.LINEAR,
                "validation " + scoreName(),
                metric() == SyntheticTask.Metric.ACCURACY ? Figure.Scale.LINEAR : Figure.Scale.LOG,
                lines)
            .withSvg(),
        dir.resolve("curves.png"));
  }

  /** The runs of every series at every x for every seed, for a list of (series, model, x, task). */
  static String runId(String series, String xName, double x, int seed) {
    return (series + "-" + xName + Summary.number(x) + "-seed" + seed)
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9.-]+", "");
  }
}
