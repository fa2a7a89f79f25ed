package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
