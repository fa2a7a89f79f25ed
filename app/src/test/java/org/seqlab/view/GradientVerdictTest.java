package org.seqlab.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                + " (least-squares trend over steps 49..1), a trend of 1.776e-15 over the 49 steps"
                + " back to step 1; ‖dL/dh_1‖ / ‖dL/dh_50‖ = 1.776e-15; it first falls below 1e-6"
                + " of ‖dL/dh_50‖ at step 30 (20 steps back).",
            "Cell-state highway: ‖dL/dc_1‖ / ‖dL/dc_50‖ = 5.726e-03.",
            "Rule, the same for every architecture: the trend over the sequence (the factor per"
                + " step back, raised to the steps back to step 1) is VANISHING below 1e-1 (less"
                + " than a tenth of the gradient reaches the first step), EXPLODING above 1e1,"
                + " STABLE between; the last step, where the loss lands directly, is left out of"
                + " the trend."),
        s);
  }

  /**
   * The lab's LSTM with forget bias 1 at H 32 over 15 steps, as measured: a flat jump at the last
   * step and ×0.768 per step back before it. Its verdict follows from the trend shown with it, by
   * the rule shown after it, and the same numbers give the same verdict for any architecture.
   */
  @Test
  void theVerdictFollowsTheNumbersItShowsByTheRuleItShows() {
    double[] h = new double[15];
    for (int t = 1; t <= 14; t++) h[t - 1] = Math.pow(0.768, 14 - t);
    h[14] = 6.8; // the loss lands on the last step directly
    GradientFlow.Result r = new GradientFlow.Result(h, null, 0.9);
    List<String> s = GradientVerdict.sentences(r, "h");
    assertEquals(GradientFlow.Verdict.VANISHING, r.verdict());
    assertTrue(s.getFirst().startsWith("Verdict: VANISHING."), s.getFirst());
    assertTrue(s.getFirst().contains("a trend of 2.483e-02 over the 14 steps"), s.getFirst());
    assertEquals(GradientVerdict.rule(), s.getLast());
    assertTrue(r.trend() < GradientFlow.VANISHING_RATIO);
    // The Transformer's inputs, the same numbers: the same verdict.
    assertEquals(s.getFirst().replace("dh_", "dx_"), GradientVerdict.sentences(r, "x").getFirst());
  }

  @Test
  void aNormThatLeavesDoublePrecisionIsSaidSo() {
    double[] g = new double[40];
    for (int t = 1; t <= 40; t++) g[t - 1] = Math.pow(1e-20, 40 - t);
    List<String> s = GradientVerdict.sentences(new GradientFlow.Result(g, null, 0.5), "x");
    assertEquals(3, s.size());
    assertEquals(
        "From step 24 back the norm is outside double precision's range (1e-308 to 1e308): it has"
            + " underflowed and reads as 1.0e-320, a subnormal.",
        s.get(1));
  }
}
