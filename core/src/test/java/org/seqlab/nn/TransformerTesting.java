package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.function.Executable;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.tensor.Tensor;

/** Helpers shared by the Transformer layer tests. */
final class TransformerTesting {
  private TransformerTesting() {}

  /** The golden file's tensors named as {@code module}'s parameters, ready for loadStateDict. */
  static Map<String, Tensor> stateDict(SafetensorsFile golden, Module module) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (Parameter p : module.parameters()) state.put(p.name(), golden.tensor(p.name()));
    return state;
  }

  /** Compares every parameter gradient with {@code grad.<name>} from the golden file. */
  static void compareGradients(GoldenComparison compare, Module module) {
    for (Parameter p : module.parameters()) compare.gradient("grad." + p.name(), p.grad());
  }

  static int[] ints(SafetensorsFile golden, String name) {
    long[] stored = golden.longs(name);
    int[] out = new int[stored.length];
    for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(stored[i]);
    return out;
  }

  /** Central differences of {@code loss} against every entry of every parameter of {@code m}. */
  static List<String> parameterFailures(Module m, DoubleSupplier loss) {
    List<String> failures = new ArrayList<>();
    for (Parameter p : m.parameters()) {
      GradientCheck.assertNotNegligible("gradient of " + p.name(), p.grad(), 1e-4);
      failures.addAll(
          GradientCheck.compare(p.name(), p.value(), p.grad(), GradientCheck.EPS, loss));
    }
    return failures;
  }

  /** Copies of every parameter gradient, in order. */
  static List<Tensor> gradients(Module m) {
    return m.parameters().stream().map(p -> p.grad().copy()).toList();
  }

  /**
   * Asserts that every gradient of {@code m} is twice {@code once}: a second identical backward
   * pass added the same values again. Not bit for bit, since the sums run in a different order of
   * rounding when they start from a non-zero gradient.
   */
  static void assertDoubled(Module m, List<Tensor> once) {
    List<Parameter> params = m.parameters();
    assertEquals(once.size(), params.size());
    for (int i = 0; i < params.size(); i++) {
      float[] first = once.get(i).data();
      float[] now = params.get(i).grad().data();
      for (int j = 0; j < first.length; j++) {
        double expected = 2.0 * first[j];
        assertEquals(
            expected,
            now[j],
            1e-5 * (1 + Math.abs(expected)),
            params.get(i).name() + "[" + j + "] did not accumulate");
      }
    }
  }

  /** Asserts that {@code action} throws an IllegalArgumentException saying {@code message}. */
  static void assertRefused(String message, Executable action) {
    assertEquals(message, assertThrows(IllegalArgumentException.class, action).getMessage());
  }

  /** The names of {@code m}'s parameters, in order. */
  static List<String> names(Module m) {
    return m.parameters().stream().map(Parameter::name).toList();
  }
}
