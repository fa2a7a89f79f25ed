package org.seqlab.tensor;

/**
 * Matrix products on row-major float arrays, always accumulating into the output: {@code C += op(A)
 * op(B)}. Operands are addressed by array, offset and leading dimension (the row stride), so a
 * step's {@code [B, F]} slice of a {@code [T, B, F]} sequence or one gate block of a weight matrix
 * is used in place, without copying.
 *
 * <p>The three forms are exactly those that a layer with PyTorch-layout weights {@code W [out, in]}
 * needs: forward {@code y += x W^T} ({@link #gemmNT}), input gradient {@code dx += dy W} ({@link
 * #gemmNN}), weight gradient {@code dW += dy^T x} ({@link #gemmTN}).
 *
 * <p>Loops are ordered so the innermost one walks contiguous memory, and accumulate in float like
 * every BLAS does.
 */
public final class MatMul {
  private MatMul() {}

  /**
   * {@code C[m,n] += A[m,k] · B[k,n]}.
   *
   * @param c output, modified; row {@code i} starts at {@code cOff + i*ldc}
   * @param a left operand; row {@code i} starts at {@code aOff + i*lda}
   * @param b right operand; row {@code p} starts at {@code bOff + p*ldb}
   */
  public static void gemmNN(
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    // Rows of C are independent: each thread takes a block of them.
    Parallel.forRange(m, (long) n * k, (from, to) -> gemmNNRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmNNRows(
      int rowFrom, int rowTo, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
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
   * {@code C[m,n] += A[m,k] · B[k,n]} on the caller's thread alone, allocating nothing: for a
   * product that is already one slice of a parallel loop (a recurrent step on one thread's batch
   * rows) or that sits on a latency path (one streamed step), where handing work to other threads
   * would cost more than the product.
   *
   * <p>Each element of C is one fixed sequence, {@code c = fma(A[i,p], B[p,j], c)} for {@code p =
   * 0 .. k-1} in order, so a row's result does not depend on {@code m} or on which rows are
   * computed together. Arguments as in {@link #gemmNN}.
   */
  public static void gemmNNSingleThread(
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      int ai = aOff + i * lda;
      int p = 0;
      // Four rows of B per pass over the row of C: a quarter of the loads and stores of C.
      for (; p + 4 <= k; p += 4) {
        float a0 = a[ai + p], a1 = a[ai + p + 1], a2 = a[ai + p + 2], a3 = a[ai + p + 3];
        int b0 = bOff + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (int j = 0; j < n; j++) {
          float sum = Math.fma(a0, b[b0 + j], c[ci + j]);
          sum = Math.fma(a1, b[b1 + j], sum);
          sum = Math.fma(a2, b[b2 + j], sum);
          c[ci + j] = Math.fma(a3, b[b3 + j], sum);
        }
      }
      for (; p < k; p++) {
        float aip = a[ai + p];
        int bp = bOff + p * ldb;
        for (int j = 0; j < n; j++) c[ci + j] = Math.fma(aip, b[bp + j], c[ci + j]);
      }
    }
  }

  /**
   * {@code C[m,n] += A[m,k] · B[n,k]^T}: every output element is the dot product of a row of A and
   * a row of B.
   */
  public static void gemmNT(
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    Parallel.forRange(m, (long) n * k, (from, to) -> gemmNTRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmNTRows(
      int rowFrom, int rowTo, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
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
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    // Each thread owns a block of C's rows and sums the outer products over all of k for them, in
    // the same order as one thread would: the result does not depend on the thread count.
    Parallel.forRange(m, (long) n * k, (from, to) -> gemmTNRows(from, to, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
  }

  private static void gemmTNRows(
      int rowFrom, int rowTo, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
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

  /** {@code C[m,n] += A[m,k] · B[k,n]} on whole tensors. */
  public static void matmul(Tensor a, Tensor b, Tensor c) {
    int m = a.dim(0), k = a.dim(1), n = b.dim(1);
    b.requireShape("right operand", k, n);
    c.requireShape("output", m, n);
    gemmNN(m, n, k, a.data(), 0, k, b.data(), 0, n, c.data(), 0, n);
  }

  /** {@code C[m,n] += A[m,k] · B[n,k]^T} on whole tensors. */
  public static void matmulTransB(Tensor a, Tensor b, Tensor c) {
    int m = a.dim(0), k = a.dim(1), n = b.dim(0);
    b.requireShape("right operand", n, k);
    c.requireShape("output", m, n);
    gemmNT(m, n, k, a.data(), 0, k, b.data(), 0, k, c.data(), 0, n);
  }

  /** {@code C[m,n] += A[k,m]^T · B[k,n]} on whole tensors. */
  public static void matmulTransA(Tensor a, Tensor b, Tensor c) {
    int k = a.dim(0), m = a.dim(1), n = b.dim(1);
    b.requireShape("right operand", k, n);
    c.requireShape("output", m, n);
    gemmTN(m, n, k, a.data(), 0, m, b.data(), 0, n, c.data(), 0, n);
  }
}
