package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/**
 * Compares float32 results with a float64 PyTorch golden file (written by {@code
 * scripts/golden/make_recurrent_goldens.py}), printing one OK / NOT OK line per tensor and failing
 * at the end if any tensor is off.
 */
final class GoldenComparison {
  /** One unit in the last place of 1 in float32, 2^-23: the rounding of a single operation. */
  static final double FLOAT32_EPSILON = Math.ulp(1.0f);

  /**
   * Values: max |diff| within this times (1 + max |golden|). The largest seen over every golden
   * file is 3.4e-7 (a Transformer decoder's attention weights and logits): sums of a few hundred
   * float32 products in another order than PyTorch's float64. Sixteen roundings (1.9e-6) leave room
   * for another core's block sizes, and a wrong index or a missing term is far above it.
   */
  static final double VALUE_TOLERANCE = 16 * FLOAT32_EPSILON;

  /**
   * Gradients pass through more float32 operations than values: the largest seen is 5.6e-7 (a
   * Transformer block's layer-norm weight, a sum over every position and row). Thirty-two roundings
   * (3.8e-6).
   */
  static final double GRADIENT_TOLERANCE = 32 * FLOAT32_EPSILON;

  private final SafetensorsFile golden;
  private final List<String> failures = new ArrayList<>();

  private GoldenComparison(SafetensorsFile golden) {
    this.golden = golden;
  }

  /** Opens {@code golden/<name>.safetensors} from the test resources. */
  static GoldenComparison open(String name) throws IOException, URISyntaxException {
    URL url = GoldenComparison.class.getResource("/golden/" + name + ".safetensors");
    if (url == null) throw new IOException("missing test resource golden/" + name + ".safetensors");
    System.out.println("golden " + name);
    return new GoldenComparison(Safetensors.read(Path.of(url.toURI())));
  }

  SafetensorsFile file() {
    return golden;
  }

  void value(String goldenName, Tensor actual) {
    compare(goldenName, actual, VALUE_TOLERANCE);
  }

  void gradient(String goldenName, Tensor actual) {
    compare(goldenName, actual, GRADIENT_TOLERANCE);
  }

  private void compare(String goldenName, Tensor actual, double tolerance) {
    assertArrayEquals(golden.shape(goldenName), actual.shape(), "shape of " + goldenName);
    double[] expected = golden.doubles(goldenName);
    double maxGolden = 0;
    double maxDiff = 0;
    for (int i = 0; i < expected.length; i++) {
      maxGolden = Math.max(maxGolden, Math.abs(expected[i]));
      maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual.data()[i]));
    }
    boolean ok = maxDiff <= tolerance * (1 + maxGolden);
    String line =
        String.format(
            Locale.ROOT,
            "  %-6s %-20s max|diff| %.3e  max|golden| %.3e",
            ok ? "OK" : "NOT OK",
            goldenName,
            maxDiff,
            maxGolden);
    System.out.println(line);
    if (!ok) failures.add(line.strip());
  }

  void assertAllOk() {
    assertTrue(
        failures.isEmpty(),
        () -> "tensors differ from the golden file:\n" + String.join("\n", failures));
  }
}
