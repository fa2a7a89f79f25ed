package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.experiments.sweep.Tuning.Setting;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

class TuningTest {

  @Test
  void everyArchitectureTriesTheSameRatesAndAGatedOneEachForgetBias() {
    List<Double> biases = List.of(1.0, 3.0);
    assertEquals(
        List.of(new Setting(0.001, null), new Setting(0.003, null), new Setting(0.009, null)),
        Tuning.grid(Architecture.fromId("gru"), 3e-3, biases));
    assertEquals(
        List.of(
            new Setting(0.001, 1.0),
            new Setting(0.001, 3.0),
            new Setting(0.003, 1.0),
            new Setting(0.003, 3.0),
            new Setting(0.009, 1.0),
            new Setting(0.009, 3.0)),
        Tuning.grid(Architecture.fromId("lstm"), 3e-3, biases));
    // three significant digits: 0.002/3 is recorded as the rate that ran
    assertEquals(6.67e-4, Tuning.grid(Architecture.fromId("rnn"), 2e-3, biases).get(0).lr(), 0);
    assertEquals(Map.of("lr", "0.009", "forget-bias", "3"), new Setting(0.009, 3.0).point());
  }

  private static SweepRow row(String series, double x, int seed, double score) {
    return SummaryTest.row(series, x, seed, score, 0.5);
  }

  @Test
  void theChoiceIsThePointThatSolvedMostThenScoredBest() {
    List<SweepRow> rows = new ArrayList<>();
    for (int seed = 0; seed < 5; seed++) {
      // lr 0.001 solves 2 of 5 at x 10; lr 0.003 solves 3 of 5 at x 10 but scores lower
      // elsewhere; lr 0.009 solves nothing
      rows.add(row("LSTM H 40 · lr 0.001", 5, seed, 1.0));
      rows.add(row("LSTM H 40 · lr 0.001", 10, seed, seed < 2 ? 0.95 : 0.6));
      rows.add(row("LSTM H 40 · lr 0.003", 5, seed, 0.97));
      rows.add(row("LSTM H 40 · lr 0.003", 10, seed, seed < 3 ? 0.91 : 0.5));
      rows.add(row("LSTM H 40 · lr 0.009", 5, seed, 0.5));
      rows.add(row("LSTM H 40 · lr 0.009", 10, seed, 0.5));
      // a tie in solved counts goes to the better mean score
      rows.add(row("GRU H 47 · lr 0.001", 5, seed, 0.92));
      rows.add(row("GRU H 47 · lr 0.003", 5, seed, 0.99));
    }
    Map<String, String> chosen =
        Tuning.chosen(SyntheticTask.Metric.ACCURACY, rows, Tuning.Judged.BY_GOAL);
    assertEquals(
        Map.of("LSTM H 40", "LSTM H 40 · lr 0.003", "GRU H 47", "GRU H 47 · lr 0.003"), chosen);
    List<SweepRow> kept =
        Tuning.chosenRows(SyntheticTask.Metric.ACCURACY, rows, Tuning.Judged.BY_GOAL);
    assertEquals(15, kept.size());
    assertTrue(kept.stream().allMatch(r -> chosen.containsValue(r.series())));

    String table =
        Tuning.table(SyntheticTask.Metric.ACCURACY, rows, "distance", Tuning.Judged.BY_GOAL);
    assertTrue(table.contains("* lr 0.003"), table);
    assertTrue(table.contains("3/5, 0.910"), table);
    assertTrue(table.contains("  lr 0.009"), table);
    assertTrue(table.contains("0/10"), table);
  }

  @Test
  void aChoiceAtTheEdgeOfTheGridIsSaid() {
    List<SweepRow> rows = new ArrayList<>();
    for (String lr : List.of("0.001", "0.003", "0.009")) {
      SweepRow r = row("GRU H 47 · lr " + lr, 5, 0, lr.equals("0.009") ? 1.0 : 0.5);
      rows.add(withGrid(r, Map.of("lr", lr)));
      SweepRow m = row("RNN H 9 · lr " + lr, 5, 0, lr.equals("0.003") ? 1.0 : 0.5);
      rows.add(withGrid(m, Map.of("lr", lr)));
    }
    assertEquals(
        "GRU H 47: the chosen rate, 0.009, is the largest tried; a larger one might do better.\n",
        Tuning.edges(SyntheticTask.Metric.ACCURACY, rows, Tuning.Judged.BY_GOAL));
  }

  private static SweepRow withGrid(SweepRow r, Map<String, String> grid) {
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
        r.steps(),
        r.seconds(),
        r.stop(),
        r.divergedAtStep(),
        r.divergence(),
        r.loss(),
        r.tokensPerSecond(),
        grid,
        r.host(),
        null);
  }

  @Test
  void aLossIsJudgedAsAShareOfTheBaselineAndADivergedRunIsTheWorst() {
    List<SweepRow> rows = new ArrayList<>();
    rows.add(SummaryTest.row("RNN H 9 · lr 0.001", 50, 0, 0.16, 0.167));
    rows.add(SummaryTest.row("RNN H 9 · lr 0.003", 50, 0, 0.12, 0.167));
    rows.add(SummaryTest.row("RNN H 9 · lr 0.009", 50, 0, Double.NaN, 0.167));
    assertEquals(
        "RNN H 9 · lr 0.003",
        Tuning.chosen(SyntheticTask.Metric.LOSS, rows, Tuning.Judged.BY_GOAL).get("RNN H 9"));
  }

  /**
   * Without a goal (a language model's loss), one lucky run does not win the grid: the point with
   * the better mean score is chosen, and the table shows scores without counts of runs solved.
   */
  @Test
  void withoutAGoalTheBestMeanScoreIsChosenAndNothingIsCounted() {
    List<SweepRow> rows = new ArrayList<>();
    double[] lucky = {0.05, 2.0, 2.0}; // one run far below a tenth of the baseline, two above it
    for (int seed = 0; seed < 3; seed++) {
      rows.add(SummaryTest.row("GRU H 181 · lr 0.001", 64, seed, lucky[seed], 1.0));
      rows.add(SummaryTest.row("GRU H 181 · lr 0.003", 64, seed, 0.3, 1.0));
    }
    assertEquals(
        "GRU H 181 · lr 0.001",
        Tuning.chosen(SyntheticTask.Metric.LOSS, rows, Tuning.Judged.BY_GOAL).get("GRU H 181"));
    assertEquals(
        "GRU H 181 · lr 0.003",
        Tuning.chosen(SyntheticTask.Metric.LOSS, rows, Tuning.Judged.BY_SCORE).get("GRU H 181"));
    String table = Tuning.table(SyntheticTask.Metric.LOSS, rows, "window", Tuning.Judged.BY_SCORE);
    assertFalse(table.contains("solved"), table);
    assertFalse(table.contains("/3"), table);
    assertTrue(table.contains("* lr 0.003"), table);
    assertTrue(table.contains("0.300"), table);
  }

  @Test
  void rowsWithoutAGridAreTheirOwnChoice() {
    List<SweepRow> rows = List.of(row("RNN H 78", 5, 0, 1.0), row("LSTM H 40", 5, 0, 0.5));
    assertFalse(Tuning.tuned(rows));
    assertEquals(
        rows, Tuning.chosenRows(SyntheticTask.Metric.ACCURACY, rows, Tuning.Judged.BY_GOAL));
  }

  /**
   * The default plans of the model comparisons: every architecture gets the same three rates (a
   * gated one each bias too), and every run's parameter count is within 5% of the target at every
   * difficulty.
   */
  @Test
  void defaultPlansAreFairByConstruction() {
    for (String name : List.of("long-range", "adding", "copy")) {
      Experiment e = Experiments.named(name);
      ExperimentSettings s = e.defaults();
      List<SweepRun> plan = e.plan(s);
      assertTrue(s.seeds() >= 5, name + " runs " + s.seeds() + " seeds");
      Map<String, Set<Map<String, String>>> points = new HashMap<>();
      for (SweepRun r : plan) {
        long n = r.model().parameterCount(r.task().shape());
        assertTrue(
            Math.abs(n - s.params()) <= ModelComparison.PARAMS_TOLERANCE * s.params(),
            name + " " + r.id() + " has " + n + " parameters, target " + s.params());
        points.computeIfAbsent(r.model().model(), m -> new HashSet<>()).add(r.grid());
        assertEquals(Double.parseDouble(r.grid().get("lr")), r.budget().lr(), 0, r.id());
      }
      for (var entry : points.entrySet()) {
        int expected = Architecture.fromId(entry.getKey()).hasForgetGate() ? 6 : 3;
        assertEquals(expected, entry.getValue().size(), name + " " + entry.getKey());
      }
      if (e.metric() == SyntheticTask.Metric.ACCURACY) {
        // a model at chance (half the sentences right) could not pass for one that learned:
        // the 95% interval of its score on this many sentences stays far below the threshold
        int n = s.validation();
        assertTrue(
            Wilson.of(n / 2, n).upper() < Summary.LEARNED_ACCURACY,
            name + ": chance on " + n + " sentences reaches " + Wilson.of(n / 2, n).upper());
      }
      // every run apart: ids unique
      assertEquals(plan.size(), plan.stream().map(SweepRun::id).distinct().count(), name);
    }
  }
}
