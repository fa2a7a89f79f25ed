package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.TextStreams;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Optimizer;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingOptions;
import org.seqlab.train.TrainingResult;

/**
 * The language model on minGRU and minLSTM: evaluation gives the training pass's logits bit for
 * bit, the streaming decoder gives the whole pass's logits, a carried state continues a sequence,
 * feature input, gradients (with dropout) against finite differences, and a short training run
 * through the engine that learns.
 */
class MinRecurrentLanguageModelTest {

  static MinRecurrentLanguageModel model(MinRecurrentKind kind, double dropout, long seed) {
    MinRecurrentLanguageModel m =
        new MinRecurrentLanguageModel(
            new MinRecurrentLanguageModel.Config(11, 7, kind, 19, 2, dropout));
    m.initialize(new SplittableRandom(seed));
    return m;
  }

  static int[] randomTokens(int n, int vocabulary, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] tokens = new int[n];
    for (int i = 0; i < n; i++) tokens[i] = rng.nextInt(vocabulary);
    return tokens;
  }

  @Test
  void parametersHaveTheRecurrentLanguageModelsNames() {
    MinRecurrentLanguageModel m = model(MinRecurrentKind.MIN_LSTM, 0, 1);
    assertEquals(
        List.of(
            "embedding.weight",
            "rnn.weight_ih_l0",
            "rnn.bias_ih_l0",
            "rnn.weight_ih_l1",
            "rnn.bias_ih_l1",
            "head.weight",
            "head.bias"),
        m.parameters().stream().map(Parameter::name).toList());
    assertEquals(11 * 7 + 57 * 7 + 57 + 57 * 19 + 57 + 11 * 19 + 11, m.parameterCount());
    assertThrows(
        IllegalArgumentException.class,
        () -> new MinRecurrentLanguageModel.Config(11, 7, MinRecurrentKind.MIN_GRU, 0, 2, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new MinRecurrentLanguageModel.Config(11, 7, MinRecurrentKind.MIN_GRU, 4, 2, 1.0));
  }

  /** Window after window, each from the state the previous one left. */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void evaluateGivesTheForwardPassBitForBit(MinRecurrentKind kind) {
    MinRecurrentLanguageModel m = model(kind, 0.3, 2);
    LanguageModel.State traced = null, evaluated = null;
    for (int window = 0; window < 3; window++) {
      int[] tokens = randomTokens(45 * 3, 11, window);
      LanguageModel.Pass a = m.forward(tokens, 45, 3, traced, null);
      LanguageModel.Pass b = m.evaluate(tokens, 45, 3, evaluated);
      assertArrayEquals(a.logits().data(), b.logits().data(), "window " + window);
      assertArrayEquals(
          a.finalState().tensors().get("h").data(), b.finalState().tensors().get("h").data());
      traced = a.finalState();
      evaluated = b.finalState();
    }
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void theDecoderMatchesTheForwardPassAtEveryStep(MinRecurrentKind kind) {
    MinRecurrentLanguageModel m = model(kind, 0.3, 3);
    int[] tokens = randomTokens(40, 11, 9);
    Tensor expected = m.forward(tokens, tokens.length, 1, null, null).logits();
    double worst = 0;
    try (LanguageModel.Decoder decoder = m.decoder()) {
      for (int t = 0; t < tokens.length; t++) {
        worst = Math.max(worst, assertRow(expected, t, decoder.next(tokens[t]), kind + " t=" + t));
      }
      decoder.reset();
      assertRow(expected, 0, decoder.next(tokens[0]), kind + " after reset");
    }
    System.out.printf("%s decoder vs forward: max|diff|/max(1, max|logit|) %.2e%n", kind, worst);
  }

  /**
   * Row {@code t} of {@code [T, 1, V]} logits against a decoder's {@code [V]}: the scan and the
   * plain recurrence round differently, as the step's and the sequence's products do.
   */
  private static double assertRow(Tensor expected, int t, float[] actual, String what) {
    int v = actual.length;
    double scale = 1, diff = 0;
    for (int c = 0; c < v; c++) scale = Math.max(scale, Math.abs(expected.data()[t * v + c]));
    for (int c = 0; c < v; c++)
      diff = Math.max(diff, Math.abs(expected.data()[t * v + c] - actual[c]));
    double relative = diff / scale;
    assertTrue(relative <= 2e-6, what + ": " + relative);
    return relative;
  }

  /** Two windows with the state carried between them are one window twice as long. */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void aCarriedStateContinuesTheSequence(MinRecurrentKind kind) {
    MinRecurrentLanguageModel m = model(kind, 0, 4);
    int steps = 40, batch = 3, v = 11;
    int[] tokens = randomTokens(2 * steps * batch, v, 5);
    Tensor whole = m.forward(tokens, 2 * steps, batch, null, null).logits();
    LanguageModel.Pass first =
        m.forward(Arrays.copyOf(tokens, steps * batch), steps, batch, null, null);
    int[] rest = Arrays.copyOfRange(tokens, steps * batch, tokens.length);
    Tensor second = m.forward(rest, steps, batch, first.finalState(), null).logits();
    Tensor fresh = m.forward(rest, steps, batch, null, null).logits();
    int half = steps * batch * v;
    double scale = 1, diff = 0, fromZero = 0;
    for (int i = 0; i < half; i++) {
      float w = whole.data()[half + i];
      scale = Math.max(scale, Math.abs(w));
      diff = Math.max(diff, Math.abs(w - second.data()[i]));
      fromZero = Math.max(fromZero, Math.abs(w - fresh.data()[i]));
    }
    System.out.printf(
        "%s two windows vs one: %.2e (from zeros instead: %.2e)%n",
        kind, diff / scale, fromZero / scale);
    assertTrue(diff / scale <= 1e-6, "carried state: " + diff / scale);
    assertTrue(fromZero / scale > 1e-3, "the carried state should matter: " + fromZero / scale);
    assertArrayEquals(
        Arrays.copyOfRange(whole.data(), 0, half),
        first.logits().data(),
        "the first window is the start of the long one");
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void readsFeatureVectors(MinRecurrentKind kind) {
    int features = 3, h = 8, steps = 12, batch = 2;
    MinRecurrentLanguageModel m =
        new MinRecurrentLanguageModel(
            new MinRecurrentLanguageModel.Config(1, 1, kind, h, 2, 0, features));
    m.initialize(new SplittableRandom(6));
    assertEquals("rnn.weight_ih_l0", m.parameters().get(0).name());
    Tensor x = GradientCheck.random(new SplittableRandom(7), 1.0, steps, batch, features);
    LanguageModel.Pass pass = m.forwardFeatures(x, null, null);
    assertArrayEquals(pass.logits().data(), m.evaluateFeatures(x, null).logits().data());

    // logits = h W^T + b on the stack's own output
    Tensor hidden = m.recurrent().infer(x, null).output();
    Map<String, Tensor> state = m.stateDict();
    float[] w = state.get("head.weight").data(), b = state.get("head.bias").data();
    for (int r = 0; r < steps * batch; r++) {
      double sum = b[0];
      for (int j = 0; j < h; j++) sum += (double) w[j] * hidden.data()[r * h + j];
      assertEquals(sum, pass.logits().data()[r], 1e-5 * Math.max(1, Math.abs(sum)));
    }
    m.zeroGrad();
    m.backward(pass, Tensor.wrap(new float[steps * batch], steps, batch, 1));
    assertThrows(
        UnsupportedOperationException.class, () -> m.forward(new int[2], 1, 2, null, null));
    assertThrows(UnsupportedOperationException.class, m::decoder);
  }

  /**
   * With dropout on the input, between the layers and before the head, and a carried state: every
   * parameter's gradient against central differences of {@code L = Σ logits ⊙ R}, each loss from a
   * forward pass that draws the same masks (float32 differences, so the loose tolerances of {@link
   * GradientCheck}). The candidate {@code g} has a kink at 0 (slope 1 above, 1/4 below), where a
   * central difference is wrong; an entry whose two perturbed passes put some candidate
   * pre-activation on different sides of 0 is skipped, and few may be. Also the probes: {@code
   * dL/dh_t}, hidden states and gates of layer 0.
   */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void gradientsMatchFiniteDifferencesWithDropout(MinRecurrentKind kind) {
    MinRecurrentLanguageModel m =
        new MinRecurrentLanguageModel(new MinRecurrentLanguageModel.Config(5, 4, kind, 6, 2, 0.3));
    m.initialize(new SplittableRandom(8));
    int steps = 5, batch = 2;
    int[] tokens = randomTokens(steps * batch, 5, 9);
    Tensor h0 = GradientCheck.random(new SplittableRandom(10), 0.5, 2, batch, 6);
    LanguageModel.State carried = new LanguageModel.State(Map.of("h", h0));
    Tensor r = GradientCheck.random(new SplittableRandom(11), 1.0, steps, batch, 5);
    java.util.function.Supplier<MinRecurrentLanguageModel.MinRecurrentPass> run =
        () ->
            (MinRecurrentLanguageModel.MinRecurrentPass)
                m.forward(tokens, steps, batch, carried, new SplittableRandom(12));
    m.zeroGrad();
    MinRecurrentLanguageModel.MinRecurrentPass pass = run.get();
    m.backward(pass, r);
    List<String> failures = new java.util.ArrayList<>();
    int entries = 0, skipped = 0;
    for (Parameter p : m.parameters()) {
      GradientCheck.assertNotNegligible("grad of " + p.name(), p.grad(), 1e-3);
      float[] v = p.value().data();
      for (int i = 0; i < v.length; i++) {
        float saved = v[i];
        v[i] = saved + GradientCheck.EPS;
        MinRecurrentLanguageModel.MinRecurrentPass plus = run.get();
        v[i] = saved - GradientCheck.EPS;
        MinRecurrentLanguageModel.MinRecurrentPass minus = run.get();
        v[i] = saved;
        entries++;
        if (!Arrays.equals(candidateSides(plus, kind), candidateSides(minus, kind))) {
          skipped++;
          continue;
        }
        double numeric =
            (GradientCheck.dot(plus.logits(), r) - GradientCheck.dot(minus.logits(), r))
                / ((double) (saved + GradientCheck.EPS) - (double) (saved - GradientCheck.EPS));
        double exact = p.grad().data()[i], error = Math.abs(numeric - exact);
        if (error > GradientCheck.ABSOLUTE_TOLERANCE
            && error
                > GradientCheck.RELATIVE_TOLERANCE * Math.max(Math.abs(numeric), Math.abs(exact))) {
          failures.add(p.name() + "[" + i + "]: analytic " + exact + ", numeric " + numeric);
        }
      }
    }
    System.out.printf(
        "%s: %d entries checked, %d skipped across the kink of g%n",
        kind, entries - skipped, skipped);
    GradientCheck.assertNoFailures(failures);
    assertTrue(skipped * 5 < entries, skipped + " of " + entries + " skipped");

    assertArrayEquals(new int[] {steps, batch, 6}, m.lastGradients().hiddenGradient(0).shape());
    assertArrayEquals(new int[] {steps, batch, 6}, pass.hiddenStates().shape());
    Tensor gates = pass.gates();
    assertArrayEquals(new int[] {steps, batch, kind.gateCount() * 6}, gates.shape());
    for (int i = 0; i < gates.size(); i++) {
      boolean candidate = i % (kind.gateCount() * 6) >= (kind.gateCount() - 1) * 6;
      float g = gates.data()[i];
      assertTrue(g > 0 && (candidate || g < 1), "gate " + i + " = " + g);
    }
    LanguageModel.Pass evaluated = m.evaluate(tokens, steps, batch, carried);
    assertThrows(IllegalArgumentException.class, () -> m.backward(evaluated, r));
  }

  /**
   * Per layer, step, row and unit: whether the candidate's pre-activation is ≥ 0 ({@code h̃ ≥
   * 1/2}).
   */
  private static boolean[] candidateSides(
      MinRecurrentLanguageModel.MinRecurrentPass pass, MinRecurrentKind kind) {
    MinRecurrent.Trace trace = pass.recurrent().trace();
    int layers = 2, h = 6, g = kind.gateCount() * h;
    int rows = trace.steps() * trace.batchSize();
    boolean[] sides = new boolean[layers * rows * h];
    for (int k = 0; k < layers; k++) {
      float[] gates = trace.gates(k).data();
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < h; j++)
          sides[(k * rows + r) * h + j] = gates[r * g + g - h + j] >= 0.5f;
      }
    }
    return sides;
  }

  /** "abcd" repeated with 10% noise: the model learns it, far below the loss of a uniform guess. */
  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void learnsThroughTheTrainer(MinRecurrentKind kind) {
    SplittableRandom rng = new SplittableRandom(1);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 4000; i++) text.append(rng.nextInt(10) == 0 ? 'e' : "abcd".charAt(i % 4));
    TextStreams task =
        new TextStreams(CharCorpus.fromText("test", text.toString(), null), 16, 8, 7);
    MinRecurrentLanguageModel m =
        new MinRecurrentLanguageModel(
            new MinRecurrentLanguageModel.Config(task.vocabularySize(), 8, kind, 24, 2, 0));
    m.initialize(new SplittableRandom(2));
    TrainingOptions options =
        new TrainingOptions(
            Optimizer.Settings.defaults(Optimizer.Kind.ADAM),
            LearningRateSchedule.constant(0.02),
            1.0,
            150,
            0,
            50,
            0,
            0,
            3);
    Trainer trainer = new Trainer(m, task, options);
    double before = trainer.validate().loss();
    TrainingResult result = trainer.run();
    System.out.printf(
        "%s: validation loss %.3f -> %.3f (ln V = %.3f)%n",
        kind, before, result.validationLoss(), Math.log(task.vocabularySize()));
    assertEquals(TrainingResult.Stop.MAX_STEPS, result.stop());
    assertTrue(before > 1.4, "starts near ln 5: " + before);
    assertTrue(result.validationLoss() < 0.6, "validation loss " + result.validationLoss());
  }
}
