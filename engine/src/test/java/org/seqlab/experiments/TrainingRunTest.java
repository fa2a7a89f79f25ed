package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.io.RunDirectory;
import org.seqlab.train.StepReport;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;

/**
 * A whole run into a directory with a real LSTM (small), with dropout, carried state and a cosine
 * schedule: what it writes, and that a run that crashed resumes to exactly the numbers of one that
 * never stopped.
 */
class TrainingRunTest {

  @TempDir static Path dir;
  static Path text;

  @BeforeAll
  static void writeText() throws Exception {
    SplittableRandom rng = new SplittableRandom(2);
    String[] words = {"the ", "cat ", "sat ", "on ", "a ", "mat", ".\n", "dog ", "ran "};
    StringBuilder s = new StringBuilder();
    while (s.length() < 30_000) s.append(words[rng.nextInt(words.length)]);
    text = dir.resolve("words.txt");
    Files.writeString(text, s, StandardCharsets.UTF_8);
  }

  static TrainingRunConfig config(String model, long maxSteps, double dropout) {
    return new TrainingRunConfig(
        "char-lm",
        text.toString(),
        null,
        0,
        16,
        8,
        model,
        2,
        24,
        8,
        dropout,
        2,
        48,
        "adamw",
        1e-2,
        0.9,
        0.9,
        0.999,
        1e-8,
        0.01,
        "cosine",
        5,
        1e-4,
        1.0,
        maxSteps,
        0,
        10,
        0,
        0,
        11,
        2,
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void aRunWritesItsDirectory() throws Exception {
    Path out = dir.resolve("plain");
    TrainingRun run = TrainingRun.start(config("lstm", 30, 0.1), out, false, TextFigures.SINK);
    TrainingResult result = run.run();
    assertEquals(TrainingResult.Stop.MAX_STEPS, result.stop());
    for (String f :
        List.of(
            "config.json",
            "metrics.csv",
            "gradient-norms.csv",
            "result.json",
            "checkpoint.safetensors",
            "model.safetensors",
            "loss.png",
            "loss.svg",
            "gradient-norm.png",
            "gradient-norm.svg")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    JsonNode json = RunDirectory.JSON.readTree(out.resolve("result.json").toFile());
    assertEquals(30, json.get("steps").asLong());
    assertEquals(result.validationLoss(), json.get("val_loss").asDouble(), 0);
    assertTrue(json.get("tokens_per_second").asDouble() > 0);
    assertTrue(json.get("val_loss").asDouble() < Math.log(run.vocabulary().size()));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
    assertEquals(RunCurve.HEADER, metrics.getFirst());
    assertEquals(31, metrics.size());
    // Validation every 10 steps lands on the rows of steps 10, 20, 30.
    for (int step = 1; step <= 30; step++) {
      String[] row = metrics.get(step).split(",", -1);
      assertEquals(Integer.toString(step), row[0]);
      assertEquals(step % 10 == 0, !row[3].isEmpty(), "val_loss on row " + step);
    }
    TrainingRunConfig stored =
        RunDirectory.JSON.readValue(out.resolve("config.json").toFile(), TrainingRunConfig.class);
    assertEquals(64, stored.textSha256().length());
    assertEquals(text.toAbsolutePath().normalize().toString(), stored.text());
    // The best model samples.
    TextSampler.Loaded loaded = TextSampler.load(out);
    StringBuilder sample = new StringBuilder();
    TextSampler.generate(loaded, new TextSampler.Options("the ", 40, 0.5, 0, 1), sample::append);
    assertEquals(40, sample.codePointCount(0, sample.length()));
  }

  /** Stops the process's run abruptly at a step, as a kill would: no checkpoint, no result. */
  static final class Crash extends RuntimeException {}

  @Test
  void aCrashedRunResumesToExactlyTheNumbersOfAnUninterruptedOne() throws Exception {
    Path whole = dir.resolve("whole");
    List<Double> expected = new ArrayList<>();
    TrainingRun reference = TrainingRun.start(config("lstm", 45, 0.2), whole, false);
    reference.addListener(recordLosses(expected));
    TrainingResult done = reference.run();

    Path broken = dir.resolve("broken");
    TrainingRun first = TrainingRun.start(config("lstm", 45, 0.2), broken, false);
    first.addListener(
        new TrainingListener() {
          @Override
          public void onStep(StepReport r) {
            if (r.step() == 27) throw new Crash();
          }
        });
    assertThrows(Crash.class, first::run);
    assertTrue(!Files.exists(broken.resolve("result.json")));

    List<Double> after = new ArrayList<>();
    TrainingRun resumed = TrainingRun.resume(broken, c -> c);
    assertEquals(20, resumed.resumedFrom(), "the last checkpoint was at the validation of step 20");
    resumed.addListener(recordLosses(after));
    TrainingResult result = resumed.run();

    assertEquals(done.steps(), result.steps());
    assertEquals(done.validationLoss(), result.validationLoss(), 0);
    assertEquals(done.bestValidationLoss(), result.bestValidationLoss(), 0);
    assertEquals(expected.subList(20, 45), after);
    // metrics.csv was cut back to step 20 and continued: the same losses in the same rows.
    assertArrayEquals(column(whole, 2), column(broken, 2));
    assertArrayEquals(column(whole, 3), column(broken, 3));
    assertArrayEquals(
        Files.readAllBytes(whole.resolve("model.safetensors")),
        Files.readAllBytes(broken.resolve("model.safetensors")));
  }

  @Test
  void aSyntheticTaskTrainsAndResumesToTheSameNumbers() throws Exception {
    for (String[] c : new String[][] {{"agreement", "6", "gru"}, {"adding", "8", "transformer"}}) {
      // as seqlab train --task TASK --distance D: no text
      java.util.Map<String, Object> task = new java.util.HashMap<>();
      task.put("task", c[0]);
      task.put("distance", Integer.parseInt(c[1]));
      task.put("text", null);
      TrainingRunConfig config = config(c[2], 30, c[2].equals("transformer") ? 0 : 0.1).with(task);
      Path whole = dir.resolve("whole-" + c[0]);
      TrainingResult done = TrainingRun.start(config, whole, false).run();
      assertEquals(30, done.steps());
      assertEquals(c[0].equals("adding"), Double.isNaN(done.validationAccuracy()), c[0]);

      Path broken = dir.resolve("broken-" + c[0]);
      TrainingRun first = TrainingRun.start(config, broken, false);
      first.addListener(
          new TrainingListener() {
            @Override
            public void onStep(StepReport r) {
              if (r.step() == 17) throw new Crash();
            }
          });
      assertThrows(Crash.class, first::run);
      TrainingRun resumed = TrainingRun.resume(broken, x -> x);
      assertEquals(10, resumed.resumedFrom(), c[0]);
      TrainingResult result = resumed.run();
      assertEquals(done.validationLoss(), result.validationLoss(), 0, c[0]);
      assertArrayEquals(column(whole, 2), column(broken, 2));
      assertArrayEquals(
          Files.readAllBytes(whole.resolve("model.safetensors")),
          Files.readAllBytes(broken.resolve("model.safetensors")));
    }
  }

  @Test
  void theInitialisationKnobsAreApplied() throws Exception {
    TrainingRunConfig config =
        config("lstm", 5, 0).with(java.util.Map.of("spectral_radius", 1.5, "forget_bias", 2.0));
    TrainingRun run = TrainingRun.start(config, dir.resolve("knobs"), false);
    org.seqlab.nn.Recurrent rnn = ((org.seqlab.nn.RecurrentLanguageModel) run.model()).recurrent();
    int h = rnn.hiddenSize();
    for (int layer = 0; layer < rnn.numLayers(); layer++) {
      float[] w = rnn.weightHh(layer).value().data();
      for (int block = 0; block < 4; block++) {
        double[] m = new double[h * h];
        for (int i = 0; i < m.length; i++) m[i] = w[block * h * h + i];
        assertEquals(1.5, org.seqlab.probe.Spectral.spectralRadius(m, h), 1e-5);
      }
      float[] bIh = rnn.biasIh(layer).value().data(), bHh = rnn.biasHh(layer).value().data();
      for (int j = h; j < 2 * h; j++) assertEquals(2.0, bIh[j] + bHh[j], 0);
    }
    var gru =
        assertThrows(
            IllegalArgumentException.class,
            () -> config("gru", 5, 0).with(java.util.Map.of("forget_bias", 1.0)));
    assertEquals("--forget-bias applies to a model with a forget gate, not gru", gru.getMessage());
  }

  @Test
  void oneThreadAndTwoGiveTheSameNumbersBitForBit() throws Exception {
    for (String model : List.of("lstm", "transformer")) {
      List<List<Double>> losses = new ArrayList<>();
      for (int threads : new int[] {1, 2}) {
        // Sizes at which the products and the recurrent steps are split between the threads.
        TrainingRunConfig c =
            config(model, 12, model.equals("lstm") ? 0.2 : 0)
                .with(Map.of("threads", threads, "hidden", 64, "feed_forward", 128, "batch", 16));
        List<Double> seen = new ArrayList<>();
        TrainingRun run = TrainingRun.start(c, dir.resolve(model + "-threads-" + threads), false);
        run.addListener(recordLosses(seen));
        seen.add(run.run().validationLoss());
        losses.add(seen);
      }
      assertEquals(losses.get(0), losses.get(1), model);
    }
  }

  @Test
  void theTransformerTrainsThroughTheSameEngine() throws Exception {
    TrainingRun run = TrainingRun.start(config("transformer", 20, 0), dir.resolve("t"), false);
    TrainingResult result = run.run();
    assertEquals(20, result.steps());
    assertTrue(result.validationLoss() < Math.log(run.vocabulary().size()));
  }

  /**
   * A cosine run stopped halfway and resumed with a higher --max-steps trains the extra steps, its
   * metrics and checkpoint continuing, with its cosine re-planned from the rate it had reached at
   * the resume point down to the minimum at the new limit (config.json keeps the re-plan, so a
   * later resume follows it); a limit the run has already passed is refused.
   */
  @Test
  void anExtendedCosineRunTrainsTheExtraStepsOnAScheduleReplannedWhereItResumed() throws Exception {
    Path out = dir.resolve("extended");
    TrainingRunConfig c = config("lstm", 40, 0);
    TrainingRun first = TrainingRun.start(c, out, false);
    first.addListener(
        new TrainingListener() {
          @Override
          public void onStep(StepReport r) {
            if (r.step() == 20) first.cancel();
          }
        });
    assertEquals(TrainingResult.Stop.CANCELLED, first.run().stop());
    double r0 = c.trainingOptions().learningRate(20, 0); // the next step's rate under the old plan
    assertTrue(r0 > c.minLr() && r0 < c.lr(), "halfway through the decay: " + r0);

    TrainingRun resumed = TrainingRun.resume(out, x -> x.with(Map.of("max_steps", 60)));
    assertEquals(20, resumed.resumedFrom());
    String words = resumed.extension().orElseThrow();
    assertTrue(words.contains("re-planned from step 20"), words);
    assertTrue(words.contains("at step 60"), words);
    TrainingResult result = resumed.run();
    assertEquals(TrainingResult.Stop.MAX_STEPS, result.stop());
    assertEquals(60, result.steps());
    assertEquals(60, RunDirectory.open(out).loadCheckpoint().state().step());

    List<String[]> rows = RunDirectory.open(out).readCsv("metrics.csv");
    assertEquals(60, rows.size(), "one row per step, 1 to 60, none twice");
    for (int i = 0; i < 60; i++) assertEquals(i + 1, Long.parseLong(rows.get(i)[0]));
    for (int k = 21; k <= 60; k++) {
      double q = (k - 1 - 20) / 40.0;
      double expected = c.minLr() + (r0 - c.minLr()) * (1 + Math.cos(Math.PI * q)) / 2;
      assertEquals(expected, Double.parseDouble(rows.get(k - 1)[5]), 1e-12 * r0, "step " + k);
    }
    JsonNode config = RunDirectory.JSON.readTree(out.resolve("config.json").toFile());
    assertEquals(20, config.get("schedule_restart").get("step").asLong());
    assertEquals(60, config.get("max_steps").asLong());
    // The re-plan is kept as the share of the decay still ahead, so a new --lr (a remedy after a
    // divergence) scales the rate it restarts from as it scales the rest of the plan.
    double share = config.get("schedule_restart").get("share").asDouble();
    assertEquals((r0 - c.minLr()) / (c.lr() - c.minLr()), share, 1e-12);
    TrainingRunConfig stored =
        RunDirectory.open(out).readJson("config.json", TrainingRunConfig.class);
    TrainingRunConfig remedied = stored.with(Map.of("lr", 2e-3));
    assertEquals(
        c.minLr() + (2e-3 - c.minLr()) * share,
        remedied.trainingOptions().learningRate(20, 0),
        1e-15);

    var refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainingRun.resume(out, x -> x.with(Map.of("max_steps", 50))));
    assertTrue(refused.getMessage().contains("the run is at step 60"), refused.getMessage());
  }

  @Test
  void resumingWithAChangedConfigurationIsRefusedNamingTheOption() throws Exception {
    Path out = dir.resolve("changed");
    TrainingRun.start(config("gru", 10, 0), out, false).run();
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainingRun.resume(out, c -> c.with(Map.of("hidden", 32, "lr", 0.5))));
    assertTrue(e.getMessage().contains("hidden 32 (the run has 24)"), e.getMessage());
    assertTrue(e.getMessage().contains("lr 0.5 (the run has 0.01)"), e.getMessage());
  }

  @Test
  void resumingAfterTheTextChangedIsRefused() throws Exception {
    Path copy = dir.resolve("copy.txt");
    Files.copy(text, copy);
    Path out = dir.resolve("moved");
    TrainingRunConfig c = config("rnn", 10, 0);
    TrainingRun.start(c.with(Map.of("text", copy.toString())), out, false).run();
    Files.writeString(copy, "the cat", java.nio.file.StandardOpenOption.APPEND);
    var e = assertThrows(IllegalArgumentException.class, () -> TrainingRun.resume(out, x -> x));
    assertTrue(e.getMessage().contains("has changed since the run began"), e.getMessage());
  }

  private static TrainingListener recordLosses(List<Double> into) {
    return new TrainingListener() {
      @Override
      public void onStep(StepReport r) {
        into.add(r.loss());
      }
    };
  }

  private static String[] column(Path run, int index) throws Exception {
    return Files.readAllLines(run.resolve("metrics.csv")).stream()
        .map(line -> line.split(",", -1)[index])
        .toArray(String[]::new);
  }
}
