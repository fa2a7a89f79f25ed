package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.seqlab.experiments.ModelSpec;

/** Runs side by side give the numbers they give alone. */
class SweepTest {

  static List<SweepRun> plan() {
    Budget budget = new Budget(40, "adam", 1e-2, 1.0, 10, 0);
    List<SweepRun> runs = new ArrayList<>();
    int i = 0;
    for (String m : List.of("rnn", "lstm", "gru", "transformer")) {
      ModelSpec spec = ModelSpec.of(m, 16, m.equals("transformer") ? 2 : 1, 8, 2);
      TaskSpec task =
          m.equals("gru")
              ? new TaskSpec("adding", 12, 8, 32, 0)
              : new TaskSpec("agreement", 6, 8, 32, 0);
      runs.add(new SweepRun(m + "-" + i++, spec.label(), 6, spec, task, budget, 0, 7));
    }
    return runs;
  }

  static List<SweepRow> sorted(List<SweepRow> rows) {
    List<SweepRow> s = new ArrayList<>(rows);
    s.sort(Comparator.comparing(SweepRow::run));
    return s;
  }

  @Test
  void twoRunsAtATimeGiveTheNumbersOfOneAtATime() throws Exception {
    List<SweepRow> one = sorted(new Sweep(plan(), 1).run(f -> {}));
    List<SweepRow> two = sorted(new Sweep(plan(), 2).run(f -> {}));
    assertEquals(4, one.size());
    assertEquals(List.of(), ExperimentRunner.differences(one, two));
    for (SweepRow r : one) {
      assertEquals(40, r.steps(), r.run());
      assertTrue(Double.isFinite(r.score()), r.run());
      assertTrue(r.params() > 0, r.run());
    }
    // the adding problem's baseline is the MSE of always answering 1; agreement's is a coin
    assertEquals(
        List.of("gru-2", "lstm-1", "rnn-0", "transformer-3"),
        one.stream().map(SweepRow::run).toList());
    assertEquals(1.0 / 6, one.get(0).baseline(), 1e-12);
    assertEquals(0.5, one.get(1).baseline(), 0);
  }

  @Test
  void aRunSeesTheDataOfItsSeedIndex() {
    SweepRun a = plan().get(0), b = plan().get(1);
    assertEquals(a.dataSeed(), b.dataSeed(), "models at one seed index share their data");
    SweepRun c = new SweepRun("x", "s", 6, a.model(), a.task(), a.budget(), 1, 7);
    assertTrue(a.dataSeed() != c.dataSeed() && a.modelSeed() != c.modelSeed());
  }

  @Test
  void aGoalStopsARunEarlyAndSaysSo() throws Exception {
    // recall of one pair: the answer is the only value seen, learned in a few dozen steps
    ModelSpec lstm = ModelSpec.of("lstm", 32, 1, 16, 1);
    Budget budget = new Budget(2000, "adam", 1e-2, 1.0, 10, 0.95);
    SweepRun run =
        new SweepRun("k1", "LSTM", 1, lstm, new TaskSpec("recall", 1, 32, 64, 8), budget, 0, 3);
    SweepRow row = new Sweep(List.of(run), 1).execute(run).row();
    assertEquals("goal reached", row.stop());
    assertTrue(row.score() >= 0.95, "score " + row.score());
    assertTrue(row.steps() < 2000 && row.steps() % 10 == 0, "steps " + row.steps());
  }
}
