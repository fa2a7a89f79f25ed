package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.seqlab.nn.ReferenceComparison.assertClose;
import static org.seqlab.nn.ReferenceComparison.gaussian;
import static org.seqlab.nn.ReferenceComparison.stack;
import static org.seqlab.nn.ReferenceComparison.toDouble;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.nn.reference.ReferenceTransformer;
import org.seqlab.tensor.Tensor;

/**
 * The float32 Transformer block and decoder, forward and hand-written backward, against the
 * finite-difference-checked double-precision reference, on random shapes (odd widths, one head, one
 * step, padding): outputs, attention weights, every parameter gradient and the input gradient.
 */
class TransformerAgreesWithReferenceTest {
  static final double TOL = 3e-5;

  static Stream<Arguments> blockShapes() {
    List<Arguments> cases = new ArrayList<>();
    // T, B, D, heads, F, causal, padded
    int[][] s = {
      {1, 1, 2, 1, 3}, {5, 3, 6, 2, 7}, {7, 2, 9, 3, 5}, {4, 1, 8, 4, 16}, {9, 2, 5, 1, 11}
    };
    for (int[] c : s) {
      for (boolean causal : new boolean[] {true, false}) {
        cases.add(Arguments.of(c[0], c[1], c[2], c[3], c[4], causal, c[1] > 1));
      }
    }
    return cases.stream();
  }

  /** Copies the same random values into the float module and the reference, by name. */
  static void shareParameters(Random r, Module module, ReferenceTransformer ref, String prefix) {
    for (Parameter p : module.parameters()) {
      float[] values = gaussian(r, p.value().size(), 0.5);
      if (p.name().endsWith("norm1.weight")
          || p.name().endsWith("norm2.weight")
          || p.name().endsWith("final_norm.weight")) {
        for (int i = 0; i < values.length; i++) values[i] += 1; // LayerNorm gains near 1
      }
      System.arraycopy(values, 0, p.value().data(), 0, values.length);
      System.arraycopy(toDouble(values), 0, ref.parameter(prefix + p.name()), 0, values.length);
    }
  }

  @ParameterizedTest(name = "T={0} B={1} D={2} heads={3} F={4} causal={5} padded={6}")
  @MethodSource("blockShapes")
  void blockMatchesTheReference(
      int T, int B, int D, int heads, int F, boolean causal, boolean padded) {
    Random r = new Random(T * 1000L + B * 100L + D * 10L + heads + (causal ? 7 : 0));
    TransformerBlock block = new TransformerBlock(D, heads, F);
    ReferenceTransformer ref = ReferenceTransformer.blocks(D, heads, F, 1);
    shareParameters(r, block, ref, "blocks.0.");
    int[] lengths = null;
    if (padded) {
      lengths = new int[B];
      for (int b = 0; b < B; b++) lengths[b] = 1 + r.nextInt(T);
      lengths[0] = T;
    }
    float[] x = gaussian(r, T * B * D, 1), dz = gaussian(r, T * B * D, 1);
    TransformerBlock.Output out = block.forward(Tensor.wrap(x, T, B, D), causal, lengths);
    Tensor dx = block.backward(out, Tensor.wrap(dz, T, B, D));

    ReferenceTransformer.Unrolled run = ref.unrollBlocks(toDouble(x), T, B, lengths, causal);
    run.backward(toDouble(dz));

    assertClose("output", out.output().data(), stack(run.blockOutputs()[0], false), TOL);
    float[] attention = out.attentionWeights().data();
    for (int b = 0; b < B; b++) {
      for (int h = 0; h < heads; h++) {
        float[] map =
            java.util.Arrays.copyOfRange(
                attention, (b * heads + h) * T * T, (b * heads + h + 1) * T * T);
        assertClose("attention b=" + b + " h=" + h, map, run.attention()[0][b][h].value(), TOL);
      }
    }
    for (Parameter p : block.parameters()) {
      assertClose(
          "grad " + p.name(),
          p.grad().data(),
          run.parameters().get("blocks.0." + p.name()).grad(),
          TOL);
    }
    assertClose("grad input", dx.data(), stack(run.inputs(), true), TOL);
  }

  @ParameterizedTest(name = "positions={0}")
  @MethodSource("positionKinds")
  void decoderMatchesTheReference(PositionalEncoding.Kind kind) {
    Random r = new Random(kind.ordinal() + 3);
    int V = 13, D = 10, heads = 2, F = 9, L = 2, maxLen = 12, T = 7, B = 3;
    TransformerDecoder decoder =
        new TransformerDecoder(new TransformerDecoder.Config(V, D, heads, F, L, maxLen, kind));
    ReferenceTransformer ref =
        ReferenceTransformer.decoder(
            V,
            maxLen,
            kind == PositionalEncoding.Kind.LEARNED
                ? ReferenceTransformer.Positions.LEARNED
                : ReferenceTransformer.Positions.SINUSOIDAL,
            D,
            heads,
            F,
            L);
    shareParameters(r, decoder, ref, "");
    int[] tokens = new int[T * B], targets = new int[T * B];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(V);
      targets[i] = r.nextInt(V);
    }
    int[] lengths = {T, 4, 6};
    for (int t = 0; t < T; t++) {
      for (int b = 0; b < B; b++)
        if (t >= lengths[b]) targets[t * B + b] = CrossEntropyLoss.IGNORE_INDEX;
    }
    TransformerDecoder.Output out = decoder.forward(tokens, T, B, lengths);
    CrossEntropyLoss.Result loss = CrossEntropyLoss.compute(out.logits(), targets);
    decoder.backward(out, loss.dLogits());

    ReferenceTransformer.UnrolledModel run = ref.unrollModel(tokens, T, B, lengths);
    double refLoss = run.backward(targets);
    assertTrue(
        Math.abs(loss.loss() - refLoss) <= TOL * (1 + Math.abs(refLoss)),
        "loss " + loss.loss() + " vs " + refLoss);
    assertClose("logits", out.logits().data(), run.logits().value(), TOL);
    for (Parameter p : decoder.parameters()) {
      assertClose("grad " + p.name(), p.grad().data(), run.parameters().get(p.name()).grad(), TOL);
    }
  }

  static Stream<PositionalEncoding.Kind> positionKinds() {
    return Stream.of(PositionalEncoding.Kind.values());
  }
}
