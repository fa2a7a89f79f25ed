package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.nn.PositionalEncoding;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentLanguageModel;
import org.seqlab.nn.TransformerDecoder;
import org.seqlab.nn.TransformerLanguageModel;
import org.seqlab.nn.WeightPrecision;
import org.seqlab.tensor.Tensor;

/** The float32 row is the model's own loss on the text; the 8-bit row is near it, and smaller. */
class PrecisionComparisonTest {

  @Test
  void float32IsTheForwardPassLossAndInt8StaysNearItInAQuarterOfTheBytes() {
    int vocabulary = 13, hidden = 70, layers = 2;
    RecurrentLanguageModel model =
        new RecurrentLanguageModel(
            new RecurrentLanguageModel.Config(
                vocabulary, 8, RecurrentKind.LSTM, hidden, layers, 0));
    model.initialize(new SplittableRandom(7));
    SplittableRandom r = new SplittableRandom(8);
    int[] tokens = new int[300];
    for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(vocabulary);

    List<PrecisionComparison.Row> rows =
        PrecisionComparison.compare(model, tokens, List.of(WeightPrecision.INT8), null);
    assertEquals(2, rows.size());
    PrecisionComparison.Row f = rows.get(0), q = rows.get(1);
    assertEquals(WeightPrecision.FLOAT32, f.precision());
    assertEquals(WeightPrecision.INT8, q.precision());

    // the same loss by another path: one forward pass over the text, the cross entropy of each
    // next character
    int n = tokens.length - 1;
    int[] inputs = java.util.Arrays.copyOf(tokens, n);
    int[] targets = java.util.Arrays.copyOfRange(tokens, 1, n + 1);
    Tensor logits = model.forward(inputs, n, 1, null, null).logits();
    double expected = CrossEntropyLoss.compute(logits, targets).loss();
    assertEquals(expected, f.loss(), 1e-5 * expected);
    assertEquals(0, f.largestLogitChange());

    assertTrue(q.largestLogitChange() > 0, "8-bit weights change the logits");
    assertTrue(Math.abs(q.loss() - f.loss()) < 0.01 * f.loss(), q.loss() + " against " + f.loss());

    long weights = 4L * hidden * (8 + hidden) + 4L * hidden * (hidden + hidden);
    assertEquals(4 * weights, f.weightBytes());
    assertEquals(weights + 4L * (4 * hidden) * 2 * layers, q.weightBytes(), "a scale per row");
  }

  @Test
  void aTransformerDecodesInFloat32Only() {
    TransformerLanguageModel model =
        new TransformerLanguageModel(
            new TransformerDecoder.Config(9, 16, 2, 24, 2, 12, PositionalEncoding.Kind.LEARNED));
    model.initialize(new SplittableRandom(4));
    UnsupportedOperationException e =
        assertThrows(
            UnsupportedOperationException.class,
            () ->
                PrecisionComparison.compare(
                    model, new int[] {1, 2, 3}, List.of(WeightPrecision.INT8), null));
    assertEquals(
        "int8 weights are for the RNN, LSTM and GRU; this model decodes in float32",
        e.getMessage());
  }
}
