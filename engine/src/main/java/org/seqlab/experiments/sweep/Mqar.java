package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.StateSize;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.MultiQueryRecall;
import org.seqlab.tasks.SyntheticTask;

/**
 * The fixed-size bottleneck as Zoology measures it: multi-query associative recall ({@link
 * MultiQueryRecall}, every one of {@code k} keys asked once) against {@code k}, for every
 * architecture at every state size. The series are (architecture, size); besides accuracy against
 * {@code k}, the report sets accuracy against the state in floats ({@link StateSize}) at each
 * {@code k}, and says for each recurrent series the most pairs at which at least half its seeds
 * reached an accuracy of {@link #HALF}. Every (architecture, size) trains at the three rates of its
 * {@link Tuning} grid; the tables follow the rate chosen on validation.
 */
final class Mqar extends SweepExperiment {

  /** The accuracy a seed must reach for the "most pairs" sentence: far above the 1/64 baseline. */
  static final double HALF = 0.5;

  @Override
  public String name() {
    return "mqar";
  }

  @Override
  public String title() {
    return "Multi-query associative recall against the number of pairs, per architecture and"
        + " state size";
  }

  @Override
  public String claim() {
    return "a fixed-size state must grow with the number of pairs it recalls;"
        + " attention need not";
  }

  /**
   * Up to 8 pairs: far more than a state of 16 to 64 floats holds (an LSTM of H 64 stays near 0.35
   * at 8 pairs after 20000 steps), and few enough that attention learns them inside the cap (a
   * Transformer of width 16 at rate 0.003 jumps past 0.9 near step 1300). At 16 pairs the same
   * Transformer is still near 0.2 after 2000 steps: the cap would measure its learning speed.
   */
  @Override
  public ExperimentSettings defaults() {
    return new ExperimentSettings(
        List.of("rnn", "lstm", "gru", "mingru", "transformer"),
        List.of(2, 4, 8),
        List.of(16, 32, 64),
        null,
        5,
        null,
        3000,
        3e-3,
        1.0,
        64,
        256,
        100,
        0.99,
        null,
        null,
        null,
        1L,
        null);
  }

  /**
   * The two halves of the claim, from the counts. A fixed-size state: some recurrent series (one
   * architecture at one size) solves a smaller share of seeds at the most pairs than at the fewest,
   * with 95% intervals apart. Attention need not grow: some Transformer solves the most pairs on
   * every seed (the verdict "solved"). Confirmed when both hold; not confirmed when no recurrent
   * series falls at all or no Transformer solves the most pairs on any seed; inconclusive
   * otherwise.
   */
  @Override
  public Hypothesis test(Summary summary) {
    // Judged by the share of seeds that reached an accuracy of HALF, the recall the state-size
    // sentences read: the goal of 0.9 says whether a run solved the task, but a recurrent model
    // that recalls three pairs in four at the fewest pairs and one in four at the most has not
    // solved either, and its fall is the finding.
    List<Double> ks = summary.xs();
    if (ks.size() < 2) {
      return Hypothesis.notConfirmed("one number of pairs shows no fall with the pairs");
    }
    double fewest = ks.getFirst(), most = ks.getLast();
    String reached = "seeds that reached an accuracy of " + Summary.number(HALF);
    Hypothesis fixed = null;
    int recurrent = 0, apart = 0;
    boolean fellAtAll = false;
    String attention = null;
    boolean attentionHeldAny = false;
    for (String series : summary.series()) {
      Summary.Point low = summary.at(series, fewest), high = summary.at(series, most);
      if (low == null || high == null || summary.model(series) == null) continue;
      int highReached = summary.reached(series, most, HALF);
      if (Architecture.fromId(summary.model(series)).hasAttention()) {
        Wilson w = Wilson.of(highReached, high.seeds());
        if (attention == null && highReached == high.seeds() && w.lower() >= 0.5) {
          attention =
              String.format(
                  Locale.ROOT,
                  "%s: at %s pairs %d/%d [%.2f, %.2f]",
                  series,
                  Summary.number(most),
                  highReached,
                  high.seeds(),
                  w.lower(),
                  w.upper());
        }
        attentionHeldAny |= highReached > 0;
        continue;
      }
      recurrent++;
      Hypothesis h =
          Hypothesis.smallerShare(
              series + " " + reached,
              List.of(
                  new Hypothesis.Share(Summary.number(most) + " pairs", highReached, high.seeds())),
              List.of(
                  new Hypothesis.Share(
                      Summary.number(fewest) + " pairs",
                      summary.reached(series, fewest, HALF),
                      low.seeds())));
      fellAtAll |= h.outcome() != Hypothesis.Outcome.NOT_CONFIRMED;
      if (h.outcome() == Hypothesis.Outcome.CONFIRMED) {
        apart++;
        if (fixed == null) fixed = h;
      }
    }
    String attentionWords =
        attention == null
            ? "no Transformer had every seed reach " + Summary.number(HALF) + " at the most pairs"
            : "attention holds: " + reached + ", " + attention;
    String tally =
        String.format(
            Locale.ROOT, " (intervals apart for %d of %d recurrent series)", apart, recurrent);
    if (fixed != null && attention != null) {
      return new Hypothesis(
          Hypothesis.Outcome.CONFIRMED,
          "confirmed: "
              + fixed.words().substring("confirmed: ".length())
              + tally
              + "; "
              + attentionWords);
    }
    if (!fellAtAll || !attentionHeldAny) {
      return Hypothesis.notConfirmed(
          !fellAtAll
              ? "no recurrent series had fewer "
                  + reached
                  + " at "
                  + Summary.number(most)
                  + " pairs than at "
                  + Summary.number(fewest)
              : "no Transformer seed reached " + Summary.number(HALF) + " at the most pairs");
    }
    return new Hypothesis(
        Hypothesis.Outcome.INCONCLUSIVE,
        "inconclusive: too few seeds: "
            + (fixed == null
                ? "no recurrent series' fall with the pairs has intervals apart"
                : attentionWords));
  }

  /** Each model's learning rate comes from its {@link Tuning} grid around {@code --lr}. */
  @Override
  public List<String> tunes() {
    return List.of("lr");
  }

  @Override
  public List<String> options() {
    List<String> o = new ArrayList<>(List.of("--models", "--distances", "--hidden"));
    o.addAll(COMMON);
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    // Keys are distinct within a sequence: at most as many pairs as keys.
    s.checkCommon(MultiQueryRecall.DEFAULT_KEYS, 1);
    if (s.models() != null
        && s.hidden() != null
        && s.models().contains(Architecture.TRANSFORMER.id())) {
      for (int h : s.hidden()) {
        if (h % ModelComparison.HEADS != 0) {
          throw new IllegalArgumentException(
              "--hidden "
                  + h
                  + ": the Transformer's width must be a multiple of its "
                  + ModelComparison.HEADS
                  + " heads");
        }
      }
    }
  }

  @Override
  String learnedWhat() {
    return "to recall the pairs";
  }

  @Override
  public String xName() {
    return "pairs";
  }

  @Override
  public SyntheticTask.Metric metric() {
    return SyntheticTask.Metric.ACCURACY;
  }

  @Override
  public String xLabel() {
    return "k, key–value pairs read before the queries (each key asked once)";
  }

  @Override
  public String scoreName() {
    return "accuracy over all queries";
  }

  /** The model of one series: a recurrent layer of {@code H} units, or two blocks of width D. */
  static ModelSpec model(String architecture, int size) {
    return Architecture.fromId(architecture).hasAttention()
        ? ModelSpec.of(
            architecture, size, ModelComparison.TRANSFORMER_LAYERS, 1, ModelComparison.HEADS)
        : ModelSpec.of(architecture, size, 1, ModelComparison.EMBEDDING, 1);
  }

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    Budget budget = ModelComparison.budget(s);
    List<Integer> ks = s.distances().stream().sorted(Comparator.reverseOrder()).toList();
    List<SweepRun> runs = new ArrayList<>();
    for (int k : ks) {
      TaskSpec t = new TaskSpec("mqar", k, s.batch(), s.validation(), 0);
      for (int seed = 0; seed < s.seeds(); seed++) {
        for (String m : s.models()) {
          for (int h : s.hidden()) {
            ModelSpec spec = model(m, h);
            String id = String.format(Locale.ROOT, "%s-h%d", m, h);
            for (Tuning.Setting setting : Tuning.grid(spec.architecture(), s.lr(), List.of())) {
              runs.add(
                  new SweepRun(
                          runId(id, "k", k, seed),
                          spec.label(),
                          k,
                          spec,
                          t,
                          budget.withLr(setting.lr()),
                          seed,
                          s.seed())
                      .atGridPoint(setting.point()));
            }
          }
        }
      }
    }
    return runs;
  }

  /** {@code 2k + 2q} with every key asked ({@code q = k}): the steps a model reads. */
  static int steps(int pairs) {
    return 4 * pairs;
  }

  /**
   * The most pairs at which at least half of {@code series}' seeds reached an accuracy of {@link
   * #HALF}; NaN where it never did. A diverged seed counts as one that did not.
   */
  static double mostPairsAtHalf(List<SweepRow> rows, String series) {
    return mostPairsAtHalf(new Summary(SyntheticTask.Metric.ACCURACY, rows), series);
  }

  private static double mostPairsAtHalf(Summary summary, String series) {
    double best = Double.NaN;
    for (double k : summary.xs()) {
      Summary.Point p = summary.at(series, k);
      if (p != null && 2 * summary.reached(series, k, HALF) >= p.seeds()) best = k;
    }
    return best;
  }

  /**
   * One sentence per recurrent series: "LSTM H 16 (32 floats of state): at least half the seeds
   * reached an accuracy of 0.5 at up to 4 pairs; at 8 pairs 1/5 [0.04, 0.62] did (tried 2, 4, 8)."
   * The share after the last number of pairs where half did, with its 95% Wilson interval, says
   * where the accuracy falls below one half.
   */
  static String mostPairsSentences(List<SweepRow> rows, Map<String, ModelSpec> models) {
    Summary summary = new Summary(SyntheticTask.Metric.ACCURACY, rows);
    List<Double> ks = rows.stream().map(SweepRow::x).distinct().sorted().toList();
    String tried = String.join(", ", ks.stream().map(Summary::number).toList());
    StringBuilder s = new StringBuilder();
    for (String series : rows.stream().map(SweepRow::series).distinct().toList()) {
      ModelSpec m = models.get(series);
      if (m == null || !m.architecture().isRecurrent()) continue;
      double most = mostPairsAtHalf(summary, series);
      // the first number of pairs past the last one where half the seeds reached HALF
      double next = Double.NaN;
      for (double k : ks) {
        if (Double.isNaN(most) ? true : k > most) {
          next = k;
          break;
        }
      }
      String after = "";
      if (!Double.isNaN(next)) {
        Summary.Point at = summary.at(series, next); // none yet while the sweep runs
        int reached = summary.reached(series, next, HALF), seeds = at == null ? 0 : at.seeds();
        Wilson w = Wilson.of(reached, seeds);
        after =
            String.format(
                Locale.ROOT,
                "; at %s pairs %d/%d [%.2f, %.2f] did",
                Summary.number(next),
                reached,
                seeds,
                w.lower(),
                w.upper());
      }
      s.append(
          String.format(
              Locale.ROOT,
              "%s (%d floats of state): %s%s (tried %s).%n",
              series,
              StateSize.floats(m, 1),
              Double.isNaN(most)
                  ? "at no number of pairs did half the seeds reach an accuracy of "
                      + Summary.number(HALF)
                  : "at least half the seeds reached an accuracy of "
                      + Summary.number(HALF)
                      + " at up to "
                      + Summary.number(most)
                      + " pairs",
              Double.isNaN(most) ? after.replaceFirst("^; at", ": at") : after,
              tried));
    }
    return s.toString();
  }

  /** The model of each series in the plan of {@code settings}. */
  Map<String, ModelSpec> modelsBySeries(ExperimentSettings settings) {
    Map<String, ModelSpec> models = new LinkedHashMap<>();
    for (SweepRun r : plan(settings)) models.putIfAbsent(r.series(), r.model());
    return models;
  }

  @Override
  public String report(
      ExperimentSettings settings,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    String report = super.report(settings, rows, curves, dir, figures);
    if (rows.isEmpty()) return report;
    rows = Tuning.chosenRows(metric(), rows, judged()); // mqar tunes its rates

    Map<String, ModelSpec> models = modelsBySeries(settings.orElse(defaults()));
    StringBuilder s = new StringBuilder(report);
    s.append(
        String.format(
            Locale.ROOT,
            "%nthe most pairs at which at least half the seeds reached an accuracy of %s,"
                + " per recurrent series (state: L × H floats, the LSTM's L × 2H):%n",
            Summary.number(HALF)));
    s.append(mostPairsSentences(rows, models));
    Summary chosen = new Summary(metric(), rows, learnedWhat());
    statePlots(chosen, models, dir, figures);
    parameterPlots(chosen, models, dir, figures);
    return s.toString();
  }

  /**
   * For each number of pairs, {@code state-k<K>.png}: the median accuracy against the state in
   * floats (log x), one line per architecture through its sizes, the baseline dashed.
   */
  void statePlots(Summary summary, Map<String, ModelSpec> models, Path dir, FigureSink figures)
      throws IOException {
    accuracyPlots(
        summary,
        models,
        "state size",
        "state size in floats (recurrent: L × H, LSTM L × 2H; Transformer: its key–value"
            + " cache, 2 × L × T × D)",
        (m, p) -> StateSize.floats(m, steps((int) p.x())),
        "state-k",
        dir,
        figures);
  }

  /**
   * For each number of pairs, {@code params-k<K>.png}: the median accuracy against the parameter
   * count (log x), one line per architecture through its sizes: what the same accuracy costs in
   * weights rather than in state.
   */
  void parameterPlots(Summary summary, Map<String, ModelSpec> models, Path dir, FigureSink figures)
      throws IOException {
    accuracyPlots(
        summary,
        models,
        "parameters",
        "trainable parameters",
        (m, p) -> p.params(),
        "params-k",
        dir,
        figures);
  }

  /**
   * For each number of pairs, {@code <file>K.png}: the median accuracy against {@code x} of each
   * point (log axis), one line per architecture through its sizes, the baseline dashed.
   */
  private static void accuracyPlots(
      Summary summary,
      Map<String, ModelSpec> models,
      String against,
      String xLabel,
      java.util.function.ToLongBiFunction<ModelSpec, Summary.Point> x,
      String file,
      Path dir,
      FigureSink figures)
      throws IOException {
    for (double k : summary.xs()) {
      Map<String, TreeMap<Long, Double>> byArchitecture = new LinkedHashMap<>();
      double baseline = Double.NaN;
      for (Summary.Point p : summary.points()) {
        ModelSpec m = models.get(p.series());
        if (p.x() != k || m == null) continue;
        baseline = p.baseline();
        byArchitecture
            .computeIfAbsent(m.architecture().label(), a -> new TreeMap<>())
            .put(x.applyAsLong(m, p), p.median());
      }
      if (byArchitecture.isEmpty()) continue;
      List<Figure.Series> lines = new ArrayList<>();
      double lo = Double.POSITIVE_INFINITY, hi = 0;
      for (var e : byArchitecture.entrySet()) {
        double[] xs = e.getValue().keySet().stream().mapToDouble(Long::doubleValue).toArray();
        double[] ys = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
        lines.add(new Figure.Series(e.getKey(), xs, ys));
        lo = Math.min(lo, xs[0]);
        hi = Math.max(hi, xs[xs.length - 1]);
      }
      String pairs = Summary.number(k);
      figures.draw(
          Figure.lines(
                  "MQAR accuracy against " + against + " at " + pairs + " pairs",
                  xLabel,
                  Figure.Scale.LOG,
                  "accuracy over all queries, median over seeds (higher is better)",
                  Figure.Scale.LINEAR,
                  lines)
              .scores(
                  null,
                  new Figure.Series(
                      "trivial baseline", new double[] {lo, hi}, new double[] {baseline, baseline}),
                  1.0)
              .withSvg(),
          dir.resolve(file + pairs + ".png"));
    }
  }
}
