package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.tasks.SyntheticTask;

class HypothesisTest {

  private static final Set<String> WEAK = Set.of("rnn");
  private static final Set<String> STRONG = Set.of("lstm", "gru", "transformer");

  /**
   * {@code solved} of {@code seeds} runs of {@code model} at distance x solve (accuracy 1 or 0.5).
   */
  private static List<SweepRow> runs(String model, double x, int solved, int seeds, String stop) {
    List<SweepRow> rows = new ArrayList<>();
    for (int seed = 0; seed < seeds; seed++) {
      boolean solves = seed < solved;
      SweepRow r =
          SummaryTest.row(
              model.toUpperCase(Locale.ROOT),
              x,
              seed,
              solves ? 1.0 : 0.5,
              0.5,
              300,
              solves ? "goal reached" : stop);
      rows.add(
          new SweepRow(
              r.run(),
              r.series(),
              model,
              r.distance(),
              r.x(),
              r.score(),
              r.baseline(),
              r.params(),
              r.seed(),
              r.steps(),
              r.seconds(),
              r.stop(),
              r.divergedAtStep(),
              r.divergence(),
              r.loss(),
              r.tokensPerSecond(),
              r.grid(),
              r.host(),
              null));
    }
    return rows;
  }

  private static Hypothesis test(List<SweepRow> rows) {
    return Hypothesis.solvesLess(
        new Summary(SyntheticTask.Metric.ACCURACY, rows), "distance", WEAK, STRONG);
  }

  @Test
  void confirmedWhereTheIntervalsComeApart() {
    List<SweepRow> rows = new ArrayList<>();
    rows.addAll(runs("rnn", 5, 5, 5, "finished"));
    rows.addAll(runs("lstm", 5, 5, 5, "finished"));
    rows.addAll(runs("rnn", 40, 0, 5, "finished"));
    rows.addAll(runs("lstm", 40, 5, 5, "finished"));
    Hypothesis h = test(rows);
    assertEquals(Hypothesis.Outcome.CONFIRMED, h.outcome());
    assertEquals(
        "confirmed: the RNN's solved share falls below the LSTM's at distance 40"
            + " (0/5 [0.00, 0.43] vs 5/5 [0.57, 1.00], 95% intervals apart)",
        h.words());
  }

  @Test
  void inconclusiveWithTooFewSeeds() {
    // 0/3 against 3/3: the intervals [0, 0.56] and [0.44, 1] overlap
    List<SweepRow> rows = new ArrayList<>();
    rows.addAll(runs("rnn", 10, 0, 3, "plateaued"));
    rows.addAll(runs("lstm", 10, 3, 3, "finished"));
    Hypothesis h = test(rows);
    assertEquals(Hypothesis.Outcome.INCONCLUSIVE, h.outcome());
    assertEquals(
        "inconclusive: too few seeds: at distance 10 the RNN solved 0/3 [0.00, 0.56] and the LSTM"
            + " 3/3 [0.44, 1.00]; the intervals overlap",
        h.words());
  }

  @Test
  void notConfirmedWhenTheRnnDoesAsWell() {
    List<SweepRow> rows = new ArrayList<>();
    rows.addAll(runs("rnn", 5, 5, 5, "finished"));
    rows.addAll(runs("lstm", 5, 5, 5, "finished"));
    rows.addAll(runs("rnn", 10, 0, 5, "finished"));
    rows.addAll(runs("lstm", 10, 0, 5, "plateaued"));
    Hypothesis h = test(rows);
    assertEquals(Hypothesis.Outcome.NOT_CONFIRMED, h.outcome());
    // the budget is named: capped runs are not a verdict on the architecture
    assertEquals(
        "not confirmed at these settings: the RNN solved at least the share of seeds of LSTM at"
            + " every distance tried (up to 10, within 300 steps; 5 capped at 300 steps)",
        h.words());
    assertEquals(
        Hypothesis.Outcome.NOT_CONFIRMED, test(runs("rnn", 5, 0, 5, "finished")).outcome());
  }

  @Test
  void theWordsStartWithTheOutcome() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Hypothesis(Hypothesis.Outcome.CONFIRMED, "not confirmed: x"));
    assertEquals("untested", Hypothesis.untested().words().split(":")[0]);
  }
}
