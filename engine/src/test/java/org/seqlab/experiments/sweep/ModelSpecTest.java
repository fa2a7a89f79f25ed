package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentLanguageModel;
import org.seqlab.probe.Spectral;

class ModelSpecTest {

  static final ModelSpec.Shape AGREEMENT = new TaskSpec("agreement", 40, 8, 16, 0).shape();

  @Test
  void matchedModelsHaveNearlyTheSameParameterCount() {
    long target = 12_000;
    for (String m : List.of("rnn", "lstm", "gru", "transformer")) {
      ModelSpec spec = ModelComparison.matched(m, target, AGREEMENT);
      long n = spec.parameterCount(AGREEMENT);
      int step = m.equals("transformer") ? 2 : 1;
      long up =
          ModelSpec.of(m, spec.hidden() + step, spec.layers(), 16, 2).parameterCount(AGREEMENT);
      long down =
          ModelSpec.of(m, spec.hidden() - step, spec.layers(), 16, 2).parameterCount(AGREEMENT);
      // The closest size: no farther from the target than half a step of the hidden size.
      assertTrue(
          Math.abs(n - target) <= Math.max(up - n, n - down) / 2.0,
          m + " has " + n + " parameters; one size down " + down + ", up " + up);
      assertTrue(Math.abs(n - target) < 0.1 * target, m + " has " + n + " parameters");
    }
  }

  @Test
  void parameterCountIsWhatTheBuiltModelHolds() {
    ModelSpec spec = ModelSpec.of("lstm", 20, 1, 16, 1);
    LanguageModel model = spec.build(AGREEMENT, 3);
    long n = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    int v = AGREEMENT.vocabulary();
    assertEquals(v * 16 + 4 * 20 * (16 + 20 + 2) + 20 * v + v, n);
    assertEquals(n, spec.parameterCount(AGREEMENT));
  }

  @Test
  void forgetBiasAndSpectralRadiusAreApplied() {
    LanguageModel lstm = ModelSpec.of("lstm", 12, 1, 8, 1).withForgetBias(3).build(AGREEMENT, 1);
    Recurrent rnn = ((RecurrentLanguageModel) lstm).recurrent();
    float[] bIh = rnn.biasIh(0).value().data(), bHh = rnn.biasHh(0).value().data();
    for (int j = 12; j < 24; j++) assertEquals(3.0, bIh[j] + bHh[j], 0);
    assertTrue(bIh[0] != 3.0f, "the input gate keeps its draw");

    LanguageModel plain =
        ModelSpec.of("rnn", 24, 1, 8, 1).withSpectralRadius(1.7).build(AGREEMENT, 2);
    float[] w = ((RecurrentLanguageModel) plain).recurrent().weightHh(0).value().data();
    double[] m = new double[w.length];
    for (int i = 0; i < w.length; i++) m[i] = w[i];
    assertEquals(1.7, Spectral.spectralRadius(m, 24), 1e-5);
  }

  @Test
  void sameSeedSameWeights() {
    ModelSpec spec = ModelSpec.of("gru", 10, 1, 8, 1);
    var a = spec.build(AGREEMENT, 9).parameters();
    var b = spec.build(AGREEMENT, 9).parameters();
    for (int i = 0; i < a.size(); i++) {
      assertEquals(List.of(a.get(i).name()), List.of(b.get(i).name()));
      assertTrue(java.util.Arrays.equals(a.get(i).value().data(), b.get(i).value().data()));
    }
  }

  @Test
  void refusesWhatCannotBeBuilt() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.of("lstm2", 8, 1, 8, 1));
    assertTrue(
        e.getMessage().contains(String.join(", ", org.seqlab.nn.Architecture.ids())),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ModelSpec.of("transformer", 10, 1, 8, 4));
    assertTrue(e.getMessage().contains("must divide"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ModelSpec.of("gru", 8, 1, 8, 1).withForgetBias(1));
    assertTrue(e.getMessage().contains("a model with a forget gate, not gru"), e.getMessage());
  }
}
