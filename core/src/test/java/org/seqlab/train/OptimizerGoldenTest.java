package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Parameter;
import org.seqlab.tensor.Tensor;

/**
 * SGD with momentum, Adam with L2 decay and AdamW against {@code torch.optim} (golden file from
 * {@code scripts/golden/make_training_goldens.py}): four steps, a different learning rate each.
 * Also: an optimizer restored from its state continues exactly as the original.
 */
class OptimizerGoldenTest {

  private static final SafetensorsFile GOLDEN = read();

  private static SafetensorsFile read() {
    try {
      return Safetensors.read(Path.of("src/test/resources/golden/optimizers.safetensors"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Optimizer.Settings settings(Optimizer.Kind kind) {
    double decay =
        switch (kind) {
          case SGD, ADAM -> 0.01;
          case ADAMW -> 0.1;
        };
    return new Optimizer.Settings(kind, 0.9, 0.9, 0.999, 1e-8, decay);
  }

  @ParameterizedTest
  @EnumSource(Optimizer.Kind.class)
  void fourStepsMatchPyTorch(Optimizer.Kind kind) {
    Parameter a = Parameter.of("a", GOLDEN.tensor("a")), b = Parameter.of("b", GOLDEN.tensor("b"));
    Optimizer optimizer = settings(kind).create(List.of(a, b));
    double[] rates = GOLDEN.doubles("lr");
    for (int step = 0; step < rates.length; step++) {
      setGradients(step, a, b);
      optimizer.step(rates[step]);
      String name = kind.cliName();
      assertClose(name + " a after step " + step, GOLDEN.tensor(name + ".after" + step + ".a"), a);
      assertClose(name + " b after step " + step, GOLDEN.tensor(name + ".after" + step + ".b"), b);
    }
    assertEquals(rates.length, optimizer.steps());
  }

  @ParameterizedTest
  @EnumSource(Optimizer.Kind.class)
  void aRestoredOptimizerContinuesBitForBit(Optimizer.Kind kind) {
    double[] rates = GOLDEN.doubles("lr");
    Parameter a = Parameter.of("a", GOLDEN.tensor("a")), b = Parameter.of("b", GOLDEN.tensor("b"));
    Optimizer original = settings(kind).create(List.of(a, b));
    setGradients(0, a, b);
    original.step(rates[0]);
    setGradients(1, a, b);
    original.step(rates[1]);

    Parameter a2 = Parameter.of("a", a.value().copy()), b2 = Parameter.of("b", b.value().copy());
    Optimizer restored = settings(kind).create(List.of(a2, b2));
    Map<String, double[]> state = original.state();
    restored.restore(state, original.steps());
    for (int step = 2; step < rates.length; step++) {
      setGradients(step, a, b);
      original.step(rates[step]);
      setGradients(step, a2, b2);
      restored.step(rates[step]);
    }
    assertEquals(
        java.util.Arrays.toString(a.value().data()), java.util.Arrays.toString(a2.value().data()));
    assertEquals(
        java.util.Arrays.toString(b.value().data()), java.util.Arrays.toString(b2.value().data()));
  }

  @ParameterizedTest
  @EnumSource(Optimizer.Kind.class)
  void aStateOfTheWrongSizeIsRefused(Optimizer.Kind kind) {
    Parameter a = Parameter.of("a", Tensor.zeros(3)), b = Parameter.of("b", Tensor.zeros(2));
    Optimizer optimizer = settings(kind).create(List.of(a, b));
    Map<String, double[]> state = optimizer.state();
    String key = state.keySet().iterator().next();
    state.put(key, new double[7]);
    var e = assertThrows(IllegalArgumentException.class, () -> optimizer.restore(state, 1));
    assertTrue(e.getMessage().contains(key) && e.getMessage().contains("7"), e.getMessage());
  }

  private static void setGradients(int step, Parameter a, Parameter b) {
    System.arraycopy(
        GOLDEN.tensor("grad" + step + ".a").data(), 0, a.grad().data(), 0, a.grad().size());
    System.arraycopy(
        GOLDEN.tensor("grad" + step + ".b").data(), 0, b.grad().data(), 0, b.grad().size());
  }

  private static void assertClose(String what, Tensor expected, Parameter actual) {
    for (int i = 0; i < expected.size(); i++) {
      // PyTorch updates float32 parameters in float32; seqlab keeps the state in double and
      // rounds once, so the two differ by a few float32 ulps at most.
      assertEquals(expected.data()[i], actual.value().data()[i], 2e-6, what + " [" + i + "]");
    }
  }
}
