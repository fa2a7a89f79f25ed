package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.experiments.AttentionMaps;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.TransformerLanguageModel;
import org.seqlab.tasks.FirstTokenRecall;
import org.seqlab.train.StepReport;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;

class AttentionCommandTest {

  @Test
  void trainedHeadLooksStraightBackAtPositionOne() {
    AttentionMaps.Result r =
        AttentionMaps.run(new AttentionMaps.Config(6, 10, 16, 2, 1, 32, 200, 0.005, 3), null);
    // Seeds 1 to 5 give 1.00 after training, 0.16-0.18 before it (chance 1/6), a best head at
    // 0.997-0.9999 on position 1 and a last loss 0.2% of the first.
    assertTrue(r.recallAccuracyAfter() > 0.99, "recall after training " + r.recallAccuracyAfter());
    assertEquals(1.0 / 6, r.recallAccuracyBefore(), 0.1, "recall before training: chance");
    int[] best = AttentionMaps.headsByAttentionOnFirst(r).get(0);
    assertTrue(
        r.attentionOnFirst(best[0], best[1]) > 0.95,
        "best head's weight on position 1: " + r.attentionOnFirst(best[0], best[1]));
    assertTrue(r.lossCurve()[199] < 0.01 * r.lossCurve()[0], "loss should fall");
  }

  @Test
  void trainingIsTheEnginesRunOnFirstTokenRecall() {
    AttentionMaps.Config config = new AttentionMaps.Config(6, 8, 16, 2, 1, 16, 30, 0.005, 4);
    List<Integer> told = new ArrayList<>();
    AttentionMaps.Result r = AttentionMaps.run(config, (step, of, loss) -> told.add(step));
    assertEquals(30, told.size());
    assertEquals(30, told.getLast());

    // The same run, configured by hand: Trainer on the task from the same initialisation.
    TransformerLanguageModel model = AttentionMaps.model(config);
    FirstTokenRecall task = AttentionMaps.task(config);
    assertEquals(1.0 / 6, task.baseline());
    Trainer trainer = new Trainer(model, task, AttentionMaps.trainingOptions(config));
    double[] losses = new double[30];
    trainer.addListener(
        new TrainingListener() {
          @Override
          public void onStep(StepReport report) {
            losses[(int) report.step() - 1] = report.loss();
          }
        });
    TrainingResult result = trainer.run();
    assertEquals(TrainingResult.Stop.MAX_STEPS, result.stop());
    assertArrayEquals(losses, r.lossCurve(), "the loss of every step, bit for bit");
    assertEquals(result.validationAccuracy(), r.recallAccuracyAfter());
    assertAttentionOf(model, r);
  }

  @Test
  void untrainedModelIsLeftAsInitialised() {
    AttentionMaps.Config config = new AttentionMaps.Config(5, 6, 8, 2, 2, 8, 0, 0.01, 11);
    AttentionMaps.Result r = AttentionMaps.run(config, null);
    assertEquals(0, r.lossCurve().length);
    TransformerLanguageModel initialised = AttentionMaps.model(config);
    double accuracy = Trainer.validate(initialised, AttentionMaps.task(config)).accuracy();
    assertEquals(accuracy, r.recallAccuracyBefore());
    assertEquals(accuracy, r.recallAccuracyAfter());
    assertAttentionOf(initialised, r);
  }

  /** {@code r}'s maps are {@code model}'s attention on {@code r}'s example sequence, exactly. */
  private static void assertAttentionOf(LanguageModel model, AttentionMaps.Result r) {
    int t = r.tokens().length, heads = r.config().heads();
    LanguageModel.Pass pass = model.evaluate(r.tokens(), t, 1, null);
    for (int layer = 0; layer < r.config().layers(); layer++) {
      float[] w = pass.attentionWeights().get(layer).data(); // [1, heads, T, T]
      for (int h = 0; h < heads; h++) {
        for (int q = 0; q < t; q++) {
          for (int k = 0; k < t; k++) {
            assertEquals(
                w[(h * t + q) * t + k],
                r.attention()[layer][h][q][k],
                "layer " + layer + ", head " + h + ", t " + q + ", s " + k);
          }
        }
      }
    }
  }

  @Test
  void csvHasOneRowPerCausalPairAndRowsSumToOne() {
    CliRun run =
        CliRun.of(
            "attention",
            "--steps",
            "6",
            "--layers",
            "2",
            "--heads",
            "2",
            "--width",
            "8",
            "--train-steps",
            "0",
            "--format",
            "csv");
    assertEquals(0, run.status(), run.err());
    List<String> lines = run.out().strip().lines().toList();
    assertEquals("layer,head,query,key,weight", lines.get(0));
    assertEquals(1 + 2 * 2 * (6 * 7 / 2), lines.size());
    Map<String, Double> rowSums = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      assertTrue(
          Integer.parseInt(f[3]) <= Integer.parseInt(f[2]), "a key after its query: " + line);
      rowSums.merge(f[0] + "," + f[1] + "," + f[2], Double.parseDouble(f[4]), Double::sum);
    }
    assertEquals(2 * 2 * 6, rowSums.size());
    for (double sum : rowSums.values()) assertEquals(1.0, sum, 1e-4);
  }

  @Test
  void textShowsTheRequestedHeadOnly() {
    CliRun run =
        CliRun.of(
            "attention",
            "--steps",
            "5",
            "--width",
            "8",
            "--heads",
            "2",
            "--train-steps",
            "0",
            "--head",
            "2");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("Layer 1, head 2"), run.out());
    assertTrue(!run.out().contains("Layer 1, head 1"), run.out());
    assertTrue(run.out().contains("t=  5  |"), run.out());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--heads 3 --width 32",
        "--steps 0",
        "--steps 1",
        "--vocab 1",
        "--head 3",
        "--layer 2",
        "--format xml",
        "--learning-rate 0",
        "--seed -4"
      })
  void badOptionsGiveOneLineErrors(String args) {
    CliRun run = CliRun.of(("attention --train-steps 0 " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    assertTrue(run.err().contains(args.split(" ")[0]), run.err());
  }
}
