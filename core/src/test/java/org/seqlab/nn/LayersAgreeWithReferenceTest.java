package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.seqlab.nn.ReferenceComparison.assertClose;
import static org.seqlab.nn.ReferenceComparison.gaussian;
import static org.seqlab.nn.ReferenceComparison.stack;
import static org.seqlab.nn.ReferenceComparison.toDouble;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.nn.reference.Graph;
import org.seqlab.nn.reference.ReferenceRecurrent;
import org.seqlab.nn.reference.Var;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The float32 layers, forward and hand-written backward, against the double-precision reference
 * whose gradients are checked by finite differences ({@code ReferenceRecurrentGradientCheckTest}):
 * random shapes including odd and size-1 ones, every output, final state, parameter gradient, input
 * gradient, initial-state gradient and per-step hidden/cell gradient.
 */
class LayersAgreeWithReferenceTest {
  /** float32 against double: |a - b| <= TOL * (1 + max|b|) per tensor. */
  static final double TOL = 2e-5;

  static Stream<Arguments> shapes() {
    List<Arguments> cases = new ArrayList<>();
    int[][] sizes = {
      {1, 1, 1, 1, 1},
      {3, 2, 5, 7, 2},
      {7, 3, 1, 4, 3},
      {2, 5, 9, 3, 1},
      {11, 1, 3, 17, 2},
      // 8 rows and more take the per-step products 8 rows at a time; 70 units end in a part panel
      {3, 9, 5, 70, 2},
      // on two threads too (10 and 9 rows: a full tile and a remainder each), 130 units: two
      // full panels, each one tile's cell update after its product, and a part panel
      {4, 19, 6, 130, 1},
      // the backward pass takes its weight gradients a chunk of steps at a time (about
      // MatMul.DEPTH_BLOCK rows): 130 rows make each step its own chunk, 40 rows chunks of 6
      // steps, the last one partial; two layers, so that the layer below's output gradient is
      // overwritten by chunks as it is read
      {3, 130, 5, 6, 2},
      {7, 40, 4, 9, 2}
    };
    for (RecurrentKind kind : RecurrentKind.values()) {
      for (int[] s : sizes) cases.add(Arguments.of(kind, s[0], s[1], s[2], s[3], s[4]));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} T={1} B={2} I={3} H={4} L={5}")
  @MethodSource("shapes")
  void forwardAndBackwardMatchTheReference(RecurrentKind kind, int T, int B, int I, int H, int L) {
    Random r = new Random(31L * T + 7L * B + I + 1000L * H + kind.ordinal());
    Recurrent net = Recurrent.create(kind, I, H, L);
    ReferenceRecurrent ref = new ReferenceRecurrent(kind, I, H, L);
    for (Parameter p : net.parameters()) {
      float[] values = gaussian(r, p.value().size(), 0.4);
      System.arraycopy(values, 0, p.value().data(), 0, values.length);
      System.arraycopy(toDouble(values), 0, ref.parameter(p.name()), 0, values.length);
    }
    boolean lstm = kind == RecurrentKind.LSTM;
    float[] x = gaussian(r, T * B * I, 1), h0 = gaussian(r, L * B * H, 0.5);
    float[] c0 = lstm ? gaussian(r, L * B * H, 0.5) : null;
    float[] dOut = gaussian(r, T * B * H, 1), dhN = gaussian(r, L * B * H, 1);
    float[] dcN = lstm ? gaussian(r, L * B * H, 1) : null;

    RecurrentOutput out =
        net.forward(
            Tensor.wrap(x, T, B, I),
            Tensor.wrap(h0, L, B, H),
            lstm ? Tensor.wrap(c0, L, B, H) : null);
    RecurrentGradients grads =
        net.backward(
            out,
            Tensor.wrap(dOut, T, B, H),
            Tensor.wrap(dhN, L, B, H),
            lstm ? Tensor.wrap(dcN, L, B, H) : null);

    ReferenceRecurrent.Unrolled run =
        ref.unroll(toDouble(x), T, B, toDouble(h0), lstm ? toDouble(c0) : null);
    run.backward(toDouble(dOut), toDouble(dhN), lstm ? toDouble(dcN) : null);

    Var[] outputs = new Var[T];
    for (int t = 0; t < T; t++) outputs[t] = run.output(t);
    assertClose("output", out.output().data(), stack(outputs, false), TOL);
    Var[] last = new Var[L];
    for (int k = 0; k < L; k++) last[k] = run.hidden()[k][T - 1];
    assertClose("h_n", out.hN().data(), stack(last, false), TOL);
    if (lstm) {
      for (int k = 0; k < L; k++) last[k] = run.cell()[k][T - 1];
      assertClose("c_n", out.cN().data(), stack(last, false), TOL);
    }
    for (Parameter p : net.parameters()) {
      assertClose("grad " + p.name(), p.grad().data(), run.parameters().get(p.name()).grad(), TOL);
    }
    assertClose("grad input", grads.dInput().data(), stack(run.inputs(), true), TOL);
    assertClose("grad h0", grads.dh0().data(), stack(run.h0(), true), TOL);
    if (lstm) assertClose("grad c0", grads.dc0().data(), stack(run.c0(), true), TOL);
    for (int k = 0; k < L; k++) {
      assertClose(
          "dL/dh_t layer " + k, grads.hiddenGradient(k).data(), stack(run.hidden()[k], true), TOL);
      if (lstm)
        assertClose(
            "dL/dc_t layer " + k, grads.cellGradient(k).data(), stack(run.cell()[k], true), TOL);
    }
  }

  static Stream<Arguments> variants() {
    List<Arguments> cases = new ArrayList<>();
    for (RecurrentKind kind : RecurrentKind.values()) {
      for (boolean bidirectional : new boolean[] {false, true}) {
        for (boolean ragged : new boolean[] {false, true}) {
          for (double dropout : new double[] {0, 0.4}) {
            for (int threads : new int[] {1, 2}) {
              cases.add(Arguments.of(kind, bidirectional, ragged, dropout, threads, 9));
            }
            // several chunks of steps in the backward pass (see shapes())
            cases.add(Arguments.of(kind, bidirectional, ragged, dropout, 2, 43));
            cases.add(Arguments.of(kind, bidirectional, ragged, dropout, 1, 43));
          }
        }
      }
    }
    return cases.stream();
  }

  /**
   * T=7, B=9, I=5, H=37, L=2: nine rows take the per-step products 8 rows at a time and then one,
   * 37 units end in a part panel and a part vector, and every time loop has enough work to be split
   * between two threads. B=43 makes the backward pass take its weight gradients in two chunks of
   * steps (5 and 2). Ragged lengths are unsorted and include 1 and T.
   */
  @ParameterizedTest(name = "{0} bidirectional={1} ragged={2} dropout={3} threads={4} B={5}")
  @MethodSource("variants")
  void bidirectionalRaggedDropoutMatchTheReference(
      RecurrentKind kind,
      boolean bidirectional,
      boolean ragged,
      double dropout,
      int threads,
      int B) {
    int T = 7, I = 5, H = 37, L = 2, D = bidirectional ? 2 : 1, S = L * D;
    assertTrue(
        (long) B * T * kind.gateCount() * H * H >= Parallel.MIN_PARALLEL_WORK,
        "too small to run on two threads");
    Parallel.setThreads(threads);
    int[] lengths = null;
    if (ragged) {
      int[] some = {3, 7, 1, 5, 7, 2, 6, 4, 1};
      lengths = new int[B];
      for (int b = 0; b < B; b++) lengths[b] = some[b % some.length];
    }
    // The seed depends on B: with B's in the seed, no ReLU pre-activation falls within float32's
    // rounding of 0, where the float and double derivatives (0 or 1) could disagree.
    Random r =
        new Random(kind.ordinal() * 100L + (bidirectional ? 10 : 0) + (ragged ? 1 : 0) + 1000L * B);
    Recurrent net = Recurrent.create(kind, I, H, L, bidirectional);
    net.setDropout(dropout);
    ReferenceRecurrent ref = new ReferenceRecurrent(kind, I, H, L, bidirectional);
    for (Parameter p : net.parameters()) {
      float[] values = gaussian(r, p.value().size(), 0.3);
      System.arraycopy(values, 0, p.value().data(), 0, values.length);
      System.arraycopy(toDouble(values), 0, ref.parameter(p.name()), 0, values.length);
    }
    boolean lstm = kind == RecurrentKind.LSTM;
    float[] x = gaussian(r, T * B * I, 1), h0 = gaussian(r, S * B * H, 0.5);
    float[] c0 = lstm ? gaussian(r, S * B * H, 0.5) : null;
    // dOutput is non-zero at padded steps too: the layer must ignore it there
    float[] dOut = gaussian(r, T * B * D * H, 1), dhN = gaussian(r, S * B * H, 1);
    float[] dcN = lstm ? gaussian(r, S * B * H, 1) : null;

    RecurrentOutput out =
        net.forward(
            Tensor.wrap(x, T, B, I),
            Tensor.wrap(h0, S, B, H),
            lstm ? Tensor.wrap(c0, S, B, H) : null,
            lengths,
            new SplittableRandom(5));
    RecurrentGradients grads =
        net.backward(
            out,
            Tensor.wrap(dOut, T, B, D * H),
            Tensor.wrap(dhN, S, B, H),
            lstm ? Tensor.wrap(dcN, S, B, H) : null);

    double[][] masks = null;
    if (dropout > 0) {
      Tensor mask = out.trace().dropoutMask(0);
      masks = new double[][] {toDouble(mask.data())};
    } else {
      assertEquals(null, out.trace().dropoutMask(0));
    }
    ReferenceRecurrent.Unrolled run =
        ref.unroll(toDouble(x), T, B, toDouble(h0), lstm ? toDouble(c0) : null, lengths, masks);
    run.backward(toDouble(dOut), toDouble(dhN), lstm ? toDouble(dcN) : null);

    assertClose("output", out.output().data(), stack(run.outputs(), false), TOL);
    assertClose("h_n", out.hN().data(), stack(run.hN(), false), TOL);
    if (lstm) assertClose("c_n", out.cN().data(), stack(run.cN(), false), TOL);
    for (Parameter p : net.parameters()) {
      assertClose("grad " + p.name(), p.grad().data(), run.parameters().get(p.name()).grad(), TOL);
    }
    assertClose("grad input", grads.dInput().data(), stack(run.inputs(), true), TOL);
    assertClose("grad h0", grads.dh0().data(), stack(run.h0(), true), TOL);
    if (lstm) assertClose("grad c0", grads.dc0().data(), stack(run.c0(), true), TOL);
    int[] all = out.trace().lengths();
    for (int k = 0; k < L; k++) {
      for (int d = 0; d < D; d++) {
        int i = k * D + d;
        String where = " layer " + k + " direction " + d;
        // By position; where a sequence has ended there is no state (the reference holds one).
        assertClose(
            "h_t" + where,
            out.trace().hiddenStates(k, d).data(),
            padded(stack(run.hidden()[i], false), all, T, B, H),
            TOL);
        assertClose(
            "dL/dh_t" + where,
            grads.hiddenGradient(i).data(),
            padded(stack(run.hidden()[i], true), all, T, B, H),
            TOL);
        if (lstm) {
          assertClose(
              "c_t" + where,
              out.trace().cellStates(k, d).data(),
              padded(stack(run.cell()[i], false), all, T, B, H),
              TOL);
          assertClose(
              "dL/dc_t" + where,
              grads.cellGradient(i).data(),
              padded(stack(run.cell()[i], true), all, T, B, H),
              TOL);
        }
      }
    }
    if (ragged) {
      for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) {
          for (int j = 0; t >= lengths[b] && j < I; j++) {
            assertEquals(0f, grads.dInput().data()[(t * B + b) * I + j], "padded input gradient");
          }
        }
      }
    }
  }

  /** {@code v [T, B, H]} with zeros where {@code t >= lengths[b]}. */
  private static double[] padded(double[] v, int[] lengths, int steps, int batch, int h) {
    double[] out = v.clone();
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        if (t >= lengths[b])
          java.util.Arrays.fill(out, (t * batch + b) * h, (t * batch + b + 1) * h, 0);
      }
    }
    return out;
  }

  @Test
  void linearMatchesTheReference() {
    Random r = new Random(5);
    for (int[] s : new int[][] {{1, 1, 1}, {4, 3, 5}, {7, 17, 9}}) {
      int n = s[0], in = s[1], outF = s[2];
      Linear linear = new Linear(in, outF);
      float[] w = gaussian(r, outF * in, 0.5),
          b = gaussian(r, outF, 0.5),
          x = gaussian(r, n * in, 1);
      float[] dy = gaussian(r, n * outF, 1);
      System.arraycopy(w, 0, linear.weight().value().data(), 0, w.length);
      System.arraycopy(b, 0, linear.bias().value().data(), 0, b.length);
      Tensor y = linear.forward(Tensor.wrap(x, n, in));
      Tensor dx = linear.backward(Tensor.wrap(x, n, in), Tensor.wrap(dy, n, outF));

      Graph g = new Graph();
      Var vx = g.leaf(toDouble(x), n, in),
          vw = g.leaf(toDouble(w), outF, in),
          vb = g.leaf(toDouble(b), 1, outF);
      Var vy = g.addBias(g.matmulTransposed(vx, vw), vb);
      g.backward(g.weightedSum(vy, toDouble(dy)));
      assertClose("linear y", y.data(), vy.value(), TOL);
      assertClose("linear dx", dx.data(), vx.grad(), TOL);
      assertClose("linear dW", linear.weight().grad().data(), vw.grad(), TOL);
      assertClose("linear db", linear.bias().grad().data(), vb.grad(), TOL);
    }
  }

  @Test
  void embeddingMatchesTheReference() {
    Random r = new Random(6);
    int num = 7, dim = 5;
    int[] ids = {3, 0, 6, 3, 3, 1};
    Embedding embedding = new Embedding(num, dim);
    float[] table = gaussian(r, num * dim, 1), dy = gaussian(r, ids.length * dim, 1);
    System.arraycopy(table, 0, embedding.weight().value().data(), 0, table.length);
    Tensor y = embedding.forward(ids, 2, 3);
    embedding.backward(ids, Tensor.wrap(dy, 2, 3, dim));

    Graph g = new Graph();
    Var vt = g.leaf(toDouble(table), num, dim);
    Var vy = g.gatherRows(vt, ids);
    g.backward(g.weightedSum(vy, toDouble(dy)));
    assertClose("embedding y", y.data(), vy.value(), TOL);
    assertClose("embedding dW", embedding.weight().grad().data(), vt.grad(), TOL);
  }
}
