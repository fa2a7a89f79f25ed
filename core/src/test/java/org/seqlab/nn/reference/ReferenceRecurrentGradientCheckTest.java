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

  /**
   * Two bidirectional layers over a ragged batch (unsorted lengths, the shortest 1 and the longest
   * T) with a dropout mask between them: every parameter of both directions, the input (padding
   * included, where the gradient must be exactly 0) and the initial states of every layer and
   * direction.
   */
  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void bidirectionalRaggedWithDropoutMatchesFiniteDifferences(RecurrentKind kind) {
    int steps = 5, batch = 3, states = 2 * L, width = 2 * H;
    int[] lengths = {3, 5, 1};
    Random r = new Random(kind.ordinal() + 41);
    ReferenceRecurrent model = new ReferenceRecurrent(kind, I, H, L, true);
    for (double[] p : model.parameters().values()) {
      System.arraycopy(gaussian(r, p.length, 0.5), 0, p, 0, p.length);
    }
    double[] input = gaussian(r, steps * batch * I, 1);
    double[] h0 = gaussian(r, states * batch * H, 0.5);
    double[] c0 = kind == RecurrentKind.LSTM ? gaussian(r, states * batch * H, 0.5) : null;
    double[] dOutput = gaussian(r, steps * batch * width, 1);
    double[] dhN = gaussian(r, states * batch * H, 1);
    double[] dcN = kind == RecurrentKind.LSTM ? gaussian(r, states * batch * H, 1) : null;
    double keep = 1 / (1 - 0.3);
    double[] mask = new double[steps * batch * width];
    for (int i = 0; i < mask.length; i++) mask[i] = r.nextDouble() < 0.3 ? 0 : keep;
    double[][] masks = {mask};

    ReferenceRecurrent.Unrolled run = model.unroll(input, steps, batch, h0, c0, lengths, masks);
    run.backward(dOutput, dhN, dcN);
    java.util.function.DoubleSupplier loss =
        () -> model.unroll(input, steps, batch, h0, c0, lengths, masks).backward(dOutput, dhN, dcN);

    for (Map.Entry<String, Var> p : run.parameters().entrySet()) {
      FiniteDifference.check(
          kind + " " + p.getKey(), model.parameter(p.getKey()), p.getValue().grad(), loss);
    }
    double[] dInput = concat(run.inputs());
    FiniteDifference.check(kind + " input", input, dInput, loss);
    FiniteDifference.check(kind + " h0", h0, concat(run.h0()), loss);
    if (c0 != null) FiniteDifference.check(kind + " c0", c0, concat(run.c0()), loss);
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        if (t < lengths[b]) continue;
        for (int j = 0; j < I; j++) {
          assertEquals(0.0, dInput[(t * batch + b) * I + j], 0.0, "padded input gradient");
        }
        for (int j = 0; j < width; j++) {
          assertEquals(0.0, run.output(t).get(b, j), 0.0, "padded output");
        }
      }
    }
  }

  /**
   * The definition of a ragged batch: each sequence alone, cut to its own length, gives the same
   * outputs and final states as the batch; and the reverse direction of a sequence is the forward
   * recurrence over that sequence read backwards.
   */
  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void aRaggedBatchIsEachSequenceOnItsOwn(RecurrentKind kind) {
    int steps = 4, batch = 3, states = 2 * L, width = 2 * H;
    int[] lengths = {2, 4, 1};
    Random r = new Random(kind.ordinal() + 51);
    ReferenceRecurrent model = new ReferenceRecurrent(kind, I, H, L, true);
    for (double[] p : model.parameters().values()) {
      System.arraycopy(gaussian(r, p.length, 0.5), 0, p, 0, p.length);
    }
    boolean lstm = kind == RecurrentKind.LSTM;
    double[] input = gaussian(r, steps * batch * I, 1);
    double[] h0 = gaussian(r, states * batch * H, 0.5);
    double[] c0 = lstm ? gaussian(r, states * batch * H, 0.5) : null;
    ReferenceRecurrent.Unrolled all = model.unroll(input, steps, batch, h0, c0, lengths, null);
    for (int b = 0; b < batch; b++) {
      int len = lengths[b];
      double[] x = new double[len * I];
      for (int t = 0; t < len; t++) System.arraycopy(input, (t * batch + b) * I, x, t * I, I);
      double[] h = row(h0, states, batch, b), c = lstm ? row(c0, states, batch, b) : null;
      ReferenceRecurrent.Unrolled alone = model.unroll(x, len, 1, h, c);
      for (int t = 0; t < steps; t++) {
        for (int j = 0; j < width; j++) {
          double expected = t < len ? alone.output(t).get(0, j) : 0;
          assertEquals(expected, all.output(t).get(b, j), 1e-15, "output t=" + t + " b=" + b);
        }
      }
      for (int i = 0; i < states; i++) {
        for (int j = 0; j < H; j++) {
          assertEquals(alone.hN()[i].get(0, j), all.hN()[i].get(b, j), 1e-15, "h_n " + i);
          if (lstm) assertEquals(alone.cN()[i].get(0, j), all.cN()[i].get(b, j), 1e-15, "c_n");
        }
      }
    }

    // Reverse direction of a one-layer model = forward weights over the reversed sequence.
    ReferenceRecurrent bi = new ReferenceRecurrent(kind, I, H, 1, true);
    ReferenceRecurrent uni = new ReferenceRecurrent(kind, I, H, 1);
    for (String name : uni.parameters().keySet()) {
      double[] reverse = gaussian(r, uni.parameter(name).length, 0.5);
      System.arraycopy(reverse, 0, bi.parameter(name + "_reverse"), 0, reverse.length);
      System.arraycopy(reverse, 0, uni.parameter(name), 0, reverse.length);
    }
    double[] x = gaussian(r, steps * I, 1), reversed = new double[x.length];
    for (int t = 0; t < steps; t++) System.arraycopy(x, t * I, reversed, (steps - 1 - t) * I, I);
    ReferenceRecurrent.Unrolled twoWays = bi.unroll(x, steps, 1, null, null);
    ReferenceRecurrent.Unrolled backwards = uni.unroll(reversed, steps, 1, null, null);
    for (int t = 0; t < steps; t++) {
      for (int j = 0; j < H; j++) {
        assertEquals(backwards.output(steps - 1 - t).get(0, j), twoWays.output(t).get(0, H + j));
      }
    }
  }

  /**
   * Row {@code b} of every {@code [B, H]} slice of a {@code [S, B, H]} state, as {@code [S, 1, H]}.
   */
  private static double[] row(double[] state, int slices, int batch, int b) {
    double[] out = new double[slices * H];
    for (int i = 0; i < slices; i++) System.arraycopy(state, (i * batch + b) * H, out, i * H, H);
    return out;
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
