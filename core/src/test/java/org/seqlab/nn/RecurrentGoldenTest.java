package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.EnumSource.Mode;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * Every kind against PyTorch (float64, from float32-rounded weights and inputs): outputs, final
 * states, and the gradients of {@code L = Σ output ⊙ dOutput + Σ h_n ⊙ dhN (+ Σ c_n ⊙ dcN)} for
 * every parameter, the input, h0 and c0. Also bidirectional two-layer models over a ragged batch,
 * which PyTorch ran packed ({@code pack_padded_sequence(enforce_sorted=False)}) and unpacked with
 * zero padding; their {@code dOutput} is non-zero at the padded steps, which must be ignored.
 */
class RecurrentGoldenTest {

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void matchesPyTorch(RecurrentKind kind) throws Exception {
    GoldenComparison compare = GoldenComparison.open(kind.metadataName());
    SafetensorsFile golden = compare.file();
    Map<String, String> meta = golden.metadata();
    assertEquals(kind.metadataName(), meta.get("model"));
    Recurrent model =
        Recurrent.create(
            kind,
            Integer.parseInt(meta.get("input_size")),
            Integer.parseInt(meta.get("hidden_size")),
            Integer.parseInt(meta.get("num_layers")));
    loadWeights(model, golden);
    boolean lstm = kind == RecurrentKind.LSTM;

    RecurrentOutput out =
        model.forward(
            golden.tensor("input"), golden.tensor("h0"), lstm ? golden.tensor("c0") : null);
    compareOutputsAndGradients(compare, model, out, lstm);
  }

  @ParameterizedTest
  @EnumSource(
      value = RecurrentKind.class,
      names = {"RNN_RELU"},
      mode = Mode.EXCLUDE)
  void bidirectionalRaggedMatchesPyTorch(RecurrentKind kind) throws Exception {
    GoldenComparison compare = GoldenComparison.open(kind.metadataName() + "_bidirectional");
    SafetensorsFile golden = compare.file();
    Map<String, String> meta = golden.metadata();
    assertEquals("true", meta.get("bidirectional"));
    Recurrent model =
        Recurrent.create(
            kind,
            Integer.parseInt(meta.get("input_size")),
            Integer.parseInt(meta.get("hidden_size")),
            Integer.parseInt(meta.get("num_layers")),
            true);
    loadWeights(model, golden);
    long[] stored = golden.longs("lengths");
    int[] lengths = new int[stored.length];
    for (int b = 0; b < lengths.length; b++) lengths[b] = Math.toIntExact(stored[b]);
    boolean lstm = kind == RecurrentKind.LSTM;

    RecurrentOutput out =
        model.forward(
            golden.tensor("input"),
            golden.tensor("h0"),
            lstm ? golden.tensor("c0") : null,
            lengths,
            null);
    compareOutputsAndGradients(compare, model, out, lstm);
  }

  private static void loadWeights(Recurrent model, SafetensorsFile golden) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) state.put(p.name(), golden.tensor(p.name()));
    model.loadStateDict(state);
  }

  /**
   * Outputs and final states against the golden file, then the gradients of its loss {@code L = Σ
   * output ⊙ dOutput + Σ h_n ⊙ dhN (+ Σ c_n ⊙ dcN)} for every parameter, the input, h0 and c0.
   */
  private static void compareOutputsAndGradients(
      GoldenComparison compare, Recurrent model, RecurrentOutput out, boolean lstm) {
    SafetensorsFile golden = compare.file();
    compare.value("output", out.output());
    compare.value("h_n", out.hN());
    if (lstm) compare.value("c_n", out.cN());

    model.zeroGrad();
    RecurrentGradients grads =
        model.backward(
            out,
            golden.tensor("dOutput"),
            golden.tensor("dhN"),
            lstm ? golden.tensor("dcN") : null);
    for (Parameter p : model.parameters()) compare.gradient("grad." + p.name(), p.grad());
    compare.gradient("grad.input", grads.dInput());
    compare.gradient("grad.h0", grads.dh0());
    if (lstm) compare.gradient("grad.c0", grads.dc0());
    compare.assertAllOk();
  }
}
