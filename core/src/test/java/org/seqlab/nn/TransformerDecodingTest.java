package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * Incremental decoding ({@link TransformerDecoder#step}, {@link TransformerDecoder#prefill})
 * against the whole-sequence {@link TransformerDecoder#forward}: feeding a sequence token by token
 * must give at every position the logits that one pass over the whole sequence gives there.
 *
 * <h2>Why the tolerance is {@value #TOL} of the logit scale</h2>
 *
 * The two paths compute the same sums in different orders: {@code forward} multiplies all {@code
 * T·B} rows at once on the packed, register-blocked product, a step multiplies {@code B} rows by
 * dot products (or plain loops when small), and the two associate each projection's sum
 * differently. Each such sum of {@code n} terms then differs by a few units of float's rounding
 * ({@code 2^-24 ≈ 6e-8}) times {@code √n} to {@code n} of its terms' scale; the differences pass
 * through {@code L} blocks of five products each, the LayerNorms (which divide by the spread of
 * their row) and the head. Measured over the shapes below (AVX-512), the worst difference is 3e-7
 * to 7e-7 of the row's largest logit; {@value #TOL} leaves a margin of about 7 for other vector
 * widths and summation orders, and is still far below what a real mistake costs: a key attended one
 * position too few, a value not stored, a position encoding off by one, and even a 1e-4 error in
 * the attention's {@code 1/√dh}, each fails these tests.
 */
class TransformerDecodingTest {

  /** Largest allowed |step - forward| as a fraction of the forward row's largest |logit|. */
  static final double TOL = 5e-6;

  /**
   * A decoder with PyTorch's initialisation, then every bias and LayerNorm parameter moved by
   * {@code U(±0.5)}, so that no term of the equations is zero or one by accident.
   */
  static TransformerDecoder decoder(TransformerDecoder.Config config, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    TransformerDecoder decoder = new TransformerDecoder(config);
    decoder.initialize(rng);
    for (Parameter p : decoder.parameters()) {
      if (p.name().endsWith("bias") || p.name().contains("norm")) {
        float[] v = p.value().data();
        for (int i = 0; i < v.length; i++) v[i] += (float) rng.nextDouble(-0.5, 0.5);
      }
    }
    return decoder;
  }

  static int[] randomTokens(SplittableRandom rng, int count, int vocab) {
    int[] tokens = new int[count];
    for (int i = 0; i < count; i++) tokens[i] = rng.nextInt(vocab);
    return tokens;
  }

  /** Tokens {@code [t, 0..B)} of a time-major {@code [T, B]} array. */
  static int[] at(int[] tokens, int t, int batch) {
    int[] row = new int[batch];
    System.arraycopy(tokens, t * batch, row, 0, batch);
    return row;
  }

  /**
   * Asserts that {@code logits [B, V]} agree with {@code forward [T, B, V]} at position {@code t},
   * each sequence within {@link #TOL} of its row's largest |logit|; returns the worst ratio.
   */
  static double assertAgrees(Tensor forward, int t, Tensor logits, String what) {
    int batch = forward.dim(1), vocab = forward.dim(2);
    assertArrayEquals(new int[] {batch, vocab}, logits.shape());
    double worst = 0;
    for (int b = 0; b < batch; b++) {
      int row = (t * batch + b) * vocab;
      double scale = 0, diff = 0;
      for (int v = 0; v < vocab; v++) {
        float expected = forward.data()[row + v];
        scale = Math.max(scale, Math.abs(expected));
        diff = Math.max(diff, Math.abs(expected - logits.data()[b * vocab + v]));
      }
      assertTrue(scale > 0.1, "logits too small to compare");
      worst = Math.max(worst, diff / scale);
      if (diff > TOL * scale) {
        throw new AssertionError(
            String.format(
                "%s: position t=%d, sequence b=%d differs from forward by %.3g, %.3g of the logit"
                    + " scale %.3g (allowed %.1g)",
                what, t, b, diff, diff / scale, scale, TOL));
      }
    }
    return worst;
  }

  static Stream<Arguments> shapes() {
    var learned = PositionalEncoding.Kind.LEARNED;
    var sinusoidal = PositionalEncoding.Kind.SINUSOIDAL;
    return Stream.of(
        // V, D, heads, F, layers, positions, B, T
        Arguments.of(7, 12, 3, 20, 3, learned, 3, 16), // odd head width 4, F not a multiple of 16
        Arguments.of(5, 12, 3, 17, 2, sinusoidal, 1, 13),
        Arguments.of(11, 48, 4, 64, 2, sinusoidal, 2, 20), // head width 12, F a multiple of 16
        Arguments.of(9, 48, 4, 100, 2, learned, 2, 19),
        Arguments.of(13, 64, 4, 256, 2, learned, 2, 40), // vector paths from here on
        Arguments.of(17, 128, 2, 200, 2, sinusoidal, 3, 70)); // head width 64, > 64 keys
  }

  @ParameterizedTest(name = "V={0} D={1} heads={2} F={3} L={4} {5} B={6} T={7}")
  @MethodSource("shapes")
  void stepGivesTheLogitsOfForwardAtEveryPosition(
      int vocab,
      int dModel,
      int heads,
      int dFF,
      int layers,
      PositionalEncoding.Kind positions,
      int batch,
      int steps) {
    var config = new TransformerDecoder.Config(vocab, dModel, heads, dFF, layers, steps, positions);
    TransformerDecoder decoder = decoder(config, 31L * dModel + dFF);
    int[] tokens = randomTokens(new SplittableRandom(dModel), steps * batch, vocab);
    Tensor forward = decoder.forward(tokens, steps, batch, null).logits();

    TransformerDecoder.Cache cache = decoder.newCache(batch, steps);
    double worst = 0;
    for (int t = 0; t < steps; t++) {
      assertEquals(t, cache.length());
      Tensor logits = decoder.step(cache, at(tokens, t, batch));
      worst = Math.max(worst, assertAgrees(forward, t, logits, "step"));
    }
    assertEquals(steps, cache.length());
    System.out.printf(
        "decoding D=%d F=%d L=%d B=%d T=%d: worst |step - forward| = %.2g of the logit scale%n",
        dModel, dFF, layers, batch, steps, worst);
  }

  @ParameterizedTest(name = "V={0} D={1} heads={2} F={3} L={4} {5} B={6} T={7}")
  @MethodSource("shapes")
  void prefillThenStepGivesTheLogitsOfForward(
      int vocab,
      int dModel,
      int heads,
      int dFF,
      int layers,
      PositionalEncoding.Kind positions,
      int batch,
      int steps) {
    var config = new TransformerDecoder.Config(vocab, dModel, heads, dFF, layers, steps, positions);
    TransformerDecoder decoder = decoder(config, 17L * dModel + dFF);
    int[] tokens = randomTokens(new SplittableRandom(dFF), steps * batch, vocab);
    Tensor forward = decoder.forward(tokens, steps, batch, null).logits();

    int prompt = steps / 2;
    int[] promptTokens = new int[prompt * batch];
    System.arraycopy(tokens, 0, promptTokens, 0, promptTokens.length);
    TransformerDecoder.Cache cache = decoder.newCache(batch, steps);
    Tensor last = decoder.prefill(cache, promptTokens, prompt);
    assertEquals(prompt, cache.length());
    // The prompt's pass is forward itself over a shorter sequence: the same to rounding.
    assertAgrees(forward, prompt - 1, last, "prefill");
    for (int t = prompt; t < steps; t++) {
      assertAgrees(forward, t, decoder.step(cache, at(tokens, t, batch)), "step after prefill");
    }
  }

  /**
   * The attention layer alone, stepped directly: at the larger shape the (sequence, head) pairs of
   * a late step carry enough work to be split between two threads.
   */
  @ParameterizedTest(name = "T={0} B={1} D={2} heads={3}")
  @CsvSource({"21, 2, 20, 5", "80, 8, 64, 4"})
  void attentionStepGivesTheOutputOfCausalForward(int steps, int batch, int dModel, int heads) {
    int savedThreads = Parallel.threads();
    Parallel.setThreads(2);
    try {
      checkAttentionStep(steps, batch, dModel, heads);
    } finally {
      Parallel.setThreads(savedThreads);
    }
  }

  private static void checkAttentionStep(int steps, int batch, int dModel, int heads) {
    SplittableRandom rng = new SplittableRandom(steps);
    MultiHeadSelfAttention attention = new MultiHeadSelfAttention(dModel, heads);
    attention.initialize(rng);
    for (float[] bias :
        new float[][] {
          attention.inProjBias().value().data(), attention.outProjBias().value().data()
        }) {
      for (int i = 0; i < bias.length; i++) bias[i] = (float) rng.nextDouble(-0.5, 0.5);
    }
    float[] x = new float[steps * batch * dModel];
    for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
    Tensor expected = attention.forward(Tensor.wrap(x, steps, batch, dModel), true, null).output();

    MultiHeadSelfAttention.Cache cache = attention.newCache(batch, steps);
    Tensor row = Tensor.zeros(batch, dModel), y = Tensor.zeros(batch, dModel);
    for (int t = 0; t < steps; t++) {
      System.arraycopy(x, t * batch * dModel, row.data(), 0, batch * dModel);
      attention.step(row, y, cache);
      for (int i = 0; i < batch * dModel; i++) {
        float want = expected.data()[t * batch * dModel + i];
        // The outputs are O(1) and the step's projections are summed in another order than
        // forward's: a few roundings of the sums apart (measured: at most 1.5e-7).
        assertEquals(want, y.data()[i], 1e-6 * (1 + Math.abs(want)), "t=" + t + " i=" + i);
      }
    }
    assertThrows(IllegalStateException.class, () -> attention.step(row, y, cache));
  }

  @Test
  void afterResetTheSameTokensGiveTheSameLogits() {
    var config =
        new TransformerDecoder.Config(9, 24, 3, 40, 2, 12, PositionalEncoding.Kind.LEARNED);
    TransformerDecoder decoder = decoder(config, 5);
    SplittableRandom rng = new SplittableRandom(6);
    int batch = 2, longer = 12, shorter = 7;
    int[] first = randomTokens(rng, longer * batch, 9);
    int[] second = randomTokens(rng, shorter * batch, 9);
    TransformerDecoder.Cache cache = decoder.newCache(batch, longer);

    Tensor[] firstRun = new Tensor[longer];
    for (int t = 0; t < longer; t++) firstRun[t] = decoder.step(cache, at(first, t, batch));

    // A shorter sequence after reset: it starts at position 0 and never sees the first one's keys,
    // which are still in the cache beyond its length.
    cache.reset();
    assertEquals(0, cache.length());
    Tensor forward = decoder.forward(second, shorter, batch, null).logits();
    for (int t = 0; t < shorter; t++) {
      assertAgrees(forward, t, decoder.step(cache, at(second, t, batch)), "after reset");
    }

    cache.reset();
    for (int t = 0; t < longer; t++) {
      Tensor again = decoder.step(cache, at(first, t, batch));
      assertArrayEquals(firstRun[t].data(), again.data(), "t=" + t + " changed after reset");
    }
  }

  @Test
  void newCacheRefusesCapacitiesOutsideTheTableAndAbsurdSizes() {
    var config = new TransformerDecoder.Config(5, 8, 2, 8, 2, 16, PositionalEncoding.Kind.LEARNED);
    TransformerDecoder decoder = new TransformerDecoder(config);
    TransformerTesting.assertRefused(
        "capacity must be in [1, maxLen=16], got 17", () -> decoder.newCache(1, 17));
    TransformerTesting.assertRefused(
        "capacity must be in [1, maxLen=16], got 0", () -> decoder.newCache(1, 0));
    TransformerTesting.assertRefused("batch must be positive, got 0", () -> decoder.newCache(0, 4));
    // 2 x 2 layers x 2^31 x 16 x 8 floats is 4 TiB: refused with a message, not an
    // OutOfMemoryError.
    String message =
        assertThrows(IllegalArgumentException.class, () -> decoder.newCache(Integer.MAX_VALUE, 16))
            .getMessage();
    assertTrue(
        message.startsWith("a cache for batch=2147483647, capacity=16 needs 4194304 MiB of keys"),
        message);

    TransformerDecoder.Cache cache = decoder.newCache(3, 16);
    assertEquals(3, cache.batch());
    assertEquals(16, cache.capacity());
    assertEquals(0, cache.length());
  }

  @Test
  void stepAndPrefillRefuseToGoPastTheCapacity() {
    var config =
        new TransformerDecoder.Config(5, 8, 2, 8, 2, 16, PositionalEncoding.Kind.SINUSOIDAL);
    TransformerDecoder decoder = decoder(config, 7);
    TransformerDecoder.Cache cache = decoder.newCache(2, 3);
    for (int t = 0; t < 3; t++) decoder.step(cache, new int[] {t, 4 - t});
    IllegalStateException full =
        assertThrows(IllegalStateException.class, () -> decoder.step(cache, new int[] {0, 0}));
    assertEquals(
        "the cache is full: it holds capacity=3 positions; reset() it, or make one with a larger"
            + " capacity (up to maxLen=16)",
        full.getMessage());
    assertEquals(3, cache.length());

    IllegalStateException notEmpty =
        assertThrows(
            IllegalStateException.class, () -> decoder.prefill(cache, new int[] {1, 2}, 1));
    assertEquals(
        "prefill starts new sequences, but the cache holds 3 positions: reset() it, or feed"
            + " further tokens with step",
        notEmpty.getMessage());

    cache.reset();
    IllegalStateException tooLong =
        assertThrows(IllegalStateException.class, () -> decoder.prefill(cache, new int[8], 4));
    assertEquals(
        "4 positions do not fit in the cache: it holds 0 of capacity=3", tooLong.getMessage());
    assertEquals(0, cache.length());
  }

  @Test
  void stepRefusesTokensOutsideTheVocabularyAndLeavesTheCacheAsItWas() {
    var config = new TransformerDecoder.Config(5, 8, 2, 8, 1, 16, PositionalEncoding.Kind.LEARNED);
    TransformerDecoder decoder = decoder(config, 8);
    TransformerDecoder.Cache cache = decoder.newCache(2, 8);
    decoder.step(cache, new int[] {1, 2});
    decoder.step(cache, new int[] {3, 4});
    TransformerTesting.assertRefused(
        "token id 5 at [t=2, b=1] is outside the vocabulary [0, 5)",
        () -> decoder.step(cache, new int[] {0, 5}));
    TransformerTesting.assertRefused(
        "token id -1 at [t=2, b=0] is outside the vocabulary [0, 5)",
        () -> decoder.step(cache, new int[] {-1, 0}));
    TransformerTesting.assertRefused(
        "tokens has 3 entries, expected one per sequence (B=2)",
        () -> decoder.step(cache, new int[] {0, 1, 2}));
    TransformerTesting.assertRefused(
        "token id 7 at [t=1, b=0] is outside the vocabulary [0, 5)",
        () -> decoder.prefill(decoder.newCache(2, 8), new int[] {0, 1, 7, 2}, 2));
    TransformerTesting.assertRefused(
        "this cache was made by another decoder: make one with newCache",
        () -> decoder(config, 8).step(cache, new int[] {0, 0}));
    assertEquals(2, cache.length());

    // The refused steps changed nothing: the next token lands at position 2.
    int[] tokens = {1, 2, 3, 4, 0, 1};
    Tensor forward = decoder.forward(tokens, 3, 2, null).logits();
    assertAgrees(forward, 2, decoder.step(cache, new int[] {0, 1}), "after refusals");
  }
}
