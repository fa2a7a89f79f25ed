package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class GruTest {

  @Test
  void gradientsMatchFiniteDifferences() {
    GradientCheck.assertNoFailures(new RecurrentGradientCheck(RecurrentKind.GRU, 21).run());
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  void scalarCellFollowsTheGateEquationsWithTheHiddenBiasInsideTheReset() {
    Gru gru = new Gru(1, 1, 1);
    float[] wIh = {0.3f, -0.4f, 0.5f}; // r, z, n
    float[] wHh = {-0.6f, 0.7f, 0.8f};
    float[] bIh = {0.1f, 0.2f, -0.3f};
    float[] bHh = {-0.05f, 0.15f, 0.6f};
    System.arraycopy(wIh, 0, gru.weightIh(0).value().data(), 0, 3);
    System.arraycopy(wHh, 0, gru.weightHh(0).value().data(), 0, 3);
    System.arraycopy(bIh, 0, gru.biasIh(0).value().data(), 0, 3);
    System.arraycopy(bHh, 0, gru.biasHh(0).value().data(), 0, 3);
    float[] xs = {1.0f, -0.5f, 2.0f};
    RecurrentOutput out =
        gru.forward(
            Tensor.wrap(xs.clone(), 3, 1, 1), Tensor.wrap(new float[] {0.3f}, 1, 1, 1), null);
    double h = 0.3;
    for (int t = 0; t < 3; t++) {
      double r = sigmoid(wIh[0] * xs[t] + bIh[0] + wHh[0] * h + bHh[0]);
      double z = sigmoid(wIh[1] * xs[t] + bIh[1] + wHh[1] * h + bHh[1]);
      double n = Math.tanh(wIh[2] * xs[t] + bIh[2] + r * (wHh[2] * h + bHh[2]));
      h = (1 - z) * n + z * h;
      assertEquals(h, out.output().data()[t], 1e-6);
      assertEquals(r, out.trace().gates(0).data()[3 * t], 1e-6);
      assertEquals(z, out.trace().gates(0).data()[3 * t + 1], 1e-6);
      assertEquals(n, out.trace().gates(0).data()[3 * t + 2], 1e-6);
    }
    assertEquals(h, out.hN().data()[0], 1e-6);
  }
}
