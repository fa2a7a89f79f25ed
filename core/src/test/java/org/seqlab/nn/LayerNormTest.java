package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class LayerNormTest {

  @Test
  void normalisesEachRowToZeroMeanAndUnitVarianceThenScalesAndShifts() {
    LayerNorm norm = new LayerNorm(4);
    assertArrayEquals(new float[] {1, 1, 1, 1}, norm.weight().value().data());
    assertArrayEquals(new float[] {0, 0, 0, 0}, norm.bias().value().data());
    Tensor x = Tensor.wrap(new float[] {1, 2, 3, 4, -2, -2, 6, 6}, 2, 4);
    LayerNorm.Output out = norm.forward(x);
    // Row 0: mean 2.5, variance 1.25. Row 1: mean 2, variance 16.
    assertArrayEquals(new float[] {2.5f, 2f}, out.mean().data());
    assertEquals(1 / Math.sqrt(1.25 + 1e-5), out.rstd().data()[0], 1e-6);
    assertEquals(1 / Math.sqrt(16 + 1e-5), out.rstd().data()[1], 1e-7);
    double s = 1 / Math.sqrt(1.25 + 1e-5);
    assertEquals(-1.5 * s, out.output().data()[0], 1e-6);
    assertEquals(1.5 * s, out.output().data()[3], 1e-6);
    assertEquals(-1.0, out.output().data()[4], 1e-6);

    norm.weight().value().fill(2f);
    norm.bias().value().fill(0.5f);
    Tensor scaled = norm.forward(x).output();
    for (int i = 0; i < 8; i++) {
      assertEquals(2 * out.output().data()[i] + 0.5f, scaled.data()[i], 1e-6);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(7);
    LayerNorm norm = new LayerNorm(5);
    norm.weight().value().data()[0] = 1.5f;
    System.arraycopy(GradientCheck.random(rng, 0.5, 5).data(), 0, norm.bias().value().data(), 0, 5);
    float[] weight = norm.weight().value().data();
    for (int j = 0; j < 5; j++) weight[j] += (float) rng.nextDouble(-0.3, 0.3);
    Tensor x = GradientCheck.random(rng, 2, 3, 2, 5);
    Tensor r = GradientCheck.random(rng, 1, 3, 2, 5);
    Tensor dx = norm.backward(norm.forward(x), r);
    List<String> failures = new ArrayList<>();
    failures.addAll(
        TransformerTesting.parameterFailures(
            norm, () -> GradientCheck.dot(norm.forward(x).output(), r)));
    failures.addAll(
        GradientCheck.compare(
            "x", x, dx, GradientCheck.EPS, () -> GradientCheck.dot(norm.forward(x).output(), r)));
    GradientCheck.assertNoFailures(failures);
  }

  @Test
  void backwardAccumulates() {
    SplittableRandom rng = new SplittableRandom(8);
    LayerNorm norm = new LayerNorm(3);
    Tensor x = GradientCheck.random(rng, 1, 4, 3);
    Tensor dy = GradientCheck.random(rng, 1, 4, 3);
    LayerNorm.Output out = norm.forward(x);
    Tensor dx1 = norm.backward(out, dy);
    List<Tensor> once = TransformerTesting.gradients(norm);
    Tensor dx2 = norm.backward(out, dy);
    assertArrayEquals(dx1.data(), dx2.data());
    TransformerTesting.assertDoubled(norm, once);
  }

  @Test
  void refusesBadSizesAndShapes() {
    var zero = assertThrows(IllegalArgumentException.class, () -> new LayerNorm(0));
    assertTrue(zero.getMessage().contains("dim"), zero.getMessage());
    LayerNorm norm = new LayerNorm(4);
    TransformerTesting.assertRefused(
        "x has shape [2, 3], expected [*, 4]", () -> norm.forward(Tensor.zeros(2, 3)));
    LayerNorm.Output out = norm.forward(Tensor.zeros(2, 4));
    TransformerTesting.assertRefused(
        "dy has shape [4, 2], expected [2, 4]", () -> norm.backward(out, Tensor.zeros(4, 2)));
  }

  @Test
  void forwardIntoGivesTheBitsOfForwardAlsoInPlace() {
    SplittableRandom rng = new SplittableRandom(9);
    int dim = 37; // two vectors and a tail on AVX-512, more on narrower machines
    LayerNorm norm = new LayerNorm(dim);
    for (Parameter p : norm.parameters()) {
      float[] v = p.value().data();
      for (int i = 0; i < v.length; i++) v[i] += (float) rng.nextDouble(-0.5, 0.5);
    }
    float[] data = new float[3 * 5 * dim];
    for (int i = 0; i < data.length; i++) data[i] = (float) (rng.nextGaussian() * 3 + 1);
    Tensor x = Tensor.wrap(data, 3, 5, dim);
    float[] expected = norm.forward(x).output().data();

    Tensor y = Tensor.zeros(3, 5, dim);
    norm.forwardInto(x, y);
    assertArrayEquals(expected, y.data());
    Tensor inPlace = x.copy();
    norm.forwardInto(inPlace, inPlace);
    assertArrayEquals(expected, inPlace.data());
    TransformerTesting.assertRefused(
        "y has shape [15, 37], expected [3, 5, 37]",
        () -> norm.forwardInto(x, Tensor.zeros(15, dim)));
  }
}
