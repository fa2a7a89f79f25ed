package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent model that reads feature vectors and outputs one value per step, against PyTorch
 * (float64, {@code scripts/golden/make_training_goldens.py}): {@code nn.LSTM}/{@code nn.GRU} over
 * the features, a linear head, and the mean squared error over the steps that ask for a value.
 */
class RegressionGoldenTest {

  @ParameterizedTest
  @ValueSource(strings = {"lstm", "gru"})
  void oneStepMatchesPyTorch(String kindName) throws Exception {
    GoldenComparison compare = GoldenComparison.open("regression_" + kindName);
    SafetensorsFile golden = compare.file();
    int[] shape = golden.shape("features");
    int hidden = golden.shape("head.weight")[1];
    RecurrentLanguageModel model =
        new RecurrentLanguageModel(
            new RecurrentLanguageModel.Config(
                1, 1, RecurrentKind.fromMetadataName(kindName), hidden, 1, 0, shape[2]));
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) weights.put(p.name(), golden.tensor(p.name()));
    model.loadStateDict(weights);
    assertEquals(
        weights.keySet(),
        golden.names().stream()
            .filter(n -> n.startsWith("rnn.") || n.startsWith("head."))
            .collect(java.util.stream.Collectors.toSet()),
        "no embedding: features go straight in");

    LanguageModel.Pass pass = model.forwardFeatures(golden.tensor("features"), null, null);
    compare.value("outputs", pass.logits());
    double[] stored = golden.doubles("values");
    float[] values = new float[stored.length];
    for (int i = 0; i < values.length; i++) values[i] = (float) stored[i];
    MeanSquaredError.Result loss = MeanSquaredError.compute(pass.logits(), values);
    assertEquals(golden.doubles("loss")[0], loss.loss(), 1e-6, "loss");
    model.zeroGrad();
    model.backward(pass, loss.dOutputs());
    for (Parameter p : model.parameters()) compare.gradient("grad." + p.name(), p.grad());
    compare.assertAllOk();
  }
}
