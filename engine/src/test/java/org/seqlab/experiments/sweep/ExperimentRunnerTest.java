package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.TextFigures;
import org.seqlab.io.RunDirectory;

class ExperimentRunnerTest {

  @TempDir Path tmp;

  /**
   * A long-range sweep small enough for a test: two models, two distances, two seeds, each model at
   * the three rates of its tuning grid.
   */
  static ExperimentSettings small() {
    return new ExperimentSettings(
        List.of("rnn", "transformer"),
        List.of(3, 6),
        null,
        null,
        2,
        2000L,
        30,
        1e-2,
        1.0,
        8,
        32,
        10,
        0.0,
        null,
        null,
        null,
        5L,
        2);
  }

  static final List<String> GIVEN =
      List.of("--models", "--distances", "--seeds", "--params", "--steps", "--lr", "--batch");

  @Test
  void runsRecordsReportsAndResumesWithoutRedoingFinishedRuns() throws Exception {
    Experiment e = Experiments.named("long-range");
    Path dir = tmp.resolve("lr");
    ExperimentRunner runner = ExperimentRunner.prepare(e, small(), GIVEN, dir);
    List<SweepRow> rows = runner.run(new ExperimentRunner.Listener() {});
    assertEquals(24, rows.size());
    String report = runner.report(TextFigures.SINK);
    assertTrue(report.contains("at distance 6"), report);
    for (String f :
        List.of(
            "experiment.json",
            "result.json",
            "report.txt",
            "score.png",
            "score.svg",
            "curves.png")) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    for (SweepRow r : rows) assertTrue(Files.isRegularFile(Sweep.curveFile(dir, r.run())), r.run());
    var json = RunDirectory.JSON.readTree(dir.resolve("result.json").toFile());
    var first = json.get("rows").get(0);
    for (String key : List.of("model", "distance", "score", "baseline", "params", "seed")) {
      assertTrue(first.has(key), key + " in " + first);
    }
    // every row is also a line of the journal
    List<String> journal = Files.readAllLines(dir.resolve("rows.jsonl"));
    assertEquals(24, journal.size());

    // each row says how far its score moved over its last quarter, as its curve file shows; a
    // result written before rows carried it gets it from the curves when it is reported
    for (SweepRow r : rows) {
      double expected =
          org.seqlab.experiments.RunCurve.read(Sweep.curveFile(dir, r.run()))
              .lateChange(Budget.FLAT_SHARE);
      if (Double.isNaN(expected)) assertEquals(null, r.lateChange(), r.run());
      else assertEquals(expected, r.lateChange(), 0, r.run());
    }
    assertTrue(rows.stream().anyMatch(r -> r.lateChange() != null));
    var stripped = (com.fasterxml.jackson.databind.node.ObjectNode) json.deepCopy();
    for (var row : stripped.get("rows")) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) row).putNull("late_change");
    }
    RunDirectory.JSON.writeValue(dir.resolve("result.json").toFile(), stripped);
    Files.delete(dir.resolve("rows.jsonl"));
    assertTrue(ExperimentRunner.readRows(dir).stream().allMatch(r -> r.lateChange() == null));
    runner.report(TextFigures.SINK);
    java.util.Comparator<SweepRow> byRun = java.util.Comparator.comparing(SweepRow::run);
    assertEquals(
        rows.stream().sorted(byRun).toList(),
        ExperimentRunner.readRows(dir).stream().sorted(byRun).toList());

    // a sweep whose process died half-way: result.json last rewritten after three runs, the
    // journal with five rows and half of a sixth. Continued, the other 19 train again.
    RunDirectory.JSON.writeValue(
        dir.resolve("result.json").toFile(),
        new ExperimentRunner.Result(
            "long-range", "distance", "accuracy", "accuracy", rows.subList(0, 3)));
    String torn = journal.get(5).substring(0, journal.get(5).length() / 2);
    Files.writeString(
        dir.resolve("rows.jsonl"), String.join("\n", journal.subList(0, 5)) + "\n" + torn);
    assertEquals(5, ExperimentRunner.readRows(dir).size());
    List<Integer> trained = new ArrayList<>();
    ExperimentRunner again = ExperimentRunner.prepare(e, small(), GIVEN, dir);
    List<SweepRow> all =
        again.run(
            new ExperimentRunner.Listener() {
              @Override
              public void onPlan(int total, int alreadyDone, int jobs) {
                trained.add(total - alreadyDone);
              }
            });
    assertEquals(List.of(19), trained);
    assertEquals(List.of(), ExperimentRunner.differences(rows, all));
    assertEquals(24, ExperimentRunner.readRows(dir).size());
    // the torn line was cut before the journal was written on: every row whole
    List<String> lines = Files.readAllLines(dir.resolve("rows.jsonl"));
    assertEquals(24, lines.size());
    for (String line : lines) RunDirectory.JSON.readValue(line, SweepRow.class);

    // continued without options: the directory's settings; with a different one: refused
    ExperimentRunner bare = ExperimentRunner.prepare(e, ExperimentSettings.NONE, List.of(), dir);
    assertEquals(
        small().orElse(e.defaults()).withJobs(null),
        bare.settings().orElse(e.defaults()).withJobs(null));
    ExperimentSettings longer =
        new ExperimentSettings(
            null, null, null, null, null, null, 99, null, null, null, null, null, null, null, null,
            null, null, 1);
    var changed =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExperimentRunner.prepare(e, longer, List.of("--steps", "--jobs"), dir));
    assertTrue(
        changed.getMessage().contains("other settings (--steps 99 (the experiment has 30))"),
        changed.getMessage());
  }

  @Test
  void refusesBeforeTraining() throws Exception {
    Experiment e = Experiments.named("long-range");
    var wrong =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ExperimentRunner.prepare(
                    e, small(), List.of("--spectral-radius"), tmp.resolve("a")));
    assertTrue(
        wrong.getMessage().contains("--spectral-radius does not apply to long-range"),
        wrong.getMessage());
    ExperimentSettings far =
        new ExperimentSettings(
            null,
            List.of(1, 5),
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
            null,
            null);
    var range =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExperimentRunner.prepare(e, far, List.of("--distances"), tmp.resolve("b")));
    assertEquals("--distances must be in [2, 1000], got 1", range.getMessage());
    Files.createDirectories(tmp.resolve("c"));
    Files.writeString(tmp.resolve("c/notes.txt"), "mine");
    var busy =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExperimentRunner.prepare(e, small(), GIVEN, tmp.resolve("c")));
    assertTrue(busy.getMessage().contains("not empty"), busy.getMessage());
    var unknown =
        assertThrows(IllegalArgumentException.class, () -> Experiments.named("longrange"));
    assertTrue(
        unknown.getMessage().contains("long-range, adding, copy, exploding"), unknown.getMessage());
    var none = assertThrows(IllegalArgumentException.class, () -> ExperimentRunner.open(tmp));
    assertTrue(none.getMessage().contains("holds no experiment"), none.getMessage());
    assertTrue(Files.notExists(tmp.resolve("a")) && Files.notExists(tmp.resolve("b")));
  }
}
