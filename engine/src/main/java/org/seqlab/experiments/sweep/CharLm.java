package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.DefaultText;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.TextSampler;
import org.seqlab.experiments.Units;
import org.seqlab.io.AtomicFiles;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * LSTM, GRU and Transformer as character language models on one text, at matched parameter counts
 * and the same number of steps: validation loss in nats per character against wall-clock time (what
 * a step costs differs between architectures), the unigram model as the baseline, and a sample of
 * each model's writing. Every model trains at the three rates of its {@link Tuning} grid; the
 * table, the samples and the plot follow the rate of lowest mean validation loss.
 */
final class CharLm extends SweepExperiment {

  static final int SAMPLE_LENGTH = 240;

  @Override
  public String name() {
    return "char-lm";
  }

  @Override
  public String title() {
    return "Character language models on a text: LSTM, GRU and Transformer at the same size";
  }

  @Override
  public String claim() {
    return "on short contexts and small hardware, recurrent models remain strong language models:"
        + " at the same parameters and steps, the best recurrent model's validation loss is below"
        + " the Transformer's on every seed";
  }

  /** The recurrent model of lowest median loss against the Transformer, seed by seed. */
  @Override
  public Hypothesis test(Summary summary) {
    Summary.Point recurrent = null, attention = null;
    for (Summary.Point p : summary.points()) {
      String model = summary.model(p.series());
      if (model == null || Double.isNaN(p.median())) continue;
      if (Architecture.fromId(model).hasAttention()) {
        attention = p;
      } else if (recurrent == null || p.median() < recurrent.median()) {
        recurrent = p;
      }
    }
    if (recurrent == null || attention == null) {
      return Hypothesis.notConfirmed(
          "the runs hold no "
              + (recurrent == null ? "recurrent model" : "Transformer")
              + " with a finite loss to compare");
    }
    return Hypothesis.lowerLoss(recurrent, attention);
  }

  /** Each model's learning rate comes from its {@link Tuning} grid around {@code --lr}. */
  @Override
  public List<String> tunes() {
    return List.of("lr");
  }

  @Override
  public ExperimentSettings defaults() {
    return new ExperimentSettings(
        List.of("lstm", "gru", "transformer"),
        null,
        null,
        null,
        5,
        150_000L,
        1500,
        3e-3,
        5.0,
        32,
        null,
        150,
        0.0,
        null,
        DefaultText.PATH, // the text seqlab ships, found from any directory
        64,
        1L,
        null);
  }

  @Override
  public List<String> options() {
    List<String> o = new ArrayList<>(List.of("--models", "--params", "--text", "--seq-len"));
    o.addAll(COMMON);
    o.remove("--validation");
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    s.checkCommon(1, 1);
    if (s.text() == null) throw new IllegalArgumentException(DefaultText.missing());
    if (!Files.isRegularFile(DefaultText.resolve(s.text()))) {
      throw new IllegalArgumentException(
          s.text().equals(DefaultText.PATH)
              ? DefaultText.missing()
              : "--text: no such file: " + s.text());
    }
    for (String m : s.models()) {
      if (m.equals("rnn_relu"))
        throw new IllegalArgumentException("--models: use rnn, lstm, gru, transformer");
    }
  }

  @Override
  public String xName() {
    return "window";
  }

  @Override
  public SyntheticTask.Metric metric() {
    return SyntheticTask.Metric.LOSS;
  }

  /** A language model is compared by its loss, never passed or failed. */
  @Override
  public Tuning.Judged judged() {
    return Tuning.Judged.BY_SCORE;
  }

  @Override
  public String xLabel() {
    return "window";
  }

  @Override
  public String scoreName() {
    return "validation loss, nats per character";
  }

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    String text = DefaultText.resolve(s.text()).toAbsolutePath().normalize().toString();
    TaskSpec t = new TaskSpec("char-lm", s.seqLen(), s.batch(), 0, 0, text);
    ModelSpec.Shape shape = t.shape();
    Budget budget = ModelComparison.budget(s);
    List<SweepRun> runs = new ArrayList<>();
    for (int seed = 0; seed < s.seeds(); seed++) {
      for (String model : s.models()) {
        ModelSpec m =
            ModelSpec.matched(
                model,
                s.params(),
                shape,
                Architecture.fromId(model).hasAttention() ? 2 : 1,
                64,
                Architecture.fromId(model).hasAttention() ? 4 : 1);
        for (Tuning.Setting setting : Tuning.grid(m.architecture(), s.lr(), List.of())) {
          runs.add(
              new SweepRun(
                      model + "-seed" + seed,
                      m.label(),
                      s.seqLen(),
                      m,
                      t,
                      budget.withLr(setting.lr()),
                      seed,
                      s.seed())
                  .atGridPoint(setting.point()));
        }
      }
    }
    return runs;
  }

  /** A sample of the trained model's writing: from a newline, at temperature 0.8. */
  @Override
  public void afterRun(Sweep.Finished f, Path dir) throws IOException {
    TextTask task = (TextTask) f.run().task().create(f.run().dataSeed());
    StringBuilder sample = new StringBuilder();
    TextSampler.generate(
        f.model(),
        task.corpus().vocabulary(),
        new TextSampler.Options("", SAMPLE_LENGTH, 0.8, 0, f.run().modelSeed()),
        sample::append);
    Path file = dir.resolve("samples").resolve(f.run().id() + ".txt");
    Files.createDirectories(file.getParent());
    AtomicFiles.writeString(file, sample.toString());
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
    boolean tuned = Tuning.tuned(all);
    if (tuned) rows = Tuning.chosenRows(metric(), all, judged());
    Summary summary = new Summary(metric(), rows);
    StringBuilder s = new StringBuilder(title()).append('\n');
    s.append(
        String.format(
            Locale.ROOT,
            "text %s, window %d, batch %d, %d steps each%n%n",
            settings.text(),
            settings.seqLen(),
            settings.batch(),
            settings.steps()));
    List<String> header =
        List.of(
            "model", "params", "val loss (nats/char), mean ± sd", "baseline", "time", "tokens/s");
    List<List<String>> body = new ArrayList<>();
    for (Summary.Point p : summary.points()) {
      double seconds = 0, rate = 0;
      int n = 0;
      for (SweepRow r : rows) {
        if (!r.series().equals(p.series())) continue;
        seconds += r.seconds();
        rate += r.tokensPerSecond();
        n++;
      }
      body.add(
          List.of(
              p.series(),
              Summary.count(p.params()),
              // a character model is compared by its loss, not passed or failed: no run comes near
              // a tenth of the unigram baseline, so the seeds' counts would say nothing
              summary.meanCell(p),
              summary.score(p.baseline()),
              Units.duration(seconds / n),
              Units.count(rate / n)));
    }
    s.append(TextTable.render(header, body)).append('\n');
    if (tuned) s.append(tuningSection(all));
    Summary.Point best =
        summary.points().stream()
            .filter(p -> !Double.isNaN(p.mean()))
            .min((a, b) -> Double.compare(a.mean(), b.mean()))
            .orElse(null);
    if (best != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "%s reached the lowest validation loss, %s nats per character"
                  + " (the unigram baseline: %s).%n",
              best.series(),
              summary.score(best.mean()),
              summary.score(best.baseline())));
    }
    s.append('\n').append(expectedAndFound(summary));
    for (SweepRow r : rows) {
      Path sample = dir.resolve("samples").resolve(r.run() + ".txt");
      if (r.seed() == 0 && Files.isRegularFile(sample)) {
        s.append('\n').append(r.series()).append(" writes:\n");
        for (String line : Files.readString(sample, StandardCharsets.UTF_8).split("\n", -1)) {
          s.append("  | ").append(line).append('\n');
        }
      }
    }
    List<Figure.Series> byTime = new ArrayList<>();
    for (SweepRow r : rows) {
      if (r.seed() != 0 || !curves.containsKey(r.run())) continue;
      List<RunCurve.Point> v =
          curves.get(r.run()).points().stream()
              .filter(p -> !Double.isNaN(p.validationLoss()))
              .toList();
      byTime.add(
          new Figure.Series(
              r.series() + " (" + Summary.count(r.params()) + " params)",
              v.stream().mapToDouble(RunCurve.Point::seconds).toArray(),
              v.stream().mapToDouble(RunCurve.Point::validationLoss).toArray()));
    }
    double base = rows.getFirst().baseline();
    double end = 0;
    for (Figure.Series series : byTime) for (double x : series.x()) end = Math.max(end, x);
    figures.draw(
        Figure.lines(
                "Validation loss against wall-clock time (one core each)",
                "seconds",
                Figure.Scale.LINEAR,
                "nats per character",
                Figure.Scale.LINEAR,
                byTime)
            .scores(
                null,
                new Figure.Series(
                    "unigram baseline", new double[] {0, end}, new double[] {base, base}),
                null)
            .withSvg(),
        dir.resolve("loss-vs-time.png"));
    return s.toString();
  }
}
