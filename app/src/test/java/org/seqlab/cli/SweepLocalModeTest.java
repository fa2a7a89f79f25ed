package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.io.RunDirectory;

/**
 * Sweeps through Spark's local mode against the same experiment run by {@code seqlab run} on one
 * thread: the same rows, a grid, a diverging run recorded as a result, and a resume.
 */
class SweepLocalModeTest {

  @TempDir Path tmp;

  /** A long-range sweep small enough for a test: three models, two distances, two seeds. */
  static final List<String> SMALL =
      List.of(
          "--models", "rnn,lstm,transformer",
          "--forget-biases", "1",
          "--distances", "3,6",
          "--seeds", "1",
          "--params", "2000",
          "--steps", "30",
          "--lr", "0.01",
          "--batch", "8",
          "--validation", "32",
          "--val-every", "10",
          "--seed", "5");

  record Ran(int status, String out, String err) {}

  static Ran seqlab(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Ran(status, out.toString(), err.toString());
  }

  static String[] args(List<String> head, List<String> tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(tail);
    return all.toArray(String[]::new);
  }

  /** The numbers a rerun must repeat: everything but times, throughput and the host. */
  static List<String> numbers(List<SweepRow> rows) {
    return rows.stream()
        .map(
            r ->
                String.join(
                    " ",
                    r.run(),
                    r.series(),
                    Double.toString(r.score()),
                    Double.toString(r.loss()),
                    Double.toString(r.baseline()),
                    Long.toString(r.params()),
                    Long.toString(r.steps()),
                    r.stop(),
                    Long.toString(r.divergedAtStep()),
                    r.grid().toString()))
        .sorted()
        .toList();
  }

  @Test
  void localModeGivesTheRowsOfSeqlabRunOnOneThread() throws Exception {
    Path run = tmp.resolve("run");
    Path sweep = tmp.resolve("sweep");
    Ran local =
        seqlab(args(List.of("run", "long-range"), concat(SMALL, "--jobs", "1", "--out", run)));
    assertEquals(0, local.status(), local.err());
    Ran spark =
        seqlab(
            args(
                List.of("sweep", "long-range"),
                concat(SMALL, "--master", "local[2]", "--out", sweep)));
    assertEquals(0, spark.status(), spark.err());
    assertTrue(spark.out().contains("Spark 4.2.0 on local[2]: 2 task(s) at once"), spark.out());

    List<SweepRow> a = ExperimentRunner.readRows(run);
    List<SweepRow> b = ExperimentRunner.readRows(sweep);
    // 2 distances × 1 seed × 3 models × the 3 rates of each one's tuning grid (one forget bias)
    assertEquals(18, a.size());
    assertEquals(numbers(a), numbers(b));
    // Every run once, in the plan's order in result.json and result.csv.
    assertEquals(a.stream().map(SweepRow::run).toList(), b.stream().map(SweepRow::run).toList());
    List<String> csv = Files.readAllLines(sweep.resolve("result.csv"));
    assertEquals(19, csv.size());
    assertTrue(csv.get(0).endsWith(",host"), csv.get(0));
    for (SweepRow r : b) {
      assertFalse(r.host().isBlank());
      assertTrue(Files.isRegularFile(sweep.resolve("metrics").resolve(r.run() + ".csv")));
    }
    // seqlab report draws the sweep as it draws a local run.
    Ran report = seqlab("report", sweep.toString());
    assertEquals(0, report.status(), report.err());
    assertEquals(
        Files.readString(run.resolve("report.txt")), Files.readString(sweep.resolve("report.txt")));
    var sessions = RunDirectory.JSON.readTree(sweep.resolve("sweep.json").toFile());
    assertEquals(1, sessions.size());
    assertEquals(18, sessions.get(0).get("runs_finished").asInt());
    assertEquals("local[2]", sessions.get(0).get("master").asText());
  }

  @Test
  void aGridRunsTheWholePlanAtEveryPointAndADivergedRunIsARow() throws Exception {
    List<String> options =
        List.of("--seeds", "1", "--steps", "20", "--val-every", "10", "--grid", "lr=0.05,0.01");
    Path run = tmp.resolve("run");
    Path sweep = tmp.resolve("sweep");
    Ran local = seqlab(args(List.of("run", "exploding"), concat(options, "--out", run)));
    assertEquals(0, local.status(), local.err());
    Ran spark =
        seqlab(
            args(
                List.of("sweep", "exploding"),
                concat(options, "--master", "local[2]", "--out", sweep)));
    assertEquals(0, spark.status(), spark.err());
    List<SweepRow> rows = ExperimentRunner.readRows(sweep);
    assertEquals(numbers(ExperimentRunner.readRows(run)), numbers(rows));
    // Two grid points × (no clipping, clipped) × one seed, each once.
    assertEquals(4, rows.size());
    assertEquals(4, new HashSet<>(rows.stream().map(SweepRow::run).toList()).size());
    for (String lr : List.of("0.05", "0.01")) {
      assertEquals(
          2, rows.stream().filter(r -> r.grid().equals(java.util.Map.of("lr", lr))).count());
    }
    // Without clipping, the large initialisation breaks the run at lr 0.05: a row, with its step.
    SweepRow broke =
        rows.stream()
            .filter(r -> r.series().startsWith("no clipping") && r.grid().get("lr").equals("0.05"))
            .findFirst()
            .orElseThrow();
    assertEquals("diverged", broke.stop());
    assertTrue(broke.divergedAtStep() > 0 && broke.divergedAtStep() <= 20, broke.toString());
    assertTrue(Double.isNaN(broke.score()));
    assertTrue(spark.out().contains("diverged at step " + broke.divergedAtStep()), spark.out());
    String header = Files.readAllLines(sweep.resolve("result.csv")).getFirst();
    assertTrue(header.startsWith("run,series,model,difficulty,clip,lr,seed,"), header);
  }

  @Test
  void aStoppedSweepResumesWithoutRedoingFinishedRuns() throws Exception {
    Path whole = tmp.resolve("whole");
    Ran first =
        seqlab(
            args(
                List.of("sweep", "long-range"),
                concat(SMALL, "--master", "local[2]", "--out", whole)));
    assertEquals(0, first.status(), first.err());
    List<SweepRow> all = ExperimentRunner.readRows(whole);

    // A driver that crashed after five runs leaves their rows (each result.json is written whole).
    Path half = tmp.resolve("half");
    Files.createDirectories(half);
    Files.copy(whole.resolve("experiment.json"), half.resolve("experiment.json"));
    var result =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            RunDirectory.JSON.readTree(whole.resolve("result.json").toFile());
    var rows = (com.fasterxml.jackson.databind.node.ArrayNode) result.get("rows");
    while (rows.size() > 5) rows.remove(rows.size() - 1);
    RunDirectory.JSON.writeValue(half.resolve("result.json").toFile(), result);

    Ran again = seqlab("sweep", "long-range", "--master", "local[2]", "--out", half.toString());
    assertEquals(0, again.status(), again.err());
    assertTrue(again.out().contains("continuing: 5 of 18 runs already finished"), again.out());
    var sessions = RunDirectory.JSON.readTree(half.resolve("sweep.json").toFile());
    assertEquals(13, sessions.get(0).get("runs_finished").asInt());
    assertEquals(numbers(all), numbers(ExperimentRunner.readRows(half)));
  }

  /**
   * The driver killed (SIGKILL) while it sweeps, as a crash would: the rows of finished runs are on
   * disk, and the same command finishes the rest with the numbers of an uninterrupted run.
   */
  @Test
  void aDriverKilledMidSweepKeepsItsRowsAndTheSameCommandFinishes() throws Exception {
    List<String> longer = concat(SMALL, "--steps", "150", "--val-every", "50");
    longer = new ArrayList<>(longer);
    // the later --steps and --val-every win: remove the earlier ones
    for (String option : List.of("--steps", "--val-every")) {
      int first = longer.indexOf(option);
      longer.remove(first + 1);
      longer.remove(first);
    }
    Path dir = tmp.resolve("crashed");
    List<String> args = new ArrayList<>(List.of("sweep", "long-range"));
    args.addAll(concat(longer, "--master", "local[2]", "--out", dir));
    Process driver = SweepProcess.start(System.getProperty("java.class.path"), args);
    driver.getErrorStream().close();
    int seen = 0;
    try (var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                driver.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      for (String line; seen < 3 && (line = in.readLine()) != null; ) {
        if (line.startsWith("[")) seen++;
      }
      driver.destroyForcibly().waitFor();
    }
    assertEquals(3, seen, "three runs finished before the kill");
    int kept = ExperimentRunner.readRows(dir).size();
    assertTrue(kept >= 3 && kept < 18, kept + " rows kept");

    Ran again = seqlab("sweep", "long-range", "--master", "local[2]", "--out", dir.toString());
    assertEquals(0, again.status(), again.err());
    assertTrue(
        again.out().contains("continuing: " + kept + " of 18 runs already finished"), again.out());
    Path reference = tmp.resolve("reference");
    Ran whole = seqlab(args(List.of("run", "long-range"), concat(longer, "--out", reference)));
    assertEquals(0, whole.status(), whole.err());
    assertEquals(
        numbers(ExperimentRunner.readRows(reference)), numbers(ExperimentRunner.readRows(dir)));
  }

  static List<String> concat(List<String> head, Object... tail) {
    List<String> all = new ArrayList<>(head);
    for (Object t : tail) all.add(t.toString());
    return all;
  }
}
