package org.seqlab.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.RecurrentGradients;
import org.seqlab.tensor.NumpyRandom;
import org.seqlab.tensor.Tensor;

/**
 * The gradient-flow probe of minGRU and minLSTM (double precision, step by step) against the
 * float32 layer's own backward pass (a two-level scan) on the same weights and input.
 */
class MinRecurrentGradientFlowTest {

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void theProbeIsTheLayersGradientThroughTheState(MinRecurrentKind kind) {
    int input = 3, hidden = 5, steps = 12;
    long seed = 7;
    GradientFlow.Result probe =
        GradientFlow.measureMinRecurrent(
            kind,
            input,
            hidden,
            steps,
            new GradientFlow.WeightInit.PyTorchDefault(),
            new NumpyRandom(seed));

    // The same draws, in the probe's order: weights, biases, then the input.
    NumpyRandom rng = new NumpyRandom(seed);
    MinRecurrent layer = new MinRecurrent(kind, input, hidden, 1);
    double bound = 1 / Math.sqrt(hidden);
    float[] w = layer.weightIh(0).value().data(), b = layer.biasIh(0).value().data();
    for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    for (int i = 0; i < b.length; i++) b[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    Tensor x = Tensor.zeros(steps, 1, input);
    for (int i = 0; i < x.size(); i++) x.data()[i] = (float) rng.nextGaussian();
    Tensor ones = Tensor.zeros(1, 1, hidden);
    java.util.Arrays.fill(ones.data(), 1f);
    RecurrentGradients g = layer.backward(layer.forward(x, null), null, ones);
    float[] dh = g.hiddenGradient(0).data();

    assertEquals(steps, probe.steps());
    assertNull(probe.cellGradientNorm());
    assertTrue(Double.isNaN(probe.spectralRadius()), "no W_hh");
    assertEquals(Math.sqrt(hidden), probe.hiddenGradientNorm()[steps - 1], 1e-12);
    for (int t = 0; t < steps; t++) {
      double sum = 0;
      for (int j = 0; j < hidden; j++) sum += (double) dh[t * hidden + j] * dh[t * hidden + j];
      double expected = Math.sqrt(sum);
      assertEquals(expected, probe.hiddenGradientNorm()[t], 1e-5 * expected, "step " + t);
    }
    // Each gate keeps less than all of the state, so the gradient shrinks step by step back.
    assertTrue(probe.hiddenGradientNorm()[0] < probe.hiddenGradientNorm()[steps - 1]);
  }
}
