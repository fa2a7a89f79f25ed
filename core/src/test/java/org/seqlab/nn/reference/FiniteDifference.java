package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

/**
 * Central finite differences in double precision: {@code dL/dx_i ≈ (L(x + ε e_i) - L(x - ε e_i)) /
 * 2ε} with {@code ε = 1e-6}, compared with an analytic gradient entry by entry.
 */
final class FiniteDifference {
  static final double EPS = 1e-6;

  /** Allowed |analytic - numeric| is ATOL + RTOL * max(|analytic|, |numeric|). */
  static final double RTOL = 1e-5;

  static final double ATOL = 1e-8;

  private FiniteDifference() {}

  /**
   * Checks every entry of {@code analytic} against the numerical derivative of {@code loss} with
   * respect to {@code x}. {@code loss} must recompute everything from the live array {@code x}.
   *
   * @return the largest relative error seen, for reporting
   */
  static double check(String name, double[] x, double[] analytic, DoubleSupplier loss) {
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      double saved = x[i];
      x[i] = saved + EPS;
      double plus = loss.getAsDouble();
      x[i] = saved - EPS;
      double minus = loss.getAsDouble();
      x[i] = saved;
      double numeric = (plus - minus) / (2 * EPS);
      double scale = Math.max(Math.abs(analytic[i]), Math.abs(numeric));
      double error = Math.abs(analytic[i] - numeric);
      if (error > ATOL + RTOL * scale) {
        fail(name + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + numeric);
      }
      if (scale > 0) worst = Math.max(worst, error / scale);
    }
    return worst;
  }
}
