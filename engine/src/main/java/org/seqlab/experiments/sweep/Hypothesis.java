package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a finished sweep says about its experiment's hypothesis ({@link Experiment#claim}), computed
 * from the {@link Summary}'s counts: the last line of a report.
 *
 * <p><b>The comparison.</b> "A weak model solves less than a strong one at the hard settings" is
 * <i>confirmed</i> at an x where the weak series' 95% Wilson interval for its share of solving
 * seeds lies wholly below a strong series' interval; <i>not confirmed</i> where the weak series
 * solved at least the share of every strong series at every x tried (or there is nothing to
 * compare); <i>inconclusive</i> where it solved less somewhere but the intervals overlap: too few
 * seeds to tell.
 *
 * @param outcome confirmed, not confirmed, inconclusive or untested
 * @param words the line, starting with the outcome: "confirmed: ..."
 */
public record Hypothesis(Outcome outcome, String words) {

  /** What the counts say about a hypothesis. */
  public enum Outcome {
    CONFIRMED("confirmed"),
    NOT_CONFIRMED("not confirmed at these settings"),
    INCONCLUSIVE("inconclusive"),
    UNTESTED("untested");

    private final String words;

    Outcome(String words) {
      this.words = words;
    }

    public String words() {
      return words;
    }
  }

  public Hypothesis {
    if (!words.startsWith(outcome.words() + ":")) {
      throw new IllegalArgumentException("the words must start with \"" + outcome.words() + ":\"");
    }
  }

  /** Not confirmed, for {@code why}: "the runs hold no Transformer to compare". */
  public static Hypothesis notConfirmed(String why) {
    return new Hypothesis(Outcome.NOT_CONFIRMED, Outcome.NOT_CONFIRMED.words() + ": " + why);
  }

  /** An experiment with no check written for its hypothesis. */
  public static Hypothesis untested() {
    return new Hypothesis(
        Outcome.UNTESTED, "untested: no check from the counts is written for this hypothesis");
  }

  /**
   * Whether the series of the {@code weak} model kinds solve a smaller share of seeds than those of
   * the {@code strong} kinds: confirmed from the first x where some weak interval lies below some
   * strong interval; see the class comment for the three outcomes.
   */
  public static Hypothesis solvesLess(
      Summary summary, String xName, Set<String> weak, Set<String> strong) {
    List<String> weakSeries = new ArrayList<>(), strongSeries = new ArrayList<>();
    for (String series : summary.series()) {
      if (weak.contains(summary.model(series))) weakSeries.add(series);
      if (strong.contains(summary.model(series))) strongSeries.add(series);
    }
    if (weakSeries.isEmpty() || strongSeries.isEmpty()) {
      return new Hypothesis(
          Outcome.NOT_CONFIRMED,
          "not confirmed at these settings: the sweep has no "
              + (weakSeries.isEmpty() ? String.join("/", weak) : String.join("/", strong))
              + " series to compare");
    }
    Summary.Point separated = null, separatedFrom = null, lower = null, lowerFrom = null;
    for (double x : summary.xs()) {
      for (String w : weakSeries) {
        Summary.Point pw = summary.at(w, x);
        if (pw == null) continue;
        for (String st : strongSeries) {
          Summary.Point ps = summary.at(st, x);
          if (ps == null) continue;
          if (pw.interval().upper() < ps.interval().lower() && separated == null) {
            separated = pw;
            separatedFrom = ps;
          }
          if (share(pw) < share(ps) && lower == null) {
            lower = pw;
            lowerFrom = ps;
          }
        }
      }
    }
    if (separated != null) {
      return new Hypothesis(
          Outcome.CONFIRMED,
          String.format(
              Locale.ROOT,
              "confirmed: the %s's solved share falls below the %s's at %s %s (%s vs %s, 95%%"
                  + " intervals apart)",
              separated.series(),
              separatedFrom.series(),
              xName,
              Summary.number(separated.x()),
              counts(separated),
              counts(separatedFrom)));
    }
    if (lower != null) {
      return new Hypothesis(
          Outcome.INCONCLUSIVE,
          String.format(
              Locale.ROOT,
              "inconclusive: too few seeds: at %s %s the %s solved %s and the %s %s; the intervals"
                  + " overlap",
              xName,
              Summary.number(lower.x()),
              lower.series(),
              counts(lower),
              lowerFrom.series(),
              counts(lowerFrom)));
    }
    Summary.Point last = summary.at(weakSeries.getFirst(), summary.xs().getLast());
    String stopped = last == null ? "" : summary.stoppedWords(last);
    return new Hypothesis(
        Outcome.NOT_CONFIRMED,
        String.format(
            Locale.ROOT,
            "not confirmed at these settings: the %s solved at least the share of seeds of %s at"
                + " every %s tried (up to %s, within %d steps%s)",
            String.join(", ", weakSeries),
            String.join(", ", strongSeries),
            xName,
            Summary.number(summary.xs().getLast()),
            last == null ? 0 : last.budget(),
            stopped.isEmpty() ? "" : "; " + stopped));
  }

  /**
   * How many seeds of a group did something ("solved", "diverged"), for {@link #smallerShare}.
   *
   * @param name the group in words: "forget bias 0", "clipped at 1"
   * @param count the seeds that did
   * @param of the seeds
   */
  public record Share(String name, int count, int of) {

    Wilson interval() {
      return Wilson.of(count, of);
    }

    /** "forget bias 0: 0/5 [0.00, 0.43]". */
    String words() {
      Wilson w = interval();
      return String.format(
          Locale.ROOT, "%s %d/%d [%.2f, %.2f]", name, count, of, w.lower(), w.upper());
    }

    double share() {
      return of == 0 ? 0 : (double) count / of;
    }
  }

  /**
   * Whether some group of {@code lower} did {@code what} in a smaller share of its seeds than some
   * group of {@code higher}: confirmed at the first pair whose 95% Wilson intervals lie apart,
   * inconclusive where a share is smaller but the intervals overlap, not confirmed where no share
   * of {@code lower} is below one of {@code higher}.
   *
   * @param what what was counted, in words: "seeds that learned the agreement"
   */
  public static Hypothesis smallerShare(String what, List<Share> lower, List<Share> higher) {
    Share[] apart = null, below = null;
    for (Share l : lower) {
      for (Share h : higher) {
        if (l.of() == 0 || h.of() == 0) continue;
        if (apart == null && l.interval().upper() < h.interval().lower()) {
          apart = new Share[] {l, h};
        }
        if (below == null && l.share() < h.share()) below = new Share[] {l, h};
      }
    }
    if (apart != null) {
      return new Hypothesis(
          Outcome.CONFIRMED,
          String.format(
              Locale.ROOT,
              "confirmed: %s: %s, below %s; the 95%% intervals lie apart",
              what,
              apart[0].words(),
              apart[1].words()));
    }
    if (below != null) {
      return new Hypothesis(
          Outcome.INCONCLUSIVE,
          String.format(
              Locale.ROOT,
              "inconclusive: too few seeds: %s: %s, below %s, but the intervals overlap",
              what,
              below[0].words(),
              below[1].words()));
    }
    return new Hypothesis(
        Outcome.NOT_CONFIRMED,
        String.format(
            Locale.ROOT,
            "not confirmed at these settings: %s: %s, none below %s",
            what,
            String.join(", ", lower.stream().map(Share::words).toList()),
            String.join(", ", higher.stream().map(Share::words).toList())));
  }

  /**
   * Whether every final loss of {@code better} lies below every one of {@code worse}: confirmed
   * when the ranges part that way, not confirmed when they part the other way, inconclusive when
   * they overlap. Ranges apart on n and m seeds are what an exact Mann–Whitney test calls
   * significant at p = 2 / C(n+m, n), given in the words.
   *
   * @param better the point expected lower
   * @param worse the other point
   */
  public static Hypothesis lowerLoss(Summary.Point better, Summary.Point worse) {
    int n = better.seeds() - better.diverged(), m = worse.seeds() - worse.diverged();
    if (n == 0 || m == 0) {
      return new Hypothesis(
          Outcome.NOT_CONFIRMED,
          "not confirmed at these settings: every seed of "
              + (n == 0 ? better.series() : worse.series())
              + " diverged");
    }
    String ranges =
        String.format(
            Locale.ROOT,
            "%s %.3f–%.3f (median %.3f, %d seeds), %s %.3f–%.3f (median %.3f, %d seeds)",
            better.series(),
            better.min(),
            better.max(),
            better.median(),
            n,
            worse.series(),
            worse.min(),
            worse.max(),
            worse.median(),
            m);
    double p = 2 / binomial(n + m, n);
    if (better.max() < worse.min()) {
      return new Hypothesis(
          Outcome.CONFIRMED,
          String.format(
              Locale.ROOT,
              "confirmed: every seed's loss lower: %s; ranges apart (exact Mann–Whitney p = %.2g)",
              ranges,
              p));
    }
    if (worse.max() < better.min()) {
      return new Hypothesis(
          Outcome.NOT_CONFIRMED,
          String.format(
              Locale.ROOT,
              "not confirmed at these settings: every seed's loss higher: %s (p = %.2g)",
              ranges,
              p));
    }
    return new Hypothesis(
        Outcome.INCONCLUSIVE,
        String.format(Locale.ROOT, "inconclusive: the ranges overlap: %s", ranges));
  }

  /** C(n, k) as a double. */
  static double binomial(int n, int k) {
    double c = 1;
    for (int i = 1; i <= k; i++) c = c * (n - k + i) / i;
    return c;
  }

  private static double share(Summary.Point p) {
    return (double) p.solved() / p.seeds();
  }

  /** "0/3 [0.00, 0.56]". */
  private static String counts(Summary.Point p) {
    Wilson w = p.interval();
    return String.format(
        Locale.ROOT, "%d/%d [%.2f, %.2f]", p.solved(), p.seeds(), w.lower(), w.upper());
  }
}
