package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.seqlab.tasks.SyntheticTask;

class SummaryTest {

  static SweepRow row(String series, double x, int seed, double score, double baseline) {
    return new SweepRow(
        series + x + seed,
        series,
        "rnn",
        (int) x,
        x,
        score,
        baseline,
        1234,
        seed,
        100,
        1.0,
        "finished",
        0,
        "",
        0.5,
        1000,
        java.util.Map.of(),
        "localhost",
        null);
  }

  static SweepRow row(
      String series, double x, int seed, double score, double baseline, long steps, String stop) {
    SweepRow r = row(series, x, seed, score, baseline);
    return new SweepRow(
        r.run(),
        r.series(),
        r.model(),
        r.distance(),
        r.x(),
        r.score(),
        r.baseline(),
        r.params(),
        r.seed(),
        steps,
        r.seconds(),
        stop,
        r.divergedAtStep(),
        r.divergence(),
        r.loss(),
        r.tokensPerSecond(),
        r.grid(),
        r.host(),
        null);
  }

  @Test
  void meanSpreadAndVerdictsOfAccuracies() {
    Summary s =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("RNN H 8", 40, 0, 0.52, 0.5),
                row("RNN H 8", 40, 1, 0.50, 0.5),
                row("RNN H 8", 5, 0, 0.97, 0.5),
                row("LSTM H 4", 40, 0, 0.96, 0.5),
                row("LSTM H 4", 40, 1, 0.86, 0.5)));
    Summary.Point rnn40 = s.at("RNN H 8", 40);
    // the mean and spread stay on the point for the code that reads them
    assertEquals(0.51, rnn40.mean(), 1e-12);
    assertEquals(Math.sqrt(0.0002), rnn40.spread(), 1e-12);
    assertEquals(0.51, rnn40.median(), 1e-12);
    assertEquals(Summary.Verdict.NOT_SOLVED, s.verdict(rnn40));
    // one seed that solved is one of one, not "solved": its interval starts at 0.21
    assertEquals(Summary.Verdict.SOME, s.verdict(s.at("RNN H 8", 5)));
    // a mean of 0.91 is not a verdict: one seed of two reached 0.9
    assertEquals(1, s.at("LSTM H 4", 40).solved());
    assertEquals(Summary.Verdict.SOME, s.verdict(s.at("LSTM H 4", 40)));
    assertEquals(
        "RNN H 8 at distance 40: 0/2 solved [0.00, 0.66], median 0.510, baseline 0.500:"
            + " not solved within 100 steps: no seed learned the dependency.",
        s.sentence(rnn40, "distance"));
    assertEquals(5.0, s.longestSolvedByAll("RNN H 8"));
    Summary recall =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(row("LSTM", 8, 0, 0.2, 0.125)),
            "to recall the pairs");
    assertEquals(
        "LSTM at k 8: 0/1 solved [0.00, 0.79], median 0.200, baseline 0.125:"
            + " not solved within 100 steps: no seed learned to recall the pairs.",
        recall.sentence(recall.at("LSTM", 8), "k"));
    assertEquals(Double.NaN, s.longestSolvedByAll("LSTM H 4"));
    String table = s.table("distance");
    assertTrue(table.contains("distance 5") && table.contains("distance 40"), table);
    assertTrue(
        table
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("LSTM H 4")
                        && l.contains("1/2 solved [0.09, 0.91], median 0.910")),
        table);
    assertTrue(table.lines().anyMatch(l -> l.startsWith("baseline") && l.contains("0.500")), table);
    assertEquals("0.910 ±0.071", s.meanCell(s.at("LSTM H 4", 40)));
  }

  @Test
  void bimodalSeedsAreCountedNotAveraged() {
    // two seeds at 1.0 and a constant predictor: a mean of 0.833 would read "partly learned"
    Summary s =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("LSTM", 20, 0, 1.0, 0.5, 400, "goal reached"),
                row("LSTM", 20, 1, 1.0, 0.5, 600, "goal reached"),
                row("LSTM", 20, 2, 0.5, 0.5, 3000, "finished")));
    Summary.Point p = s.at("LSTM", 20);
    assertEquals(2, p.solved());
    assertEquals(1.0, p.median());
    assertEquals(500.0, p.stepsToGoal(), "the median of 400 and 600");
    assertEquals(1, p.capped());
    assertEquals(Summary.Verdict.SOME, s.verdict(p));
    assertEquals("2/3 solved [0.21, 0.94], median 1.000", s.cell(p));
    assertEquals("500 steps, 1 capped", s.stepsCell(p));
    assertEquals(
        "LSTM at distance 20: 2/3 solved [0.21, 0.94], median 1.000, baseline 0.500:"
            + " 2 of 3 seeds solved (learned the dependency), a median 500 steps to the goal;"
            + " 1 used all 3000 steps without solving.",
        s.sentence(p, "distance"));
    assertTrue(!s.sentence(p, "distance").contains("partly"));
    assertEquals(
        "LSTM: seeds that solved it, by distance: 2/3 at 20.", s.finding("LSTM", "distance"));
  }

  @Test
  void solvedNeedsEverySeedAndALowerBoundOfOneHalf() {
    List<SweepRow> rows = new java.util.ArrayList<>();
    for (int seed = 0; seed < 5; seed++) {
      rows.add(row("GRU", 5, seed, 0.99, 0.5, 100 + 100 * seed, "goal reached"));
      rows.add(row("GRU", 10, seed, seed == 0 ? 0.6 : 0.99, 0.5, 200, "goal reached"));
      rows.add(row("GRU", 40, seed, 0.99, 0.5, 300, seed < 3 ? "goal reached" : "finished"));
    }
    Summary s = new Summary(SyntheticTask.Metric.ACCURACY, rows);
    // 5/5: [0.57, 1]
    assertEquals(Summary.Verdict.SOLVED, s.verdict(s.at("GRU", 5)));
    assertEquals(300.0, s.at("GRU", 5).stepsToGoal());
    assertEquals(
        "GRU at distance 5: 5/5 solved [0.57, 1.00], median 0.990, baseline 0.500:"
            + " solved: every seed learned the dependency, a median 300 steps to the goal.",
        s.sentence(s.at("GRU", 5), "distance"));
    // 4/5: [0.38, 0.96]
    assertEquals(Summary.Verdict.SOME, s.verdict(s.at("GRU", 10)));
    assertEquals("4/5 solved [0.38, 0.96], median 0.990", s.cell(s.at("GRU", 10)));
    // solved without stopping at the goal: counted, but not among the steps to the goal
    assertEquals(5, s.at("GRU", 40).solved());
    assertEquals(300.0, s.at("GRU", 40).stepsToGoal());
    assertEquals(0, s.at("GRU", 40).capped());
    assertEquals(
        "GRU: every seed solved it up to distance 5; then 4/5 at 10, 5/5 at 40.",
        s.finding("GRU", "distance"));
  }

  @Test
  void anUnsolvedCellFarBelowTheBaselineIsPartlyLearnedNotUnlearned() {
    // copy at delay 5: every seed capped at 2000 steps with a loss well under the baseline's
    Summary loss =
        new Summary(
            SyntheticTask.Metric.LOSS,
            List.of(
                row("LSTM", 5, 0, 0.31, 0.83, 2000, "finished"),
                row("LSTM", 5, 1, 0.32, 0.83, 2000, "finished"),
                row("LSTM", 10, 0, 0.55, 0.69, 1000, "plateaued"),
                row("LSTM", 10, 1, 0.60, 0.69, 2000, "finished"),
                row("RNN", 5, 0, 0.80, 0.83, 1000, "plateaued")));
    assertEquals(
        "not solved within 2000 steps: no seed reached the goal, though the median beats the"
            + " baseline (partly learned)",
        loss.verdictWords(loss.at("LSTM", 5)));
    // 0.575 < 0.9 × 0.69: partly learned, and how the runs stopped is said
    assertEquals(
        "not solved: no seed reached the goal, though the median beats the baseline (partly"
            + " learned; 1 capped at 2000 steps, 1 plateaued)",
        loss.verdictWords(loss.at("LSTM", 10)));
    // 0.80 is above 0.9 × 0.83: at the baseline, not learned
    assertEquals(
        "not solved: no seed learned the dependency (1 plateaued)",
        loss.verdictWords(loss.at("RNN", 5)));

    Summary accuracy =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("LSTM", 8, 0, 0.36, 0.016, 3000, "finished"),
                row("GRU", 8, 0, 0.11, 0.016, 3000, "finished")));
    assertTrue(accuracy.verdictWords(accuracy.at("LSTM", 8)).contains("(partly learned)"));
    // 0.11 is within 0.1 of the baseline's 0.016
    assertEquals(
        "not solved within 3000 steps: no seed learned the dependency",
        accuracy.verdictWords(accuracy.at("GRU", 8)));
  }

  @Test
  void everyRunCappedSaysTheBudgetRanOut() {
    Summary s =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("RNN", 100, 0, 0.55, 0.5, 300, "finished"),
                row("RNN", 100, 1, 0.51, 0.5, 300, "finished"),
                row("RNN", 100, 2, 0.5, 0.5, 300, "finished"),
                row("RNN", 200, 0, 0.5, 0.5, 120, "plateaued")));
    Summary.Point p = s.at("RNN", 100);
    assertEquals(3, p.capped());
    assertEquals(Double.NaN, p.stepsToGoal());
    assertEquals("—, 3 capped", s.stepsCell(p));
    assertEquals("not solved within 300 steps: no seed learned the dependency", s.verdictWords(p));
    // plateaued is not capped: the curve went flat before the budget ran out, and the words say so
    assertEquals(0, p.plateaued());
    assertEquals(1, s.at("RNN", 200).plateaued());
    assertEquals(0, s.at("RNN", 200).capped());
    assertEquals(
        "not solved: no seed learned the dependency (1 plateaued)",
        s.verdictWords(s.at("RNN", 200)));
    assertEquals("—, 1 plateaued", s.stepsCell(s.at("RNN", 200)));
    assertEquals(
        "RNN: no seed solved it at any distance tried (3 capped at 300 steps, 1 plateaued).",
        s.finding("RNN", "distance"));
    // every run plateaued: no "0 capped", and no cap read off a plateaued run's steps
    Summary flat =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("RNN", 100, 0, 0.5, 0.5, 1400, "plateaued"),
                row("RNN", 200, 0, 0.5, 0.5, 1200, "plateaued")));
    assertEquals(
        "RNN: no seed solved it at any distance tried (2 plateaued).",
        flat.finding("RNN", "distance"));
    // a result.json written before the word "plateaued" still counts
    Summary older =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("RNN", 100, 0, 0.5, 0.5, 120, "stopped early (validation stopped improving)")));
    assertEquals(1, older.at("RNN", 100).plateaued());
    Summary capped =
        new Summary(
            SyntheticTask.Metric.ACCURACY, List.of(row("RNN", 100, 0, 0.5, 0.5, 300, "finished")));
    assertEquals(
        "RNN: no seed solved it at any distance tried, within 300 steps.",
        capped.finding("RNN", "distance"));
  }

  /**
   * A capped run's curve says whether it had converged: the median change of the capped runs' score
   * over the last quarter of their steps stands beside the count and in the sentence, and a solved
   * run's change is left out of it.
   */
  @Test
  void cappedRunsSayHowFarTheirScoreStillMoved() {
    Summary s =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(
                row("LSTM", 8, 0, 0.35, 0.016, 3000, "finished").withLateChange(0.004),
                row("LSTM", 8, 1, 0.36, 0.016, 3000, "finished").withLateChange(0.030),
                row("LSTM", 8, 2, 0.33, 0.016, 3000, "finished").withLateChange(0.012),
                row("LSTM", 8, 3, 0.95, 0.016, 900, "goal reached").withLateChange(0.6),
                row("GRU", 8, 0, 0.30, 0.016, 3000, "finished").withLateChange(-0.0021),
                row("RNN", 8, 0, 0.30, 0.016, 3000, "finished")));
    Summary.Point lstm = s.at("LSTM", 8);
    assertEquals(0.012, lstm.cappedLateChange(), 1e-15);
    assertEquals("900 steps, 3 capped (+0.012)", s.stepsCell(lstm));
    assertTrue(
        s.sentence(lstm, "pairs")
            .endsWith("; over the last 750 steps the capped runs' score moved by a median +0.012."),
        s.sentence(lstm, "pairs"));
    assertEquals("—, 1 capped (-0.002)", s.stepsCell(s.at("GRU", 8)));
    // a result written before rows carried the change: nothing is said
    assertEquals("—, 1 capped", s.stepsCell(s.at("RNN", 8)));
    assertFalse(s.sentence(s.at("RNN", 8), "pairs").contains("moved"));
  }

  @Test
  void lossesCompareAsShareOfTheBaseline() {
    double b = 1.0 / 6;
    Summary s =
        new Summary(
            SyntheticTask.Metric.LOSS,
            List.of(
                row("A", 10, 0, 0.01, b),
                row("A", 50, 0, 0.16, b),
                row("A", 100, 0, 0.08, b),
                row("A", 100, 1, 0.016, b),
                row("A", 200, 0, Double.NaN, b),
                row("A", 300, 0, Double.NaN, b),
                row("A", 300, 1, 0.001, b)));
    // solved at a loss of at most a tenth of the baseline's: 0.0167
    assertTrue(Summary.solves(SyntheticTask.Metric.LOSS, 0.016, b));
    assertTrue(!Summary.solves(SyntheticTask.Metric.LOSS, 0.017, b));
    assertTrue(!Summary.solves(SyntheticTask.Metric.LOSS, Double.NaN, b));
    assertEquals(1, s.at("A", 10).solved());
    assertEquals(Summary.Verdict.NOT_SOLVED, s.verdict(s.at("A", 50)));
    assertEquals(Summary.Verdict.SOME, s.verdict(s.at("A", 100)));
    assertEquals(1, s.at("A", 100).solved());
    assertEquals(Summary.Verdict.DIVERGED, s.verdict(s.at("A", 200)));
    assertEquals("diverged", s.cell(s.at("A", 200)));
    // a diverged seed counts against the share that solved
    assertEquals("1/2 solved [0.09, 0.91], median 0.001000 (1 diverged)", s.cell(s.at("A", 300)));
  }
}
