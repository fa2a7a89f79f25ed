package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.experiments.AttentionMaps;

class AttentionCommandTest {

  @Test
  void trainedHeadLooksStraightBackAtPositionOne() {
    AttentionMaps.Result r =
        AttentionMaps.run(new AttentionMaps.Config(6, 10, 16, 2, 1, 32, 200, 0.005, 3), null);
    assertTrue(r.recallAccuracyAfter() > 0.95, "recall after training " + r.recallAccuracyAfter());
    assertTrue(
        r.recallAccuracyBefore() < 0.5, "recall before training " + r.recallAccuracyBefore());
    int[] best = AttentionMaps.headsByAttentionOnFirst(r).get(0);
    assertTrue(
        r.attentionOnFirst(best[0], best[1]) > 0.8,
        "best head's weight on position 1: " + r.attentionOnFirst(best[0], best[1]));
    assertTrue(r.lossCurve()[199] < 0.1 * r.lossCurve()[0], "loss should fall");
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
