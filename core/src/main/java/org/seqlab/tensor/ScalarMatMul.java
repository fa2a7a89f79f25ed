package org.seqlab.tensor;

/**
 * The plain-loop twin of {@link MatMul}: the same three forms, the same arguments and the same
 * meaning ({@code C += op(A) op(B)}), written as the textbook loops. It is the readable definition
 * the fast kernels are checked against, the path for products too small to pay for packing, and the
 * baseline of the benchmarks.
 *
 * <p>Loops are ordered so the innermost one walks contiguous memory, and accumulate in float like
 * every BLAS does. Rows of C are split over threads with {@link Parallel#forRange}; every element
 * is summed in the same order whatever the split.
 */
public final class ScalarMatMul {
  private ScalarMatMul() {}

  /**
   * {@code C[m,n] += A[m,k] · B[k,n]}.
   *
   * @param c output, modified; row {@code i} starts at {@code cOff + i*ldc}
   * @param a left operand; row {@code i} starts at {@code aOff + i*lda}
   * @param b right operand; row {@code p} starts at {@code bOff + p*ldb}
   */
  public static void gemmNN(
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    // Rows of C are independent: each thread takes a block of them.
    Parallel.forRange(
        m,
        (long) n * k,
        (from, to) -> gemmNNRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmNNRows(
      int rowFrom,
      int rowTo,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    for (int i = rowFrom; i < rowTo; i++) {
      int ci = cOff + i * ldc;
      int ai = aOff + i * lda;
      for (int p = 0; p < k; p++) {
        float aip = a[ai + p];
        int bp = bOff + p * ldb;
        for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
  }

  /**
   * {@code C[m,n] += A[m,k] · B[n,k]^T}: every output element is the dot product of a row of A and
   * a row of B.
   */
  public static void gemmNT(
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    Parallel.forRange(
        m,
        (long) n * k,
        (from, to) -> gemmNTRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmNTRows(
      int rowFrom,
      int rowTo,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    for (int i = rowFrom; i < rowTo; i++) {
      int ai = aOff + i * lda;
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        int bj = bOff + j * ldb;
        float s = 0f;
        for (int p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[ci + j] += s;
      }
    }
  }

  /** {@code C[m,n] += A[k,m]^T · B[k,n]}: a sum of outer products of rows of A and B. */
  public static void gemmTN(
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    // Each thread owns a block of C's rows and sums the outer products over all of k for them, in
    // the same order as one thread would: the result does not depend on the thread count.
    Parallel.forRange(
        m,
        (long) n * k,
        (from, to) -> gemmTNRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmTNRows(
      int rowFrom,
      int rowTo,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    for (int p = 0; p < k; p++) {
      int ap = aOff + p * lda;
      int bp = bOff + p * ldb;
      for (int i = rowFrom; i < rowTo; i++) {
        float api = a[ap + i];
        int ci = cOff + i * ldc;
        for (int j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
      }
    }
  }
}
