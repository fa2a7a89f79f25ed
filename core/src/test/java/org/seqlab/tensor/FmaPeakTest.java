package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FmaPeakTest {

  @Test
  void chainsComputeTheAffineRecurrence() {
    // Chain 0 starts at 1 and runs a <- a·m + c; the returned lane is the sum of all 12 chains,
    // each the same recurrence from 1 + index. Checked against the same recurrence in double.
    long iterations = 1000;
    double expected = 0;
    for (int chain = 0; chain < FmaPeak.CHAINS; chain++) {
      double a = 1 + chain;
      for (long i = 0; i < iterations; i++) a = a * 0.999999f + 1e-7f;
      expected += a;
    }
    assertEquals(expected, FmaPeak.chains(iterations), 1e-4 * expected);
  }

  @Test
  void measuresAPositiveRateAndRefusesNonsense() {
    double gflops = FmaPeak.measure(1, 0.01, 1);
    assertTrue(gflops > 0.1 && gflops < 1e5, "gflops " + gflops);
    assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(0, 0.1, 1));
    assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> FmaPeak.measure(1, 0.1, 0));
  }
}
