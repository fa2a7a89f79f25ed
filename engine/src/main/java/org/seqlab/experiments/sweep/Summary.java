package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.seqlab.tasks.SyntheticTask;

/**
 * The rows of a sweep gathered into points: for each series and x, the mean score over the seeds,
 * its spread, and what it means beside the baseline, in words. The command line's table and the web
 * lab's chart both come from here.
 */
public final class Summary {

  /**
   * One point of a curve: every seed of one series at one x.
   *
   * @param mean the mean score over the seeds that did not diverge (NaN if all diverged)
   * @param spread the standard deviation over those seeds (0 for one seed)
   * @param min the lowest score
   * @param max the highest score
   * @param seeds how many seeds finished
   * @param diverged how many of them diverged
   */
  public record Point(
      String series,
      double x,
      int distance,
      double mean,
      double spread,
      double min,
      double max,
      double baseline,
      long params,
      int seeds,
      int diverged) {}

  /** How a point compares with the baseline. */
  public enum Verdict {
    LEARNED("has learned the dependency"),
    PARTLY("has partly learned it"),
    NOT_LEARNED("has not learned the dependency"),
    DIVERGED("diverged");

    private final String words;

    Verdict(String words) {
      this.words = words;
    }

    public String words() {
      return words;
    }

    /** The words with {@code what} was learned in place of "the dependency" ("the pairs"). */
    public String words(String what) {
      return words.replace("the dependency", what);
    }
  }

  /**
   * An accuracy of at least this is "learned"; within {@link #NEAR_BASELINE} of the baseline "not
   * learned".
   */
  public static final double LEARNED_ACCURACY = 0.9;

  public static final double NEAR_BASELINE = 0.1;

  /**
   * A loss at most this share of the baseline's is "learned"; above {@link #LOSS_NOT_LEARNED}, "not
   * learned".
   */
  public static final double LOSS_LEARNED = 0.1;

  public static final double LOSS_NOT_LEARNED = 0.9;

  private final SyntheticTask.Metric metric;
  private final String what;
  private final List<Point> points;

  public Summary(SyntheticTask.Metric metric, List<SweepRow> rows) {
    this(metric, rows, "the dependency");
  }

  /**
   * @param what what a model learns, in the sentences: "the dependency", "to recall the pairs"
   */
  public Summary(SyntheticTask.Metric metric, List<SweepRow> rows, String what) {
    this.metric = metric;
    this.what = what;
    Map<String, Map<Double, List<SweepRow>>> grouped = new LinkedHashMap<>();
    for (SweepRow r : rows) {
      grouped
          .computeIfAbsent(r.series(), k -> new LinkedHashMap<>())
          .computeIfAbsent(r.x(), k -> new ArrayList<>())
          .add(r);
    }
    List<Point> all = new ArrayList<>();
    grouped.forEach(
        (series, byX) ->
            new TreeSet<>(byX.keySet()).forEach(x -> all.add(point(series, x, byX.get(x)))));
    this.points = List.copyOf(all);
  }

  private static Point point(String series, double x, List<SweepRow> rows) {
    double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    int n = 0, diverged = 0;
    for (SweepRow r : rows) {
      if (Double.isNaN(r.score())) {
        diverged++;
        continue;
      }
      sum += r.score();
      min = Math.min(min, r.score());
      max = Math.max(max, r.score());
      n++;
    }
    double mean = n == 0 ? Double.NaN : sum / n;
    double squares = 0;
    for (SweepRow r : rows) if (!Double.isNaN(r.score())) squares += Math.pow(r.score() - mean, 2);
    double spread = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
    SweepRow first = rows.getFirst();
    return new Point(
        series,
        x,
        first.distance(),
        mean,
        spread,
        n == 0 ? Double.NaN : min,
        n == 0 ? Double.NaN : max,
        first.baseline(),
        first.params(),
        rows.size(),
        diverged);
  }

  public List<Point> points() {
    return points;
  }

  /** The series in the order they first appear. */
  public List<String> series() {
    return points.stream().map(Point::series).distinct().toList();
  }

  /** The x values, ascending. */
  public List<Double> xs() {
    return new ArrayList<>(new TreeSet<>(points.stream().map(Point::x).toList()));
  }

  public Point at(String series, double x) {
    for (Point p : points) if (p.series().equals(series) && p.x() == x) return p;
    return null;
  }

  /** What {@code p} means beside its baseline. */
  public Verdict verdict(Point p) {
    if (Double.isNaN(p.mean())) return Verdict.DIVERGED;
    if (metric == SyntheticTask.Metric.ACCURACY) {
      if (p.mean() >= LEARNED_ACCURACY) return Verdict.LEARNED;
      if (p.mean() - p.baseline() <= NEAR_BASELINE) return Verdict.NOT_LEARNED;
      return Verdict.PARTLY;
    }
    double ratio = p.mean() / p.baseline();
    if (ratio <= LOSS_LEARNED) return Verdict.LEARNED;
    if (ratio >= LOSS_NOT_LEARNED) return Verdict.NOT_LEARNED;
    return Verdict.PARTLY;
  }

  /** A score as the table prints it: "0.983" for accuracies, "0.0123" for losses. */
  public String score(double v) {
    if (Double.isNaN(v)) return "—";
    return metric == SyntheticTask.Metric.ACCURACY
        ? String.format(Locale.ROOT, "%.3f", v)
        : String.format(Locale.ROOT, "%.4g", v);
  }

  /** A spread: as precise as a score for accuracies, two significant digits for losses. */
  private String spread(double v) {
    return metric == SyntheticTask.Metric.ACCURACY
        ? score(v)
        : new java.math.BigDecimal(String.format(Locale.ROOT, "%.2g", v))
            .stripTrailingZeros()
            .toPlainString();
  }

  /** "0.983 ±0.012" (the spread only with more than one seed). */
  public String cell(Point p) {
    if (Double.isNaN(p.mean())) return "diverged";
    String s = score(p.mean());
    if (p.seeds() - p.diverged() > 1) s += " ±" + spread(p.spread());
    if (p.diverged() > 0) s += " (" + p.diverged() + " diverged)";
    return s;
  }

  /**
   * One sentence per point: "RNN H 96 at distance 40: 0.510 ±0.010, baseline 0.500: it has not
   * learned the dependency."
   */
  public String sentence(Point p, String xName) {
    return String.format(
        Locale.ROOT,
        "%s at %s %s: %s, baseline %s: it %s.",
        p.series(),
        xName,
        number(p.x()),
        cell(p),
        score(p.baseline()),
        verdict(p).words(what));
  }

  /** For each series, the largest x at which it learned the task (NaN if none). */
  public double longestLearned(String series) {
    double best = Double.NaN;
    for (Point p : points) {
      if (p.series().equals(series) && verdict(p) == Verdict.LEARNED) {
        if (Double.isNaN(best) || p.x() > best) best = p.x();
      }
    }
    return best;
  }

  /**
   * The table: one row per series with its parameter count, one column per x.
   *
   * @param xName the x axis in a word or two ("distance")
   */
  public String table(String xName) {
    List<Double> xs = xs();
    List<String> header = new ArrayList<>();
    header.add("model");
    header.add("params");
    for (double x : xs) header.add(xName + " " + number(x));
    List<List<String>> body = new ArrayList<>();
    for (String series : series()) {
      List<String> row = new ArrayList<>();
      row.add(series);
      row.add(parameters(series));
      for (double x : xs) {
        Point p = at(series, x);
        row.add(p == null ? "" : cell(p));
      }
      body.add(row);
    }
    List<String> baselineRow = new ArrayList<>();
    baselineRow.add("baseline");
    baselineRow.add("");
    for (double x : xs) {
      double b = Double.NaN;
      for (Point p : points) if (p.x() == x) b = p.baseline();
      baselineRow.add(score(b));
    }
    body.add(baselineRow);
    return TextTable.render(header, body);
  }

  /**
   * The parameter count of a series: one number, or the range where it varies with x (a
   * Transformer's learned position table grows with the longest sequence).
   */
  public String parameters(String series) {
    long min = Long.MAX_VALUE, max = 0;
    for (Point p : points) {
      if (!p.series().equals(series)) continue;
      min = Math.min(min, p.params());
      max = Math.max(max, p.params());
    }
    return min == max ? count(min) : count(min) + "–" + count(max);
  }

  /** An x value without a needless ".0". */
  public static String number(double x) {
    return x == Math.rint(x) && Math.abs(x) < 1e15
        ? Long.toString((long) x)
        : new java.math.BigDecimal(String.format(Locale.ROOT, "%.6g", x))
            .stripTrailingZeros()
            .toPlainString();
  }

  /** "12.3k" parameters. */
  public static String count(long n) {
    if (n >= 1_000_000) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    if (n >= 10_000) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
    return Long.toString(n);
  }
}
