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
 * <p>Products of more than {@link #SMALL_PRODUCT} multiply-adds run on {@link VectorMatMul}'s
 * packed, register-blocked vector kernel; smaller ones on {@link ScalarMatMul}, the plain loops
 * that define the same result. Either way the sums are accumulated in float, like every BLAS, and
 * the result is bit-identical whatever the number of threads.
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
    if (isSmall(m, n, k)) {
      ScalarMatMul.gemmNN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else {
      // C[i,j] += Σ_p A[i,p] · B[p,j]: rows of B are packed as they are, A is broadcast.
      VectorMatMul.product(m, n, k, a, aOff, lda, 1, b, bOff, ldb, 1, c, cOff, ldc, 1);
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
   * a row of B. Same arguments as {@link #gemmNN}, with row {@code j} of B at {@code bOff +
   * j*ldb}.
   */
  public static void gemmNT(
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    if (isSmall(m, n, k)) {
      ScalarMatMul.gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else if (m <= DOT_PRODUCT_ROWS) {
      // A few rows (one recurrent step of a small batch): transposing B into panels would cost
      // about as much as the product, so take dot products of the rows as they lie.
      VectorMatMul.dotProducts(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else {
      // C[i,j] += Σ_p A[i,p] · B[j,p]: B^T is packed (one transposition), A is broadcast.
      VectorMatMul.product(m, n, k, a, aOff, lda, 1, b, bOff, 1, ldb, c, cOff, ldc, 1);
    }
  }

  /**
   * {@code C[m,n] += A[k,m]^T · B[k,n]}: a sum of outer products of rows of A and B. Same
   * arguments as {@link #gemmNN}, with row {@code p} of A at {@code aOff + p*lda}.
   */
  public static void gemmTN(
      int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    if (isSmall(m, n, k)) {
      ScalarMatMul.gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    } else {
      // C[i,j] += Σ_p A[p,i] · B[p,j]: rows of B are packed as they are, A is broadcast.
      VectorMatMul.product(m, n, k, a, aOff, 1, lda, b, bOff, ldb, 1, c, cOff, ldc, 1);
    }
  }

  /** Multiply-adds below which packing costs more than it saves. */
  static final long SMALL_PRODUCT = 1L << 12;

  /**
   * Rows of A up to which {@link #gemmNT} takes dot products rather than packing B^T: measured on
   * AVX-512, dot products win below 32 rows and tie at 32 (k = 256), packing wins from 64 up.
   */
  static final int DOT_PRODUCT_ROWS = 32;

  private static boolean isSmall(int m, int n, int k) {
    return (long) m * n * k < SMALL_PRODUCT;
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
