package org.seqlab.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.seqlab.tensor.NumpyRandom;

class SpectralTest {

  @Test
  void diagonalMatrixRadiusIsLargestAbsoluteEntry() {
    double[] m = {0.5, 0, 0, 0, -2.0, 0, 0, 0, 1.5};
    assertEquals(2.0, Spectral.spectralRadius(m, 3), 1e-12);
    assertEquals(2.0, Spectral.spectralNorm(m, 3), 1e-12);
  }

  @Test
  void rotationHasComplexEigenvaluesOfModulusScale() {
    // 0.9 · rotation by 30°: eigenvalues 0.9·e^{±iπ/6}, no real eigenvalue at all.
    double c = 0.9 * Math.cos(Math.PI / 6);
    double s = 0.9 * Math.sin(Math.PI / 6);
    double[] m = {c, -s, s, c};
    assertEquals(0.9, Spectral.spectralRadius(m, 2), 1e-12);
    assertEquals(0.9, Spectral.spectralNorm(m, 2), 1e-12);
  }

  @Test
  void radiusAndNormDifferForNonNormalMatrix() {
    // Upper triangular: eigenvalues 0.5, 0.5; ‖M‖₂ = σ_max of [[0.5, 3], [0, 0.5]].
    double[] m = {0.5, 3, 0, 0.5};
    assertEquals(0.5, Spectral.spectralRadius(m, 2), 1e-9);
    // σ² are the eigenvalues of MᵀM = [[0.25, 1.5], [1.5, 9.25]].
    double trace = 9.5;
    double det = 0.25 * 9.25 - 1.5 * 1.5;
    double sigmaMax = Math.sqrt((trace + Math.sqrt(trace * trace - 4 * det)) / 2);
    assertEquals(sigmaMax, Spectral.spectralNorm(m, 2), 1e-12);
  }

  @Test
  void randomMatrixRadiusMatchesGrowthOfPowers() {
    int n = 12;
    double[] m = new NumpyRandom(3).randn(n, n);
    double radius = Spectral.spectralRadius(m, n);
    // Gelfand: ‖M^k v‖^{1/k} → ρ(M). Renormalise each step and add the logs of the growth.
    double[] v = new NumpyRandom(4).randn(n);
    int steps = 4000;
    double logGrowth = 0;
    for (int k = 0; k < steps; k++) {
      double[] next = new double[n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) next[i] += m[i * n + j] * v[j];
      }
      double norm = 0;
      for (double x : next) norm += x * x;
      norm = Math.sqrt(norm);
      logGrowth += Math.log(norm);
      for (int i = 0; i < n; i++) v[i] = next[i] / norm;
    }
    double growthRate = Math.exp(logGrowth / steps);
    assertEquals(radius, growthRate, 0.01 * radius);
    assertTrue(radius <= Spectral.spectralNorm(m, n) + 1e-12, "ρ ≤ ‖M‖₂");
  }

  @Test
  void scalingReachesTargetAndKeepsInput() {
    int n = 8;
    double[] m = new NumpyRandom(5).randn(n, n);
    double[] original = m.clone();
    double before = Spectral.spectralRadius(m, n);
    double[] scaled = Spectral.scaleToSpectralRadius(m, n, 0.95);
    assertEquals(0.95, Spectral.spectralRadius(scaled, n), 1e-12);
    assertArrayEquals(original, m, "input untouched");
    double factor = 0.95 / before;
    for (int i = 0; i < m.length; i++) assertEquals(m[i] * factor, scaled[i], 0);
  }

  @Test
  void scalingRefusesMatricesWithoutNonZeroEigenvalues() {
    double[] zero = new double[9];
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Spectral.scaleToSpectralRadius(zero, 3, 1));
    assertTrue(e.getMessage().contains("spectral radius"), e.getMessage());
    double[] nilpotent = {0, 1, 0, 0, 0, 1, 0, 0, 0};
    assertThrows(
        IllegalArgumentException.class, () -> Spectral.scaleToSpectralRadius(nilpotent, 3, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> Spectral.scaleToSpectralRadius(new double[] {1}, 1, -1));
  }

  @Test
  void refusesMalformedInput() {
    assertThrows(IllegalArgumentException.class, () -> Spectral.spectralRadius(new double[5], 2));
    assertThrows(IllegalArgumentException.class, () -> Spectral.spectralNorm(new double[0], 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> Spectral.spectralRadius(new double[] {1, Double.NaN, 0, 1}, 2));
  }
}
