package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.train.TrainingResult;

/**
 * The rows of a sweep gathered into points: for each series and x, how many seeds solved the task
 * (with a 95% Wilson interval for that share), the median score, the steps the solving runs took to
 * the goal, how many ran out of steps unsolved, and what that means, in words. The command line's
 * table and the web lab's chart both come from here.
 *
 * <p><b>When a run has solved a task.</b> A run solves its cell when its final score reaches the
 * learned threshold: an accuracy of at least {@link #LEARNED_ACCURACY}, or a loss of at most {@link
 * #LOSS_LEARNED} times the trivial baseline's. A run that diverged has not solved it. The verdicts
 * come from those counts, never from a mean: two seeds at 1.0 and one at 0.5 are "2 of 3 seeds
 * solved", not a mean of 0.83 "partly learned".
 */
public final class Summary {

  /**
   * One point of a curve: every seed of one series at one x.
   *
   * @param mean the mean score over the seeds that did not diverge (NaN if all diverged)
   * @param spread the standard deviation over those seeds (0 for one seed)
   * @param min the lowest score
   * @param max the highest score
   * @param median the median score over the seeds that did not diverge (NaN if all diverged)
   * @param seeds how many seeds finished
   * @param diverged how many of them diverged
   * @param solved how many of them solved the task ({@link #solves})
   * @param stepsToGoal the median steps of the solving runs that stopped at their goal (NaN if
   *     none)
   * @param capped how many runs used every step of their budget without solving
   * @param plateaued how many runs stopped unsolved because their validation curve was flat ({@link
   *     Budget}'s plateau rule): they did not use every step, and more steps might not have helped
   * @param budget the most steps any of the runs took (the step limit, where one ran out)
   * @param cappedLateChange the median {@link SweepRow#lateChange} of the capped runs: how far
   *     their validation score still moved over their last {@link Budget#FLAT_SHARE} of steps (NaN
   *     where no capped run's curve is known)
   */
  public record Point(
      String series,
      double x,
      int distance,
      double mean,
      double spread,
      double min,
      double max,
      double median,
      double baseline,
      long params,
      int seeds,
      int diverged,
      int solved,
      double stepsToGoal,
      int capped,
      int plateaued,
      long budget,
      double cappedLateChange) {

    /** The 95% Wilson interval for the share of seeds that solve this point. */
    public Wilson interval() {
      return Wilson.of(solved, seeds);
    }
  }

  /** What the seeds of a point did, from their counts. */
  public enum Verdict {
    /** Every seed solved it, and the interval's lower bound is at least one half. */
    SOLVED,
    /** Some seeds solved it; or all did, but too few for the lower bound to reach one half. */
    SOME,
    /** No seed solved it. */
    NOT_SOLVED,
    /** Every seed diverged. */
    DIVERGED
  }

  /** A share of solving seeds whose interval starts at least here is "solved". */
  public static final double SOLVED_LOWER_BOUND = 0.5;

  /** An accuracy of at least this is "learned". */
  public static final double LEARNED_ACCURACY = 0.9;

  /**
   * An unsolved cell whose median accuracy is more than this above the baseline's has learned part
   * of the task: its words say so rather than "no seed learned".
   */
  public static final double NEAR_BASELINE = 0.1;

  /** A loss at most this share of the baseline's is "learned". */
  public static final double LOSS_LEARNED = 0.1;

  /**
   * An unsolved cell whose median loss is below this share of the baseline's has learned part of
   * the task: its words say so rather than "no seed learned".
   */
  public static final double LOSS_NOT_LEARNED = 0.9;

  private final SyntheticTask.Metric metric;
  private final String what;
  private final List<Point> points;
  private final List<SweepRow> rows;
  private final Map<String, String> models = new LinkedHashMap<>();

  public Summary(SyntheticTask.Metric metric, List<SweepRow> rows) {
    this(metric, rows, "the dependency");
  }

  /**
   * @param what what a model learns, in the sentences: "the dependency", "to recall the pairs"
   */
  public Summary(SyntheticTask.Metric metric, List<SweepRow> rows, String what) {
    this.metric = metric;
    this.what = what;
    this.rows = List.copyOf(rows);
    Map<String, Map<Double, List<SweepRow>>> grouped = new LinkedHashMap<>();
    for (SweepRow r : rows) {
      models.putIfAbsent(r.series(), r.model());
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

  /**
   * Whether a run with this final score solved its task: an accuracy of at least {@link
   * #LEARNED_ACCURACY}, or a loss of at most {@link #LOSS_LEARNED} times the baseline's. A NaN
   * score (a diverged run) never has.
   */
  public static boolean solves(SyntheticTask.Metric metric, double score, double baseline) {
    if (Double.isNaN(score)) return false;
    return metric == SyntheticTask.Metric.ACCURACY
        ? score >= LEARNED_ACCURACY
        : score <= LOSS_LEARNED * baseline;
  }

  private Point point(String series, double x, List<SweepRow> rows) {
    double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    int n = 0, diverged = 0, solved = 0, capped = 0, plateaued = 0;
    long budget = 0;
    List<Double> scores = new ArrayList<>();
    List<Double> toGoal = new ArrayList<>();
    List<Double> lateChanges = new ArrayList<>();
    for (SweepRow r : rows) {
      budget = Math.max(budget, r.steps());
      boolean solves = solves(metric, r.score(), r.baseline());
      if (solves) solved++;
      if (solves && r.stop().equals(TrainingResult.Stop.GOAL_REACHED.words())) {
        toGoal.add((double) r.steps());
      }
      if (!solves && r.stop().equals(TrainingResult.Stop.MAX_STEPS.words())) {
        capped++;
        if (r.lateChange() != null) lateChanges.add(r.lateChange());
      }
      if (!solves && plateaued(r.stop())) plateaued++;
      if (Double.isNaN(r.score())) {
        diverged++;
        continue;
      }
      sum += r.score();
      min = Math.min(min, r.score());
      max = Math.max(max, r.score());
      scores.add(r.score());
      n++;
    }
    double mean = n == 0 ? Double.NaN : sum / n;
    double squares = 0;
    for (double v : scores) squares += Math.pow(v - mean, 2);
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
        median(scores),
        first.baseline(),
        first.params(),
        rows.size(),
        diverged,
        solved,
        median(toGoal),
        capped,
        plateaued,
        budget,
        median(lateChanges));
  }

  /**
   * Whether a run's stop says its curve went flat ("plateaued"; older results: "stopped early").
   */
  static boolean plateaued(String stop) {
    return stop.equals(TrainingResult.Stop.EARLY_STOP.words()) || stop.startsWith("stopped early");
  }

  /** The model kind of a series ({@code rnn}, {@code lstm}, ...), or null if none is known. */
  public String model(String series) {
    return models.get(series);
  }

  /** The middle value, or the mean of the two middle values; NaN for none. */
  static double median(List<Double> values) {
    if (values.isEmpty()) return Double.NaN;
    List<Double> sorted = values.stream().sorted().toList();
    int m = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
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

  /**
   * What the seeds of {@code p} did: {@link Verdict#SOLVED} if every seed solved it and the Wilson
   * interval's lower bound is at least {@link #SOLVED_LOWER_BOUND}, {@link Verdict#NOT_SOLVED} if
   * none did, {@link Verdict#SOME} otherwise (3 of 3 seeds is still "3 of 3": its interval starts
   * at 0.44).
   */
  public Verdict verdict(Point p) {
    if (p.diverged() == p.seeds()) return Verdict.DIVERGED;
    if (p.solved() == 0) return Verdict.NOT_SOLVED;
    if (p.solved() == p.seeds() && p.interval().lower() >= SOLVED_LOWER_BOUND) {
      return Verdict.SOLVED;
    }
    return Verdict.SOME;
  }

  /**
   * The verdict in words: "solved: every seed learned the dependency", "2 of 3 seeds solved
   * (learned the dependency)", "not solved within 3000 steps: no seed learned the dependency" (when
   * every seed used all its steps, which says the budget ran out, not that the model cannot).
   */
  public String verdictWords(Point p) {
    return switch (verdict(p)) {
      case DIVERGED -> "every seed diverged";
      case SOLVED -> "solved: every seed learned " + what;
      case SOME ->
          String.format(
              Locale.ROOT, "%d of %d seeds solved (learned %s)", p.solved(), p.seeds(), what);
      case NOT_SOLVED ->
          partlyLearned(p)
              ? partlyLearnedWords(p)
              : p.capped() == p.seeds()
                  ? String.format(
                      Locale.ROOT,
                      "not solved within %d steps: no seed learned %s",
                      p.budget(),
                      what)
                  : p.plateaued() > 0 && p.capped() + p.plateaued() == p.seeds()
                      ? String.format(
                          Locale.ROOT, "not solved: no seed learned %s (%s)", what, stoppedWords(p))
                      : "not solved: no seed learned " + what;
    };
  }

  /**
   * Whether an unsolved cell's median is clearly better than the baseline: an accuracy more than
   * {@link #NEAR_BASELINE} above it, or a loss below {@link #LOSS_NOT_LEARNED} of it.
   */
  boolean partlyLearned(Point p) {
    if (Double.isNaN(p.median())) return false;
    return metric == SyntheticTask.Metric.ACCURACY
        ? p.median() > p.baseline() + NEAR_BASELINE
        : p.median() < LOSS_NOT_LEARNED * p.baseline();
  }

  /**
   * "not solved within 2000 steps: no seed reached the goal, though the median beats the baseline
   * (partly learned)": an unsolved cell that learned part of the task. The sentences around it give
   * the median and the baseline.
   */
  private String partlyLearnedWords(Point p) {
    boolean allCapped = p.capped() == p.seeds();
    String stopped = allCapped ? "" : stoppedWords(p);
    return String.format(
        Locale.ROOT,
        "not solved%s: no seed reached the goal, though the median beats the baseline (partly"
            + " learned%s)",
        allCapped ? " within " + p.budget() + " steps" : "",
        stopped.isEmpty() ? "" : "; " + stopped);
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

  /**
   * "4/5 solved [0.38, 0.96], median 0.983": the seeds that solved, the 95% Wilson interval for
   * that share, and the median score; "(1 diverged)" after it where some diverged.
   */
  public String cell(Point p) {
    if (p.diverged() == p.seeds()) return "diverged";
    Wilson w = p.interval();
    String s =
        String.format(
            Locale.ROOT,
            "%d/%d solved [%.2f, %.2f], median %s",
            p.solved(),
            p.seeds(),
            w.lower(),
            w.upper(),
            score(p.median()));
    if (p.diverged() > 0) s += " (" + p.diverged() + " diverged)";
    return s;
  }

  /** "0.983 ±0.012" (the spread only with more than one seed): the mean, for losses compared. */
  public String meanCell(Point p) {
    if (Double.isNaN(p.mean())) return "diverged";
    String s = score(p.mean());
    if (p.seeds() - p.diverged() > 1) s += " ±" + spread(p.spread());
    if (p.diverged() > 0) s += " (" + p.diverged() + " diverged)";
    return s;
  }

  /**
   * "450 steps, 1 capped": the median steps to the goal of the solving runs that stopped there, and
   * how many runs used every step without solving; "—" where neither.
   */
  public String stepsCell(Point p) {
    String steps = Double.isNaN(p.stepsToGoal()) ? "—" : number(p.stepsToGoal()) + " steps";
    if (p.capped() > 0) steps += ", " + p.capped() + " capped";
    if (p.capped() > 0 && !Double.isNaN(p.cappedLateChange())) {
      steps += " (" + change(p.cappedLateChange()) + ")";
    }
    if (p.plateaued() > 0) steps += ", " + p.plateaued() + " plateaued";
    return steps;
  }

  /** A change of a score, signed, at the precision of the scores: "+0.012", "-0.004". */
  String change(double delta) {
    String magnitude = score(Math.abs(delta));
    return (delta < 0 && Double.parseDouble(magnitude) != 0 ? "-" : "+") + magnitude;
  }

  /**
   * How the unsolved runs stopped: "2 capped at 300 steps, 1 plateaued": a capped run ran out of
   * steps, a plateaued one stopped on a flat curve; neither alone says the architecture cannot.
   */
  public String stoppedWords(Point p) {
    List<String> parts = new ArrayList<>();
    if (p.capped() > 0) parts.add(p.capped() + " capped at " + p.budget() + " steps");
    if (p.plateaued() > 0) parts.add(p.plateaued() + " plateaued");
    return String.join(", ", parts);
  }

  /**
   * One sentence per point: "RNN H 96 at distance 40: 0/3 solved [0.00, 0.56], median 0.510,
   * baseline 0.500: not solved within 3000 steps: no seed learned the dependency."
   */
  public String sentence(Point p, String xName) {
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s at %s %s: %s, baseline %s: %s",
                p.series(),
                xName,
                number(p.x()),
                cell(p),
                score(p.baseline()),
                verdictWords(p)));
    if (!Double.isNaN(p.stepsToGoal())) {
      s.append(", a median ").append(number(p.stepsToGoal())).append(" steps to the goal");
    }
    if (p.capped() > 0 && verdict(p) != Verdict.NOT_SOLVED) {
      s.append(
          String.format(
              Locale.ROOT, "; %d used all %d steps without solving", p.capped(), p.budget()));
    }
    if (p.plateaued() > 0 && verdict(p) != Verdict.NOT_SOLVED) {
      s.append(
          String.format(
              Locale.ROOT,
              "; %d plateaued (stopped on a flat curve) without solving",
              p.plateaued()));
    }
    if (p.capped() > 0 && !Double.isNaN(p.cappedLateChange())) {
      // whether the capped runs had converged, or were still learning when the cap stopped them
      s.append(
          String.format(
              Locale.ROOT,
              "; over the last %d steps the capped runs' score moved by a median %s",
              Math.round(Budget.FLAT_SHARE * p.budget()),
              change(p.cappedLateChange())));
    }
    return s.append('.').toString();
  }

  /**
   * How many seeds of {@code series} at {@code x} scored at least {@code score} (an accuracy); a
   * diverged seed did not.
   */
  public int reached(String series, double x, double score) {
    int n = 0;
    for (SweepRow r : rows) {
      if (r.series().equals(series) && r.x() == x && r.score() >= score) n++;
    }
    return n;
  }

  /** For each series, the largest x at which every seed solved the task (NaN if none). */
  public double longestSolvedByAll(String series) {
    double best = Double.NaN;
    for (Point p : points) {
      if (p.series().equals(series) && p.solved() == p.seeds()) {
        if (Double.isNaN(best) || p.x() > best) best = p.x();
      }
    }
    return best;
  }

  /**
   * What one series did across the sweep, from the counts: "LSTM: every seed solved it up to
   * distance 10; then 1/3 at 20, 0/3 at 40." "RNN: no seed solved it at any distance tried, within
   * 300 steps."
   */
  public String finding(String series, String xName) {
    List<Point> mine = points.stream().filter(p -> p.series().equals(series)).toList();
    boolean anySolved = mine.stream().anyMatch(p -> p.solved() > 0);
    boolean allCapped = mine.stream().allMatch(p -> p.capped() == p.seeds());
    int capped = mine.stream().mapToInt(Point::capped).sum();
    int plateaued = mine.stream().mapToInt(Point::plateaued).sum();
    int runs = mine.stream().mapToInt(Point::seeds).sum();
    if (!anySolved) {
      return String.format(
          Locale.ROOT,
          "%s: no seed solved it at any %s tried%s.",
          series,
          xName,
          allCapped
              ? String.format(Locale.ROOT, ", within %d steps", mine.getFirst().budget())
              : plateaued > 0 && capped + plateaued == runs
                  ? " ("
                      // a capped run used every step, so the most steps of a point is the cap
                      + (capped > 0
                          ? String.format(
                              Locale.ROOT,
                              "%d capped at %d steps, ",
                              capped,
                              mine.stream().mapToLong(Point::budget).max().orElse(0))
                          : "")
                      + plateaued
                      + " plateaued)"
                  : "");
    }
    int prefix = 0;
    while (prefix < mine.size() && mine.get(prefix).solved() == mine.get(prefix).seeds()) prefix++;
    if (prefix == mine.size()) {
      return String.format(
          Locale.ROOT,
          "%s: every seed solved it at every %s tried (up to %s).",
          series,
          xName,
          number(mine.getLast().x()));
    }
    List<String> rest = new ArrayList<>();
    for (Point p : mine.subList(prefix, mine.size())) {
      rest.add(
          String.format(
              Locale.ROOT,
              "%d/%d at %s%s",
              p.solved(),
              p.seeds(),
              number(p.x()),
              p.solved() == 0 && p.capped() == p.seeds()
                  ? " (all capped at " + p.budget() + " steps)"
                  : p.solved() == 0 && p.plateaued() > 0 && p.capped() + p.plateaued() == p.seeds()
                      ? " (" + stoppedWords(p) + ")"
                      : ""));
    }
    return prefix == 0
        ? String.format(
            Locale.ROOT,
            "%s: seeds that solved it, by %s: %s.",
            series,
            xName,
            String.join(", ", rest))
        : String.format(
            Locale.ROOT,
            "%s: every seed solved it up to %s %s; then %s.",
            series,
            xName,
            number(mine.get(prefix - 1).x()),
            String.join(", ", rest));
  }

  /**
   * The table: one row per series with its parameter count, one column per x, each cell the seeds
   * that solved with their interval and the median score ({@link #cell}); the baseline under it.
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
   * The steps table: per series and x, the median steps to the goal of the runs that solved and
   * stopped there, and how many runs were capped ({@link #stepsCell}).
   */
  public String stepsTable(String xName) {
    List<Double> xs = xs();
    List<String> header = new ArrayList<>();
    header.add("model");
    for (double x : xs) header.add(xName + " " + number(x));
    List<List<String>> body = new ArrayList<>();
    for (String series : series()) {
      List<String> row = new ArrayList<>();
      row.add(series);
      for (double x : xs) {
        Point p = at(series, x);
        row.add(p == null ? "" : stepsCell(p));
      }
      body.add(row);
    }
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
    // a range only where it shows: 11,985 and 12,040 are both "12.0k"
    return count(min).equals(count(max)) ? count(min) : count(min) + "–" + count(max);
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
