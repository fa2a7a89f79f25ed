package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.StateSize;
import org.seqlab.tasks.MultiQueryRecall;
import org.seqlab.train.TrainingResult;

/** The MQAR experiment: its plan, its sentences and its plots, from constructed rows. */
class MqarTest {

  final Mqar mqar = new Mqar();

  ExperimentSettings settings(
      List<String> models, List<Integer> hidden, List<Integer> k, int seeds) {
    return new ExperimentSettings(
            models, k, hidden, null, seeds, null, 5, null, null, 4, 8, null, null, null, null, null,
            null, null)
        .orElse(mqar.defaults());
  }

  @Test
  void registeredAndPlansOneRunPerModelSizePairsAndSeed() {
    assertEquals(mqar.getClass(), Experiments.named("mqar").getClass());
    ExperimentSettings d = ExperimentSettings.NONE.orElse(mqar.defaults());
    mqar.check(d);
    List<SweepRun> runs = mqar.plan(d);
    assertEquals(5 * 3 * 3 * 5 * 3, runs.size(), "models × sizes × pairs × seeds × rates");
    assertEquals(runs.size(), new HashSet<>(runs.stream().map(SweepRun::id).toList()).size());
    assertEquals(
        java.util.Collections.max(d.distances()),
        (int) runs.getFirst().x(),
        "the most pairs first");
    assertEquals(
        5 * 3 * 3,
        runs.stream().map(SweepRun::series).distinct().count(),
        "series: model × size × rate");

    List<SweepRun> small =
        mqar.plan(settings(List.of("lstm", "transformer"), List.of(8, 16), List.of(2, 3), 2));
    assertEquals(2 * 2 * 2 * 2 * 3, small.size());
    SweepRun t =
        small.stream()
            .filter(r -> r.model().model().equals("transformer"))
            .findFirst()
            .orElseThrow();
    assertEquals("mqar", t.task().task());
    assertEquals(2, t.model().layers());
    assertTrue(t.series().startsWith("Transformer D "), t.series());
    MultiQueryRecall task = (MultiQueryRecall) t.task().create(0);
    assertEquals(Mqar.steps(task.pairs()), task.steps());
    assertEquals(t.model().hidden(), t.runConfig().hidden(), "a run is a train run");
  }

  @Test
  void refusesWhatCannotRun() {
    ExperimentSettings tooMany = settings(List.of("lstm"), List.of(8), List.of(65), 1);
    assertThrows(IllegalArgumentException.class, () -> mqar.check(tooMany));
    ExperimentSettings odd = settings(List.of("transformer"), List.of(7), List.of(2), 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> mqar.check(odd));
    assertTrue(e.getMessage().contains("--hidden 7"), e.getMessage());
  }

  /** A row of {@code run} with {@code score}. */
  static SweepRow row(SweepRun run, double score) {
    return new SweepRow(
        run.id(),
        run.series(),
        run.model().model(),
        (int) run.x(),
        run.x(),
        score,
        1.0 / 64,
        1000,
        run.seed(),
        5,
        1,
        TrainingResult.Stop.MAX_STEPS.words(),
        0,
        "",
        1.0,
        1,
        null,
        "test",
        null);
  }

  @Test
  void theMostPairsSentenceComesFromTheRows() throws Exception {
    ExperimentSettings s =
        settings(List.of("gru", "lstm", "transformer"), List.of(8), List.of(2, 4, 8), 2);
    List<SweepRow> rows = new ArrayList<>();
    for (SweepRun r : mqar.plan(s)) {
      double score =
          switch (r.model().model()) {
            // LSTM: both seeds at 2, one of two at 4 (half counts), none at 8
            case "lstm" -> r.x() == 2 || (r.x() == 4 && r.seed() == 0) ? 0.6 : 0.1;
            // GRU: one of two only at 8 (reached, though not at fewer pairs), NaN otherwise
            case "gru" -> r.x() == 8 && r.seed() == 1 ? 0.5 : Double.NaN;
            default -> 0.02;
          };
      rows.add(row(r, score));
    }
    // every rate scored alike: the first, 0.001, is each model's choice
    assertEquals(4, Mqar.mostPairsAtHalf(rows, "LSTM H 8 · lr 0.001"));
    assertEquals(8, Mqar.mostPairsAtHalf(rows, "GRU H 8 · lr 0.003"));
    assertTrue(Double.isNaN(Mqar.mostPairsAtHalf(rows, "Transformer D 8 ×2 · lr 0.001")));

    Map<Path, Figure> drawn = new LinkedHashMap<>();
    String report =
        mqar.report(s, rows, Map.of(), Path.of("out"), (figure, png) -> drawn.put(png, figure));
    assertTrue(
        report.contains(
            "LSTM H 8 · lr 0.001 (16 floats of state): at least half the seeds reached an accuracy"
                + " of 0.5 at up to 4 pairs; at 8 pairs 0/2 [0.00, 0.66] did (tried 2, 4, 8)."),
        report);
    assertTrue(
        report.contains("GRU H 8 · lr 0.001 (8 floats of state): at least half the seeds"), report);
    assertFalse(report.contains("LSTM H 8 · lr 0.003 ("), "the chosen rate only");
    assertFalse(report.contains("Transformer D 8 ×2 ("), "recurrent series only");
    assertTrue(report.contains("model "), "the Summary table is there");

    assertTrue(drawn.containsKey(Path.of("out", "score.png")), drawn.keySet().toString());
    for (int k : List.of(2, 4, 8)) {
      Figure f = drawn.get(Path.of("out", "state-k" + k + ".png"));
      assertEquals(Figure.Scale.LOG, f.xScale());
      Figure.Series transformer =
          f.series().stream().filter(x -> x.name().equals("Transformer")).findFirst().orElseThrow();
      // two blocks of width 8, a key and a value per step for 4k steps
      assertEquals(
          StateSize.floats(ModelSpec.of("transformer", 8, 2, 1, 2), 4 * k), transformer.x()[0]);
      assertEquals(2.0 * 2 * 4 * k * 8, transformer.x()[0]);
      assertEquals(0.02, transformer.y()[0]);
      Figure byParams = drawn.get(Path.of("out", "params-k" + k + ".png"));
      assertEquals(Figure.Scale.LOG, byParams.xScale());
      assertEquals(1000, byParams.series().getFirst().x()[0], "the rows' parameter count");
    }
  }

  @Test
  void noSentenceForASeriesWhoseSeedsNeverReachedHalf() {
    ExperimentSettings s = settings(List.of("rnn"), List.of(4), List.of(2), 1);
    List<SweepRow> rows =
        Tuning.chosenRows(
            mqar.metric(), mqar.plan(s).stream().map(r -> row(r, 0.2)).toList(), mqar.judged());
    assertEquals(
        "RNN H 4 · lr 0.001 (4 floats of state): at no number of pairs did half the seeds reach an"
            + " accuracy of 0.5: at 2 pairs 0/1 [0.00, 0.79] did (tried 2).\n",
        Mqar.mostPairsSentences(rows, mqar.modelsBySeries(s)));
  }
}
