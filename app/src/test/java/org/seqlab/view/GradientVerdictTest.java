package org.seqlab.view;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.seqlab.probe.GradientFlow;

class GradientVerdictTest {

  @Test
  void theSentencesOfAVanishingRecurrentGradient() {
    double[] h = new double[50], c = new double[50];
    for (int t = 1; t <= 50; t++) {
      h[t - 1] = Math.pow(0.5, 50 - t);
      c[t - 1] = Math.pow(0.9, 50 - t);
    }
    List<String> s = GradientVerdict.sentences(new GradientFlow.Result(h, c, 0.5), "h");
    assertEquals(
        List.of(
            "Verdict: VANISHING. The gradient norm changes by a factor 0.5000 per step back"
                + " (least-squares trend over steps 49..1); ‖dL/dh_1‖ / ‖dL/dh_50‖ = 1.776e-15;"
                + " it first falls below 1e-6 of ‖dL/dh_50‖ at step 30 (20 steps back).",
            "Cell-state highway: ‖dL/dc_1‖ / ‖dL/dc_50‖ = 5.726e-03."),
        s);
  }

  @Test
  void aNormThatLeavesDoublePrecisionIsSaidSo() {
    double[] g = new double[40];
    for (int t = 1; t <= 40; t++) g[t - 1] = Math.pow(1e-20, 40 - t);
    List<String> s = GradientVerdict.sentences(new GradientFlow.Result(g, null, 0.5), "x");
    assertEquals(2, s.size());
    assertEquals(
        "From step 24 back the norm is outside double precision's range (1e-308 to 1e308): it has"
            + " underflowed and reads as 1.0e-320, a subnormal.",
        s.get(1));
  }
}
