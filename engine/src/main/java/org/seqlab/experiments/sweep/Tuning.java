package org.seqlab.experiments.sweep;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * The same tuning effort for every architecture of a comparison. Each architecture trains at every
 * point of its own small grid, with every seed, and the point that the validation scores favour is
 * the one the report's tables follow; a second table shows every point, so nothing is hidden.
 *
 * <p><b>The grid.</b> The learning rate at {@code lr/3}, {@code lr} and {@code 3·lr} (the base rate
 * is {@code --lr}), for every architecture; a model with a forget gate also tries each forget-gate
 * bias of {@code --forget-biases}, as practice tunes it (Gers et al. 2000, Jozefowicz et al. 2015).
 *
 * <p><b>The choice.</b> Per architecture (a series' name up to {@link #SEPARATOR}), the point whose
 * runs solved most, summed over every x and seed; ties go to the better mean validation score
 * (accuracy, or the loss as a share of the baseline's, on a log scale), then to the earlier point.
 * An experiment without a goal (a language model is compared by its loss, never passed or failed)
 * chooses by the mean score alone. The choice reads the same validation sets the tables report, so
 * the chosen point's counts lean optimistic by the same amount for every architecture: each gets
 * the best of its grid.
 */
public final class Tuning {
  private Tuning() {}

  /** The learning rates tried, as multiples of the base rate. */
  static final double[] LR_FACTORS = {1.0 / 3, 1, 3};

  /**
   * Before a series' grid point, the last part of its name: "LSTM H 40 · lr 0.003, forget-bias 3";
   * a {@code --grid} point sits before it ("LSTM H 40 · clip 0 · lr 0.003, forget-bias 3").
   */
  static final String SEPARATOR = " · ";

  /** One point of an architecture's grid. */
  record Setting(double lr, Double forgetBias) {

    /** The point by option, as a grid names it: {@code {"lr": "0.003", "forget-bias": "3"}}. */
    Map<String, String> point() {
      Map<String, String> point = new LinkedHashMap<>();
      point.put("lr", Summary.number(lr));
      if (forgetBias != null) point.put("forget-bias", Summary.number(forgetBias));
      return point;
    }
  }

  /**
   * The grid of {@code architecture}: the rates around {@code lr} (to three significant digits, so
   * that the run records the rate it used), times the forget biases where the model has a gate.
   */
  static List<Setting> grid(Architecture architecture, double lr, List<Double> forgetBiases) {
    List<Setting> settings = new ArrayList<>();
    for (double factor : LR_FACTORS) {
      double rate =
          new BigDecimal(lr * factor).round(new MathContext(3)).stripTrailingZeros().doubleValue();
      if (architecture.hasForgetGate() && forgetBiases != null && !forgetBiases.isEmpty()) {
        for (double bias : forgetBiases) settings.add(new Setting(rate, bias));
      } else {
        settings.add(new Setting(rate, null));
      }
    }
    return settings;
  }

  /**
   * What is tuned over, in a series' name: everything before the last {@link #SEPARATOR} (the
   * model, and the point of a {@code --grid} around the experiment).
   */
  static String base(String series) {
    int at = series.lastIndexOf(SEPARATOR);
    return at < 0 ? series : series.substring(0, at);
  }

  /** The tuning point part of a series' name, or "" where it has none. */
  static String point(String series) {
    int at = series.lastIndexOf(SEPARATOR);
    return at < 0 ? "" : series.substring(at + SEPARATOR.length());
  }

  /** Whether runs are judged solved or not, or compared by their score alone. */
  public enum Judged {
    /** A run solves or fails its goal; the point that solved most is chosen. */
    BY_GOAL,
    /** No goal: the point with the best mean score is chosen, and no counts are shown. */
    BY_SCORE
  }

  /** For each architecture (series base), in order of first appearance, its chosen series. */
  static Map<String, String> chosen(
      SyntheticTask.Metric metric, List<SweepRow> rows, Judged judged) {
    Map<String, Map<String, double[]>> byBase = new LinkedHashMap<>(); // base -> series -> tally
    for (SweepRow r : rows) {
      double[] tally =
          byBase
              .computeIfAbsent(base(r.series()), b -> new LinkedHashMap<>())
              .computeIfAbsent(r.series(), s -> new double[3]); // solved, score sum, runs
      if (judged == Judged.BY_GOAL && Summary.solves(metric, r.score(), r.baseline())) tally[0]++;
      tally[1] += goodness(metric, r.score(), r.baseline());
      tally[2]++;
    }
    Map<String, String> chosen = new LinkedHashMap<>();
    byBase.forEach(
        (base, settings) -> {
          String best = null;
          double bestSolved = -1, bestScore = Double.NEGATIVE_INFINITY;
          for (var e : settings.entrySet()) {
            double solved = e.getValue()[0], score = e.getValue()[1] / e.getValue()[2];
            if (solved > bestSolved || (solved == bestSolved && score > bestScore)) {
              best = e.getKey();
              bestSolved = solved;
              bestScore = score;
            }
          }
          chosen.put(base, best);
        });
    return chosen;
  }

  /**
   * A run's validation score, higher is better: the accuracy, or minus the log of the loss as a
   * share of the baseline's. A diverged run scores as badly as the scale allows.
   */
  static double goodness(SyntheticTask.Metric metric, double score, double baseline) {
    if (metric == SyntheticTask.Metric.ACCURACY) return Double.isNaN(score) ? 0 : score;
    if (Double.isNaN(score)) return -Math.log(1e6);
    return -Math.log(Math.max(score, 1e-12) / Math.max(baseline, 1e-12));
  }

  /** The rows of the chosen series only: what the report's tables and verdicts read. */
  public static List<SweepRow> chosenRows(
      SyntheticTask.Metric metric, List<SweepRow> rows, Judged judged) {
    var keep = new java.util.HashSet<>(chosen(metric, rows, judged).values());
    return rows.stream().filter(r -> keep.contains(r.series())).toList();
  }

  /** Whether the rows hold more than one grid point for some architecture. */
  static boolean tuned(List<SweepRow> rows) {
    Map<String, TreeSet<String>> byBase = new LinkedHashMap<>();
    for (SweepRow r : rows) {
      byBase.computeIfAbsent(base(r.series()), b -> new TreeSet<>()).add(r.series());
    }
    return byBase.values().stream().anyMatch(s -> s.size() > 1);
  }

  /**
   * Every grid point of every architecture: per x, the seeds that solved and the median score (by
   * score alone, the median only); the chosen point marked with {@code *}.
   */
  static String table(
      SyntheticTask.Metric metric, List<SweepRow> rows, String xName, Judged judged) {
    Summary all = new Summary(metric, rows);
    Map<String, String> chosen = chosen(metric, rows, judged);
    boolean counted = judged == Judged.BY_GOAL;
    List<Double> xs = all.xs();
    List<String> header = new ArrayList<>(List.of("model", "setting"));
    for (double x : xs) header.add(xName + " " + Summary.number(x));
    if (counted) header.add("solved");
    List<List<String>> body = new ArrayList<>();
    for (String series : all.series()) {
      boolean isChosen = chosen.containsValue(series);
      List<String> row = new ArrayList<>();
      row.add(base(series));
      row.add((isChosen ? "* " : "  ") + point(series));
      int solved = 0, runs = 0;
      for (double x : xs) {
        Summary.Point p = all.at(series, x);
        if (p == null) {
          row.add("");
          continue;
        }
        solved += p.solved();
        runs += p.seeds();
        row.add(
            counted
                ? String.format(
                    Locale.ROOT, "%d/%d, %s", p.solved(), p.seeds(), all.score(p.median()))
                : all.score(p.median()));
      }
      if (counted) row.add(solved + "/" + runs);
      body.add(row);
    }
    return TextTable.render(header, body);
  }

  /**
   * A sentence for each architecture whose chosen learning rate is the smallest or the largest of
   * its grid ("LSTM H 40: the chosen rate, 0.001, is the smallest tried; a smaller one might do
   * better."), since the grid then does not show that the choice is a best; empty where none is.
   */
  static String edges(SyntheticTask.Metric metric, List<SweepRow> rows, Judged judged) {
    Map<String, String> chosen = chosen(metric, rows, judged);
    Map<String, TreeSet<Double>> rates = new LinkedHashMap<>();
    Map<String, Double> chosenRate = new LinkedHashMap<>();
    for (SweepRow r : rows) {
      String lr = r.grid() == null ? null : r.grid().get("lr");
      if (lr == null) continue;
      double rate = Double.parseDouble(lr);
      rates.computeIfAbsent(base(r.series()), b -> new TreeSet<>()).add(rate);
      if (r.series().equals(chosen.get(base(r.series())))) chosenRate.put(base(r.series()), rate);
    }
    StringBuilder s = new StringBuilder();
    chosenRate.forEach(
        (base, rate) -> {
          TreeSet<Double> tried = rates.get(base);
          if (tried.size() < 2) return;
          String edge =
              rate.equals(tried.first())
                  ? "smallest"
                  : rate.equals(tried.last()) ? "largest" : null;
          if (edge == null) return;
          s.append(
              String.format(
                  Locale.ROOT,
                  "%s: the chosen rate, %s, is the %s tried; a %s one might do better.%n",
                  base,
                  Summary.number(rate),
                  edge,
                  edge.equals("smallest") ? "smaller" : "larger"));
        });
    return s.toString();
  }
}
