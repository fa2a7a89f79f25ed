package org.seqlab.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The numbers a gradient-flow verdict rests on, on profiles whose answers are known exactly. */
class GradientFlowResultTest {

  /** {@code ‖∂L/∂h_t‖ = factor^(T-t)} for t = 1..T: each step back multiplies by {@code factor}. */
  static double[] geometric(int steps, double factor) {
    double[] g = new double[steps];
    for (int t = 1; t <= steps; t++) g[t - 1] = Math.pow(factor, steps - t);
    return g;
  }

  static GradientFlow.Result result(double[] g) {
    return new GradientFlow.Result(g, null, 0.5);
  }

  @Test
  void aGeometricDecayHasItsFactorAndItsFirstStepBelowAMillionth() {
    GradientFlow.Result r = result(geometric(50, 0.5));
    assertEquals(0.5, r.factorPerStep(), 1e-12);
    // 0.5^19 = 1.9e-6 is not below 1e-6, 0.5^20 = 9.5e-7 is: 20 steps back from step 50
    assertEquals(30, r.firstStepBelowMillionth());
    assertEquals(Math.pow(0.5, 49), r.firstToLastRatio(), 1e-27);
    assertEquals(1, r.earliestMeasurableStep());
    assertEquals(GradientFlow.Verdict.VANISHING, r.verdict());
  }

  @Test
  void theVerdictFollowsTheTrendOverTheSequence() {
    // vanishing below a trend of 1e-1 over the sequence, exploding above 1e1
    assertEquals(GradientFlow.Verdict.STABLE, result(geometric(30, 0.93)).verdict()); // 0.122
    assertEquals(GradientFlow.Verdict.VANISHING, result(geometric(30, 0.9)).verdict()); // 0.047
    assertEquals(GradientFlow.Verdict.EXPLODING, result(geometric(30, 1.1)).verdict()); // 15.9
    assertEquals(GradientFlow.Verdict.STABLE, result(geometric(30, 1.08)).verdict()); // 9.3
    assertEquals(Math.pow(0.9, 29), result(geometric(30, 0.9)).trend(), 1e-12);
    assertEquals(0, result(geometric(30, 0.9)).firstStepBelowMillionth(), "0.9^29 = 0.047");
  }

  /**
   * The lab's LSTM with its forget gate opened (forget bias 1, H 32, 15 steps) loses a factor 0.768
   * per step back: 0.768^14 = 0.025 of the gradient reaches the first step. That is vanishing,
   * whatever the architecture; a trend of 0.025 was once called stable.
   */
  @Test
  void aFactorOfPointSevenSevenPerStepOverFifteenStepsVanishes() {
    GradientFlow.Result r = result(geometric(15, 0.768));
    assertEquals(0.768, r.factorPerStep(), 1e-12);
    assertEquals(GradientFlow.Verdict.VANISHING, r.verdict());
  }

  @Test
  void theLastStepWhereTheLossLandsDoesNotSetTheTrend() {
    double[] g = new double[20];
    java.util.Arrays.fill(g, 1.0);
    g[19] = 1e3; // the loss lands on step T: a jump, not a trend
    GradientFlow.Result r = result(g);
    assertEquals(1.0, r.factorPerStep(), 1e-12);
    assertEquals(GradientFlow.Verdict.STABLE, r.verdict());
    assertEquals(1e-3, r.firstToLastRatio(), 1e-15);
  }

  @Test
  void normsOutsideDoublePrecisionAreLeftOutOfTheFit() {
    double[] g = geometric(40, 1e-20); // underflows to 0 after ~16 steps back
    GradientFlow.Result r = result(g);
    int k = r.earliestMeasurableStep();
    assertEquals(24, k - 1, "1e-20^16 = 1e-320 is a subnormal");
    assertEquals(true, g[k - 2] < Double.MIN_NORMAL && g[k - 1] >= Double.MIN_NORMAL);
    assertEquals(1e-20, r.factorPerStep(), 1e-32);
    assertEquals(39, r.firstStepBelowMillionth());
  }
}
