package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class CrossEntropyLossTest {

  @Test
  void uniformLogitsCostLogV() {
    CrossEntropyLoss.Result r =
        CrossEntropyLoss.compute(Tensor.zeros(2, 3, 5), new int[] {0, 1, 2, 3, 4, 0});
    assertEquals(Math.log(5), r.loss(), 1e-12);
    assertEquals(6, r.count());
    // softmax - onehot, divided by the six counted rows.
    assertEquals((0.2 - 1) / 6, r.dLogits().data()[0], 1e-7);
    assertEquals(0.2 / 6, r.dLogits().data()[1], 1e-7);
  }

  @Test
  void knownAnswerWithLargeLogitsStaysFinite() {
    Tensor logits = Tensor.wrap(new float[] {1000, 0, -1000}, 1, 3);
    assertEquals(1000.0, CrossEntropyLoss.compute(logits, new int[] {1}).loss(), 1e-9);
    assertEquals(0.0, CrossEntropyLoss.compute(logits, new int[] {0}).loss(), 1e-12);
  }

  @Test
  void ignoredTargetsCountForNothing() {
    SplittableRandom rng = new SplittableRandom(3);
    Tensor logits = GradientCheck.random(rng, 2, 4, 6);
    CrossEntropyLoss.Result all = CrossEntropyLoss.compute(logits, new int[] {1, 5, 0, 2});
    CrossEntropyLoss.Result some =
        CrossEntropyLoss.compute(logits, new int[] {1, CrossEntropyLoss.IGNORE_INDEX, 0, 2});
    assertEquals(3, some.count());
    Tensor secondRow = Tensor.wrap(Arrays.copyOfRange(logits.data(), 6, 12), 1, 6);
    double row1 = CrossEntropyLoss.compute(secondRow, new int[] {5}).loss();
    assertEquals(all.loss() * 4, some.loss() * 3 + row1, 1e-9);
    assertArrayEquals(new float[6], Arrays.copyOfRange(some.dLogits().data(), 6, 12));
  }

  /**
   * The vector path against the definition in double, at widths that leave a part vector and at
   * several vectors' worth, with logits far from 0: the loss within float32's relative precision
   * (the exponentials are float) and each gradient entry within a few float32 roundings of the
   * largest.
   */
  @Test
  void agreesWithTheDefinitionInDoubleOnRandomShapes() {
    SplittableRandom rng = new SplittableRandom(21);
    for (int classes : new int[] {1, 2, 7, 16, 17, 33, 130, 1001}) {
      int rows = 1 + rng.nextInt(9);
      float[] z = new float[rows * classes];
      for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextDouble(-30, 30);
      int[] targets = new int[rows];
      for (int r = 0; r < rows; r++) {
        targets[r] = r == 1 ? CrossEntropyLoss.IGNORE_INDEX : rng.nextInt(classes);
      }
      CrossEntropyLoss.Result got =
          CrossEntropyLoss.compute(Tensor.wrap(z, rows, classes), targets);

      int count = 0;
      for (int t : targets) if (t != CrossEntropyLoss.IGNORE_INDEX) count++;
      double loss = 0;
      double[] gradient = new double[z.length];
      for (int r = 0; r < rows; r++) {
        if (targets[r] == CrossEntropyLoss.IGNORE_INDEX) continue;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int c = 0; c < classes; c++) max = Math.max(max, z[r * classes + c]);
        for (int c = 0; c < classes; c++) sum += Math.exp(z[r * classes + c] - max);
        double logSumExp = max + Math.log(sum);
        loss += (logSumExp - z[r * classes + targets[r]]) / count;
        for (int c = 0; c < classes; c++) {
          double p = Math.exp(z[r * classes + c] - logSumExp);
          gradient[r * classes + c] = (p - (c == targets[r] ? 1 : 0)) / count;
        }
      }
      float epsilon = Math.ulp(1f);
      assertEquals(loss, got.loss(), 4 * epsilon * Math.max(1, Math.abs(loss)), "V = " + classes);
      for (int i = 0; i < z.length; i++) {
        assertEquals(
            gradient[i], got.dLogits().data()[i], 4 * epsilon / count, "V = " + classes + ", " + i);
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(4);
    Tensor logits = GradientCheck.random(rng, 3, 3, 2, 5);
    int[] targets = {4, 0, CrossEntropyLoss.IGNORE_INDEX, 2, 2, 1};
    Tensor analytic = CrossEntropyLoss.compute(logits, targets).dLogits();
    GradientCheck.assertNoFailures(
        GradientCheck.compare(
            "logits",
            logits,
            analytic,
            GradientCheck.EPS,
            () -> CrossEntropyLoss.compute(logits, targets).loss()));
  }

  @Test
  void refusesBadTargets() {
    Tensor logits = Tensor.zeros(2, 3);
    assertRefused(
        logits,
        new int[] {0, 3},
        "target 3 at row 1 is outside [0, V=3) and is not the ignore index -100");
    assertRefused(
        logits,
        new int[] {-1, 0},
        "target -1 at row 0 is outside [0, V=3) and is not the ignore index -100");
    assertRefused(
        logits, new int[] {0}, "targets has 1 entries, expected one per row of logits [2, 3] (2)");
    assertRefused(
        logits,
        new int[] {-100, -100},
        "every one of the 2 targets is the ignore index; the mean is undefined");
  }

  private static void assertRefused(Tensor logits, int[] targets, String message) {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> CrossEntropyLoss.compute(logits, targets));
    assertEquals(message, e.getMessage());
  }
}
