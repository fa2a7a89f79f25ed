package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
   * would cost more than the product. Arguments as in {@link #gemmNN}.
   *
   * <p>Each element of C is one fixed sequence, {@code c = fma(A[i,p], B[p,j], c)} for {@code p = 0
   * .. k-1} in order, whichever tile computes it, so a row's result does not depend on {@code m} or
   * on which rows are computed together: splitting a batch over threads gives the same bits.
   *
   * <p>B is read as it lies, a row of {@code n} at a time, so nothing is packed per call: the
   * caller lays B out once for many calls (a recurrent layer transposes {@code W_hh} once per pass,
   * not once per step). Tiles of {@link #TILE_ROWS} rows × {@link #TILE_VECTORS} vectors keep their
   * sums in registers (6 × 4 = 24 sums where there are 32 vector registers, 6 × 2 where there are
   * 16); a single row (batch 1) takes 4 vectors at a time, which is what hides the latency of the
   * multiply-add chain when every element of B is used once.
   */
  public static void gemmNNSingleThread(
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
    int i = 0;
    for (; i + TILE_ROWS <= m; i += TILE_ROWS) {
      if (TILE_ROWS == 6) { // a constant: the compiled loop keeps one of the two
        sixRows(n, k, a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc);
      } else {
        eightRows(n, k, a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc);
      }
    }
    // The rows left over, two at a time where there are two: each element of B loaded then serves
    // both, where one row at a time would read all of B again for each.
    for (; i + 2 <= m; i += 2) {
      twoRows(n, k, a, aOff + i * lda, lda, b, bOff, ldb, c, cOff + i * ldc, ldc);
    }
    if (i < m) oneRow(n, k, a, aOff + i * lda, b, bOff, ldb, c, cOff + i * ldc);
  }

  /**
   * Two rows of A (at {@code a0} and {@code a0 + lda}) times B, added into two rows of C: four
   * vectors of columns at a time, 8 sums, each the same chain as {@link #oneRow}'s.
   */
  private static void twoRows(
      int n,
      int k,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int c0,
      int ldc) {
    int a1 = a0 + lda, c1 = c0 + ldc;
    int j = 0;
    for (; j + 4 * LANES <= n; j += 4 * LANES) {
      FloatVector s00 = FloatVector.fromArray(SPECIES, c, c0 + j);
      FloatVector s01 = FloatVector.fromArray(SPECIES, c, c0 + j + LANES);
      FloatVector s02 = FloatVector.fromArray(SPECIES, c, c0 + j + 2 * LANES);
      FloatVector s03 = FloatVector.fromArray(SPECIES, c, c0 + j + 3 * LANES);
      FloatVector s10 = FloatVector.fromArray(SPECIES, c, c1 + j);
      FloatVector s11 = FloatVector.fromArray(SPECIES, c, c1 + j + LANES);
      FloatVector s12 = FloatVector.fromArray(SPECIES, c, c1 + j + 2 * LANES);
      FloatVector s13 = FloatVector.fromArray(SPECIES, c, c1 + j + 3 * LANES);
      for (int p = 0; p < k; p++) {
        int bp = bOff + p * ldb + j;
        FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
        FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
        FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * LANES);
        FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * LANES);
        FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
        s00 = x.fma(b0, s00);
        s01 = x.fma(b1, s01);
        s02 = x.fma(b2, s02);
        s03 = x.fma(b3, s03);
        x = FloatVector.broadcast(SPECIES, a[a1 + p]);
        s10 = x.fma(b0, s10);
        s11 = x.fma(b1, s11);
        s12 = x.fma(b2, s12);
        s13 = x.fma(b3, s13);
      }
      s00.intoArray(c, c0 + j);
      s01.intoArray(c, c0 + j + LANES);
      s02.intoArray(c, c0 + j + 2 * LANES);
      s03.intoArray(c, c0 + j + 3 * LANES);
      s10.intoArray(c, c1 + j);
      s11.intoArray(c, c1 + j + LANES);
      s12.intoArray(c, c1 + j + 2 * LANES);
      s13.intoArray(c, c1 + j + 3 * LANES);
    }
    rowColumns(j, n, k, a, a0, b, bOff, ldb, c, c0);
    rowColumns(j, n, k, a, a1, b, bOff, ldb, c, c1);
  }

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /**
   * Rows of {@link #gemmNNSingleThread}'s register tile, as {@link VectorMatMul#TILE_ROWS} chooses
   * (6, or 8 where the system property {@code seqlab.tileRows} asks for the 8 × 2 tile). A caller
   * that hands it whole tiles of rows reads this.
   */
  public static final int TILE_ROWS = VectorMatMul.TILE_ROWS;

  /**
   * Depth steps the packed products sum in registers before adding to C ({@link
   * VectorMatMul#DEPTH_BLOCK}): a product whose depth is a multiple of it can be cut into products
   * of this depth, added one after another in the same order, with the same bits. A caller that
   * sums a product over pieces of its depth sizes them by this.
   */
  public static final int DEPTH_BLOCK = VectorMatMul.DEPTH_BLOCK;

  /**
   * Vectors of columns in the register tile ({@link VectorMatMul#TILE_VECTORS}): 4 for the 6-row
   * tile where there are 32 vector registers, else 2.
   */
  public static final int TILE_VECTORS = VectorMatMul.TILE_VECTORS;

  /**
   * Rows {@code 0..5} of A (at {@code a0}) times B, added into rows {@code 0..5} of C: {@link
   * #eightRows} for a tile of six, the same sequence for every element. Where 24 sums fit in the
   * registers ({@link #TILE_VECTORS} = 4) the columns go 4 vectors at a time first (24 FMAs per 4
   * loads of B and 6 broadcasts), then 2, then one row at a time.
   */
  private static void sixRows(
      int n,
      int k,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int c0,
      int ldc) {
    int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
    int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
    int j = 0;
    if (TILE_VECTORS == 4) { // a constant: where 24 sums fit in the registers, 4 vectors first
      for (; j + 4 * LANES <= n; j += 4 * LANES) {
        int j1 = j + LANES, j2 = j + 2 * LANES, j3 = j + 3 * LANES;
        FloatVector s00 = FloatVector.fromArray(SPECIES, c, c0 + j),
            s01 = FloatVector.fromArray(SPECIES, c, c0 + j1),
            s02 = FloatVector.fromArray(SPECIES, c, c0 + j2),
            s03 = FloatVector.fromArray(SPECIES, c, c0 + j3);
        FloatVector s10 = FloatVector.fromArray(SPECIES, c, c1 + j),
            s11 = FloatVector.fromArray(SPECIES, c, c1 + j1),
            s12 = FloatVector.fromArray(SPECIES, c, c1 + j2),
            s13 = FloatVector.fromArray(SPECIES, c, c1 + j3);
        FloatVector s20 = FloatVector.fromArray(SPECIES, c, c2 + j),
            s21 = FloatVector.fromArray(SPECIES, c, c2 + j1),
            s22 = FloatVector.fromArray(SPECIES, c, c2 + j2),
            s23 = FloatVector.fromArray(SPECIES, c, c2 + j3);
        FloatVector s30 = FloatVector.fromArray(SPECIES, c, c3 + j),
            s31 = FloatVector.fromArray(SPECIES, c, c3 + j1),
            s32 = FloatVector.fromArray(SPECIES, c, c3 + j2),
            s33 = FloatVector.fromArray(SPECIES, c, c3 + j3);
        FloatVector s40 = FloatVector.fromArray(SPECIES, c, c4 + j),
            s41 = FloatVector.fromArray(SPECIES, c, c4 + j1),
            s42 = FloatVector.fromArray(SPECIES, c, c4 + j2),
            s43 = FloatVector.fromArray(SPECIES, c, c4 + j3);
        FloatVector s50 = FloatVector.fromArray(SPECIES, c, c5 + j),
            s51 = FloatVector.fromArray(SPECIES, c, c5 + j1),
            s52 = FloatVector.fromArray(SPECIES, c, c5 + j2),
            s53 = FloatVector.fromArray(SPECIES, c, c5 + j3);
        for (int p = 0; p < k; p++) {
          int bp = bOff + p * ldb + j;
          FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
          FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
          FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * LANES);
          FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * LANES);
          FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
          s00 = x.fma(b0, s00);
          s01 = x.fma(b1, s01);
          s02 = x.fma(b2, s02);
          s03 = x.fma(b3, s03);
          x = FloatVector.broadcast(SPECIES, a[a1 + p]);
          s10 = x.fma(b0, s10);
          s11 = x.fma(b1, s11);
          s12 = x.fma(b2, s12);
          s13 = x.fma(b3, s13);
          x = FloatVector.broadcast(SPECIES, a[a2 + p]);
          s20 = x.fma(b0, s20);
          s21 = x.fma(b1, s21);
          s22 = x.fma(b2, s22);
          s23 = x.fma(b3, s23);
          x = FloatVector.broadcast(SPECIES, a[a3 + p]);
          s30 = x.fma(b0, s30);
          s31 = x.fma(b1, s31);
          s32 = x.fma(b2, s32);
          s33 = x.fma(b3, s33);
          x = FloatVector.broadcast(SPECIES, a[a4 + p]);
          s40 = x.fma(b0, s40);
          s41 = x.fma(b1, s41);
          s42 = x.fma(b2, s42);
          s43 = x.fma(b3, s43);
          x = FloatVector.broadcast(SPECIES, a[a5 + p]);
          s50 = x.fma(b0, s50);
          s51 = x.fma(b1, s51);
          s52 = x.fma(b2, s52);
          s53 = x.fma(b3, s53);
        }
        s00.intoArray(c, c0 + j);
        s01.intoArray(c, c0 + j1);
        s02.intoArray(c, c0 + j2);
        s03.intoArray(c, c0 + j3);
        s10.intoArray(c, c1 + j);
        s11.intoArray(c, c1 + j1);
        s12.intoArray(c, c1 + j2);
        s13.intoArray(c, c1 + j3);
        s20.intoArray(c, c2 + j);
        s21.intoArray(c, c2 + j1);
        s22.intoArray(c, c2 + j2);
        s23.intoArray(c, c2 + j3);
        s30.intoArray(c, c3 + j);
        s31.intoArray(c, c3 + j1);
        s32.intoArray(c, c3 + j2);
        s33.intoArray(c, c3 + j3);
        s40.intoArray(c, c4 + j);
        s41.intoArray(c, c4 + j1);
        s42.intoArray(c, c4 + j2);
        s43.intoArray(c, c4 + j3);
        s50.intoArray(c, c5 + j);
        s51.intoArray(c, c5 + j1);
        s52.intoArray(c, c5 + j2);
        s53.intoArray(c, c5 + j3);
      }
    }
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
      int h = j + LANES;
      FloatVector s00 = FloatVector.fromArray(SPECIES, c, c0 + j),
          s01 = FloatVector.fromArray(SPECIES, c, c0 + h);
      FloatVector s10 = FloatVector.fromArray(SPECIES, c, c1 + j),
          s11 = FloatVector.fromArray(SPECIES, c, c1 + h);
      FloatVector s20 = FloatVector.fromArray(SPECIES, c, c2 + j),
          s21 = FloatVector.fromArray(SPECIES, c, c2 + h);
      FloatVector s30 = FloatVector.fromArray(SPECIES, c, c3 + j),
          s31 = FloatVector.fromArray(SPECIES, c, c3 + h);
      FloatVector s40 = FloatVector.fromArray(SPECIES, c, c4 + j),
          s41 = FloatVector.fromArray(SPECIES, c, c4 + h);
      FloatVector s50 = FloatVector.fromArray(SPECIES, c, c5 + j),
          s51 = FloatVector.fromArray(SPECIES, c, c5 + h);
      for (int p = 0; p < k; p++) {
        int bp = bOff + p * ldb + j;
        FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
        FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
        FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
        s00 = x.fma(b0, s00);
        s01 = x.fma(b1, s01);
        x = FloatVector.broadcast(SPECIES, a[a1 + p]);
        s10 = x.fma(b0, s10);
        s11 = x.fma(b1, s11);
        x = FloatVector.broadcast(SPECIES, a[a2 + p]);
        s20 = x.fma(b0, s20);
        s21 = x.fma(b1, s21);
        x = FloatVector.broadcast(SPECIES, a[a3 + p]);
        s30 = x.fma(b0, s30);
        s31 = x.fma(b1, s31);
        x = FloatVector.broadcast(SPECIES, a[a4 + p]);
        s40 = x.fma(b0, s40);
        s41 = x.fma(b1, s41);
        x = FloatVector.broadcast(SPECIES, a[a5 + p]);
        s50 = x.fma(b0, s50);
        s51 = x.fma(b1, s51);
      }
      s00.intoArray(c, c0 + j);
      s01.intoArray(c, c0 + h);
      s10.intoArray(c, c1 + j);
      s11.intoArray(c, c1 + h);
      s20.intoArray(c, c2 + j);
      s21.intoArray(c, c2 + h);
      s30.intoArray(c, c3 + j);
      s31.intoArray(c, c3 + h);
      s40.intoArray(c, c4 + j);
      s41.intoArray(c, c4 + h);
      s50.intoArray(c, c5 + j);
      s51.intoArray(c, c5 + h);
    }
    if (j < n) {
      // Fewer than two vectors of columns left: row by row, the same sequence per element.
      for (int r = 0; r < 6; r++) {
        rowColumns(j, n, k, a, a0 + r * lda, b, bOff, ldb, c, c0 + r * ldc);
      }
    }
  }

  /** Rows {@code 0..7} of A (at {@code a0}) times B, added into rows {@code 0..7} of C. */
  private static void eightRows(
      int n,
      int k,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int c0,
      int ldc) {
    int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda;
    int a7 = a6 + lda;
    int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc;
    int c7 = c6 + ldc;
    int j = 0;
    for (; j + 2 * LANES <= n; j += 2 * LANES) {
      int h = j + LANES;
      FloatVector s00 = FloatVector.fromArray(SPECIES, c, c0 + j),
          s01 = FloatVector.fromArray(SPECIES, c, c0 + h);
      FloatVector s10 = FloatVector.fromArray(SPECIES, c, c1 + j),
          s11 = FloatVector.fromArray(SPECIES, c, c1 + h);
      FloatVector s20 = FloatVector.fromArray(SPECIES, c, c2 + j),
          s21 = FloatVector.fromArray(SPECIES, c, c2 + h);
      FloatVector s30 = FloatVector.fromArray(SPECIES, c, c3 + j),
          s31 = FloatVector.fromArray(SPECIES, c, c3 + h);
      FloatVector s40 = FloatVector.fromArray(SPECIES, c, c4 + j),
          s41 = FloatVector.fromArray(SPECIES, c, c4 + h);
      FloatVector s50 = FloatVector.fromArray(SPECIES, c, c5 + j),
          s51 = FloatVector.fromArray(SPECIES, c, c5 + h);
      FloatVector s60 = FloatVector.fromArray(SPECIES, c, c6 + j),
          s61 = FloatVector.fromArray(SPECIES, c, c6 + h);
      FloatVector s70 = FloatVector.fromArray(SPECIES, c, c7 + j),
          s71 = FloatVector.fromArray(SPECIES, c, c7 + h);
      for (int p = 0; p < k; p++) {
        int bp = bOff + p * ldb + j;
        FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
        FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
        FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
        s00 = x.fma(b0, s00);
        s01 = x.fma(b1, s01);
        x = FloatVector.broadcast(SPECIES, a[a1 + p]);
        s10 = x.fma(b0, s10);
        s11 = x.fma(b1, s11);
        x = FloatVector.broadcast(SPECIES, a[a2 + p]);
        s20 = x.fma(b0, s20);
        s21 = x.fma(b1, s21);
        x = FloatVector.broadcast(SPECIES, a[a3 + p]);
        s30 = x.fma(b0, s30);
        s31 = x.fma(b1, s31);
        x = FloatVector.broadcast(SPECIES, a[a4 + p]);
        s40 = x.fma(b0, s40);
        s41 = x.fma(b1, s41);
        x = FloatVector.broadcast(SPECIES, a[a5 + p]);
        s50 = x.fma(b0, s50);
        s51 = x.fma(b1, s51);
        x = FloatVector.broadcast(SPECIES, a[a6 + p]);
        s60 = x.fma(b0, s60);
        s61 = x.fma(b1, s61);
        x = FloatVector.broadcast(SPECIES, a[a7 + p]);
        s70 = x.fma(b0, s70);
        s71 = x.fma(b1, s71);
      }
      s00.intoArray(c, c0 + j);
      s01.intoArray(c, c0 + h);
      s10.intoArray(c, c1 + j);
      s11.intoArray(c, c1 + h);
      s20.intoArray(c, c2 + j);
      s21.intoArray(c, c2 + h);
      s30.intoArray(c, c3 + j);
      s31.intoArray(c, c3 + h);
      s40.intoArray(c, c4 + j);
      s41.intoArray(c, c4 + h);
      s50.intoArray(c, c5 + j);
      s51.intoArray(c, c5 + h);
      s60.intoArray(c, c6 + j);
      s61.intoArray(c, c6 + h);
      s70.intoArray(c, c7 + j);
      s71.intoArray(c, c7 + h);
    }
    if (j < n) {
      // Fewer than two vectors of columns left: row by row, the same sequence per element.
      for (int r = 0; r < 8; r++) {
        rowColumns(j, n, k, a, a0 + r * lda, b, bOff, ldb, c, c0 + r * ldc);
      }
    }
  }

  /** One row of A (at {@code ai}) times B, added into one row of C (at {@code ci}). */
  private static void oneRow(
      int n, int k, float[] a, int ai, float[] b, int bOff, int ldb, float[] c, int ci) {
    int j = 0;
    for (; j + 4 * LANES <= n; j += 4 * LANES) {
      FloatVector s0 = FloatVector.fromArray(SPECIES, c, ci + j);
      FloatVector s1 = FloatVector.fromArray(SPECIES, c, ci + j + LANES);
      FloatVector s2 = FloatVector.fromArray(SPECIES, c, ci + j + 2 * LANES);
      FloatVector s3 = FloatVector.fromArray(SPECIES, c, ci + j + 3 * LANES);
      for (int p = 0; p < k; p++) {
        int bp = bOff + p * ldb + j;
        FloatVector x = FloatVector.broadcast(SPECIES, a[ai + p]);
        s0 = x.fma(FloatVector.fromArray(SPECIES, b, bp), s0);
        s1 = x.fma(FloatVector.fromArray(SPECIES, b, bp + LANES), s1);
        s2 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 2 * LANES), s2);
        s3 = x.fma(FloatVector.fromArray(SPECIES, b, bp + 3 * LANES), s3);
      }
      s0.intoArray(c, ci + j);
      s1.intoArray(c, ci + j + LANES);
      s2.intoArray(c, ci + j + 2 * LANES);
      s3.intoArray(c, ci + j + 3 * LANES);
    }
    rowColumns(j, n, k, a, ai, b, bOff, ldb, c, ci);
  }

  /** Columns {@code [from, n)} of one row: whole vectors, then one column at a time. */
  private static void rowColumns(
      int from, int n, int k, float[] a, int ai, float[] b, int bOff, int ldb, float[] c, int ci) {
    int j = from;
    for (; j + LANES <= n; j += LANES) {
      FloatVector s = FloatVector.fromArray(SPECIES, c, ci + j);
      for (int p = 0; p < k; p++) {
        s =
            FloatVector.broadcast(SPECIES, a[ai + p])
                .fma(FloatVector.fromArray(SPECIES, b, bOff + p * ldb + j), s);
      }
      s.intoArray(c, ci + j);
    }
    for (; j < n; j++) {
      float s = c[ci + j];
      for (int p = 0; p < k; p++) s = Math.fma(a[ai + p], b[bOff + p * ldb + j], s);
      c[ci + j] = s;
    }
  }

  /**
   * {@code C[m,n] += A[m,k] · B[n,k]^T}: every output element is the dot product of a row of A and
   * a row of B. Same arguments as {@link #gemmNN}, with row {@code j} of B at {@code bOff + j*ldb}.
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
   * The right operand {@code B [n, k]} of {@link #gemmNT} laid out once for the packed kernel
   * ({@link #packTransposed}), for many products with the same B: a recurrent layer's input
   * projection {@code x_t W_ih^T}, done a few steps at a time, packs {@code W_ih} once per pass
   * instead of once per chunk of steps.
   */
  public static final class PackedTransposed {
    private final int n;
    private final int k;
    private final float[] panels;

    private PackedTransposed(int n, int k, float[] panels) {
      this.n = n;
      this.k = k;
      this.panels = panels;
    }

    /** The columns of the products, B's rows. */
    public int columns() {
      return n;
    }

    /** The depth of the products, B's columns. */
    public int depth() {
      return k;
    }
  }

  /**
   * {@code B [n, k]} (row {@code j} at {@code bOff + j*ldb}) packed for {@link #gemmNT(int,
   * float[], int, int, PackedTransposed, float[], int, int)}.
   */
  public static PackedTransposed packTransposed(int n, int k, float[] b, int bOff, int ldb) {
    if (n < 1 || k < 1) {
      throw new IllegalArgumentException("packTransposed needs n, k >= 1, got n=" + n + ", k=" + k);
    }
    return new PackedTransposed(n, k, VectorMatMul.pack(n, k, b, bOff, 1, ldb));
  }

  /**
   * {@code C[m,n] += A[m,k] · B[n,k]^T} with B packed by {@link #packTransposed}, always on the
   * packed kernel. Each element is computed exactly as {@link #gemmNT} computes it whenever {@link
   * #gemmNTUsesPackedKernel} holds for its arguments, whatever {@code m} is here: a product of many
   * rows done a block of rows at a time gives the same bits as done whole.
   */
  public static void gemmNT(
      int m, float[] a, int aOff, int lda, PackedTransposed b, float[] c, int cOff, int ldc) {
    VectorMatMul.productPacked(m, b.n, b.k, a, aOff, lda, 1, b.panels, c, cOff, ldc, 1);
  }

  /**
   * Whether {@link #gemmNT} of these sizes runs on the packed kernel, and so computes every element
   * as {@link #gemmNT(int, float[], int, int, PackedTransposed, float[], int, int)} does; smaller
   * products take other kernels, whose sums are ordered differently.
   */
  public static boolean gemmNTUsesPackedKernel(int m, int n, int k) {
    return !isSmall(m, n, k) && m > DOT_PRODUCT_ROWS;
  }

  /**
   * {@code C[m,n] += A[k,m]^T · B[k,n]}: a sum of outer products of rows of A and B. Same arguments
   * as {@link #gemmNN}, with row {@code p} of A at {@code aOff + p*lda}.
   */
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
