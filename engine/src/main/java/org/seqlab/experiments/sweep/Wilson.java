package org.seqlab.experiments.sweep;

/**
 * The Wilson score interval for a share of successes: with k successes in n trials, p̂ = k/n and z
 * = 1.959964 (95%),
 *
 * <pre>
 *   centre = (p̂ + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
 *   [lower, upper] = centre ∓ half
 * </pre>
 *
 * Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1] and does not shrink to a point at 0/n or
 * n/n, which is what a handful of seeds needs: 3 of 3 seeds solving a task is [0.44, 1], not 1.
 *
 * @param lower the lower bound of the share, in [0, 1]
 * @param upper the upper bound, in [lower, 1]
 */
public record Wilson(double lower, double upper) {

  /** The normal quantile for a two-sided 95% interval. */
  public static final double Z95 = 1.959964;

  public Wilson {
    if (!(0 <= lower && lower <= upper && upper <= 1)) {
      throw new IllegalArgumentException("a Wilson interval needs 0 ≤ lower ≤ upper ≤ 1");
    }
  }

  /**
   * The 95% interval for {@code successes} of {@code trials}.
   *
   * @throws IllegalArgumentException if there are no trials, or the successes are not in [0,
   *     trials]
   */
  public static Wilson of(int successes, int trials) {
    if (trials <= 0) {
      throw new IllegalArgumentException(
          "a Wilson interval needs at least one trial, not " + trials);
    }
    if (successes < 0 || successes > trials) {
      throw new IllegalArgumentException(
          "successes must be in [0, " + trials + "], not " + successes);
    }
    double n = trials, p = successes / n, z2 = Z95 * Z95;
    double denominator = 1 + z2 / n;
    double centre = (p + z2 / (2 * n)) / denominator;
    double half = Z95 / denominator * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    // at 0/n and n/n the bound is 0 or 1 exactly; rounding must not push it outside
    double lower = successes == 0 ? 0 : Math.max(0, centre - half);
    double upper = successes == trials ? 1 : Math.min(1, centre + half);
    return new Wilson(lower, upper);
  }
}
