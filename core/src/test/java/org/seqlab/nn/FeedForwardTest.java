package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class FeedForwardTest {

  @Test
  void geluKnownValues() {
    assertEquals(0.0, Gelu.value(0.0));
    // Φ(1) = 0.8413447460685429, Φ(-1) = 0.15865525393145707.
    assertEquals(0.8413447460685429, Gelu.value(1.0), 1e-15);
    assertEquals(-0.15865525393145707, Gelu.value(-1.0), 1e-15);
    assertEquals(0.5, Gelu.derivative(0.0), 1e-15);
    // Far out GELU is the identity on the right and vanishes on the left, without cancellation.
    assertEquals(10.0, Gelu.value(10.0), 1e-12);
    double tail = Gelu.value(-10.0);
    assertEquals(-10.0 * 7.619853024160527e-24, tail, 1e-36);
  }

  @Test
  void geluDerivativeMatchesCentralDifferences() {
    for (double x = -6; x <= 6; x += 0.25) {
      double h = 1e-5;
      double numeric = (Gelu.value(x + h) - Gelu.value(x - h)) / (2 * h);
      assertEquals(numeric, Gelu.derivative(x), 1e-8, "gelu'(" + x + ")");
    }
  }

  @Test
  void parametersHavePyTorchNames() {
    FeedForward ff = new FeedForward(4, 6);
    assertEquals(
        List.of("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"),
        TransformerTesting.names(ff));
    assertArrayEquals(new int[] {6, 4}, ff.parameters().get(0).value().shape());
    assertArrayEquals(new int[] {4, 6}, ff.parameters().get(2).value().shape());
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(11);
    FeedForward ff = new FeedForward(4, 6);
    for (Parameter p : ff.parameters()) {
      System.arraycopy(
          GradientCheck.random(rng, 1, p.value().shape()).data(),
          0,
          p.value().data(),
          0,
          p.value().size());
    }
    Tensor x = GradientCheck.random(rng, 1.5, 3, 2, 4);
    Tensor r = GradientCheck.random(rng, 1, 3, 2, 4);
    Tensor dx = ff.backward(ff.forward(x), r);
    List<String> failures = new ArrayList<>();
    failures.addAll(
        TransformerTesting.parameterFailures(
            ff, () -> GradientCheck.dot(ff.forward(x).output(), r)));
    failures.addAll(
        GradientCheck.compare(
            "x", x, dx, GradientCheck.EPS, () -> GradientCheck.dot(ff.forward(x).output(), r)));
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void backwardAccumulates() {
    SplittableRandom rng = new SplittableRandom(12);
    FeedForward ff = new FeedForward(3, 5);
    ff.initialize(rng);
    Tensor x = GradientCheck.random(rng, 1, 2, 2, 3);
    Tensor dy = GradientCheck.random(rng, 1, 2, 2, 3);
    FeedForward.Output out = ff.forward(x);
    ff.backward(out, dy);
    List<Tensor> once = TransformerTesting.gradients(ff);
    ff.backward(out, dy);
    TransformerTesting.assertDoubled(ff, once);
  }

  @Test
  void refusesZeroSizes() {
    TransformerTesting.assertRefused(
        "FeedForward needs positive sizes, got dModel=4, dFF=0", () -> new FeedForward(4, 0));
  }

  @Test
  void forwardIntoGivesTheBitsOfForward() {
    SplittableRandom rng = new SplittableRandom(13);
    FeedForward ff = new FeedForward(20, 33);
    ff.initialize(rng);
    float[] data = new float[4 * 2 * 20];
    for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextGaussian();
    Tensor x = Tensor.wrap(data, 4, 2, 20);
    float[] expected = ff.forward(x).output().data();

    Tensor y = Tensor.zeros(4, 2, 20);
    y.fill(7f); // overwritten, not added to
    ff.forwardInto(x, y, Tensor.zeros(4, 2, 33));
    assertArrayEquals(expected, y.data());
    TransformerTesting.assertRefused(
        "hidden has shape [4, 2, 20], expected [4, 2, 33]",
        () -> ff.forwardInto(x, y, Tensor.zeros(4, 2, 20)));
  }
}
