package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** char-lm gives every model the same learning-rate grid and reports the rate it chose. */
class CharLmTest {

  private final Experiment charLm = Experiments.named("char-lm");

  private ExperimentSettings settings(Path text) {
    return new ExperimentSettings(
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            text.toString(),
            null,
            null,
            null)
        .orElse(charLm.defaults());
  }

  @Test
  void everyModelTrainsAtTheThreeRatesOfItsGridWithEverySeed(@TempDir Path tmp) throws IOException {
    Path text = Files.writeString(tmp.resolve("t.txt"), "to be or not to be\n".repeat(200));
    ExperimentSettings s = settings(text);
    charLm.check(s);
    assertEquals(List.of("lr"), charLm.tunes());
    List<SweepRun> runs = charLm.plan(s);
    assertEquals(s.models().size() * s.seeds() * 3, runs.size(), "models × seeds × rates");
    assertEquals(runs.size(), new HashSet<>(runs.stream().map(SweepRun::id).toList()).size());
    Map<String, Set<Double>> rates =
        runs.stream()
            .collect(
                Collectors.groupingBy(
                    r -> Tuning.base(r.series()),
                    Collectors.mapping(r -> r.budget().lr(), Collectors.toSet())));
    assertEquals(0.003, s.lr(), "the default rate the grid surrounds");
    for (var e : rates.entrySet()) {
      assertEquals(Set.of(0.001, 0.003, 0.009), e.getValue(), e.getKey());
    }
  }

  @Test
  void theReportFollowsEachModelsRateOfLowestMeanLoss() throws IOException {
    List<SweepRow> rows = new ArrayList<>();
    for (int seed = 0; seed < 5; seed++) {
      double d = 0.01 * seed;
      rows.add(tuned("GRU H 181", "gru", "0.001", seed, 1.70 + d));
      rows.add(tuned("GRU H 181", "gru", "0.003", seed, 1.55 + d));
      rows.add(tuned("GRU H 181", "gru", "0.009", seed, 1.60 + d));
      rows.add(tuned("Transformer D 92 ×2", "transformer", "0.001", seed, 1.80 + d));
      rows.add(tuned("Transformer D 92 ×2", "transformer", "0.003", seed, 1.75 + d));
      rows.add(tuned("Transformer D 92 ×2", "transformer", "0.009", seed, 1.50 + d));
    }
    String report =
        charLm.report(
            ExperimentSettings.NONE.orElse(charLm.defaults()),
            rows,
            Map.of(),
            Path.of("no-such-dir"),
            (figure, png) -> {});
    String table = report.substring(0, report.indexOf("tuning:"));
    assertTrue(table.contains("GRU H 181 · lr 0.003"), report);
    assertTrue(table.contains("Transformer D 92 ×2 · lr 0.009"), report);
    assertFalse(table.contains("lr 0.001"), report);
    assertTrue(report.contains("* lr 0.009"), report);
    // the tuned Transformer (1.50–1.54) beats the tuned GRU (1.55–1.59) on every seed
    assertTrue(report.contains("Transformer D 92 ×2 · lr 0.009 reached the lowest"), report);
    assertTrue(report.contains("not confirmed"), report);
    assertTrue(
        report.contains("Transformer D 92 ×2: the chosen rate, 0.009, is the largest tried"),
        report);
    assertFalse(report.contains("GRU H 181: the chosen rate"), report);
    // a loss is compared, never passed or failed: no counts of runs solved, and no forget biases
    // named where none was tried
    String tuning = report.substring(report.indexOf("tuning:"));
    assertTrue(tuning.contains("the one with the best mean validation score"), tuning);
    assertFalse(tuning.contains("solved"), tuning);
    assertFalse(tuning.contains("0/5"), tuning);
    assertFalse(tuning.contains("forget bias"), tuning);
  }

  /** A run of {@code series} at the grid point {@code lr}, as the plan names it. */
  private static SweepRow tuned(String series, String model, String lr, int seed, double loss) {
    SweepRow r = ExperimentHypothesisTest.row(series + " · lr " + lr, model, 64, seed, loss, 3.3);
    return new SweepRow(
        r.run() + "-lr" + lr,
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
        Map.of("lr", lr),
        r.host(),
        null);
  }
}
