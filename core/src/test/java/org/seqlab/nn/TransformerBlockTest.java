package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class TransformerBlockTest {

  /** A block with every parameter drawn at random (LayerNorm weights around 1). */
  static TransformerBlock randomBlock(SplittableRandom rng, int width, int heads, int dff) {
    TransformerBlock block = new TransformerBlock(width, heads, dff);
    for (Parameter p : block.parameters()) {
      float[] v = p.value().data();
      boolean normWeight = p.name().startsWith("norm") && p.name().endsWith("weight");
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((normWeight ? 1 : 0) + rng.nextDouble(-0.6, 0.6));
      }
    }
    return block;
  }

  @Test
  void parametersAreNamedAndOrderedAsTorchEncoderLayer() {
    TransformerBlock block = new TransformerBlock(8, 2, 12);
    assertEquals(
        List.of(
            "self_attn.in_proj_weight",
            "self_attn.in_proj_bias",
            "self_attn.out_proj.weight",
            "self_attn.out_proj.bias",
            "linear1.weight",
            "linear1.bias",
            "linear2.weight",
            "linear2.bias",
            "norm1.weight",
            "norm1.bias",
            "norm2.weight",
            "norm2.bias"),
        TransformerTesting.names(block));
    assertEquals(3 * 64 + 24 + 64 + 8 + 96 + 12 + 96 + 8 + 4 * 8, block.parameterCount());
    // The renamed parameters share storage with the parts.
    assertEquals(block.norm1().weight().value(), block.parameters().get(8).value());
  }

  @Test
  void initialisationFollowsPyTorch() {
    TransformerBlock block = new TransformerBlock(8, 2, 12);
    block.initialize(new SplittableRandom(1));
    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, block.norm2().weight().value().data());
    assertEquals(0.0, block.selfAttention().inProjBias().value().norm());
    double bound = 1 / Math.sqrt(8);
    for (float v : block.feedForward().linear1().bias().value().data()) {
      assertEquals(0, v, bound);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(2);
    TransformerBlock block = randomBlock(rng, 4, 2, 6);
    int[] lengths = {4, 3};
    Tensor x = GradientCheck.random(rng, 1.5, 4, 2, 4);
    Tensor r = GradientCheck.random(rng, 1, 4, 2, 4);
    Tensor dx = block.backward(block.forward(x, true, lengths), r);
    List<String> failures = new ArrayList<>();
    failures.addAll(
        TransformerTesting.parameterFailures(
            block, () -> GradientCheck.dot(block.forward(x, true, lengths).output(), r)));
    failures.addAll(
        GradientCheck.compare(
            "x",
            x,
            dx,
            GradientCheck.EPS,
            () -> GradientCheck.dot(block.forward(x, true, lengths).output(), r)));
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void causalBlockOutputAtStepTIgnoresLaterSteps() {
    SplittableRandom rng = new SplittableRandom(3);
    TransformerBlock block = randomBlock(rng, 8, 2, 12);
    Tensor x = GradientCheck.random(rng, 1, 5, 1, 8);
    Tensor before = block.forward(x, true, null).output();
    for (int j = 0; j < 8; j++) x.data()[4 * 8 + j] += 1f;
    Tensor after = block.forward(x, true, null).output();
    assertArrayEquals(
        Arrays.copyOfRange(before.data(), 0, 32), Arrays.copyOfRange(after.data(), 0, 32));
    assertFalse(
        Arrays.equals(
            Arrays.copyOfRange(before.data(), 32, 40), Arrays.copyOfRange(after.data(), 32, 40)));
  }

  @Test
  void backwardAccumulates() {
    SplittableRandom rng = new SplittableRandom(4);
    TransformerBlock block = randomBlock(rng, 8, 4, 10);
    Tensor x = GradientCheck.random(rng, 1, 5, 3, 8);
    Tensor dz = GradientCheck.random(rng, 1, 5, 3, 8);
    TransformerBlock.Output out = block.forward(x, true, new int[] {5, 2, 4});
    Tensor dx1 = block.backward(out, dz);
    List<Tensor> once = TransformerTesting.gradients(block);
    Tensor dx2 = block.backward(out, dz);
    assertArrayEquals(dx1.data(), dx2.data());
    TransformerTesting.assertDoubled(block, once);
  }

  @Test
  void refusesBadSizes() {
    TransformerTesting.assertRefused(
        "numHeads=4 must divide dModel=6 (each head gets D/H columns)",
        () -> new TransformerBlock(6, 4, 8));
    TransformerTesting.assertRefused(
        "TransformerBlock needs positive sizes, got dModel=8, numHeads=2, dFF=0",
        () -> new TransformerBlock(8, 2, 0));
  }
}
