package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

/**
 * The decoders that generate text one token at a time compute what a whole forward pass computes:
 * the recurrent model's streaming step and the Transformer's cached keys and values, including past
 * the Transformer's context, where the decoder rebuilds its cache from the last half.
 */
class LanguageModelDecoderTest {

  @Test
  void theRecurrentDecoderMatchesTheForwardPassAtEveryStep() {
    for (RecurrentKind kind : RecurrentKind.values()) {
      RecurrentLanguageModel model =
          new RecurrentLanguageModel(new RecurrentLanguageModel.Config(11, 7, kind, 33, 2, 0.3));
      model.initialize(new SplittableRandom(3));
      int[] tokens = randomTokens(40, 11, 9);
      Tensor expected = model.forward(tokens, tokens.length, 1, null, null).logits();
      try (LanguageModel.Decoder decoder = model.decoder()) {
        for (int t = 0; t < tokens.length; t++) {
          float[] logits = decoder.next(tokens[t]);
          assertRow(expected, t, logits, kind + " step " + t);
        }
        decoder.reset();
        assertRow(expected, 0, decoder.next(tokens[0]), kind + " after reset");
      }
    }
  }

  @Test
  void theTransformerDecoderMatchesTheForwardPassWithinAndBeyondItsContext() {
    int context = 12;
    TransformerLanguageModel model =
        new TransformerLanguageModel(
            new TransformerDecoder.Config(
                9, 16, 2, 24, 2, context, PositionalEncoding.Kind.LEARNED));
    model.initialize(new SplittableRandom(4));
    int[] tokens = randomTokens(context + 5, 9, 2);
    try (LanguageModel.Decoder decoder = model.decoder()) {
      Tensor full =
          model.forward(java.util.Arrays.copyOf(tokens, context), context, 1, null, null).logits();
      for (int t = 0; t < context; t++) assertRow(full, t, decoder.next(tokens[t]), "step " + t);
      // Past the context the decoder keeps the last half (6 tokens) and goes on from there: the
      // logits are those of a forward pass over that window.
      int start = context - context / 2 + 1;
      for (int t = context; t < tokens.length; t++) {
        float[] logits = decoder.next(tokens[t]);
        int from = t - (context / 2 - 1) - (t - context);
        int[] window = java.util.Arrays.copyOfRange(tokens, start, t + 1);
        Tensor expected = model.forward(window, window.length, 1, null, null).logits();
        assertRow(expected, window.length - 1, logits, "step " + t + " (window from " + from + ")");
      }
    }
  }

  private static int[] randomTokens(int n, int vocabulary, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int[] tokens = new int[n];
    for (int i = 0; i < n; i++) tokens[i] = rng.nextInt(vocabulary);
    return tokens;
  }

  /** Row {@code t} of {@code [T, 1, V]} logits against a decoder's {@code [V]}. */
  private static void assertRow(Tensor expected, int t, float[] actual, String what) {
    int v = actual.length;
    double scale = 0;
    for (int c = 0; c < v; c++) scale = Math.max(scale, Math.abs(expected.data()[t * v + c]));
    for (int c = 0; c < v; c++) {
      // Both sides sum the same products in a different order (a step's matrix-vector product
      // against the whole sequence's matrix product): a few float32 roundings of the largest term.
      assertEquals(
          expected.data()[t * v + c], actual[c], 5e-6 * Math.max(1, scale), what + " c=" + c);
    }
  }
}
