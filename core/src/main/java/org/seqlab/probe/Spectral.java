package org.seqlab.probe;

import java.util.Arrays;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Spectral quantities of a square recurrent weight matrix, the numbers that decide whether
 * backpropagation through time vanishes or explodes.
 *
 * <p>For {@code h_t = tanh(W_h h_{t-1} + …)} the gradient moves one step back as {@code ∂L/∂h_{t-1}
 * = W_hᵀ (tanh'(z_t) ⊙ ∂L/∂h_t)}, with {@code 0 < tanh' ≤ 1}. Hence
 *
 * <ul>
 *   <li>the <b>spectral norm</b> {@code ‖W_h‖₂ = σ_max(W_h)} bounds every single step: {@code
 *       ‖∂L/∂h_{t-1}‖ ≤ ‖W_h‖₂ ‖∂L/∂h_t‖};
 *   <li>the <b>spectral radius</b> {@code ρ(W_h) = max |λ_i(W_h)|} is the long-run rate when {@code
 *       tanh' ≈ 1}: {@code ‖(W_hᵀ)^k‖^{1/k} → ρ(W_h)} (Gelfand's formula), so {@code ρ < 1}
 *       vanishes and {@code ρ > 1} explodes, and {@code ρ ≤ ‖W_h‖₂} always.
 * </ul>
 *
 * <p>Matrices are {@code n × n}, row-major in a {@code double[]} of length {@code n²}, and are
 * never modified.
 */
public final class Spectral {

  /**
   * Below {@code RADIUS_FLOOR · ‖M‖₂} a spectral radius is rounding noise (a nilpotent matrix has
   * computed eigenvalues of order {@code ε^{1/n} ‖M‖}), so scaling it to a target would be
   * meaningless.
   */
  public static final double RADIUS_FLOOR = 1e-10;

  private Spectral() {}

  /**
   * {@code ρ(M) = max_i |λ_i(M)|}, the largest eigenvalue modulus of a general (non-symmetric) real
   * matrix, from EJML's eigenvalue decomposition. Complex eigenvalues count with their modulus
   * {@code √(re² + im²)}.
   *
   * @throws IllegalArgumentException if {@code m} is not {@code n × n} or holds NaN or infinity
   * @throws IllegalStateException if the eigenvalue iteration does not converge
   */
  public static double spectralRadius(double[] m, int n) {
    DMatrixRMaj matrix = checkedCopy(m, n);
    EigenDecomposition_F64<DMatrixRMaj> eigen = DecompositionFactory_DDRM.eig(n, false);
    if (!eigen.decompose(matrix)) {
      throw new IllegalStateException(
          "eigenvalue decomposition of the " + n + "×" + n + " matrix did not converge");
    }
    double radius = 0;
    for (int i = 0; i < eigen.getNumberOfEigenvalues(); i++) {
      Complex_F64 lambda = eigen.getEigenvalue(i);
      radius = Math.max(radius, Math.hypot(lambda.real, lambda.imaginary));
    }
    return radius;
  }

  /**
   * {@code ‖M‖₂ = σ_max(M) = max_{‖v‖=1} ‖M v‖}, the largest singular value, from EJML's singular
   * value decomposition.
   *
   * @throws IllegalArgumentException if {@code m} is not {@code n × n} or holds NaN or infinity
   * @throws IllegalStateException if the decomposition does not converge
   */
  public static double spectralNorm(double[] m, int n) {
    DMatrixRMaj matrix = checkedCopy(m, n);
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(n, n, false, false, true);
    if (!svd.decompose(matrix)) {
      throw new IllegalStateException(
          "singular value decomposition of the " + n + "×" + n + " matrix did not converge");
    }
    double largest = 0;
    double[] singularValues = svd.getSingularValues();
    for (int i = 0; i < svd.numberOfSingularValues(); i++) {
      largest = Math.max(largest, singularValues[i]);
    }
    return largest;
  }

  /**
   * A copy of {@code M} scaled to spectral radius {@code target}: {@code M' = (target / ρ(M)) · M}.
   * Eigenvalues scale with the matrix, so {@code ρ(M') = target} (up to the rounding of the
   * eigenvalue solver) and the eigenvectors, hence the direction of the dynamics, are unchanged.
   *
   * @throws IllegalArgumentException if {@code target} is negative or not finite, or if {@code ρ(M)
   *     ≤ RADIUS_FLOOR · ‖M‖₂} (for instance the zero matrix or a nilpotent one): no factor gives
   *     such a matrix a non-zero radius
   */
  public static double[] scaleToSpectralRadius(double[] m, int n, double target) {
    if (!(target >= 0) || Double.isInfinite(target)) {
      throw new IllegalArgumentException(
          "target spectral radius must be finite and >= 0, got " + target);
    }
    double radius = spectralRadius(m, n);
    double norm = spectralNorm(m, n);
    if (radius == 0 || radius <= RADIUS_FLOOR * norm) {
      throw new IllegalArgumentException(
          "the matrix has spectral radius "
              + radius
              + " (norm "
              + norm
              + "): its eigenvalues are all zero, so no scaling reaches radius "
              + target);
    }
    double factor = target / radius;
    double[] scaled = new double[m.length];
    for (int i = 0; i < m.length; i++) scaled[i] = m[i] * factor;
    return scaled;
  }

  private static DMatrixRMaj checkedCopy(double[] m, int n) {
    if (n < 1) throw new IllegalArgumentException("matrix size must be at least 1, got " + n);
    if ((long) n * n != m.length) {
      throw new IllegalArgumentException(
          "a " + n + "×" + n + " matrix needs " + (long) n * n + " values, got " + m.length);
    }
    for (int i = 0; i < m.length; i++) {
      if (!Double.isFinite(m[i])) {
        throw new IllegalArgumentException(
            "matrix entry ("
                + i / n
                + ", "
                + i % n
                + ") is "
                + m[i]
                + "; spectra need finite values");
      }
    }
    // EJML may decompose in place; the caller's array stays untouched.
    return new DMatrixRMaj(n, n, true, Arrays.copyOf(m, m.length));
  }
}
