package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * One training step of the recurrent language model against PyTorch (float64, {@code
 * scripts/golden/make_training_goldens.py}): embedding, a 2-layer LSTM or GRU from a carried state,
 * dropout on the embedding, between the layers and before the head, linear head, cross entropy. The
 * dropout masks are PyTorch's: the test replays the uniform draws the script made.
 */
class RecurrentLanguageModelGoldenTest {

  /**
   * Hands out stored uniform draws two to a {@link #nextLong()}, as {@link Dropout#drawMask} reads
   * them: the first as the high 32 bits ({@code floor(u·2³²)}), the next as the low 32 bits. Both
   * sides then drop exactly the same elements (a draw within 2⁻³² of p would be the only exception,
   * and there is none in the file).
   */
  static final class ReplayedDraws implements RandomGenerator {
    private final double[] draws;
    private int next;

    ReplayedDraws(double[] draws) {
      this.draws = draws;
    }

    @Override
    public long nextLong() {
      long high = (long) Math.floor(draws[next++] * 0x1p32);
      long low = next < draws.length ? (long) Math.floor(draws[next++] * 0x1p32) : 0;
      return high << 32 | low;
    }

    int used() {
      return next;
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"lstm", "gru"})
  void oneTrainingStepMatchesPyTorch(String kindName) throws Exception {
    GoldenComparison compare = GoldenComparison.open("char_lm_" + kindName);
    SafetensorsFile golden = compare.file();
    RecurrentKind kind = RecurrentKind.fromMetadataName(kindName);
    int[] tokenShape = golden.shape("tokens");
    int steps = tokenShape[0], batch = tokenShape[1];
    int[] embeddingShape = golden.shape("embedding.weight");
    int[] hiddenShape = golden.shape("h0");
    double dropout = Double.parseDouble(golden.metadata().get("dropout"));
    RecurrentLanguageModel model =
        new RecurrentLanguageModel(
            new RecurrentLanguageModel.Config(
                embeddingShape[0],
                embeddingShape[1],
                kind,
                hiddenShape[2],
                hiddenShape[0],
                dropout));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) weights.put(p.name(), golden.tensor(p.name()));
    model.loadStateDict(weights);

    Map<String, Tensor> carried = new LinkedHashMap<>();
    carried.put("h", golden.tensor("h0"));
    if (kind == RecurrentKind.LSTM) carried.put("c", golden.tensor("c0"));
    ReplayedDraws draws = new ReplayedDraws(golden.doubles("draws"));
    LanguageModel.Pass pass =
        model.forward(
            ints(golden.longs("tokens")), steps, batch, new LanguageModel.State(carried), draws);
    assertEquals(golden.doubles("draws").length, draws.used(), "every stored draw is used once");
    compare.value("logits", pass.logits());
    compare.value("h_n", pass.finalState().tensors().get("h"));
    if (kind == RecurrentKind.LSTM) compare.value("c_n", pass.finalState().tensors().get("c"));

    CrossEntropyLoss.Result loss =
        CrossEntropyLoss.compute(pass.logits(), ints(golden.longs("targets")));
    double expectedLoss = golden.doubles("loss")[0];
    assertEquals(
        expectedLoss,
        loss.loss(),
        GoldenComparison.VALUE_TOLERANCE * (1 + Math.abs(expectedLoss)),
        "loss");
    model.zeroGrad();
    model.backward(pass, loss.dLogits());
    for (Parameter p : model.parameters()) compare.gradient("grad." + p.name(), p.grad());
    compare.assertAllOk();
  }

  private static int[] ints(long[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(values[i]);
    return out;
  }
}
