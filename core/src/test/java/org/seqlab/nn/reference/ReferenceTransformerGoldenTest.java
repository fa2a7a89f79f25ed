package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.seqlab.nn.reference.ReferenceGoldenTest.assertClose;
import static org.seqlab.nn.reference.ReferenceRecurrentGradientCheckTest.concat;
import static org.seqlab.nn.reference.ReferenceRecurrentGradientCheckTest.concatValues;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;

/**
 * The reference Transformer against PyTorch's float64 golden files ({@code
 * scripts/golden/make_transformer_goldens.py}), to near machine precision: outputs, attention
 * probabilities, the gradient of every parameter and of the input.
 */
class ReferenceTransformerGoldenTest {

  private static SafetensorsFile golden(String name) throws Exception {
    return Safetensors.read(Path.of("src/test/resources/golden/" + name + ".safetensors"));
  }

  private static int[] ints(long[] values) {
    int[] result = new int[values.length];
    for (int i = 0; i < values.length; i++) result[i] = Math.toIntExact(values[i]);
    return result;
  }

  /** The probabilities of {@code attention[b][j]}, in the golden order {@code [B, heads, T, T]}. */
  private static double[] attentionValues(Var[][] attention) {
    return concatValues(
        java.util.Arrays.stream(attention).flatMap(java.util.Arrays::stream).toArray(Var[]::new));
  }

  @Test
  void blockMatchesPyTorch() throws Exception {
    SafetensorsFile golden = golden("transformer_block");
    Map<String, String> meta = golden.metadata();
    assertEquals("transformer_block", meta.get("model"));
    int[] x = golden.shape("input");
    int steps = x[0], batch = x[1];
    ReferenceTransformer model =
        ReferenceTransformer.blocks(
            Integer.parseInt(meta.get("d_model")),
            Integer.parseInt(meta.get("num_heads")),
            Integer.parseInt(meta.get("dim_feedforward")),
            1);
    // The file holds one torch.nn.TransformerEncoderLayer, whose names lack the "blocks.0." prefix.
    for (String name : model.parameters().keySet()) {
      double[] values = golden.doubles(name.substring("blocks.0.".length()));
      System.arraycopy(values, 0, model.parameter(name), 0, values.length);
    }
    ReferenceTransformer.Unrolled run =
        model.unrollBlocks(
            golden.doubles("input"),
            steps,
            batch,
            ints(golden.longs("lengths")),
            Boolean.parseBoolean(meta.get("causal")));
    run.backward(golden.doubles("dOutput"));

    Var[] outputs = new Var[steps];
    for (int t = 0; t < steps; t++) outputs[t] = run.output(t);
    assertClose("block output", concatValues(outputs), golden.doubles("output"));
    assertClose(
        "block attention", attentionValues(run.attention()[0]), golden.doubles("attention"));
    for (var p : run.parameters().entrySet()) {
      String name = p.getKey().substring("blocks.0.".length());
      assertClose("block grad." + name, p.getValue().grad(), golden.doubles("grad." + name));
    }
    assertClose("block grad.input", concat(run.inputs()), golden.doubles("grad.input"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"transformer_decoder", "transformer_decoder_sinusoidal"})
  void decoderMatchesPyTorch(String file) throws Exception {
    SafetensorsFile golden = golden(file);
    Map<String, String> meta = golden.metadata();
    assertEquals("transformer_decoder", meta.get("model"));
    int[] shape = golden.shape("tokens");
    int steps = shape[0], batch = shape[1];
    ReferenceTransformer.Positions positions =
        switch (meta.get("positional")) {
          case "learned" -> ReferenceTransformer.Positions.LEARNED;
          case "sinusoidal" -> ReferenceTransformer.Positions.SINUSOIDAL;
          default -> throw new AssertionError("positional " + meta.get("positional"));
        };
    ReferenceTransformer model =
        ReferenceTransformer.decoder(
            Integer.parseInt(meta.get("vocab_size")),
            Integer.parseInt(meta.get("max_len")),
            positions,
            Integer.parseInt(meta.get("d_model")),
            Integer.parseInt(meta.get("num_heads")),
            Integer.parseInt(meta.get("dim_feedforward")),
            Integer.parseInt(meta.get("num_layers")));
    for (String name : model.parameters().keySet()) {
      double[] values = golden.doubles(name);
      System.arraycopy(values, 0, model.parameter(name), 0, values.length);
    }
    int[] lengths = golden.contains("lengths") ? ints(golden.longs("lengths")) : null;
    ReferenceTransformer.UnrolledModel run =
        model.unrollModel(ints(golden.longs("tokens")), steps, batch, lengths);
    double loss = run.backward(ints(golden.longs("targets")));

    assertClose(file + " embedded", concatValues(run.embedded()), golden.doubles("embedded"));
    assertClose(file + " logits", run.logits().value(), golden.doubles("logits"));
    assertClose(file + " loss", new double[] {loss}, golden.doubles("loss"));
    for (int k = 0; k < model.numLayers(); k++) {
      assertClose(
          file + " attention." + k,
          attentionValues(run.attention()[k]),
          golden.doubles("attention." + k));
    }
    for (var p : run.parameters().entrySet()) {
      assertClose(
          file + " grad." + p.getKey(), p.getValue().grad(), golden.doubles("grad." + p.getKey()));
    }
    assertClose(file + " grad.logits", run.logits().grad(), golden.doubles("grad.logits"));
    assertClose(file + " grad.embedded", concat(run.embedded()), golden.doubles("grad.embedded"));
  }
}
