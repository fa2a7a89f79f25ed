package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Parameter;
import org.seqlab.tensor.Tensor;

/** Adam and clipping against torch.optim.Adam and clip_grad_norm_ (golden file from PyTorch). */
class AdamTest {

  @Test
  void threeStepsMatchPyTorch() throws Exception {
    SafetensorsFile golden =
        Safetensors.read(Path.of("src/test/resources/golden/adam.safetensors"));
    Parameter a = Parameter.of("a", golden.tensor("a")), b = Parameter.of("b", golden.tensor("b"));
    List<Parameter> params = List.of(a, b);
    Adam adam = new Adam(params, 0.01);
    for (int step = 0; step < 3; step++) {
      System.arraycopy(
          golden.tensor("grad" + step + ".a").data(), 0, a.grad().data(), 0, a.grad().size());
      System.arraycopy(
          golden.tensor("grad" + step + ".b").data(), 0, b.grad().data(), 0, b.grad().size());
      double norm = GradientClipping.clipGlobalNorm(params, 1.0);
      assertEquals(golden.doubles("norm" + step)[0], norm, 1e-5 * norm, "norm at step " + step);
      adam.step();
      assertClose("a after step " + step, golden.tensor("after" + step + ".a"), a.value());
      assertClose("b after step " + step, golden.tensor("after" + step + ".b"), b.value());
    }
    assertEquals(3, adam.steps());
  }

  private static void assertClose(String what, Tensor expected, Tensor actual) {
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.data()[i], actual.data()[i], 2e-6, what + " [" + i + "]");
    }
  }

  @Test
  void clippingKeepsDirectionAndCapsLength() {
    Parameter p = Parameter.of("p", Tensor.zeros(2));
    p.grad().data()[0] = 3;
    p.grad().data()[1] = 4;
    assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(p), 1.0), 0);
    assertEquals(0.6, p.grad().data()[0], 1e-6);
    assertEquals(0.8, p.grad().data()[1], 1e-6);
    // Below the cap nothing changes.
    float before = p.grad().data()[0];
    assertEquals(1.0, GradientClipping.clipGlobalNorm(List.of(p), 2.0), 1e-6);
    assertEquals(before, p.grad().data()[0]);
  }

  @Test
  void badSettingsAreRefused() {
    List<Parameter> none = List.of();
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new Adam(none, 0))
            .getMessage()
            .contains("learning rate"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> new Adam(none, 1e-3, 1.0, 0.999, 1e-8))
            .getMessage()
            .contains("betas"));
    assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipGlobalNorm(none, 0));
  }
}
