package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.seqlab.tensor.Tensor;

/**
 * Central-difference checks of float32 layers: perturb one float entry by {@code ±EPS}, evaluate
 * the loss in double from the float forward pass, compare with the analytic gradient. Float32
 * rounding makes these loose; the tight double-precision checks are against a double reference.
 */
final class GradientCheck {
  /** The step for smooth functions: large enough that float32 rounding of the loss stays small. */
  static final float EPS = 1e-2f;

  static final double RELATIVE_TOLERANCE = 2e-2;

  /** Below this magnitude an entry is judged by the absolute error alone. */
  static final double ABSOLUTE_TOLERANCE = 1e-3;

  private GradientCheck() {}

  static Tensor random(SplittableRandom rng, double scale, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextDouble(-1, 1) * scale);
    return t;
  }

  /** {@code Σ a ⊙ b} in double. */
  static double dot(Tensor a, Tensor b) {
    float[] x = a.data();
    float[] y = b.data();
    if (x.length != y.length) throw new IllegalArgumentException(a + " vs " + b);
    double s = 0;
    for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
    return s;
  }

  /**
   * Compares {@code analytic} with central differences of {@code loss} with respect to every entry
   * of {@code value}, stepping by {@code eps}; returns a description of each failing entry (empty
   * when all pass).
   */
  static List<String> compare(
      String name, Tensor value, Tensor analytic, float eps, DoubleSupplier loss) {
    List<String> failures = new ArrayList<>();
    float[] v = value.data();
    for (int i = 0; i < v.length; i++) {
      float saved = v[i];
      v[i] = saved + eps;
      double plus = loss.getAsDouble();
      v[i] = saved - eps;
      double minus = loss.getAsDouble();
      v[i] = saved;
      // Divide by the step actually taken: saved ± EPS is rounded to float.
      double numeric = (plus - minus) / ((double) (saved + eps) - (double) (saved - eps));
      double exact = analytic.data()[i];
      double error = Math.abs(numeric - exact);
      if (error > ABSOLUTE_TOLERANCE
          && error > RELATIVE_TOLERANCE * Math.max(Math.abs(numeric), Math.abs(exact))) {
        failures.add(name + "[" + i + "]: analytic " + exact + ", numeric " + numeric);
      }
    }
    return failures;
  }

  static void assertNoFailures(List<String> failures) {
    assertTrue(
        failures.isEmpty(),
        () -> failures.size() + " gradient entries differ:\n" + String.join("\n", failures));
  }

  /** Fails unless {@code t} has at least one entry of magnitude above {@code floor}. */
  static void assertNotNegligible(String name, Tensor t, double floor) {
    double max = 0;
    for (float x : t.data()) max = Math.max(max, Math.abs(x));
    final double found = max;
    assertTrue(
        found > floor,
        () -> name + " is negligible (max |entry| " + found + "), the check would prove nothing");
  }
}
