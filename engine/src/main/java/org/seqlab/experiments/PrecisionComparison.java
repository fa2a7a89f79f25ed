package org.seqlab.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Parameter;
import org.seqlab.nn.WeightPrecision;

/**
 * What holding a trained character model's recurrent weights in fewer bits costs and gives: the
 * same text decoded a character at a time by a float32 decoder and by one at each other precision,
 * in lockstep, so that every decoder reads the same characters and the same state history.
 *
 * <p>Per precision: the loss in nats per character of predicting each next character ({@code log Σ
 * exp(logits) − logit[next]}, averaged), the largest difference of any logit from float32's, the
 * decoder's time per character (the stack's step and the head), and the bytes of the recurrent
 * weights a step reads ({@link WeightPrecision#bytesPerWeight}, plus a float32 scale per row for 8
 * bits), after a warm-up of {@link #WARM_UP} characters. The decoder carries its state over the
 * whole text, so its loss is not the training run's validation loss over windows; the precisions
 * are compared with each other on the same footing.
 */
public final class PrecisionComparison {
  private PrecisionComparison() {}

  /** Characters each decoder reads before the measured pass, so that its code is compiled. */
  static final int WARM_UP = 5000;

  /**
   * One precision's numbers.
   *
   * @param loss mean nats per character over the text
   * @param largestLogitChange the largest |logit − float32's logit| over every character
   * @param microsPerCharacter the decoder's mean time per character
   * @param weightBytes bytes of the recurrent weight matrices at this precision
   */
  public record Row(
      WeightPrecision precision,
      double loss,
      double largestLogitChange,
      double microsPerCharacter,
      long weightBytes) {}

  /**
   * Decodes {@code tokens} with {@code model} at every precision of {@code precisions} (float32
   * first, as the reference, whether listed or not), reporting the characters done to {@code
   * progress} every 1000.
   *
   * @throws IllegalArgumentException if there are fewer than two tokens
   * @throws UnsupportedOperationException if the model does not offer one of the precisions
   */
  public static List<Row> compare(
      LanguageModel model, int[] tokens, List<WeightPrecision> precisions, IntConsumer progress) {
    if (tokens.length < 2) {
      throw new IllegalArgumentException("the text needs at least two characters to predict one");
    }
    List<WeightPrecision> order = new ArrayList<>(List.of(WeightPrecision.FLOAT32));
    for (WeightPrecision p : precisions) if (!order.contains(p)) order.add(p);
    int n = order.size();
    LanguageModel.Decoder[] decoders = new LanguageModel.Decoder[n];
    try {
      for (int i = 0; i < n; i++) decoders[i] = model.decoder(order.get(i));
      // The first steps run interpreted and then in C1: timed, they would measure the compiler.
      for (int i = 0; i < n; i++) {
        for (int t = 0; t < Math.min(WARM_UP, tokens.length); t++) decoders[i].next(tokens[t]);
        decoders[i].reset();
      }
      double[] nll = new double[n], largest = new double[n];
      long[] nanos = new long[n];
      float[] reference = null;
      for (int t = 0; t + 1 < tokens.length; t++) {
        for (int i = 0; i < n; i++) {
          long start = System.nanoTime();
          float[] logits = decoders[i].next(tokens[t]);
          nanos[i] += System.nanoTime() - start;
          nll[i] += logSumExp(logits) - logits[tokens[t + 1]];
          if (i == 0) {
            reference = logits.clone();
          } else {
            for (int v = 0; v < logits.length; v++) {
              largest[i] = Math.max(largest[i], Math.abs(logits[v] - reference[v]));
            }
          }
        }
        if ((t + 1) % 1000 == 0 && progress != null) progress.accept(t + 1);
      }
      int predicted = tokens.length - 1;
      long weights = recurrentWeights(model);
      List<Row> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        rows.add(
            new Row(
                order.get(i),
                nll[i] / predicted,
                largest[i],
                nanos[i] / 1e3 / predicted,
                weightBytes(order.get(i), model, weights)));
      }
      return rows;
    } finally {
      for (LanguageModel.Decoder d : decoders) if (d != null) d.close();
    }
  }

  /** The elements of the recurrent weight matrices ({@code rnn.weight_ih_*}, {@code _hh_*}). */
  static long recurrentWeights(LanguageModel model) {
    long count = 0;
    for (Parameter p : model.parameters()) {
      if (p.name().startsWith("rnn.weight_")) count += p.value().size();
    }
    return count;
  }

  /** Their bytes at {@code precision}: a scale per row ({@code [G*H]} per matrix) for 8 bits. */
  static long weightBytes(WeightPrecision precision, LanguageModel model, long weights) {
    long bytes = weights * precision.bytesPerWeight();
    if (precision == WeightPrecision.INT8) {
      for (Parameter p : model.parameters()) {
        if (p.name().startsWith("rnn.weight_")) bytes += 4L * p.value().shape()[0];
      }
    }
    return bytes;
  }

  private static double logSumExp(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) max = Math.max(max, x);
    double sum = 0;
    for (float x : logits) sum += Math.exp(x - max);
    return max + Math.log(sum);
  }
}
