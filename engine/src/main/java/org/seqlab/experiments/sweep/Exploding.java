package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * Exploding gradients and what clipping does about them: a vanilla RNN whose {@code W_hh} starts
 * with a spectral radius above 1 trains on the adding problem with plain SGD, once without clipping
 * and once with the global gradient norm clipped. Backpropagation multiplies the gradient by {@code
 * W_hh^T} (times the activation's slope) at every step back, so with a radius above 1 it can grow
 * like {@code ρ^T}; one such step throws the weights so far that the next forward pass overflows.
 * The engine's NaN check stops that run at the step where it breaks and says where; the clipped run
 * takes the same gradients, scaled down to the threshold, and trains.
 */
final class Exploding extends SweepExperiment {

  @Override
  public String name() {
    return "exploding";
  }

  @Override
  public String title() {
    return "Exploding gradients: a vanilla RNN with a large initialisation, without and with clipping";
  }

  @Override
  public String claim() {
    return "with a spectral radius above 1 the gradient explodes; clipping the gradient norm keeps"
        + " training stable: fewer clipped seeds diverge than unclipped ones";
  }

  /** The clipped runs' share of diverged seeds against the unclipped runs'. */
  @Override
  public Hypothesis test(Summary summary) {
    List<Hypothesis.Share> clipped = new ArrayList<>(), unclipped = new ArrayList<>();
    for (Summary.Point p : summary.points()) {
      Hypothesis.Share diverged = new Hypothesis.Share(p.series(), p.diverged(), p.seeds());
      (p.x() == 0 ? unclipped : clipped).add(diverged);
    }
    if (clipped.isEmpty() || unclipped.isEmpty()) {
      return Hypothesis.notConfirmed(
          "the runs hold no " + (clipped.isEmpty() ? "clipped" : "unclipped") + " seed to compare");
    }
    return Hypothesis.smallerShare("seeds that diverged", clipped, unclipped);
  }

  @Override
  public ExperimentSettings defaults() {
    return new ExperimentSettings(
        List.of("rnn_relu"),
        List.of(10),
        List.of(32),
        null,
        5,
        null,
        1000,
        0.05,
        1.0,
        32,
        256,
        20,
        0.0,
        2.5,
        null,
        null,
        1L,
        null);
  }

  @Override
  public List<String> options() {
    List<String> o =
        new ArrayList<>(List.of("--models", "--distances", "--hidden", "--spectral-radius"));
    o.addAll(COMMON);
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    s.checkCommon(10_000, 2);
    if (s.models().size() != 1
        || !Architecture.fromId(s.models().getFirst()).hasRecurrentMatrix()) {
      throw new IllegalArgumentException(
          "--models: exploding trains one model with a recurrent matrix W_hh: "
              + String.join(
                  ", ",
                  java.util.Arrays.stream(Architecture.values())
                      .filter(Architecture::hasRecurrentMatrix)
                      .map(Architecture::id)
                      .toList()));
    }
    if (s.distances().size() != 1 || s.hidden().size() != 1) {
      throw new IllegalArgumentException(
          "--distances and --hidden: exploding trains at one length and one hidden size");
    }
    if (s.clip() <= 0) {
      throw new IllegalArgumentException(
          "--clip: the clipped run needs a threshold > 0 (the other run never clips)");
    }
  }

  @Override
  public String xName() {
    return "clip";
  }

  @Override
  public SyntheticTask.Metric metric() {
    return SyntheticTask.Metric.LOSS;
  }

  @Override
  public String xLabel() {
    return "gradient-norm threshold (0: no clipping)";
  }

  @Override
  public String scoreName() {
    return "mean squared error";
  }

  static String series(double clip) {
    return clip == 0 ? "no clipping" : "clipped at " + Summary.number(clip);
  }

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    TaskSpec t = new TaskSpec("adding", s.distances().getFirst(), s.batch(), s.validation(), 0);
    ModelSpec m =
        ModelSpec.of(s.models().getFirst(), s.hidden().getFirst(), 1, 1, 1)
            .withSpectralRadius(s.spectralRadius());
    List<SweepRun> runs = new ArrayList<>();
    for (int seed = 0; seed < s.seeds(); seed++) {
      for (double clip : List.of(0.0, s.clip())) {
        Budget b = new Budget(s.steps(), "sgd", s.lr(), clip, s.validateEvery(), s.goal());
        runs.add(
            new SweepRun(
                runId(clip == 0 ? "unclipped" : "clipped", "", clip, seed),
                series(clip),
                clip,
                m,
                t,
                b,
                seed,
                s.seed()));
      }
    }
    return runs;
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
    Summary summary = new Summary(metric(), rows);
    StringBuilder s = new StringBuilder(title()).append('\n');
    s.append(
        String.format(
            Locale.ROOT,
            "%s, H %d, W_hh at spectral radius %s, adding problem of length %d, SGD at lr %s%n%n",
            rows.getFirst().model(),
            settings.hidden().getFirst(),
            Summary.number(settings.spectralRadius()),
            settings.distances().getFirst(),
            Summary.number(settings.lr())));
    List<String> header = List.of("run", "seed", "ended", "at step", "final MSE", "baseline");
    List<List<String>> body = new ArrayList<>();
    for (SweepRow r : rows.stream().sorted((a, b) -> a.run().compareTo(b.run())).toList()) {
      body.add(
          List.of(
              r.series(),
              Integer.toString(r.seed()),
              r.stop(),
              Long.toString(r.divergedAtStep() > 0 ? r.divergedAtStep() : r.steps()),
              summary.score(r.score()),
              summary.score(r.baseline())));
    }
    s.append(TextTable.render(header, body)).append('\n');
    for (String series : summary.series()) {
      List<SweepRow> mine = rows.stream().filter(r -> r.series().equals(series)).toList();
      List<SweepRow> broke = mine.stream().filter(r -> r.divergedAtStep() > 0).toList();
      if (broke.isEmpty()) {
        Summary.Point p =
            summary.points().stream()
                .filter(q -> q.series().equals(series))
                .findFirst()
                .orElseThrow();
        s.append(
            String.format(
                Locale.ROOT,
                "%s: trained in all %d seeds, final MSE %s against the baseline's %s: %s.%n",
                capitalized(series),
                mine.size(),
                summary.cell(p),
                summary.score(p.baseline()),
                summary.verdictWords(p)));
      } else {
        s.append(
            String.format(
                Locale.ROOT,
                "%s: diverged in %d of %d seeds, at step%s %s. The NaN check reported: %s%n",
                capitalized(series),
                broke.size(),
                mine.size(),
                broke.size() > 1 ? "s" : "",
                String.join(
                    ", ", broke.stream().map(r -> Long.toString(r.divergedAtStep())).toList()),
                broke.getFirst().divergence()));
      }
    }
    s.append('\n').append(expectedAndFound(summary));
    curves(rows, curves, dir, figures);
    return s.toString();
  }

  private static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private void curves(
      List<SweepRow> rows, Map<String, RunCurve> curves, Path dir, FigureSink figures)
      throws IOException {
    List<Figure.Series> loss = new ArrayList<>(), norm = new ArrayList<>();
    for (SweepRow r : rows) {
      if (r.seed() != 0 || !curves.containsKey(r.run())) continue;
      List<RunCurve.Point> ps =
          curves.get(r.run()).points().stream().filter(p -> !Double.isNaN(p.trainLoss())).toList();
      double[] step = ps.stream().mapToDouble(RunCurve.Point::step).toArray();
      String name =
          r.series()
              + (r.divergedAtStep() > 0 ? " (diverged at step " + r.divergedAtStep() + ")" : "");
      loss.add(
          new Figure.Series(
              name, step, ps.stream().mapToDouble(RunCurve.Point::trainLoss).toArray()));
      norm.add(
          new Figure.Series(
              name, step, ps.stream().mapToDouble(RunCurve.Point::gradNorm).toArray()));
    }
    figures.draw(
        Figure.lines(
                "Training loss (seed 0)",
                "training step",
                Figure.Scale.LINEAR,
                "mean squared error",
                Figure.Scale.LOG,
                loss)
            .withSvg(),
        dir.resolve("loss.png"));
    figures.draw(
        Figure.lines(
                "Global gradient norm before clipping (seed 0)",
                "training step",
                Figure.Scale.LINEAR,
                "‖∇L‖",
                Figure.Scale.LOG,
                norm)
            .withSvg(),
        dir.resolve("gradient-norm.png"));
  }
}
