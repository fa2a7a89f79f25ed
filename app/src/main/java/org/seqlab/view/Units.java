package org.seqlab.view;

/**
 * Numbers with their units, as a person reads them: {@code 31.2k}, {@code 2m10s}. The formatting is
 * the engine's ({@link org.seqlab.experiments.Units}), so the terminal, the reports and the lab say
 * the same.
 */
public final class Units {
  private Units() {}

  /** A count with a k or M suffix: {@code 950}, {@code 31.2k}, {@code 1.25M}. */
  public static String count(double n) {
    return org.seqlab.experiments.Units.count(n);
  }

  /** A duration: {@code 4.2s}, {@code 2m10s}, {@code 1h05m}. */
  public static String duration(double seconds) {
    return org.seqlab.experiments.Units.duration(seconds);
  }
}
