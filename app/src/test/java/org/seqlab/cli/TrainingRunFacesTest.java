package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.ExperimentSettings;
import org.seqlab.experiments.sweep.Experiments;
import org.seqlab.experiments.sweep.RunExecutor;
import org.seqlab.experiments.sweep.Sweep;
import org.seqlab.experiments.sweep.SweepRun;
import org.seqlab.experiments.sweep.TaskSpec;
import org.seqlab.io.RunDirectory;
import org.seqlab.lab.Lab;
import org.seqlab.lab.LabConfig;
import org.seqlab.lab.LabRun;
import org.seqlab.nn.Parameter;
import org.seqlab.tensor.Tensor;

/**
 * One setting, an LSTM H 16 (forget bias 1) on agreement at distance 5, Adam at 0.01, clipping at
 * 1, 60 steps, validation every 3, trained from every face: {@code seqlab train}, the lab, and a
 * run of an experiment's plan through {@link Sweep} (what {@link RunExecutor.OnThreads} and a Spark
 * task execute). Every parameter's bits and every value of the curve agree.
 */
class TrainingRunFacesTest {

  @TempDir Path dir;

  private static final String[] SETTING = {
    "--task",
    "agreement",
    "--distance",
    "5",
    "--model",
    "lstm",
    "--layers",
    "1",
    "--hidden",
    "16",
    "--embedding",
    "16",
    "--forget-bias",
    "1",
    "--dropout",
    "0",
    "--batch",
    "32",
    "--optimizer",
    "adam",
    "--lr",
    "0.01",
    "--schedule",
    "constant",
    "--warmup",
    "0",
    "--min-lr",
    "0.01",
    "--clip",
    "1",
    "--max-steps",
    "60",
    "--val-every",
    "3",
    "--threads",
    "1"
  };

  @Test
  void trainAndTheLabGiveTheSameModelAndTheSameCurve() throws Exception {
    Path trained = dir.resolve("train");
    CliRun train = train(trained, "--seed", "3");
    assertEquals(0, train.status(), train.err());

    Map<String, Object> request = new LinkedHashMap<>();
    request.put("model", "lstm");
    request.put("task", "agreement");
    request.put("distance", 5);
    request.put("hidden", 16);
    request.put("layers", 1);
    request.put("forget_bias", 1.0);
    request.put("optimizer", "adam");
    request.put("lr", 0.01);
    request.put("clip", true);
    request.put("clip_threshold", 1.0);
    request.put("steps", 60);
    request.put("batch", 32);
    request.put("seed", 3);
    LabConfig.Checked checked = LabConfig.check(request, List.of());
    assertTrue(checked.exact(), checked.changes() + " " + checked.problems());
    Path labRun;
    try (Lab lab = new Lab(new Lab.Options(dir.resolve("lab"), 1, 1, List.of()))) {
      LabRun run = lab.start(checked.config());
      awaitEnd(run);
      assertEquals(LabRun.Status.FINISHED, run.status());
      labRun = run.dir();
    }

    assertSameWeights(finalWeights(trained), finalWeights(labRun));
    assertSameCurve(curve(trained), curve(labRun));
  }

  @Test
  void aRunOfASweepIsTheTrainingRunOfItsConfig() throws Exception {
    // The long-range experiment matches its models to --params: the count of an LSTM H 16.
    TaskSpec task = new TaskSpec("agreement", 5, 32, 512, 0);
    long params = ModelSpec.of("lstm", 16, 1, 16, 2).parameterCount(task.shape());
    ExperimentSettings settings =
        new ExperimentSettings(
            List.of("lstm"),
            List.of(5),
            null,
            List.of(1.0),
            1,
            params,
            60,
            0.01,
            1.0,
            32,
            512,
            3,
            0.0,
            null,
            null,
            null,
            3L,
            1);
    Path sweepDir = dir.resolve("sweep");
    ExperimentRunner runner =
        ExperimentRunner.prepare(Experiments.named("long-range"), settings, List.of(), sweepDir);
    List<SweepRun> plan = runner.plan();
    assertEquals(3, plan.size(), "the three rates of the LSTM's tuning grid at forget bias 1");
    // the run at the rate `train` is given below
    SweepRun run = plan.stream().filter(r -> r.budget().lr() == 0.01).findFirst().orElseThrow();
    assertEquals(16, run.model().hidden());
    runner.run(new ExperimentRunner.Listener() {}, new RunExecutor.OnThreads(1));
    Sweep.Finished finished = new Sweep(plan, 1).execute(run);

    // The mapping: the sweep's run is `seqlab train` with the run's two seeds.
    Path trained = dir.resolve("train");
    CliRun train =
        train(
            trained,
            "--seed",
            Long.toString(run.modelSeed()),
            "--data-seed",
            Long.toString(run.dataSeed()));
    assertEquals(0, train.status(), train.err());
    TrainingRunConfig stored =
        RunDirectory.open(trained).readJson(RunDirectory.CONFIG, TrainingRunConfig.class);
    assertEquals(run.runConfig().modelSpec(), stored.modelSpec());
    assertEquals(run.runConfig().trainingOptions().seed(), stored.trainingOptions().seed());

    Map<String, float[]> sweepWeights = new LinkedHashMap<>();
    for (Parameter p : finished.model().parameters()) sweepWeights.put(p.name(), p.value().data());
    assertSameWeights(finalWeights(trained), sweepWeights);
    assertSameCurve(curve(trained), RunCurve.read(Sweep.curveFile(sweepDir, run.id())));
    assertSameCurve(curve(trained), finished.curve());
  }

  private CliRun train(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(List.of(SETTING));
    args.addAll(List.of(more));
    args.addAll(List.of("--out", out.toString()));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static void awaitEnd(LabRun run) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (run.events().isOpen() || !run.status().ended()) {
      assertTrue(System.currentTimeMillis() < deadline, "the run did not end in 2 minutes");
      run.events().after(run.events().size(), 200);
    }
  }

  /** The weights of a run's last checkpoint, written when it ended. */
  private static Map<String, float[]> finalWeights(Path run) throws Exception {
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e :
        RunDirectory.open(run).loadCheckpoint().state().model().entrySet()) {
      weights.put(e.getKey(), e.getValue().data());
    }
    return weights;
  }

  private static RunCurve curve(Path run) throws Exception {
    return RunCurve.read(run.resolve(RunDirectory.METRICS));
  }

  private static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b) {
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      float[] x = a.get(name), y = b.get(name);
      assertEquals(x.length, y.length, name);
      for (int i = 0; i < x.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "]");
      }
    }
  }

  /** Every value but the clock's (seconds, throughput), bit for bit. */
  private static void assertSameCurve(RunCurve a, RunCurve b) {
    assertEquals(a.points().size(), b.points().size());
    for (int i = 0; i < a.points().size(); i++) {
      RunCurve.Point p = a.points().get(i), q = b.points().get(i);
      String at = "row " + i + ": " + p + " vs " + q;
      assertEquals(p.step(), q.step(), at);
      for (double[] pair :
          new double[][] {
            {p.trainLoss(), q.trainLoss()},
            {p.validationLoss(), q.validationLoss()},
            {p.gradNorm(), q.gradNorm()},
            {p.learningRate(), q.learningRate()},
            {p.validationScore(), q.validationScore()}
          }) {
        assertEquals(Double.doubleToLongBits(pair[0]), Double.doubleToLongBits(pair[1]), at);
      }
    }
  }
}
