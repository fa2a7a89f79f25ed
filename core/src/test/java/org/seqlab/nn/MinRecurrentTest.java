package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.nn.reference.ReferenceMinRecurrent;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The float32 minGRU and minLSTM against the double-precision reference over odd shapes (every
 * output and gradient), the chunked scan against the step-by-step recurrence, the threaded scan
 * against one thread, and the forward-only path against the forward pass.
 */
class MinRecurrentTest {

  /**
   * Relative to a tensor's largest magnitude: float32 roundings through a few dozen steps (the
   * largest seen is 2e-7 for values, 5e-7 for gradients).
   */
  static final double VALUE_TOLERANCE = 1e-6;

  static final double GRADIENT_TOLERANCE = 2e-6;

  /** {T, B, I, H, L}: T = 1, T = 37 (two chunks of time, the last short), B = 1 and 5, odd H. */
  static final int[][] SHAPES = {
    {1, 1, 3, 5, 2}, {37, 5, 7, 13, 2}, {37, 1, 4, 17, 1}, {6, 5, 2, 3, 3}, {70, 2, 5, 33, 2}
  };

  static MinRecurrent randomModel(MinRecurrentKind kind, int i, int h, int l, long seed) {
    MinRecurrent model = new MinRecurrent(kind, i, h, l);
    SplittableRandom rng = new SplittableRandom(seed);
    // Twice the default bound, so the gates work away from their linear part.
    double bound = 2 / Math.sqrt(h);
    for (Parameter p : model.parameters()) {
      float[] v = p.value().data();
      for (int j = 0; j < v.length; j++) v[j] = (float) rng.nextDouble(-bound, bound);
    }
    return model;
  }

  static ReferenceMinRecurrent referenceOf(MinRecurrent model) {
    ReferenceMinRecurrent reference =
        new ReferenceMinRecurrent(
            model.kind(), model.inputSize(), model.hiddenSize(), model.numLayers());
    for (Parameter p : model.parameters()) {
      double[] r = reference.parameter(p.name());
      for (int j = 0; j < r.length; j++) r[j] = p.value().data()[j];
    }
    return reference;
  }

  static double[] doubles(Tensor t) {
    double[] d = new double[t.size()];
    for (int i = 0; i < d.length; i++) d[i] = t.data()[i];
    return d;
  }

  /** max |actual - expected| / max |expected|, printed and checked against {@code tolerance}. */
  static double assertClose(String what, double[] expected, float[] actual, double tolerance) {
    assertEquals(expected.length, actual.length, what + " length");
    double scale = 0, diff = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
    }
    double relative = diff / Math.max(scale, 1e-30);
    System.out.printf(Locale.ROOT, "  %-34s max|diff|/max|ref| %.2e%n", what, relative);
    assertTrue(scale > 0, what + " is all zero, the comparison would prove nothing");
    assertTrue(relative <= tolerance, what + ": relative error " + relative);
    return relative;
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void agreesWithTheDoubleReferenceOnOddShapes(MinRecurrentKind kind) {
    for (int[] s : SHAPES) {
      int steps = s[0], batch = s[1], in = s[2], h = s[3], layers = s[4];
      String shape = kind + " T=" + steps + " B=" + batch + " I=" + in + " H=" + h + " L=" + layers;
      System.out.println(shape);
      SplittableRandom rng = new SplittableRandom(steps * 31L + h);
      MinRecurrent model = randomModel(kind, in, h, layers, h * 7L + steps);
      Tensor input = GradientCheck.random(rng, 1.0, steps, batch, in);
      // Either sign: the state enters the scan as a multiply-add.
      Tensor h0 = GradientCheck.random(rng, 0.8, layers, batch, h);
      Tensor dOutput = GradientCheck.random(rng, 1.0, steps, batch, h);
      Tensor dhN = GradientCheck.random(rng, 1.0, layers, batch, h);

      ReferenceMinRecurrent.Run expected =
          referenceOf(model).run(doubles(input), steps, batch, doubles(h0));
      ReferenceMinRecurrent.Gradients grads = expected.backward(doubles(dOutput), doubles(dhN));

      MinRecurrent.Output out = model.forward(input, h0);
      assertClose("output", expected.output(), out.output().data(), VALUE_TOLERANCE);
      assertClose("hN", expected.hN(), out.hN().data(), VALUE_TOLERANCE);
      model.zeroGrad();
      RecurrentGradients actual = model.backward(out, dOutput, dhN);
      for (Parameter p : model.parameters()) {
        assertClose(
            "grad." + p.name(),
            grads.parameters().get(p.name()),
            p.grad().data(),
            GRADIENT_TOLERANCE);
      }
      assertClose("grad.input", grads.input(), actual.dInput().data(), GRADIENT_TOLERANCE);
      assertClose("grad.h0", grads.h0(), actual.dh0().data(), GRADIENT_TOLERANCE);
      assertClose(
          "dL/dh_t (every layer)",
          grads.hidden(),
          actual.hiddenGradients().data(),
          GRADIENT_TOLERANCE);
    }
  }

  /**
   * The chunked scan runs in float: over 300 steps (ten chunks) and with inputs 25 times larger,
   * which drive the pre-activations to ±40 so that the gates saturate (a or z below 1e-17), it
   * still agrees with the double reference within float32's roundings, and nothing is NaN.
   */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void agreesWithTheDoubleReferenceOverLongSequencesAndSaturatedGates(MinRecurrentKind kind) {
    for (double scale : new double[] {1, 25}) {
      int steps = 300, batch = 3, in = 6, h = 19, layers = 2;
      MinRecurrent model = randomModel(kind, in, h, layers, 77);
      SplittableRandom rng = new SplittableRandom(78);
      Tensor input = GradientCheck.random(rng, scale, steps, batch, in);
      Tensor h0 = GradientCheck.random(rng, 0.8, layers, batch, h);
      ReferenceMinRecurrent.Run expected =
          referenceOf(model).run(doubles(input), steps, batch, doubles(h0));
      MinRecurrent.Output out = model.forward(input, h0);
      for (float v : out.output().data()) assertTrue(Float.isFinite(v), kind + " output " + v);
      assertClose(
          kind + " output, inputs x" + scale,
          expected.output(),
          out.output().data(),
          VALUE_TOLERANCE);
      assertClose(kind + " hN, inputs x" + scale, expected.hN(), out.hN().data(), VALUE_TOLERANCE);
    }
  }

  /** The parallel chunked scan computes the recurrence that streaming runs step by step. */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void theScanMatchesTheStepByStepRecurrence(MinRecurrentKind kind) {
    int steps = 75, batch = 3, in = 6, h = 11, layers = 2;
    MinRecurrent model = randomModel(kind, in, h, layers, 5);
    SplittableRandom rng = new SplittableRandom(6);
    Tensor input = GradientCheck.random(rng, 1.0, steps, batch, in);
    Tensor h0 = GradientCheck.random(rng, 0.5, layers, batch, h);
    MinRecurrent.Output scanned = model.forward(input, h0);

    Tensor state = h0.copy();
    float[] streamed = new float[steps * batch * h];
    for (int t = 0; t < steps; t++) {
      Tensor x =
          Tensor.wrap(
              java.util.Arrays.copyOfRange(input.data(), t * batch * in, (t + 1) * batch * in),
              batch,
              in);
      Tensor top = model.step(x, state);
      System.arraycopy(top.data(), 0, streamed, t * batch * h, batch * h);
    }
    System.out.println(kind + " scan vs step");
    assertClose(
        "output", doubles(Tensor.wrap(streamed, steps, batch, h)), scanned.output().data(), 1e-6);
    assertClose("hN", doubles(state), scanned.hN().data(), 1e-6);
  }

  /**
   * At T = 256 (8 chunks of time) and B*H = 128 (2 blocks of channels) every pass of the scan is
   * shared out over the threads; chunk boundaries do not depend on the number of threads, so the
   * results are the same bits.
   */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void threadsGiveTheSameBits(MinRecurrentKind kind) {
    int steps = 256, batch = 4, in = 16, h = 32, layers = 2;
    MinRecurrent model = randomModel(kind, in, h, layers, 9);
    SplittableRandom rng = new SplittableRandom(10);
    Tensor input = GradientCheck.random(rng, 1.0, steps, batch, in);
    Tensor h0 = GradientCheck.random(rng, 0.5, layers, batch, h);
    Tensor dOutput = GradientCheck.random(rng, 1.0, steps, batch, h);
    Tensor dhN = GradientCheck.random(rng, 1.0, layers, batch, h);
    int saved = Parallel.threads();
    try {
      float[][] single = runAll(model, input, h0, dOutput, dhN, 1);
      for (int threads : new int[] {2, 4}) {
        float[][] many = runAll(model, input, h0, dOutput, dhN, threads);
        for (int i = 0; i < single.length; i++) {
          assertArrayEquals(
              single[i], many[i], kind + " tensor " + i + ", " + threads + " threads");
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }

  private static float[][] runAll(
      MinRecurrent model, Tensor input, Tensor h0, Tensor dOutput, Tensor dhN, int threads) {
    Parallel.setThreads(threads);
    model.zeroGrad();
    MinRecurrent.Output out = model.forward(input, h0);
    RecurrentGradients g = model.backward(out, dOutput, dhN);
    List<Parameter> params = model.parameters();
    float[][] all = new float[5 + params.size()][];
    all[0] = out.output().data();
    all[1] = out.hN().data();
    all[2] = g.dInput().data();
    all[3] = g.dh0().data();
    all[4] = g.hiddenGradients().data();
    for (int i = 0; i < params.size(); i++) all[5 + i] = params.get(i).grad().data().clone();
    return all;
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void inferGivesTheForwardPassBitForBit(MinRecurrentKind kind) {
    MinRecurrent model = randomModel(kind, 5, 9, 3, 12);
    SplittableRandom rng = new SplittableRandom(13);
    Tensor input = GradientCheck.random(rng, 1.0, 40, 3, 5);
    Tensor h0 = GradientCheck.random(rng, 0.5, 3, 3, 9);
    MinRecurrent.Output trained = model.forward(input, h0);
    MinRecurrent.Output inferred = model.infer(input, h0);
    assertArrayEquals(trained.output().data(), inferred.output().data());
    assertArrayEquals(trained.hN().data(), inferred.hN().data());
    assertThrows(IllegalStateException.class, inferred::trace);
    assertThrows(IllegalStateException.class, () -> model.backward(inferred, null, null));
  }

  /** h0 = 0 is the default, and needs no log 0: the state enters the scan linearly. */
  @Test
  void zeroInitialStateIsTheDefault() {
    MinRecurrent model = randomModel(MinRecurrentKind.MIN_LSTM, 4, 6, 2, 14);
    Tensor input = GradientCheck.random(new SplittableRandom(15), 1.0, 9, 2, 4);
    MinRecurrent.Output zeros = model.forward(input, Tensor.zeros(2, 2, 6));
    MinRecurrent.Output none = model.forward(input, null);
    assertArrayEquals(none.output().data(), zeros.output().data());
    for (float v : none.output().data()) assertTrue(Float.isFinite(v) && v > 0, "h > 0: " + v);
  }

  @Test
  void namesShapesAndInitialisation() {
    MinRecurrent gru = new MinRecurrent(MinRecurrentKind.MIN_GRU, 3, 4, 2);
    MinRecurrent lstm = new MinRecurrent(MinRecurrentKind.MIN_LSTM, 3, 4, 2);
    assertEquals(
        List.of("weight_ih_l0", "bias_ih_l0", "weight_ih_l1", "bias_ih_l1"),
        gru.parameters().stream().map(Parameter::name).toList());
    assertArrayEquals(new int[] {8, 3}, gru.weightIh(0).value().shape());
    assertArrayEquals(new int[] {12, 4}, lstm.weightIh(1).value().shape());
    assertArrayEquals(new int[] {12}, lstm.biasIh(1).value().shape());
    assertEquals(2 * (8 * 3 + 8 + 8 * 4 + 8) / 2, gru.parameterCount());

    lstm.initialize(new SplittableRandom(1));
    SplittableRandom draws = new SplittableRandom(1);
    double bound = 1 / Math.sqrt(4);
    for (Parameter p : lstm.parameters()) {
      for (float v : p.value().data()) assertEquals((float) draws.nextDouble(-bound, bound), v);
    }
    assertThrows(
        IllegalArgumentException.class, () -> new MinRecurrent(MinRecurrentKind.MIN_GRU, 0, 4, 1));
    assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(3, 2, 4), null));
    assertEquals(MinRecurrentKind.MIN_LSTM, MinRecurrentKind.fromMetadataName("min_lstm"));
  }
}
