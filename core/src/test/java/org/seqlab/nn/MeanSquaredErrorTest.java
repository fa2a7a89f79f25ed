package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class MeanSquaredErrorTest {

  @Test
  void knownAnswerOverAskedRowsOnly() {
    Tensor y = Tensor.wrap(new float[] {1, 2, 3, 4}, 2, 2, 1);
    MeanSquaredError.Result r =
        MeanSquaredError.compute(y, new float[] {0, Float.NaN, 5, Float.NaN});
    // ((1-0)² + (3-5)²) / 2
    assertEquals(2.5, r.loss(), 0);
    assertEquals(2, r.count());
    assertEquals(2 * 1.0 / 2, r.dOutputs().data()[0], 0);
    assertEquals(0, r.dOutputs().data()[1], 0);
    assertEquals(2 * -2.0 / 2, r.dOutputs().data()[2], 0);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(8);
    Tensor y = GradientCheck.random(rng, 1.5, 5, 3, 1);
    float[] t = new float[15];
    for (int i = 0; i < t.length; i++)
      t[i] = i % 4 == 1 ? Float.NaN : (float) rng.nextDouble(-2, 2);
    Tensor analytic = MeanSquaredError.compute(y, t).dOutputs();
    GradientCheck.assertNoFailures(
        GradientCheck.compare(
            "outputs",
            y,
            analytic,
            GradientCheck.EPS,
            () -> MeanSquaredError.compute(y, t).loss()));
  }

  @Test
  void refusesWhatHasNoMean() {
    var none =
        assertThrows(
            IllegalArgumentException.class,
            () -> MeanSquaredError.compute(Tensor.zeros(2, 1), new float[] {Float.NaN, Float.NaN}));
    assertTrue(none.getMessage().contains("every one of the 2 targets is NaN"), none.getMessage());
    var wide =
        assertThrows(
            IllegalArgumentException.class,
            () -> MeanSquaredError.compute(Tensor.zeros(2, 3), new float[6]));
    assertTrue(wide.getMessage().contains("expected [*, 1]"), wide.getMessage());
  }
}
