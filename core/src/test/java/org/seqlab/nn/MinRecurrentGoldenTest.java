package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * minGRU and minLSTM against PyTorch's log-space scan ({@code torch.logcumsumexp}, float64, from
 * float32-rounded weights and inputs, written by {@code
 * scripts/golden/make_min_recurrent_goldens.py}): outputs, final states, and the gradients of
 * {@code L = Σ output ⊙ dOutput + Σ h_n ⊙ dhN} for every parameter, the input and h0.
 */
class MinRecurrentGoldenTest {

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void matchesPyTorch(MinRecurrentKind kind) throws Exception {
    GoldenComparison compare = GoldenComparison.open(kind.metadataName());
    SafetensorsFile golden = compare.file();
    Map<String, String> meta = golden.metadata();
    assertEquals(kind.metadataName(), meta.get("model"));
    MinRecurrent model =
        new MinRecurrent(
            kind,
            Integer.parseInt(meta.get("input_size")),
            Integer.parseInt(meta.get("hidden_size")),
            Integer.parseInt(meta.get("num_layers")));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) state.put(p.name(), golden.tensor(p.name()));
    model.loadStateDict(state);

    MinRecurrent.Output out = model.forward(golden.tensor("input"), golden.tensor("h0"));
    compare.value("output", out.output());
    compare.value("h_n", out.hN());
    model.zeroGrad();
    RecurrentGradients grads = model.backward(out, golden.tensor("dOutput"), golden.tensor("dhN"));
    for (Parameter p : model.parameters()) compare.gradient("grad." + p.name(), p.grad());
    compare.gradient("grad.input", grads.dInput());
    compare.gradient("grad.h0", grads.dh0());
    compare.assertAllOk();
  }
}
