package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

  @Test
  void constantIgnoresStepAndProgress() {
    LearningRateSchedule s = LearningRateSchedule.constant(0.01);
    assertEquals(0.01, s.at(0, 0));
    assertEquals(0.01, s.at(1000, 0.9));
  }

  @Test
  void warmupRisesLinearlyThenHolds() {
    LearningRateSchedule s = new LearningRateSchedule(LearningRateSchedule.Kind.WARMUP, 0.1, 4, 0);
    assertEquals(0.025, s.at(0, 0), 1e-15);
    assertEquals(0.05, s.at(1, 0), 1e-15);
    assertEquals(0.1, s.at(3, 0), 1e-15);
    assertEquals(0.1, s.at(4, 0.5), 1e-15);
    assertEquals(0.1, s.at(99, 1), 1e-15);
  }

  @Test
  void cosineFallsFromPeakToMinimumOverTheProgress() {
    LearningRateSchedule s =
        new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 0.1, 2, 0.01);
    assertEquals(0.05, s.at(0, 0), 1e-15); // warm-up
    assertEquals(0.1, s.at(2, 0), 1e-15);
    assertEquals(0.055, s.at(50, 0.5), 1e-15); // halfway: the mean of peak and minimum
    assertEquals(0.01 + 0.09 * (1 + Math.cos(Math.PI * 0.25)) / 2, s.at(30, 0.25), 1e-15);
    assertEquals(0.01, s.at(100, 1), 1e-15);
    assertEquals(0.01, s.at(200, 1.7), 1e-15); // past the end it stays at the minimum
  }

  /**
   * A cosine re-planned where an extended run resumes: continuous there (the rate the old plan had
   * reached), falling to the same minimum at the new limit, by steps or by time.
   */
  @Test
  void aReplannedCosineContinuesFromItsRateDownToTheMinimumAtTheNewLimit() {
    LearningRateSchedule planned =
        new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 0.1, 10, 0.01);
    TrainingOptions before = options(planned, 110, 0);
    double r0 = before.learningRate(60, 0); // halfway through the decay from 10 to 110
    assertEquals(0.055, r0, 1e-15);
    TrainingOptions after = options(planned.replannedAt(60, 0, r0), 260, 0);
    assertEquals(r0, after.learningRate(60, 0), 1e-15);
    assertEquals(
        0.01 + (r0 - 0.01) * (1 + Math.cos(Math.PI * 0.5)) / 2, after.learningRate(160, 0), 1e-15);
    assertEquals(0.01, after.learningRate(260, 0), 1e-15);
    double previous = r0;
    for (long s = 61; s <= 260; s++) {
      double r = after.learningRate(s, 0);
      assertTrue(r <= previous && r >= 0.01, "falls monotonically at step " + s);
      previous = r;
    }
    // By time: from 30 s to a new limit of 90 s.
    TrainingOptions byTime = options(planned.replannedAt(60, 30, r0), 0, 90);
    assertEquals(r0, byTime.learningRate(60, 30), 1e-15);
    assertEquals(0.01 + (r0 - 0.01) / 2, byTime.learningRate(100, 60), 1e-15);
    assertEquals(0.01, byTime.learningRate(200, 90), 1e-15);
    // Nothing to re-plan in the warm-up, or for another shape.
    assertThrows(IllegalArgumentException.class, () -> planned.replannedAt(10, 0, 0.1));
    assertThrows(
        IllegalArgumentException.class,
        () -> LearningRateSchedule.constant(0.1).replannedAt(60, 0, 0.1));
  }

  private static TrainingOptions options(LearningRateSchedule s, long maxSteps, double seconds) {
    return new TrainingOptions(
        Optimizer.Settings.defaults(Optimizer.Kind.ADAM), s, 0, maxSteps, seconds, 0, 0, 0, 1);
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0));
    assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(Double.NaN));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LearningRateSchedule(LearningRateSchedule.Kind.WARMUP, 0.1, -1, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 0.1, 0, 0.2));
  }
}
