package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

/**
 * The Transformer that reads feature vectors: a linear input projection in place of the token
 * embedding, gradients checked by central differences through the projection, the learned positions
 * and the blocks, under the mean squared error of one value per step.
 */
class TransformerFeatureInputTest {

  static TransformerLanguageModel model() {
    var config = new TransformerDecoder.Config(1, 8, 2, 16, 1, 6, PositionalEncoding.Kind.LEARNED);
    TransformerLanguageModel m = new TransformerLanguageModel(config, 3);
    m.initialize(new SplittableRandom(4));
    return m;
  }

  @Test
  void parametersReplaceTheTokenTableByTheProjection() {
    List<String> names = model().parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("input_projection.weight", "input_projection.bias"), names.subList(0, 2));
    assertFalse(names.contains("token_embedding.weight"), names.toString());
    assertEquals(3, model().inputFeatures());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    TransformerLanguageModel m = model();
    SplittableRandom rng = new SplittableRandom(9);
    Tensor x = GradientCheck.random(rng, 1.0, 5, 2, 3);
    float[] targets = new float[10];
    for (int i = 0; i < targets.length; i++)
      targets[i] = i % 3 == 0 ? Float.NaN : (float) rng.nextDouble();
    LanguageModel.Pass pass = m.forwardFeatures(x, null, null);
    MeanSquaredError.Result loss = MeanSquaredError.compute(pass.logits(), targets);
    m.zeroGrad();
    m.backward(pass, loss.dOutputs());
    List<String> failures = new ArrayList<>();
    for (Parameter p : m.parameters()) {
      if (!p.name().startsWith("input_projection")
          && !p.name().startsWith("position")
          && !p.name().startsWith("blocks.0.attention")) {
        continue;
      }
      GradientCheck.assertNotNegligible(p.name(), p.grad(), 1e-6);
      failures.addAll(
          GradientCheck.compare(
              p.name(),
              p.value(),
              p.grad().copy(),
              GradientCheck.EPS,
              () ->
                  MeanSquaredError.compute(m.forwardFeatures(x, null, null).logits(), targets)
                      .loss()));
    }
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void aFeatureModelRefusesTokensAndATokenModelFeatures() {
    var tokens =
        assertThrows(
            UnsupportedOperationException.class,
            () -> model().forward(new int[] {0}, 1, 1, null, null));
    assertEquals("this model reads feature vectors of width 3, not tokens", tokens.getMessage());
    var config = new TransformerDecoder.Config(5, 8, 2, 16, 1, 6, PositionalEncoding.Kind.LEARNED);
    var features =
        assertThrows(
            UnsupportedOperationException.class,
            () ->
                new TransformerLanguageModel(config)
                    .forwardFeatures(Tensor.zeros(1, 1, 3), null, null));
    assertEquals("this model reads token ids, not feature vectors", features.getMessage());
  }
}
