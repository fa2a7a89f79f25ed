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

class LinearTest {

  @Test
  void knownAnswer() {
    Linear linear = new Linear(2, 3);
    System.arraycopy(new float[] {1, 2, 3, 4, 5, 6}, 0, linear.weight().value().data(), 0, 6);
    System.arraycopy(new float[] {0.5f, -1, 2}, 0, linear.bias().value().data(), 0, 3);
    Tensor y = linear.forward(Tensor.wrap(new float[] {1, -1, 2, 0.5f}, 2, 2));
    assertArrayEquals(new int[] {2, 3}, y.shape());
    assertArrayEquals(new float[] {-0.5f, -2f, 1f, 3.5f, 7f, 15f}, y.data());
  }

  @Test
  void gradientsMatchFiniteDifferencesWithLeadingDimensionsFlattened() {
    SplittableRandom rng = new SplittableRandom(41);
    Linear linear = new Linear(5, 3);
    linear.initialize(rng);
    Tensor x = GradientCheck.random(rng, 1, 2, 4, 5);
    Tensor r = GradientCheck.random(rng, 1, 2, 4, 3);
    Tensor y = linear.forward(x);
    assertArrayEquals(new int[] {2, 4, 3}, y.shape());
    Tensor dx = linear.backward(x, r);
    assertArrayEquals(x.shape(), dx.shape());
    List<String> failures = new ArrayList<>();
    failures.addAll(
        GradientCheck.compare(
            "weight",
            linear.weight().value(),
            linear.weight().grad(),
            GradientCheck.EPS,
            () -> GradientCheck.dot(linear.forward(x), r)));
    failures.addAll(
        GradientCheck.compare(
            "bias",
            linear.bias().value(),
            linear.bias().grad(),
            GradientCheck.EPS,
            () -> GradientCheck.dot(linear.forward(x), r)));
    failures.addAll(
        GradientCheck.compare(
            "x", x, dx, GradientCheck.EPS, () -> GradientCheck.dot(linear.forward(x), r)));
    GradientCheck.assertNoFailures(failures);
  }

  /**
   * Rows whose dy is all zero (the steps a loss does not ask about) are left out of the products:
   * at every share of such rows, with and without a workspace, dx, dW and db agree with the
   * definition in double, dx is exactly zero on those rows, and a NaN in dy is not taken for zero.
   */
  @Test
  void rowsWithoutAGradientAreSkippedAndTheRestIsExact() {
    SplittableRandom rng = new SplittableRandom(43);
    int in = 19, out = 37, n = 48;
    for (int every : new int[] {1, 2, 3, 5, 48}) {
      for (Workspace workspace : new Workspace[] {null, new Workspace()}) {
        Linear linear = new Linear(in, out);
        linear.initialize(rng);
        Tensor x = GradientCheck.random(rng, 1, n, in);
        Tensor dy = GradientCheck.random(rng, 1, n, out);
        for (int r = 0; r < n; r++) {
          if (r % every != 0) java.util.Arrays.fill(dy.data(), r * out, (r + 1) * out, 0f);
        }
        Tensor dx = linear.backward(x, dy, workspace);
        float[] w = linear.weight().value().data();
        for (int r = 0; r < n; r++) {
          for (int i = 0; i < in; i++) {
            double expected = 0;
            for (int o = 0; o < out; o++)
              expected += (double) dy.data()[r * out + o] * w[o * in + i];
            if (r % every != 0) {
              assertEquals(0f, dx.data()[r * in + i], "a skipped row's dx is zero");
            } else {
              assertEquals(expected, dx.data()[r * in + i], 1e-5, "dx every " + every);
            }
          }
        }
        for (int o = 0; o < out; o++) {
          double bias = 0;
          for (int r = 0; r < n; r++) bias += dy.data()[r * out + o];
          assertEquals(bias, linear.bias().grad().data()[o], 1e-5, "db every " + every);
          for (int i = 0; i < in; i++) {
            double expected = 0;
            for (int r = 0; r < n; r++)
              expected += (double) dy.data()[r * out + o] * x.data()[r * in + i];
            assertEquals(
                expected, linear.weight().grad().data()[o * in + i], 1e-5, "dW every " + every);
          }
        }
      }
    }
    Linear linear = new Linear(3, 2);
    linear.initialize(rng);
    Tensor x = GradientCheck.random(rng, 1, 8, 3);
    Tensor dy = Tensor.zeros(8, 2);
    dy.data()[5 * 2 + 1] = Float.NaN;
    Tensor dx = linear.backward(x, dy);
    assertTrue(Float.isNaN(dx.data()[5 * 3]), "a NaN row is carried, not skipped");
    assertTrue(Float.isNaN(linear.bias().grad().data()[1]));
  }

  @Test
  void backwardAccumulates() {
    SplittableRandom rng = new SplittableRandom(42);
    Linear linear = new Linear(4, 3);
    linear.initialize(rng);
    Tensor x = GradientCheck.random(rng, 1, 6, 4);
    Tensor dy = GradientCheck.random(rng, 1, 6, 3);
    linear.backward(x, dy);
    float[] weightOnce = linear.weight().grad().data().clone();
    float[] biasOnce = linear.bias().grad().data().clone();
    linear.backward(x, dy);
    for (int i = 0; i < weightOnce.length; i++)
      assertEquals(2 * weightOnce[i], linear.weight().grad().data()[i], 1e-6f);
    for (int i = 0; i < biasOnce.length; i++)
      assertEquals(2 * biasOnce[i], linear.bias().grad().data()[i], 1e-6f);
  }

  @Test
  void initializationStaysWithinTheBound() {
    Linear linear = new Linear(9, 4);
    linear.initialize(new SplittableRandom(43));
    double bound = 1 / 3.0;
    for (Parameter p : linear.parameters()) {
      float min = Float.POSITIVE_INFINITY;
      float max = Float.NEGATIVE_INFINITY;
      for (float v : p.value().data()) {
        assertTrue(Math.abs(v) <= bound, p.name() + " has " + v);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assertTrue(max > min, p.name() + " is constant");
    }
    assertEquals(
        List.of("weight", "bias"), linear.parameters().stream().map(Parameter::name).toList());
  }

  @Test
  void shapeErrorsAreClear() {
    Linear linear = new Linear(4, 3);
    var wrongWidth =
        assertThrows(IllegalArgumentException.class, () -> linear.forward(Tensor.zeros(2, 5)));
    assertEquals("x has shape [2, 5], expected [*, 4]", wrongWidth.getMessage());
    assertThrows(IllegalArgumentException.class, () -> linear.forward(Tensor.zeros(4)));
    var wrongDy =
        assertThrows(
            IllegalArgumentException.class,
            () -> linear.backward(Tensor.zeros(2, 4), Tensor.zeros(2, 4)));
    assertEquals("dy has shape [2, 4], expected [2, 3]", wrongDy.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3));
  }
}
