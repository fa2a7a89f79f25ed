package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.nn.RecurrentKind;

/**
 * Double-precision finite-difference checks of the reference RNN, LSTM and GRU: two stacked layers,
 * a non-zero initial state, and a loss that touches every output and final state, checked for every
 * entry of every parameter, the input and the initial states.
 */
class ReferenceRecurrentGradientCheckTest {
  static final int T = 4, B = 2, I = 3, H = 5, L = 2;

  static double[] gaussian(Random r, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) a[i] = scale * r.nextGaussian();
    return a;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void everyGradientMatchesFiniteDifferences(RecurrentKind kind) {
    Random r = new Random(kind.ordinal() + 11);
    ReferenceRecurrent model = new ReferenceRecurrent(kind, I, H, L);
    for (double[] p : model.parameters().values()) {
      System.arraycopy(gaussian(r, p.length, 0.5), 0, p, 0, p.length);
    }
    double[] input = gaussian(r, T * B * I, 1);
    double[] h0 = gaussian(r, L * B * H, 0.5);
    double[] c0 = kind == RecurrentKind.LSTM ? gaussian(r, L * B * H, 0.5) : null;
    double[] dOutput = gaussian(r, T * B * H, 1);
    double[] dhN = gaussian(r, L * B * H, 1);
    double[] dcN = kind == RecurrentKind.LSTM ? gaussian(r, L * B * H, 1) : null;

    ReferenceRecurrent.Unrolled run = model.unroll(input, T, B, h0, c0);
    run.backward(dOutput, dhN, dcN);
    java.util.function.DoubleSupplier loss =
        () -> model.unroll(input, T, B, h0, c0).backward(dOutput, dhN, dcN);

    for (Map.Entry<String, Var> p : run.parameters().entrySet()) {
      FiniteDifference.check(
          kind + " " + p.getKey(), model.parameter(p.getKey()), p.getValue().grad(), loss);
    }
    FiniteDifference.check(kind + " input", input, concat(run.inputs()), loss);
    FiniteDifference.check(kind + " h0", h0, concat(run.h0()), loss);
    if (c0 != null) FiniteDifference.check(kind + " c0", c0, concat(run.c0()), loss);

    // The relu RNN has a kink at 0; the check above would fail near it, so make sure the data
    // exercised both sides rather than sitting in one linear region.
    if (kind == RecurrentKind.RNN_RELU) {
      double[] out = run.output(T - 1).value();
      boolean zero = false, positive = false;
      for (double v : out) {
        zero |= v == 0;
        positive |= v > 0;
      }
      assertTrue(zero && positive, "relu outputs should include both zeros and positives");
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void hiddenGradientAtLastStepIsTheUpstreamGradient(RecurrentKind kind) {
    Random r = new Random(3);
    ReferenceRecurrent model = new ReferenceRecurrent(kind, I, H, 1);
    for (double[] p : model.parameters().values())
      System.arraycopy(gaussian(r, p.length, 0.3), 0, p, 0, p.length);
    ReferenceRecurrent.Unrolled run = model.unroll(gaussian(r, T * B * I, 1), T, B, null, null);
    double[] ones = new double[B * H];
    java.util.Arrays.fill(ones, 1);
    run.backward(null, ones, null);
    double[] last = run.output(T - 1).grad();
    for (double g : last) assertEquals(1.0, g, 0);
  }

  static double[] concatValues(Var[] vars) {
    int n = 0;
    for (Var v : vars) n += v.value().length;
    double[] all = new double[n];
    int off = 0;
    for (Var v : vars) {
      System.arraycopy(v.value(), 0, all, off, v.value().length);
      off += v.value().length;
    }
    return all;
  }

  static double[] concat(Var[] vars) {
    int n = 0;
    for (Var v : vars) n += v.grad().length;
    double[] all = new double[n];
    int off = 0;
    for (Var v : vars) {
      System.arraycopy(v.grad(), 0, all, off, v.grad().length);
      off += v.grad().length;
    }
    return all;
  }
}
