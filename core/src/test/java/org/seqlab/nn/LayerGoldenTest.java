package org.seqlab.nn;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.seqlab.io.SafetensorsFile;

/** Linear and Embedding against PyTorch (float64, from float32-rounded weights and inputs). */
class LayerGoldenTest {

  @Test
  void linearMatchesPyTorch() throws Exception {
    GoldenComparison compare = GoldenComparison.open("linear");
    SafetensorsFile golden = compare.file();
    Map<String, String> meta = golden.metadata();
    Linear linear =
        new Linear(
            Integer.parseInt(meta.get("in_features")), Integer.parseInt(meta.get("out_features")));
    linear.loadStateDict(Map.of("weight", golden.tensor("weight"), "bias", golden.tensor("bias")));
    var input = golden.tensor("input");
    compare.value("output", linear.forward(input));
    compare.gradient("grad.input", linear.backward(input, golden.tensor("dOutput")));
    compare.gradient("grad.weight", linear.weight().grad());
    compare.gradient("grad.bias", linear.bias().grad());
    compare.assertAllOk();
  }

  @Test
  void embeddingMatchesPyTorch() throws Exception {
    GoldenComparison compare = GoldenComparison.open("embedding");
    SafetensorsFile golden = compare.file();
    Map<String, String> meta = golden.metadata();
    Embedding embedding =
        new Embedding(
            Integer.parseInt(meta.get("num_embeddings")),
            Integer.parseInt(meta.get("embedding_dim")));
    embedding.loadStateDict(Map.of("weight", golden.tensor("weight")));
    long[] stored = golden.longs("ids");
    int[] ids = new int[stored.length];
    for (int i = 0; i < ids.length; i++) ids[i] = Math.toIntExact(stored[i]);
    compare.value("output", embedding.forward(ids, golden.shape("ids")));
    embedding.backward(ids, golden.tensor("dOutput"));
    compare.gradient("grad.weight", embedding.weight().grad());
    compare.assertAllOk();
  }
}
