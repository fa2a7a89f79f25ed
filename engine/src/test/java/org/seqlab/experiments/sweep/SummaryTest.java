package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        "localhost");
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
    assertEquals(0.51, rnn40.mean(), 1e-12);
    assertEquals(Math.sqrt(0.0002), rnn40.spread(), 1e-12);
    assertEquals(Summary.Verdict.NOT_LEARNED, s.verdict(rnn40));
    assertEquals(Summary.Verdict.LEARNED, s.verdict(s.at("RNN H 8", 5)));
    // a mean of 0.91 is learned
    assertEquals(Summary.Verdict.LEARNED, s.verdict(s.at("LSTM H 4", 40)));
    assertEquals(
        "RNN H 8 at distance 40: 0.510 ±0.014, baseline 0.500: it has not learned the dependency.",
        s.sentence(rnn40, "distance"));
    assertEquals(5.0, s.longestLearned("RNN H 8"));
    Summary recall =
        new Summary(
            SyntheticTask.Metric.ACCURACY,
            List.of(row("LSTM", 8, 0, 0.2, 0.125)),
            "to recall the pairs");
    assertEquals(
        "LSTM at k 8: 0.200, baseline 0.125: it has not learned to recall the pairs.",
        recall.sentence(recall.at("LSTM", 8), "k"));
    assertEquals(40.0, s.longestLearned("LSTM H 4"));
    String table = s.table("distance");
    assertTrue(table.contains("distance 5") && table.contains("distance 40"), table);
    assertTrue(
        table.lines().anyMatch(l -> l.startsWith("LSTM H 4") && l.contains("0.910 ±0.071")), table);
    assertTrue(table.lines().anyMatch(l -> l.startsWith("baseline") && l.contains("0.500")), table);
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
                row("A", 200, 0, Double.NaN, b)));
    assertEquals(Summary.Verdict.LEARNED, s.verdict(s.at("A", 10)));
    assertEquals(Summary.Verdict.NOT_LEARNED, s.verdict(s.at("A", 50)));
    assertEquals(Summary.Verdict.PARTLY, s.verdict(s.at("A", 100)));
    assertEquals(Summary.Verdict.DIVERGED, s.verdict(s.at("A", 200)));
    assertEquals("diverged", s.cell(s.at("A", 200)));
  }
}
