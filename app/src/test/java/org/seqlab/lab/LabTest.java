package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.TrainingRun;
import org.seqlab.probe.Spectral;

/** The lab's engine, without HTTP: runs, queue, divergence and resume, history, probes. */
class LabTest {

  @TempDir Path runs;

  static LabConfig config(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
    LabConfig.Checked c = LabConfig.check(m, List.of());
    assertTrue(c.exact(), () -> c.changes() + " " + c.problems());
    return c.config();
  }

  static void awaitEnd(LabRun run) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (run.events().isOpen() || !run.status().ended()) {
      assertTrue(System.currentTimeMillis() < deadline, "the run did not end in 2 minutes");
      run.events().after(run.events().size(), 200);
    }
  }

  static JsonNode json(RunEvents.Event e) throws IOException {
    return RunEvents.JSON.readTree(e.data());
  }

  /** The engine's configuration of a run, as its directory holds it. */
  static org.seqlab.experiments.TrainingRunConfig runConfig(LabRun run) throws IOException {
    return org.seqlab.io.RunDirectory.open(run.dir())
        .readJson(
            org.seqlab.io.RunDirectory.CONFIG, org.seqlab.experiments.TrainingRunConfig.class);
  }

  private Lab lab(int maxRunning, int maxQueued) throws IOException {
    return new Lab(new Lab.Options(runs, maxRunning, maxQueued, List.of()));
  }

  @Test
  void aRecurrentRunStreamsItsCurvesAndTheGradientAtEveryTimeStep() throws Exception {
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.start(config("model", "lstm", "distance", 5, "steps", 60, "hidden", 16));
      awaitEnd(run);
      assertEquals(LabRun.Status.FINISHED, run.status());
      RunEvents events = run.events();
      List<String> types =
          events.after(0, 0).stream().map(RunEvents.Event::type).distinct().toList();
      assertEquals(
          List.of("status", "start", "gates", "step", "time_gradients", "validation", "finished"),
          types);
      assertEquals(60, events.ofType("step").size()); // 60 steps: none thinned
      assertEquals(20, events.ofType("validation").size()); // every 3 steps
      // Ids run 1, 2, 3, ... with no gap, and the log is closed with "finished" last.
      List<RunEvents.Event> all = events.after(0, 0);
      for (int i = 0; i < all.size(); i++) assertEquals(i + 1, all.get(i).id());
      assertEquals("finished", all.getLast().type());
      assertFalse(events.isOpen());

      // One speed: the last step event's is the result's, training tokens per training second.
      double live = json(events.ofType("step").getLast()).get("tokens_per_s").asDouble();
      double result =
          json(events.ofType("finished").getLast())
              .get("result")
              .get("tokens_per_second")
              .asDouble();
      assertEquals(result, live, 1e-9 * result, "tokens per second, live and in the result");

      int length = json(events.ofType("start").getFirst()).get("steps_per_sequence").asInt();
      JsonNode g = json(events.ofType("time_gradients").getLast());
      assertEquals(60, g.get("step").asInt());
      assertEquals(length, g.get("norms").size());
      // The loss asks only the last word of each sentence; steps after a sentence's end have no
      // state, so the last steps of the longest sentences carry the gradient, and the predicted
      // decay starts from the last step with any and falls by exactly rho per step back.
      double radius = g.get("radius").asDouble();
      int last = length - 1;
      while (g.get("norms").get(last).asDouble() == 0) last--;
      double top = g.get("norms").get(last).asDouble();
      for (int t = 0; t <= last; t++) {
        double expected = top * Math.pow(radius, last - t);
        // The norms travel as float32, the prediction as a double.
        assertEquals(expected, g.get("predicted").get(t).asDouble(), 1e-6 * expected + 1e-30);
      }
      assertTrue(g.get("cell_norms").size() == length, "the LSTM also reports dL/dc_t");
    }
  }

  @Test
  void theRadiusInTheHeatMapIsTheSpectralRadiusOfTheTrainedWeights() throws Exception {
    try (Lab lab = lab(1, 4)) {
      LabRun run =
          lab.start(
              config(
                  "init", "spectral", "spectral_radius", 0.5, "steps", 1, "lr", 1e-5, "hidden", 8));
      awaitEnd(run);
      JsonNode g = json(run.events().ofType("time_gradients").getFirst());
      // One step at lr 1e-5 barely moves W_hh away from its exact radius 0.5.
      assertEquals(0.5, g.get("radius").asDouble(), 1e-3);
      var model =
          (org.seqlab.nn.RecurrentLanguageModel)
              TrainingRun.resume(run.dir(), c -> c).model(); // the checkpoint's weights
      float[] w = model.recurrent().weightHh(0).value().data();
      double[] m = new double[64];
      for (int i = 0; i < 64; i++) m[i] = w[i];
      assertEquals(Spectral.spectralRadius(m, 8), g.get("radius").asDouble(), 1e-6);
    }
  }

  @Test
  void gatesAreProbabilitiesAndTheCellStateIsShownForTheLstm() throws Exception {
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.start(config("model", "lstm", "steps", 2, "hidden", 80));
      awaitEnd(run);
      JsonNode gates = json(run.events().ofType("gates").getLast());
      assertEquals(4, gates.get("gates").size());
      assertEquals("forget gate f", gates.get("labels").get(1).asText());
      int steps = gates.get("tokens").size();
      assertEquals("<s>", gates.get("tokens").get(0).asText());
      JsonNode forget = gates.get("gates").get(1);
      assertEquals(steps, forget.size());
      assertEquals(LabProbes.MAX_UNITS, forget.get(0).size()); // 80 units, 64 shown
      for (JsonNode row : forget)
        for (JsonNode v : row) assertTrue(v.asDouble() > 0 && v.asDouble() < 1);
      JsonNode candidate = gates.get("gates").get(2); // tanh: in (-1, 1), some negative
      boolean negative = false;
      for (JsonNode row : candidate) for (JsonNode v : row) negative |= v.asDouble() < 0;
      assertTrue(negative);
      assertEquals(steps, gates.get("cell").size());
      assertEquals(80, gates.get("units").asInt());
    }
  }

  @Test
  void attentionMapsAreCausalDistributions() throws Exception {
    try (Lab lab = lab(1, 4)) {
      LabRun run =
          lab.start(
              config("model", "transformer", "heads", 2, "layers", 2, "steps", 2, "hidden", 16));
      awaitEnd(run);
      JsonNode a = json(run.events().ofType("attention").getLast());
      assertEquals(2, a.get("maps").size());
      JsonNode map = a.get("maps").get(1).get(1);
      int steps = a.get("tokens").size();
      assertEquals(steps, map.size());
      for (int q = 0; q < steps; q++) {
        double sum = 0;
        for (int k = 0; k < steps; k++) {
          double v = map.get(q).get(k).asDouble();
          if (k > q) assertEquals(0, v, "position " + (q + 1) + " sees no later position");
          sum += v;
        }
        assertEquals(1, sum, 1e-5);
      }
    }
  }

  @Test
  void theReachOfAttentionNamesTheStrongestLinkOfTheLastPosition() {
    float[][] a = {{1, 0, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.1f, 0.7f}};
    float[][] b = {{1, 0, 0}, {0.9f, 0.1f, 0}, {0.8f, 0.15f, 0.05f}};
    assertEquals(
        "The last position ('c', 3) attends most to 'a' at position 1, 2 steps back, with weight"
            + " 0.80 (layer 2, head 1).",
        LabProbes.reach(
            List.of(List.<float[][]>of(a), List.<float[][]>of(b)), List.of("a", "b", "c")));
    assertEquals(
        "The last position (3) attends most to position 3, 0 steps back, with weight 0.70 (layer 1,"
            + " head 1).",
        LabProbes.reach(List.of(List.<float[][]>of(a)), null));
  }

  @Test
  void aDivergedRunSaysWhereAndResumesWithClipping() throws Exception {
    try (Lab lab = lab(1, 4)) {
      Map<String, Object> exploding = new LinkedHashMap<>(Presets.named("exploding").settings());
      exploding.put("steps", 100);
      LabRun run = lab.start(LabConfig.check(exploding, List.of()).config());
      awaitEnd(run);
      assertEquals(LabRun.Status.DIVERGED, run.status());
      JsonNode d = json(run.events().ofType("divergence").getFirst());
      assertTrue(d.get("step").asInt() >= 1 && d.get("step").asInt() < 100);
      assertTrue(d.get("message").asText().startsWith("training diverged at step "));
      // The loss broke before any gradient could name a parameter: the last good step names the
      // one whose gradient was largest.
      JsonNode lastGood = d.get("last_good_step");
      assertEquals(d.get("step").asInt() - 1, lastGood.get("step").asInt());
      String largest = lastGood.get("largest_parameter").asText();
      // The same parameter the run's gradient-norms.csv shows largest at that step.
      List<String> lines = Files.readAllLines(run.dir().resolve("gradient-norms.csv"));
      String[] names = lines.getFirst().split(",");
      String[] row =
          lines.stream()
              .filter(l -> l.startsWith(lastGood.get("step").asText() + ","))
              .findFirst()
              .orElseThrow()
              .split(",");
      int arg = 1;
      for (int i = 2; i < row.length; i++) {
        if (Double.parseDouble(row[i]) > Double.parseDouble(row[arg])) arg = i;
      }
      assertEquals(names[arg], largest);
      assertTrue(
          d.get("message").asText().contains("the largest gradient was " + largest + "'s"),
          d.get("message").asText());
      assertEquals(true, run.toJson().get("resumable"));

      lab.resume(run.id(), 1.0, null);
      awaitEnd(run);
      assertEquals(LabRun.Status.FINISHED, run.status(), () -> String.valueOf(run.toJson()));
      assertTrue(run.config().clip());
      JsonNode resumed = json(run.events().ofType("resumed").getFirst());
      assertEquals(d.get("checkpoint_step").asLong(), resumed.get("from_step").asLong());
      assertEquals(1.0, runConfig(run).clip());
      // A finished run is not resumed.
      assertThrows(IllegalStateException.class, () -> lab.resume(run.id(), 1.0, null));
    }
  }

  /** A folder that looks like a run or an experiment but cannot be read is named with why. */
  @Test
  void unreadableFoldersAreLeftOutOfTheHistoryAndSaidWhy() throws Exception {
    Path broken = Files.createDirectories(runs.resolve("20260101-000000-broken"));
    Files.writeString(broken.resolve("config.json"), "{not json");
    Path unknown = Files.createDirectories(runs.resolve("20260101-000001-old-experiment"));
    Files.writeString(
        unknown.resolve(ExperimentJob.RECORD), "{\"experiment\": \"no-such\", \"runs\": 1}");
    Files.createDirectories(runs.resolve("notes")); // no run's files: not a run, nothing to say
    try (Lab lab = lab(1, 1)) {
      assertTrue(lab.list().isEmpty());
      assertTrue(lab.experiments().isEmpty());
      Map<String, String> skipped = lab.skipped();
      assertEquals(
          List.of("20260101-000000-broken", "20260101-000001-old-experiment"),
          List.copyOf(skipped.keySet()));
      assertEquals(
          "config.json is not valid JSON (line 1, column 2): Unexpected character ('n'): was"
              + " expecting double-quote to start field name",
          skipped.get("20260101-000000-broken"));
      assertTrue(
          skipped.get("20260101-000001-old-experiment").startsWith("unknown experiment 'no-such'"),
          skipped.get("20260101-000001-old-experiment"));
    }
  }

  /**
   * The shortest text the lab says a window and batch need is the engine's own limit: that many
   * characters train, one fewer is refused, in the lab's words.
   */
  @Test
  void theShortestTextIsTheEnginesLimit() throws Exception {
    for (int[] wb : new int[][] {{64, 32}, {4, 1}, {16, 3}}) {
      long n = Lab.shortestText(wb[0], wb[1]);
      Path enough =
          Files.writeString(runs.resolve("enough.txt"), "ab c".repeat(1000).substring(0, (int) n));
      assertEquals(null, Lab.textProblem(enough, wb[0], wb[1]), n + " characters");
      new org.seqlab.tasks.TextStreams(org.seqlab.tasks.CharCorpus.read(enough), wb[0], wb[1], 0);
      Path fewer =
          Files.writeString(
              runs.resolve("fewer.txt"), "ab c".repeat(1000).substring(0, (int) n - 1));
      String problem = Lab.textProblem(fewer, wb[0], wb[1]);
      assertTrue(
          problem != null && problem.startsWith("its " + (n - 1) + " characters are too few"),
          problem);
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new org.seqlab.tasks.TextStreams(
                  org.seqlab.tasks.CharCorpus.read(fewer), wb[0], wb[1], 0));
    }
  }

  /** Waits until the run has reported a training step after {@code step}. */
  static void awaitStepAfter(LabRun run, long step) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (run.events().ofType("step").stream()
        .noneMatch(
            e -> {
              try {
                return json(e).get("step").asLong() > step;
              } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
              }
            })) {
      assertTrue(System.currentTimeMillis() < deadline, "no step after " + step + " in 2 minutes");
      run.events().after(run.events().size(), 200);
    }
  }

  /**
   * The lab's Ctrl-C stops every run after its step, each with a checkpoint. After a restart such a
   * run is cancelled and resumable, as {@code seqlab train --resume} continues it: it goes on from
   * its checkpoint with its own settings.
   */
  @Test
  void aRunStoppedWhenTheLabStoppedResumesAfterARestart() throws Exception {
    String id;
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.start(config("model", "gru", "distance", 5, "steps", 5000, "hidden", 8));
      id = run.id();
      awaitStepAfter(run, 2);
    } // closing the lab is what its Ctrl-C does
    long stoppedAt;
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.get(id);
      assertEquals(LabRun.Status.CANCELLED, run.status());
      assertTrue(Files.isRegularFile(run.dir().resolve(org.seqlab.io.RunDirectory.CHECKPOINT)));
      assertEquals(true, run.toJson().get("resumable"));
      stoppedAt = ((Number) run.toJson().get("step")).longValue();
      assertTrue(stoppedAt > 2 && stoppedAt < 5000, "stopped at " + stoppedAt);
      // Its settings are its own: clipping and the rate change only after a divergence.
      IllegalArgumentException changed =
          assertThrows(IllegalArgumentException.class, () -> lab.resume(id, 0.5, null));
      assertEquals(
          "a stopped run continues with its own settings; clip_threshold and lr change only after"
              + " a divergence",
          changed.getMessage());

      lab.resume(id, null, null);
      assertEquals(false, run.toJson().get("resumable"), "not twice at once");
      JsonNode resumed = json(run.events().ofType("resumed").getLast());
      assertEquals(stoppedAt, resumed.get("from_step").asLong());
      awaitStepAfter(run, stoppedAt + 2);
      lab.cancel(id);
      awaitEnd(run);
      assertEquals(LabRun.Status.CANCELLED, run.status());
      assertTrue(((Number) run.toJson().get("step")).longValue() > stoppedAt + 2);
      assertEquals(5000, runConfig(run).maxSteps(), "the same run, its own settings");
    }
  }

  @Test
  void aDivergedRunFoundAfterARestartResumesAndKeepsItsHistory() throws Exception {
    Map<String, Object> exploding = new LinkedHashMap<>(Presets.named("exploding").settings());
    exploding.put("steps", 60);
    String id;
    int before;
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.start(LabConfig.check(exploding, List.of()).config());
      awaitEnd(run);
      assertEquals(LabRun.Status.DIVERGED, run.status());
      id = run.id();
      before = run.events().size();
    }
    // A killed lab may leave half a line at the end of the log: it is cut, not built upon.
    Files.writeString(
        runs.resolve(id).resolve(RunEvents.FILE),
        "{\"type\":\"step\",\"da",
        java.nio.file.StandardOpenOption.APPEND);
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.get(id);
      assertEquals(LabRun.Status.DIVERGED, run.status());
      assertEquals(before, run.events().size());
      lab.resume(id, 0.5, null);
      awaitEnd(run);
      assertEquals(
          LabRun.Status.FINISHED,
          run.status(),
          () ->
              run.events().all().stream()
                  .map(e -> e.type() + " " + e.data().substring(0, Math.min(80, e.data().length())))
                  .toList()
                  .toString());
      assertEquals(1, run.events().ofType("divergence").size());
      assertEquals(1, run.events().ofType("resumed").size());
    }
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.get(id);
      assertEquals(LabRun.Status.FINISHED, run.status());
      assertEquals(0.5, run.config().clipThreshold());
      List<RunEvents.Event> all = run.events().after(0, 0);
      assertEquals("finished", all.getLast().type());
      assertEquals(1, all.stream().filter(e -> e.type().equals("resumed")).count());
    }
  }

  @Test
  void runsWaitTheirTurnAndTheQueueHasALimit() throws Exception {
    try (Lab lab = lab(1, 1)) {
      LabRun first = lab.start(config("steps", 3000, "hidden", 64));
      while (first.status() != LabRun.Status.RUNNING)
        first.events().after(first.events().size(), 50);
      LabRun second = lab.start(config("steps", 5));
      assertEquals(LabRun.Status.QUEUED, second.status());
      Lab.QueueFull full = assertThrows(Lab.QueueFull.class, () -> lab.start(config("steps", 5)));
      assertTrue(full.getMessage().contains("1 wait"), full.getMessage());
      // Cancelling the queued run frees its place; it never trains.
      lab.cancel(second.id());
      assertEquals(LabRun.Status.CANCELLED, second.status());
      assertTrue(second.events().ofType("step").isEmpty());
      LabRun third = lab.start(config("steps", 5));
      lab.cancel(first.id());
      awaitEnd(first);
      assertEquals(LabRun.Status.CANCELLED, first.status());
      awaitEnd(third);
      assertEquals(LabRun.Status.FINISHED, third.status());
      JsonNode queued = json(third.events().ofType("status").getFirst());
      assertEquals("queued", queued.get("status").asText());
      assertEquals(1, queued.get("queue_position").asInt());
    }
  }

  @Test
  void theHistorySurvivesARestartAndShowsRunsTheCommandLineWrote() throws Exception {
    String id;
    int eventCount;
    try (Lab lab = lab(1, 4)) {
      LabRun run = lab.start(config("model", "gru", "steps", 20));
      awaitEnd(run);
      id = run.id();
      eventCount = run.events().size();
    }
    // A run `seqlab train --out RUNS/cli-run` wrote: no lab files at all.
    TrainingRun cli =
        TrainingRun.start(
            config("model", "rnn", "steps", 12).toRunConfig(null), runs.resolve("cli-run"), false);
    cli.run();
    assertFalse(Files.exists(runs.resolve("cli-run").resolve(LabRun.LAB_FILE)));

    try (Lab again = lab(1, 4)) {
      List<LabRun> history = again.list();
      assertEquals(2, history.size());
      LabRun run = again.get(id);
      assertEquals(LabRun.Status.FINISHED, run.status());
      assertEquals("lab", run.toJson().get("source"));
      assertEquals(eventCount, run.events().size(), "every event is replayed after a restart");
      LabRun fromCli = again.get("cli-run");
      assertEquals("cli", fromCli.toJson().get("source"));
      assertEquals(LabRun.Status.FINISHED, fromCli.status());
      assertEquals(12, fromCli.events().ofType("step").size());
      assertEquals("finished", fromCli.events().after(0, 0).getLast().type());
      // Ids that are not plain names never reach the file system.
      assertEquals(null, again.get("../" + id));
    }
  }

  @Test
  void aComparisonListsTheFieldsThatDiffer() throws Exception {
    try (Lab lab = lab(2, 4)) {
      LabRun a = lab.start(config("model", "rnn", "steps", 3));
      LabRun b = lab.start(config("model", "lstm", "steps", 3, "forget_bias", 1));
      awaitEnd(a);
      awaitEnd(b);
      Map<String, Object> c = lab.compare(List.of(a.id(), b.id()));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> differences = (List<Map<String, Object>>) c.get("differences");
      assertEquals(
          List.of("model", "forget_bias"), differences.stream().map(d -> d.get("field")).toList());
      assertEquals(List.of("rnn", "lstm"), differences.getFirst().get("values"));
      assertThrows(IllegalArgumentException.class, () -> lab.compare(List.of(a.id())));
    }
  }

  @Test
  void aTextIsLearnedCharacterByCharacterWithItsWindowAsTheTruncation() throws Exception {
    Path text =
        Files.writeString(
            runs.resolve("text.txt"), "to be or not to be, that is the question. ".repeat(60));
    try (Lab lab = new Lab(new Lab.Options(runs.resolve("runs"), 1, 1, List.of(text)))) {
      LabConfig.Checked c =
          lab.check(
              Map.of("task", "char-lm", "model", "gru", "seq_len", 16, "steps", 20, "batch", 4));
      assertTrue(c.exact(), () -> c.changes() + " " + c.problems());
      assertEquals("text.txt", c.config().text());
      LabRun run = lab.start(c.config());
      awaitEnd(run);
      assertEquals(LabRun.Status.FINISHED, run.status());
      JsonNode gates = json(run.events().ofType("gates").getLast());
      assertEquals(3, gates.get("gates").size()); // the GRU's r, z, n
      assertEquals(16, gates.get("tokens").size());
      for (JsonNode t : gates.get("tokens")) assertEquals(1, t.asText().length());
      JsonNode g = json(run.events().ofType("time_gradients").getLast());
      assertEquals(16, g.get("norms").size());
      assertEquals(16, runConfig(run).seqLen());
    }
  }

  @Test
  void oneExperimentRunsAndTwoMayWait() throws Exception {
    try (Lab lab = lab(1, 1)) {
      Map<String, Object> request =
          Map.of("distances", List.of(5), "models", List.of("lstm"), "seeds", 1, "steps", 3000);
      List<ExperimentJob> jobs = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) jobs.add(lab.startExperiment("long-range", request));
      Lab.QueueFull full =
          assertThrows(Lab.QueueFull.class, () -> lab.startExperiment("long-range", request));
      assertTrue(full.getMessage().startsWith("3 experiments are running or waiting"));
      for (ExperimentJob job : jobs) lab.cancelExperiment(job.id());
      assertThrows(
          IllegalArgumentException.class,
          () -> lab.startExperiment("char-lm", Map.of()),
          "the lab runs the synthetic sweeps only");
    }
  }

  @Test
  void anMqarRunShowsItsKeysAndValuesAndItsProbesCoverTheWholeSequence() throws Exception {
    try (Lab lab = lab(2, 4)) {
      LabRun lstm = lab.start(config("task", "mqar", "distance", 3, "model", "lstm", "steps", 4));
      LabRun attention =
          lab.start(
              config(
                  "task", "mqar", "distance", 3, "model", "transformer", "heads", 2, "steps", 4));
      awaitEnd(lstm);
      awaitEnd(attention);
      assertEquals(LabRun.Status.FINISHED, lstm.status());
      assertEquals(LabRun.Status.FINISHED, attention.status());
      // 3 pairs, then the 3 keys asked: K V K V K V, then K V K V K V, the last value unasked.
      JsonNode gates = json(lstm.events().ofType("gates").getLast());
      JsonNode tokens = gates.get("tokens");
      assertEquals(11, tokens.size());
      for (int t = 0; t < tokens.size(); t++) {
        assertTrue(tokens.get(t).asText().startsWith(t % 2 == 0 ? "K" : "V"), tokens.toString());
      }
      JsonNode maps = json(attention.events().ofType("attention").getLast());
      assertEquals(tokens.size(), maps.get("tokens").size());
      JsonNode validation = json(lstm.events().ofType("validation").getLast());
      assertTrue(validation.get("accuracy").isNumber(), validation.toString());
      // The gradient-flow probe measures over the task's whole sequence: 2k + 2k steps.
      Map<String, Object> flow = lab.gradientFlow(config("task", "mqar", "distance", 3), null);
      assertEquals(12, flow.get("steps"));
    }
  }

  @Test
  void theGradientFlowProbeIsSeqlabGradientsForEveryArchitecture() throws Exception {
    try (Lab lab = lab(1, 1)) {
      Map<String, Object> flow = lab.gradientFlow(config("model", "lstm", "forget_bias", 3), 30);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> series = (List<Map<String, Object>>) flow.get("series");
      // The chosen model first, then every other architecture the lab offers, in the table's order.
      List<String> order = new java.util.ArrayList<>(LabConfig.MODELS);
      order.remove("lstm");
      order.addFirst("lstm");
      assertEquals(order, series.stream().map(s -> s.get("model")).toList());
      assertEquals(
          "seqlab gradients --model lstm --hidden 32 --steps 30 --seed 1 --forget-bias 3.0",
          series.getFirst().get("command"));
      var expected =
          org.seqlab.probe.GradientFlow.measure(
              new org.seqlab.probe.GradientFlow.Config(
                  org.seqlab.nn.RecurrentKind.LSTM,
                  10,
                  32,
                  30,
                  new org.seqlab.probe.GradientFlow.WeightInit.PyTorchDefault(),
                  Double.NaN,
                  3.0,
                  1),
              new org.seqlab.tensor.NumpyRandom(1));
      assertTrue(
          java.util.Arrays.equals(
              expected.hiddenGradientNorm(), (double[]) series.getFirst().get("hidden")));
      assertEquals(
          org.seqlab.view.GradientVerdict.sentences(expected, "h"),
          series.getFirst().get("sentences"));
      assertNotNull(series.getFirst().get("cell"));
      assertEquals(null, series.get(1).get("cell"));
      assertThrows(IllegalArgumentException.class, () -> lab.gradientFlow(config(), 100_000));
    }
  }
}
