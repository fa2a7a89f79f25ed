package org.seqlab.nn.reference;

import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Double-precision finite-difference checks of the reference Transformer: two stacked blocks with
 * odd sizes (D = 6, 2 heads of 3, F = 5), under each masking, checked for every entry of every
 * parameter and of the input; and the decoder with cross entropy, for every entry of every
 * parameter.
 */
class ReferenceTransformerGradientCheckTest {
  static final int T = 4, B = 2, D = 6, HEADS = 2, F = 5, LAYERS = 2, V = 7, MAX_LENGTH = 5;

  enum Masking {
    CAUSAL(true, null),
    PADDED(false, new int[] {T, 2}),
    CAUSAL_AND_PADDED(true, new int[] {3, T});

    final boolean causal;
    final int[] lengths;

    Masking(boolean causal, int[] lengths) {
      this.causal = causal;
      this.lengths = lengths;
    }
  }

  /**
   * Fills every parameter with Gaussian noise; the norms' weights stay near one so no layer norm
   * sits near a zero scale, where the check would say little.
   */
  static void randomize(ReferenceTransformer model, Random r) {
    for (var e : model.parameters().entrySet()) {
      double[] p = e.getValue();
      boolean normWeight =
          e.getKey().endsWith("norm1.weight")
              || e.getKey().endsWith("norm2.weight")
              || e.getKey().equals("final_norm.weight");
      for (int i = 0; i < p.length; i++) p[i] = (normWeight ? 1 : 0) + 0.5 * r.nextGaussian();
    }
  }

  @ParameterizedTest
  @EnumSource(Masking.class)
  void everyBlockGradientMatchesFiniteDifferences(Masking masking) {
    Random r = new Random(masking.ordinal() + 101);
    ReferenceTransformer model = ReferenceTransformer.blocks(D, HEADS, F, LAYERS);
    randomize(model, r);
    double[] input = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * D, 1);
    double[] dOutput = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * D, 1);

    ReferenceTransformer.Unrolled run =
        model.unrollBlocks(input, T, B, masking.lengths, masking.causal);
    run.backward(dOutput);
    DoubleSupplier loss =
        () -> model.unrollBlocks(input, T, B, masking.lengths, masking.causal).backward(dOutput);

    for (Map.Entry<String, Var> p : run.parameters().entrySet()) {
      FiniteDifference.check(
          masking + " " + p.getKey(), model.parameter(p.getKey()), p.getValue().grad(), loss);
    }
    FiniteDifference.check(
        masking + " input", input, ReferenceRecurrentGradientCheckTest.concat(run.inputs()), loss);
  }

  @ParameterizedTest
  @EnumSource(ReferenceTransformer.Positions.class)
  void everyDecoderGradientMatchesFiniteDifferences(ReferenceTransformer.Positions positions) {
    Random r = new Random(positions.ordinal() + 202);
    ReferenceTransformer model =
        ReferenceTransformer.decoder(V, MAX_LENGTH, positions, D, HEADS, F, LAYERS);
    randomize(model, r);
    int[] tokens = new int[T * B], targets = new int[T * B];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = r.nextInt(V);
      targets[i] = r.nextInt(V);
    }
    // With learned positions, also pad the second sequence to 3 steps and ignore its last target.
    int[] lengths = positions == ReferenceTransformer.Positions.LEARNED ? new int[] {T, 3} : null;
    if (lengths != null) targets[(T - 1) * B + 1] = -100;

    ReferenceTransformer.UnrolledModel run = model.unrollModel(tokens, T, B, lengths);
    run.backward(targets);
    DoubleSupplier loss = () -> model.unrollModel(tokens, T, B, lengths).backward(targets);

    for (Map.Entry<String, Var> p : run.parameters().entrySet()) {
      FiniteDifference.check(
          positions + " " + p.getKey(), model.parameter(p.getKey()), p.getValue().grad(), loss);
    }
  }
}
