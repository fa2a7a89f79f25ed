package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class RnnTest {

  @Test
  void tanhGradientsMatchFiniteDifferences() {
    GradientCheck.assertNoFailures(new RecurrentGradientCheck(RecurrentKind.RNN_TANH, 31).run());
  }

  @Test
  void reluGradientsMatchFiniteDifferences() {
    GradientCheck.assertNoFailures(new RecurrentGradientCheck(RecurrentKind.RNN_RELU, 32).run());
  }

  /** Runs a scalar RNN with w_ih = 0.5, w_hh = 0.9, b_ih = 0.1, b_hh = -0.2 from h0 = 0.3. */
  private static Tensor scalarRun(RecurrentKind kind, float[] xs) {
    Rnn rnn = new Rnn(kind, 1, 1, 1);
    rnn.weightIh(0).value().data()[0] = 0.5f;
    rnn.weightHh(0).value().data()[0] = 0.9f;
    rnn.biasIh(0).value().data()[0] = 0.1f;
    rnn.biasHh(0).value().data()[0] = -0.2f;
    return rnn.forward(
            Tensor.wrap(xs.clone(), xs.length, 1, 1),
            Tensor.wrap(new float[] {0.3f}, 1, 1, 1),
            null)
        .output();
  }

  @Test
  void scalarTanhCellFollowsItsEquation() {
    float[] xs = {1.0f, -2.0f, 0.5f};
    Tensor out = scalarRun(RecurrentKind.RNN_TANH, xs);
    double h = 0.3;
    for (int t = 0; t < xs.length; t++) {
      h = Math.tanh(0.5f * xs[t] + 0.1f + 0.9f * h - 0.2f);
      assertEquals(h, out.data()[t], 1e-6);
    }
  }

  @Test
  void scalarReluCellClampsNegativePreActivations() {
    float[] xs = {1.0f, -4.0f, 0.5f};
    Tensor out = scalarRun(RecurrentKind.RNN_RELU, xs);
    double h = 0.3;
    for (int t = 0; t < xs.length; t++) {
      h = Math.max(0, 0.5f * xs[t] + 0.1f + 0.9f * h - 0.2f);
      assertEquals(h, out.data()[t], 1e-6);
    }
    assertEquals(0f, out.data()[1]); // 0.5*(-4) + 0.1 + 0.9*0.67 - 0.2 < 0
  }
}
