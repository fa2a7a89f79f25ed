package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.nn.MinRecurrentKind;

/**
 * Double-precision finite-difference checks of the reference minGRU and minLSTM: two stacked
 * layers, a non-zero initial state of either sign, and a loss that touches every output and final
 * state, checked for every entry of every parameter, the input and the initial state.
 */
class ReferenceMinRecurrentGradientCheckTest {
  static final int T = 4, B = 2, I = 3, H = 5, L = 2;

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void everyGradientMatchesFiniteDifferences(MinRecurrentKind kind) {
    Random r = new Random(kind.ordinal() + 17);
    ReferenceMinRecurrent model = new ReferenceMinRecurrent(kind, I, H, L);
    for (double[] p : model.parameters().values()) {
      System.arraycopy(
          ReferenceRecurrentGradientCheckTest.gaussian(r, p.length, 0.8), 0, p, 0, p.length);
    }
    double[] input = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * I, 1);
    double[] h0 = ReferenceRecurrentGradientCheckTest.gaussian(r, L * B * H, 0.5);
    double[] dOutput = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * H, 1);
    double[] dhN = ReferenceRecurrentGradientCheckTest.gaussian(r, L * B * H, 1);

    ReferenceMinRecurrent.Run run = model.run(input, T, B, h0);
    ReferenceMinRecurrent.Gradients grads = run.backward(dOutput, dhN);
    DoubleSupplier loss = () -> model.run(input, T, B, h0).loss(dOutput, dhN);

    double worst = 0;
    for (Map.Entry<String, double[]> p : grads.parameters().entrySet()) {
      worst =
          Math.max(
              worst,
              FiniteDifference.check(
                  kind + " " + p.getKey(), model.parameter(p.getKey()), p.getValue(), loss));
    }
    worst = Math.max(worst, FiniteDifference.check(kind + " input", input, grads.input(), loss));
    worst = Math.max(worst, FiniteDifference.check(kind + " h0", h0, grads.h0(), loss));
    System.out.printf(
        "reference %s: worst relative error vs finite differences %.2e%n", kind, worst);

    // The candidate g(x) has two pieces; the check means something only if both were used.
    int candidates = 0, negatives = 0;
    double[] w0 = model.parameter("weight_ih_l0"), b0 = model.parameter("bias_ih_l0");
    int g = kind.gateCount();
    for (int t = 0; t < T * B; t++) {
      for (int j = 0; j < H; j++) {
        int row = (g - 1) * H + j;
        double pre = b0[row];
        for (int p = 0; p < I; p++) pre += w0[row * I + p] * input[t * I + p];
        candidates++;
        if (pre < 0) negatives++;
      }
    }
    assertTrue(negatives > 0 && negatives < candidates, "both pieces of g: " + negatives);
  }

  /**
   * {@code dL/dh_t} at the top layer's last step is what reaches it from outside: dOutput + dhN.
   */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void theLastHiddenGradientIsTheUpstreamGradient(MinRecurrentKind kind) {
    Random r = new Random(kind.ordinal() + 3);
    ReferenceMinRecurrent model = new ReferenceMinRecurrent(kind, I, H, L);
    for (double[] p : model.parameters().values()) {
      System.arraycopy(
          ReferenceRecurrentGradientCheckTest.gaussian(r, p.length, 0.5), 0, p, 0, p.length);
    }
    double[] input = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * I, 1);
    double[] dOutput = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * H, 1);
    double[] dhN = ReferenceRecurrentGradientCheckTest.gaussian(r, L * B * H, 1);
    ReferenceMinRecurrent.Gradients grads = model.run(input, T, B, null).backward(dOutput, dhN);
    int block = B * H;
    for (int c = 0; c < block; c++) {
      double top = grads.hidden()[((L - 1) * T + T - 1) * block + c];
      assertEquals(dOutput[(T - 1) * block + c] + dhN[(L - 1) * block + c], top, 1e-15);
    }
  }
}
