package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * The Transformer layers against PyTorch in float64 (from float32-rounded weights and inputs),
 * written by {@code scripts/golden/make_transformer_goldens.py}.
 */
class TransformerGoldenTest {

  @Test
  void layerNormMatchesPyTorch() throws Exception {
    GoldenComparison compare = GoldenComparison.open("layer_norm");
    SafetensorsFile golden = compare.file();
    LayerNorm norm = new LayerNorm(Integer.parseInt(golden.metadata().get("dim")));
    norm.loadStateDict(TransformerTesting.stateDict(golden, norm));
    LayerNorm.Output out = norm.forward(golden.tensor("input"));
    compare.value("output", out.output());
    compare.gradient("grad.input", norm.backward(out, golden.tensor("dOutput")));
    TransformerTesting.compareGradients(compare, norm);
    compare.assertAllOk();
  }

  @Test
  void geluMatchesPyTorchNearZeroAndFarOut() throws Exception {
    GoldenComparison compare = GoldenComparison.open("gelu");
    SafetensorsFile golden = compare.file();
    Tensor x = golden.tensor("input");
    Tensor y = Tensor.zeros(x.shape());
    Gelu.forward(y.data(), 0, x.data(), 0, x.size());
    compare.value("output", y);
    Tensor dx = Tensor.zeros(x.shape());
    Gelu.backward(dx.data(), 0, x.data(), 0, golden.tensor("dOutput").data(), 0, x.size());
    compare.gradient("grad.input", dx);
    compare.assertAllOk();
  }

  @Test
  void multiHeadAttentionMatchesPyTorch() throws Exception {
    GoldenComparison compare = GoldenComparison.open("attention");
    SafetensorsFile golden = compare.file();
    var meta = golden.metadata();
    MultiHeadSelfAttention attention =
        new MultiHeadSelfAttention(
            Integer.parseInt(meta.get("d_model")), Integer.parseInt(meta.get("num_heads")));
    attention.loadStateDict(TransformerTesting.stateDict(golden, attention));
    MultiHeadSelfAttention.Output out = attention.forward(golden.tensor("input"), true, null);
    compare.value("output", out.output());
    compare.value("attention", out.attentionWeights());
    compare.gradient("grad.input", attention.backward(out, golden.tensor("dOutput")));
    TransformerTesting.compareGradients(compare, attention);
    compare.assertAllOk();
  }

  @Test
  void blockMatchesTorchEncoderLayerWithCausalAndPaddingMasks() throws Exception {
    GoldenComparison compare = GoldenComparison.open("transformer_block");
    SafetensorsFile golden = compare.file();
    var meta = golden.metadata();
    TransformerBlock block =
        new TransformerBlock(
            Integer.parseInt(meta.get("d_model")),
            Integer.parseInt(meta.get("num_heads")),
            Integer.parseInt(meta.get("dim_feedforward")));
    block.loadStateDict(TransformerTesting.stateDict(golden, block));
    int[] lengths = TransformerTesting.ints(golden, "lengths");
    TransformerBlock.Output out = block.forward(golden.tensor("input"), true, lengths);
    compare.value("output", out.output());
    compare.value("attention", out.attentionWeights());
    compare.gradient("grad.input", block.backward(out, golden.tensor("dOutput")));
    TransformerTesting.compareGradients(compare, block);
    compare.assertAllOk();
  }

  @Test
  void decoderWithLearnedPositionsMatchesPyTorch() throws Exception {
    checkDecoder("transformer_decoder", PositionalEncoding.Kind.LEARNED);
  }

  @Test
  void decoderWithSinusoidalPositionsPaddingAndIgnoredTargetsMatchesPyTorch() throws Exception {
    checkDecoder("transformer_decoder_sinusoidal", PositionalEncoding.Kind.SINUSOIDAL);
  }

  private static void checkDecoder(String name, PositionalEncoding.Kind kind) throws Exception {
    GoldenComparison compare = GoldenComparison.open(name);
    SafetensorsFile golden = compare.file();
    var meta = golden.metadata();
    assertEquals(kind.name().toLowerCase(java.util.Locale.ROOT), meta.get("positional"));
    TransformerDecoder decoder =
        new TransformerDecoder(
            new TransformerDecoder.Config(
                Integer.parseInt(meta.get("vocab_size")),
                Integer.parseInt(meta.get("d_model")),
                Integer.parseInt(meta.get("num_heads")),
                Integer.parseInt(meta.get("dim_feedforward")),
                Integer.parseInt(meta.get("num_layers")),
                Integer.parseInt(meta.get("max_len")),
                kind));
    decoder.loadStateDict(TransformerTesting.stateDict(golden, decoder));
    int steps = Integer.parseInt(meta.get("seq_len"));
    int batch = Integer.parseInt(meta.get("batch_size"));
    int[] lengths = golden.contains("lengths") ? TransformerTesting.ints(golden, "lengths") : null;
    TransformerDecoder.Output out =
        decoder.forward(TransformerTesting.ints(golden, "tokens"), steps, batch, lengths);
    compare.value("embedded", out.embedded());
    for (int i = 0; i < decoder.config().numLayers(); i++) {
      compare.value("attention." + i, out.attentionWeights().get(i));
    }
    compare.value("logits", out.logits());
    CrossEntropyLoss.Result loss =
        CrossEntropyLoss.compute(out.logits(), TransformerTesting.ints(golden, "targets"));
    compare.value("loss", Tensor.of(new double[] {loss.loss()}, 1));
    compare.gradient("grad.logits", loss.dLogits());
    compare.gradient("grad.embedded", decoder.backward(out, loss.dLogits()));
    TransformerTesting.compareGradients(compare, decoder);
    compare.assertAllOk();
  }
}
