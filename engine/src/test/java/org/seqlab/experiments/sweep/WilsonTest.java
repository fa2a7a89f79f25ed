package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WilsonTest {

  /**
   * The interval as the two roots of the quadratic it comes from, (p̂ − π)² = z²·π(1 − π)/n, that
   * is (1 + z²/n)·π² − (2p̂ + z²/n)·π + p̂² = 0: a second route to the same bounds.
   */
  static double[] roots(int k, int n) {
    double z2 = Wilson.Z95 * Wilson.Z95, p = (double) k / n;
    double a = 1 + z2 / n, b = -(2 * p + z2 / n), c = p * p;
    double root = Math.sqrt(b * b - 4 * a * c);
    return new double[] {(-b - root) / (2 * a), (-b + root) / (2 * a)};
  }

  @Test
  void knownAnswers() {
    // worked by hand from the formula, to three places
    assertInterval(0.0, 0.434, Wilson.of(0, 5));
    assertInterval(0.566, 1.0, Wilson.of(5, 5));
    assertInterval(0.376, 0.964, Wilson.of(4, 5));
    assertInterval(0.036, 0.624, Wilson.of(1, 5));
    // 3 of 3 seeds: too few for the lower bound to reach one half
    assertInterval(0.439, 1.0, Wilson.of(3, 3));
    assertInterval(0.0, 0.793, Wilson.of(0, 1));
  }

  private static void assertInterval(double lower, double upper, Wilson w) {
    assertEquals(lower, w.lower(), 5e-4, () -> "lower bound of " + w);
    assertEquals(upper, w.upper(), 5e-4, () -> "upper bound of " + w);
  }

  @Test
  void agreesWithTheQuadraticsRootsForEveryCountUpToTwenty() {
    for (int n = 1; n <= 20; n++) {
      for (int k = 0; k <= n; k++) {
        Wilson w = Wilson.of(k, n);
        double[] r = roots(k, n);
        assertEquals(r[0], w.lower(), 1e-12, k + "/" + n);
        assertEquals(r[1], w.upper(), 1e-12, k + "/" + n);
        double share = (double) k / n;
        assertTrue(w.lower() <= share && share <= w.upper(), k + "/" + n + " holds its share");
      }
    }
  }

  @Test
  void noneAndAllReachTheEndsExactly() {
    for (int n = 1; n <= 50; n++) {
      assertEquals(0.0, Wilson.of(0, n).lower());
      assertEquals(1.0, Wilson.of(n, n).upper());
      // symmetric: k of n succeeding is n − k failing
      assertEquals(1 - Wilson.of(0, n).upper(), Wilson.of(n, n).lower(), 1e-12);
    }
  }

  @Test
  void refusesNoTrialsAndImpossibleCounts() {
    var none = assertThrows(IllegalArgumentException.class, () -> Wilson.of(0, 0));
    assertTrue(none.getMessage().contains("at least one trial"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Wilson.of(-1, 3));
    assertThrows(IllegalArgumentException.class, () -> Wilson.of(4, 3));
  }
}
