package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class LstmTest {

  @Test
  void gradientsMatchFiniteDifferences() {
    GradientCheck.assertNoFailures(new RecurrentGradientCheck(RecurrentKind.LSTM, 11).run());
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  void scalarCellFollowsTheGateEquations() {
    Lstm lstm = new Lstm(1, 1, 1);
    float[] wIh = {0.3f, -0.4f, 0.5f, 0.2f}; // i, f, g, o
    float[] wHh = {-0.6f, 0.7f, 0.25f, -0.1f};
    float[] bIh = {0.1f, 0.2f, -0.3f, 0.4f};
    float[] bHh = {-0.05f, 0.15f, 0.1f, -0.2f};
    System.arraycopy(wIh, 0, lstm.weightIh(0).value().data(), 0, 4);
    System.arraycopy(wHh, 0, lstm.weightHh(0).value().data(), 0, 4);
    System.arraycopy(bIh, 0, lstm.biasIh(0).value().data(), 0, 4);
    System.arraycopy(bHh, 0, lstm.biasHh(0).value().data(), 0, 4);
    float[] xs = {1.0f, -0.5f, 2.0f};
    RecurrentOutput out =
        lstm.forward(
            Tensor.wrap(xs.clone(), 3, 1, 1),
            Tensor.wrap(new float[] {0.3f}, 1, 1, 1),
            Tensor.wrap(new float[] {-0.7f}, 1, 1, 1));
    double h = 0.3;
    double c = -0.7;
    for (int t = 0; t < 3; t++) {
      double[] pre = new double[4];
      for (int q = 0; q < 4; q++) pre[q] = wIh[q] * xs[t] + bIh[q] + wHh[q] * h + bHh[q];
      double i = sigmoid(pre[0]);
      double f = sigmoid(pre[1]);
      double g = Math.tanh(pre[2]);
      double o = sigmoid(pre[3]);
      c = f * c + i * g;
      h = o * Math.tanh(c);
      assertEquals(h, out.output().data()[t], 1e-6);
      assertEquals(c, out.trace().cellStates(0).data()[t], 1e-6);
      assertArrayEquals(
          new float[] {(float) i, (float) f, (float) g, (float) o},
          java.util.Arrays.copyOfRange(out.trace().gates(0).data(), 4 * t, 4 * t + 4),
          1e-6f);
    }
    assertEquals(h, out.hN().data()[0], 1e-6);
    assertEquals(c, out.cN().data()[0], 1e-6);
  }

  @Test
  void forgetGateBiasIsTheEffectiveBiasOfTheForgetRows() {
    Lstm lstm = new Lstm(3, 4, 2);
    lstm.initialize(new SplittableRandom(8));
    float[] ihBefore = lstm.biasIh(1).value().data().clone();
    float[] hhBefore = lstm.biasHh(1).value().data().clone();
    lstm.setForgetGateBias(1.0);
    for (int k = 0; k < 2; k++) {
      float[] ih = lstm.biasIh(k).value().data();
      float[] hh = lstm.biasHh(k).value().data();
      for (int j = 4; j < 8; j++) {
        assertEquals(1f, ih[j]);
        assertEquals(0f, hh[j]);
      }
    }
    for (int j = 0; j < 16; j++) {
      if (j >= 4 && j < 8) continue;
      assertEquals(
          ihBefore[j],
          lstm.biasIh(1).value().data()[j],
          "row " + j + " of bias_ih must not change");
      assertEquals(
          hhBefore[j],
          lstm.biasHh(1).value().data()[j],
          "row " + j + " of bias_hh must not change");
    }
    // With zero weights the forget gate is σ(b) exactly.
    for (Parameter p : lstm.parameters()) p.value().zero();
    lstm.setForgetGateBias(1.0);
    Tensor gates = lstm.forward(Tensor.zeros(2, 1, 3), null, null).trace().gates(0);
    for (int j = 4; j < 8; j++) assertEquals((float) sigmoid(1.0), gates.data()[j], 1e-7f);
  }

  @Test
  void cellGradientOfLastStepCombinesDcNAndTheHiddenPath() {
    RecurrentGradientCheck check = new RecurrentGradientCheck(RecurrentKind.LSTM, 12);
    RecurrentOutput out = check.forward();
    RecurrentGradients grads = check.model.backward(out, check.dOutput, check.dhN, check.dcN);
    int h = RecurrentGradientCheck.HIDDEN;
    int block = RecurrentGradientCheck.BATCH * h;
    int last = RecurrentGradientCheck.STEPS - 1;
    int top = RecurrentGradientCheck.LAYERS - 1;
    Tensor gates = out.trace().gates(top);
    Tensor cells = out.trace().cellStates(top);
    Tensor dh = grads.hiddenGradient(top);
    Tensor dc = grads.cellGradient(top);
    for (int b = 0; b < RecurrentGradientCheck.BATCH; b++) {
      for (int j = 0; j < h; j++) {
        int s = last * block + b * h + j;
        double o = gates.data()[(last * RecurrentGradientCheck.BATCH + b) * 4 * h + 3 * h + j];
        double tanhC = Math.tanh(cells.data()[s]);
        double expected =
            check.dcN.data()[top * block + b * h + j] + dh.data()[s] * o * (1 - tanhC * tanhC);
        assertEquals(expected, dc.data()[s], 1e-6);
      }
    }
  }
}
