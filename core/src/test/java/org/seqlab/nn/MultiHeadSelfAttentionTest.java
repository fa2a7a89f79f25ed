package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class MultiHeadSelfAttentionTest {

  private static final int STEPS = 6;
  private static final int BATCH = 2;
  private static final int WIDTH = 8;

  /** Attention with every parameter drawn from U(-0.7, 0.7), so the softmax is far from uniform. */
  private static MultiHeadSelfAttention randomAttention(
      SplittableRandom rng, int width, int heads) {
    MultiHeadSelfAttention attention = new MultiHeadSelfAttention(width, heads);
    for (Parameter p : attention.parameters()) {
      float[] v = p.value().data();
      for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextDouble(-0.7, 0.7);
    }
    return attention;
  }

  /** The {@code [D]} output row at step t, sequence b. */
  private static float[] row(Tensor y, int t, int b) {
    int d = y.dim(2);
    int off = (t * y.dim(1) + b) * d;
    return Arrays.copyOfRange(y.data(), off, off + d);
  }

  /** Sets {@code x[t, b, :]} to fresh random values. */
  private static void perturb(Tensor x, int t, int b, SplittableRandom rng) {
    int d = x.dim(2);
    int off = (t * x.dim(1) + b) * d;
    for (int j = 0; j < d; j++) x.data()[off + j] = (float) rng.nextDouble(-3, 3);
  }

  @Test
  void parametersHavePyTorchNamesShapesAndInitialisation() {
    MultiHeadSelfAttention attention = new MultiHeadSelfAttention(12, 3);
    assertEquals(
        List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
        TransformerTesting.names(attention));
    assertArrayEquals(new int[] {36, 12}, attention.inProjWeight().value().shape());
    assertArrayEquals(new int[] {12, 12}, attention.outProjWeight().value().shape());
    assertEquals(4, attention.headDim());
    attention.inProjBias().value().fill(5f);
    attention.initialize(new SplittableRandom(1));
    double xavier = Math.sqrt(6.0 / (12 + 36));
    double linear = 1 / Math.sqrt(12);
    assertWithin(attention.inProjWeight().value(), xavier);
    assertWithin(attention.outProjWeight().value(), linear);
    assertEquals(0.0, attention.inProjBias().value().norm());
    assertEquals(0.0, attention.outProjBias().value().norm());
  }

  private static void assertWithin(Tensor t, double bound) {
    double max = 0;
    for (float v : t.data()) max = Math.max(max, Math.abs(v));
    assertTrue(max <= bound && max > 0.8 * bound, "max |entry| " + max + " for bound " + bound);
  }

  @Test
  void attentionRowsSumToOneAndAreZeroAboveTheDiagonalAndAtPaddedKeys() {
    SplittableRandom rng = new SplittableRandom(2);
    MultiHeadSelfAttention attention = randomAttention(rng, WIDTH, 2);
    int[] lengths = {STEPS, 4};
    Tensor p =
        attention
            .forward(GradientCheck.random(rng, 2, STEPS, BATCH, WIDTH), true, lengths)
            .attentionWeights();
    assertArrayEquals(new int[] {BATCH, 2, STEPS, STEPS}, p.shape());
    for (int b = 0; b < BATCH; b++) {
      for (int h = 0; h < 2; h++) {
        for (int t = 0; t < STEPS; t++) {
          double sum = 0;
          for (int s = 0; s < STEPS; s++) {
            float w = p.get(b, h, t, s);
            boolean visible = s <= t && s < lengths[b];
            if (visible) {
              assertTrue(w > 0, "visible key has zero weight at " + List.of(b, h, t, s));
            } else {
              assertEquals(0f, w, "masked key has weight at " + List.of(b, h, t, s));
            }
            sum += w;
          }
          assertEquals(1.0, sum, 1e-6);
        }
      }
    }
    // Position 0 can only look at itself.
    assertEquals(1f, p.get(1, 1, 0, 0));
  }

  @Test
  void causalMaskBlocksTheFutureBitForBit() {
    SplittableRandom rng = new SplittableRandom(3);
    MultiHeadSelfAttention attention = randomAttention(rng, WIDTH, 2);
    Tensor x = GradientCheck.random(rng, 2, STEPS, BATCH, WIDTH);
    int changed = 3;
    Tensor before = attention.forward(x, true, null).output();
    Tensor uncausalBefore = attention.forward(x, false, null).output();
    perturb(x, changed, 0, rng);
    Tensor after = attention.forward(x, true, null).output();
    Tensor uncausalAfter = attention.forward(x, false, null).output();
    for (int t = 0; t < STEPS; t++) {
      if (t < changed) {
        assertArrayEquals(row(before, t, 0), row(after, t, 0), "step " + t + " saw the future");
        // Without the mask the same change does reach step t: the check above can fail.
        assertFalse(Arrays.equals(row(uncausalBefore, t, 0), row(uncausalAfter, t, 0)));
      } else {
        assertFalse(Arrays.equals(row(before, t, 0), row(after, t, 0)), "step " + t);
      }
      assertArrayEquals(row(before, t, 1), row(after, t, 1), "other sequence changed at " + t);
    }
  }

  @Test
  void paddedKeysAreInvisibleBitForBit() {
    SplittableRandom rng = new SplittableRandom(4);
    MultiHeadSelfAttention attention = randomAttention(rng, WIDTH, 4);
    int[] lengths = {STEPS, 3};
    Tensor x = GradientCheck.random(rng, 2, STEPS, BATCH, WIDTH);
    Tensor before = attention.forward(x, false, lengths).output();
    Tensor unpaddedBefore = attention.forward(x, false, null).output();
    for (int t = lengths[1]; t < STEPS; t++) perturb(x, t, 1, rng);
    Tensor after = attention.forward(x, false, lengths).output();
    Tensor unpaddedAfter = attention.forward(x, false, null).output();
    for (int t = 0; t < lengths[1]; t++) {
      assertArrayEquals(row(before, t, 1), row(after, t, 1), "valid step " + t + " saw padding");
      assertFalse(Arrays.equals(row(unpaddedBefore, t, 1), row(unpaddedAfter, t, 1)));
    }
    for (int t = 0; t < STEPS; t++) assertArrayEquals(row(before, t, 0), row(after, t, 0));
  }

  @Test
  void gradientsMatchFiniteDifferencesWithBothMasks() {
    checkGradients(true, new int[] {4, 2}, 5);
    checkGradients(false, null, 6);
  }

  private static void checkGradients(boolean causal, int[] lengths, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    MultiHeadSelfAttention attention = randomAttention(rng, 4, 2);
    Tensor x = GradientCheck.random(rng, 1.5, 4, 2, 4);
    Tensor r = GradientCheck.random(rng, 1, 4, 2, 4);
    Tensor dx = attention.backward(attention.forward(x, causal, lengths), r);
    List<String> failures = new ArrayList<>();
    failures.addAll(
        TransformerTesting.parameterFailures(
            attention, () -> GradientCheck.dot(attention.forward(x, causal, lengths).output(), r)));
    failures.addAll(
        GradientCheck.compare(
            "x",
            x,
            dx,
            GradientCheck.EPS,
            () -> GradientCheck.dot(attention.forward(x, causal, lengths).output(), r)));
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void backwardAccumulates() {
    SplittableRandom rng = new SplittableRandom(6);
    MultiHeadSelfAttention attention = randomAttention(rng, WIDTH, 2);
    Tensor x = GradientCheck.random(rng, 1, STEPS, BATCH, WIDTH);
    Tensor dy = GradientCheck.random(rng, 1, STEPS, BATCH, WIDTH);
    MultiHeadSelfAttention.Output out = attention.forward(x, true, new int[] {5, 6});
    Tensor dx1 = attention.backward(out, dy);
    List<Tensor> once = TransformerTesting.gradients(attention);
    Tensor dx2 = attention.backward(out, dy);
    assertArrayEquals(dx1.data(), dx2.data());
    TransformerTesting.assertDoubled(attention, once);
  }

  @Test
  void refusesHeadsThatDoNotDivideTheWidthAndZeroSizes() {
    TransformerTesting.assertRefused(
        "numHeads=4 must divide dModel=10 (each head gets D/H columns)",
        () -> new MultiHeadSelfAttention(10, 4));
    TransformerTesting.assertRefused(
        "MultiHeadSelfAttention needs positive sizes, got dModel=8, numHeads=0",
        () -> new MultiHeadSelfAttention(8, 0));
  }

  @Test
  void refusesBadLengthsAndShapes() {
    MultiHeadSelfAttention attention = new MultiHeadSelfAttention(4, 2);
    Tensor x = Tensor.zeros(3, 2, 4);
    TransformerTesting.assertRefused(
        "lengths[1] = 4 is outside [1, T=3]: [3, 4]",
        () -> attention.forward(x, true, new int[] {3, 4}));
    TransformerTesting.assertRefused(
        "lengths[0] = 0 is outside [1, T=3]: [0, 3]",
        () -> attention.forward(x, true, new int[] {0, 3}));
    TransformerTesting.assertRefused(
        "lengths has 1 entries, expected one per sequence (B=2)",
        () -> attention.forward(x, true, new int[] {3}));
    TransformerTesting.assertRefused(
        "x has shape [3, 5], expected [T, B, 4] with T, B > 0",
        () -> attention.forward(Tensor.zeros(3, 5), true, null));
    TransformerTesting.assertRefused(
        "dy has shape [3, 2, 5], expected [3, 2, 4]",
        () -> attention.backward(attention.forward(x, false, null), Tensor.zeros(3, 2, 5)));
  }
}
