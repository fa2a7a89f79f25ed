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

class TransformerDecoderTest {

  private static final TransformerDecoder.Config SMALL =
      new TransformerDecoder.Config(5, 4, 2, 6, 2, 8, PositionalEncoding.Kind.LEARNED);

  /** A decoder with random parameters; LayerNorm weights around 1, embeddings of unit scale. */
  private static TransformerDecoder randomDecoder(TransformerDecoder.Config config, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    TransformerDecoder decoder = new TransformerDecoder(config);
    for (Parameter p : decoder.parameters()) {
      float[] v = p.value().data();
      boolean normWeight = p.name().contains("norm") && p.name().endsWith("weight");
      double scale = p.name().contains("embedding") ? 1.0 : 0.6;
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) ((normWeight ? 1 : 0) + rng.nextDouble(-scale, scale));
      }
    }
    return decoder;
  }

  @Test
  void parameterNamesFollowTheStateDict() {
    TransformerDecoder decoder = new TransformerDecoder(SMALL);
    List<String> names = TransformerTesting.names(decoder);
    assertEquals(2 + 2 * 12 + 4, names.size());
    assertEquals(
        List.of("token_embedding.weight", "position_embedding.weight"), names.subList(0, 2));
    assertEquals("blocks.0.self_attn.in_proj_weight", names.get(2));
    assertEquals("blocks.1.norm2.bias", names.get(2 + 2 * 12 - 1));
    assertEquals(
        List.of("final_norm.weight", "final_norm.bias", "head.weight", "head.bias"),
        names.subList(names.size() - 4, names.size()));
    TransformerDecoder sinusoidal =
        new TransformerDecoder(
            new TransformerDecoder.Config(5, 4, 2, 6, 1, 8, PositionalEncoding.Kind.SINUSOIDAL));
    assertEquals("blocks.0.self_attn.in_proj_weight", TransformerTesting.names(sinusoidal).get(1));
  }

  @Test
  void forwardShapesAndRecordedIntermediates() {
    TransformerDecoder decoder = new TransformerDecoder(SMALL);
    decoder.initialize(new SplittableRandom(1));
    TransformerDecoder.Output out = decoder.forward(new int[] {0, 1, 2, 3, 4, 0}, 3, 2, null);
    assertArrayEquals(new int[] {3, 2, 5}, out.logits().shape());
    assertEquals(2, out.blockInputs().size());
    assertEquals(out.embedded(), out.blockInputs().get(0));
    assertEquals(out.blockOutputs().get(0), out.blockInputs().get(1));
    assertArrayEquals(new int[] {2, 2, 3, 3}, out.attentionWeights().get(1).shape());
    // The first block's input is token embedding plus position: token 3 is at t=1, b=1.
    float expected =
        decoder.tokenEmbedding().weight().value().get(3, 2)
            + decoder.positionalEncoding().table().get(1, 2);
    assertEquals(expected, out.embedded().get(1, 1, 2));
  }

  @Test
  void forwardEmbeddedGivesTheSameLogitsAsForward() {
    TransformerDecoder decoder = randomDecoder(SMALL, 2);
    int[] tokens = {1, 2, 3, 4, 0, 0, 2, 1};
    TransformerDecoder.Output out = decoder.forward(tokens, 4, 2, new int[] {4, 3});
    TransformerDecoder.Output again =
        decoder.forwardEmbedded(out.embedded().copy(), new int[] {4, 3});
    assertArrayEquals(out.logits().data(), again.logits().data());
    TransformerTesting.assertRefused(
        "this result came from forwardEmbedded, which has no tokens: use backwardEmbedded",
        () -> decoder.backward(again, out.logits()));
  }

  @Test
  void logitsAtStepTDependOnlyOnTokensUpToT() {
    TransformerDecoder decoder = randomDecoder(SMALL, 3);
    int[] tokens = {1, 2, 3, 4, 0, 1, 2, 3};
    Tensor before = decoder.forward(tokens, 4, 2, null).logits();
    tokens[2 * 2 + 1] = 0; // t = 2, b = 1
    Tensor after = decoder.forward(tokens, 4, 2, null).logits();
    for (int t = 0; t < 4; t++) {
      int off = (t * 2 + 1) * 5;
      float[] b = Arrays.copyOfRange(before.data(), off, off + 5);
      float[] a = Arrays.copyOfRange(after.data(), off, off + 5);
      if (t < 2) assertArrayEquals(b, a, "step " + t + " saw a later token");
      else assertFalse(Arrays.equals(b, a), "step " + t + " ignored its own past");
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesOfTheLoss() {
    TransformerDecoder decoder = randomDecoder(SMALL, 4);
    int[] tokens = {1, 2, 3, 4, 0, 0, 2, 1};
    int[] lengths = {4, 3};
    int[] targets = {2, 3, 4, 0, 0, 1, 1, CrossEntropyLoss.IGNORE_INDEX};
    TransformerDecoder.Output out = decoder.forward(tokens, 4, 2, lengths);
    Tensor dEmbedded =
        decoder.backward(out, CrossEntropyLoss.compute(out.logits(), targets).dLogits());
    List<String> failures = new ArrayList<>();
    failures.addAll(
        TransformerTesting.parameterFailures(
            decoder,
            () ->
                CrossEntropyLoss.compute(decoder.forward(tokens, 4, 2, lengths).logits(), targets)
                    .loss()));
    // The gradient with respect to the first block's input, as the probes read it.
    Tensor x = out.embedded().copy();
    failures.addAll(
        GradientCheck.compare(
            "embedded",
            x,
            dEmbedded,
            GradientCheck.EPS,
            () ->
                CrossEntropyLoss.compute(decoder.forwardEmbedded(x, lengths).logits(), targets)
                    .loss()));
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void backwardAccumulatesAndBackwardEmbeddedLeavesEmbeddingsAlone() {
    TransformerDecoder decoder = randomDecoder(SMALL, 5);
    int[] tokens = {1, 2, 3, 4, 0, 0};
    TransformerDecoder.Output out = decoder.forward(tokens, 3, 2, null);
    Tensor dLogits = CrossEntropyLoss.compute(out.logits(), new int[] {0, 1, 2, 3, 4, 0}).dLogits();
    Tensor d1 = decoder.backward(out, dLogits);
    List<Tensor> once = TransformerTesting.gradients(decoder);
    Tensor d2 = decoder.backward(out, dLogits);
    assertArrayEquals(d1.data(), d2.data());
    TransformerTesting.assertDoubled(decoder, once);

    decoder.zeroGrad();
    Tensor d3 = decoder.backwardEmbedded(out, dLogits);
    assertArrayEquals(d1.data(), d3.data());
    assertEquals(0.0, decoder.tokenEmbedding().weight().grad().norm());
    assertEquals(0.0, decoder.parameters().get(1).grad().norm());
    assertEquals(once.getLast().norm(), decoder.head().bias().grad().norm(), 0.0);
  }

  @Test
  void configRefusesZeroSizesAndHeadsThatDoNotDivideTheWidth() {
    var k = PositionalEncoding.Kind.LEARNED;
    TransformerTesting.assertRefused(
        "vocabSize must be positive, got 0",
        () -> new TransformerDecoder.Config(0, 8, 2, 8, 1, 4, k));
    TransformerTesting.assertRefused(
        "dModel must be positive, got 0", () -> new TransformerDecoder.Config(5, 0, 2, 8, 1, 4, k));
    TransformerTesting.assertRefused(
        "numHeads must be positive, got 0",
        () -> new TransformerDecoder.Config(5, 8, 0, 8, 1, 4, k));
    TransformerTesting.assertRefused(
        "dFF must be positive, got -1", () -> new TransformerDecoder.Config(5, 8, 2, -1, 1, 4, k));
    TransformerTesting.assertRefused(
        "numLayers must be positive, got 0",
        () -> new TransformerDecoder.Config(5, 8, 2, 8, 0, 4, k));
    TransformerTesting.assertRefused(
        "maxLen must be positive, got 0", () -> new TransformerDecoder.Config(5, 8, 2, 8, 1, 0, k));
    TransformerTesting.assertRefused(
        "numHeads=3 must divide dModel=8 (each head gets D/H columns)",
        () -> new TransformerDecoder.Config(5, 8, 3, 8, 1, 4, k));
  }

  @Test
  void forwardRefusesLongSequencesBadTokensAndBadLengths() {
    TransformerDecoder decoder = new TransformerDecoder(SMALL);
    TransformerTesting.assertRefused(
        "sequence length T=9 exceeds the positional table's maxLen=8",
        () -> decoder.forward(new int[9], 9, 1, null));
    TransformerTesting.assertRefused(
        "token id 5 at [t=1, b=0] is outside the vocabulary [0, 5)",
        () -> decoder.forward(new int[] {0, 1, 5, 2}, 2, 2, null));
    TransformerTesting.assertRefused(
        "token id -1 at [t=0, b=0] is outside the vocabulary [0, 5)",
        () -> decoder.forward(new int[] {-1, 1}, 1, 2, null));
    TransformerTesting.assertRefused(
        "tokens has 3 entries, expected T*B = 2*2 = 4",
        () -> decoder.forward(new int[] {0, 1, 2}, 2, 2, null));
    TransformerTesting.assertRefused(
        "lengths[1] = 3 is outside [1, T=2]: [2, 3]",
        () -> decoder.forward(new int[4], 2, 2, new int[] {2, 3}));
  }
}
