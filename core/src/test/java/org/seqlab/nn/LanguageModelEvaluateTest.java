package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Tensor;

/**
 * {@link LanguageModel#evaluate}: the forward-only pass a validation runs gives the logits and the
 * carried state of {@link LanguageModel#forward} without dropout, bit for bit, window after window,
 * and refuses a backward pass. Sizes where the fused inference tiles run (H 64, batch 17).
 */
class LanguageModelEvaluateTest {

  private static RecurrentLanguageModel model(RecurrentKind kind, int features) {
    RecurrentLanguageModel m =
        new RecurrentLanguageModel(
            new RecurrentLanguageModel.Config(13, 24, kind, 64, 2, 0.3, features));
    m.initialize(new SplittableRandom(9));
    return m;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void evaluateIsForwardWithoutDropoutBitForBit(RecurrentKind kind) {
    RecurrentLanguageModel m = model(kind, 0);
    SplittableRandom r = new SplittableRandom(4);
    int steps = 9, batch = 17;
    LanguageModel.State traced = null, evaluated = null;
    for (int window = 0; window < 3; window++) {
      int[] tokens = new int[steps * batch];
      for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(13);
      LanguageModel.Pass a = m.forward(tokens, steps, batch, traced, null);
      LanguageModel.Pass b = m.evaluate(tokens, steps, batch, evaluated);
      assertArrayEquals(a.logits().data(), b.logits().data(), "logits, window " + window);
      for (String name : a.finalState().tensors().keySet()) {
        assertArrayEquals(
            a.finalState().tensors().get(name).data(),
            b.finalState().tensors().get(name).data(),
            name + ", window " + window);
      }
      assertNull(b.recurrentTrace());
      b.release(); // nothing to hand back, and no error
      traced = a.finalState();
      evaluated = b.finalState();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = RecurrentKind.class,
      names = {"LSTM", "GRU"})
  void featuresAndRefusal(RecurrentKind kind) {
    RecurrentLanguageModel m = model(kind, 5);
    Tensor features = Tensor.zeros(7, 17, 5);
    SplittableRandom r = new SplittableRandom(6);
    float[] f = features.data();
    for (int i = 0; i < f.length; i++) f[i] = (float) r.nextDouble(-1, 1);
    LanguageModel.Pass a = m.forwardFeatures(features, null, null);
    LanguageModel.Pass b = m.evaluateFeatures(features, null);
    assertArrayEquals(a.logits().data(), b.logits().data());
    float[] headBefore = m.parameters().get(m.parameters().size() - 1).grad().data().clone();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> m.backward(b, Tensor.zeros(b.logits().shape())));
    assertTrue(e.getMessage().contains("evaluate"), e.getMessage());
    // Refused before anything was accumulated.
    assertArrayEquals(headBefore, m.parameters().get(m.parameters().size() - 1).grad().data());
  }
}
