package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The three {@link MatMul} forms against a naive triple loop in double, on odd shapes, with
 * operands placed at offsets inside larger arrays whose leading dimension exceeds the row width.
 */
class MatMulTest {

  private static final int[] SIZES = {0, 1, 3, 7, 17, 33, 65};

  private enum Form {
    NN,
    NT,
    TN
  }

  /** One operand: a {@code rows x cols} matrix at {@code offset} with row stride {@code ld}. */
  private record Operand(float[] data, int offset, int ld, int rows, int cols) {
    static Operand random(SplittableRandom rng, int rows, int cols) {
      int offset = rng.nextInt(5);
      int ld = cols + rng.nextInt(4);
      float[] data = new float[offset + rows * ld + rng.nextInt(3)];
      for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextDouble(-1, 1);
      return new Operand(data, offset, ld, rows, cols);
    }

    double at(int i, int j) {
      return data[offset + i * ld + j];
    }
  }

  /** One of the three forms, as a method reference. */
  private interface Gemm {
    void run(
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
        int ldc);
  }

  private static void check(Form form, int m, int n, int k, SplittableRandom rng) {
    check(form, false, m, n, k, rng);
  }

  private static void check(Form form, boolean scalar, int m, int n, int k, SplittableRandom rng) {
    // Stored shapes: NN A[m,k] B[k,n]; NT A[m,k] B[n,k]; TN A[k,m] B[k,n].
    Operand a = form == Form.TN ? Operand.random(rng, k, m) : Operand.random(rng, m, k);
    Operand b = form == Form.NT ? Operand.random(rng, n, k) : Operand.random(rng, k, n);
    Operand c = Operand.random(rng, m, n); // non-zero: the product must be added to it
    float[] before = c.data().clone();
    switch (form) {
      case NN ->
          (scalar ? (Gemm) ScalarMatMul::gemmNN : (Gemm) MatMul::gemmNN)
              .run(
                  m,
                  n,
                  k,
                  a.data(),
                  a.offset(),
                  a.ld(),
                  b.data(),
                  b.offset(),
                  b.ld(),
                  c.data(),
                  c.offset(),
                  c.ld());
      case NT ->
          (scalar ? (Gemm) ScalarMatMul::gemmNT : (Gemm) MatMul::gemmNT)
              .run(
                  m,
                  n,
                  k,
                  a.data(),
                  a.offset(),
                  a.ld(),
                  b.data(),
                  b.offset(),
                  b.ld(),
                  c.data(),
                  c.offset(),
                  c.ld());
      case TN ->
          (scalar ? (Gemm) ScalarMatMul::gemmTN : (Gemm) MatMul::gemmTN)
              .run(
                  m,
                  n,
                  k,
                  a.data(),
                  a.offset(),
                  a.ld(),
                  b.data(),
                  b.offset(),
                  b.ld(),
                  c.data(),
                  c.offset(),
                  c.ld());
    }
    String where = form + (scalar ? " scalar" : "") + " m=" + m + " n=" + n + " k=" + k;
    boolean[] inside = new boolean[before.length];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double expected = before[c.offset() + i * c.ld() + j];
        double magnitude = Math.abs(expected);
        for (int p = 0; p < k; p++) {
          double left = form == Form.TN ? a.at(p, i) : a.at(i, p);
          double right = form == Form.NT ? b.at(j, p) : b.at(p, j);
          expected += left * right;
          magnitude += Math.abs(left * right);
        }
        int index = c.offset() + i * c.ld() + j;
        inside[index] = true;
        // float accumulation error grows with k and the size of the terms; capped so that a
        // missing block of terms is still caught when k is very large
        assertEquals(
            expected,
            c.data()[index],
            Math.min(1e-6 * (k + 1), 1e-4) * (magnitude + 1),
            where + " at (" + i + "," + j + ")");
      }
    }
    // Nothing outside the m x n window may change: padding, offset, and the rows' tails.
    for (int index = 0; index < before.length; index++) {
      if (!inside[index])
        assertEquals(before[index], c.data()[index], where + " wrote outside C at " + index);
    }
  }

  @Test
  void allFormsMatchANaiveLoopOnOddShapesWithOffsetsAndLeadingDimensions() {
    SplittableRandom rng = new SplittableRandom(61);
    for (Form form : Form.values()) {
      for (int m : SIZES) {
        for (int n : SIZES) {
          for (int k : SIZES) {
            check(form, m, n, k, rng);
          }
        }
      }
    }
  }

  @Test
  void theScalarTwinMatchesANaiveLoop() {
    SplittableRandom rng = new SplittableRandom(67);
    for (Form form : Form.values()) {
      for (int m : SIZES) {
        for (int n : SIZES) {
          check(form, true, m, n, 17, rng);
        }
      }
    }
  }

  /**
   * Shapes one below, at and one above every boundary of the vector kernels: the register tile's
   * rows, the vector width, the packed panel width, the depth block, the rows up to which NT takes
   * dot products, the column chunk a very deep product is packed in, and the block of rows copied
   * into strips at once.
   */
  /**
   * The tile is 6 rows (or the {@code seqlab.tileRows} property's, where the build forces one to
   * test both kernels) and its width follows the machine's registers: 4 vectors of a 6-row tile
   * where 24 sums fit (32 vector registers: more than 8 lanes, or Arm's 4), else 2; a packed panel
   * is one tile wide.
   */
  @Test
  void theTileShapeFollowsTheRegistersOrTheHeightForced() {
    String forced = System.getProperty("seqlab.tileRows");
    int rows = forced != null ? Integer.parseInt(forced) : 6;
    assertEquals(rows, VectorMatMul.TILE_ROWS);
    int vectors = rows == 6 && VectorMatMul.LANES != 8 ? 4 : 2;
    assertEquals(vectors, VectorMatMul.TILE_VECTORS);
    assertEquals(vectors * VectorMatMul.LANES, VectorMatMul.PANEL);
  }

  /**
   * A thread's first product sizes its strip buffer exactly, so a buffer too small for a strip that
   * ends in a partial tile shows there (a thread that made a larger product before would hide it):
   * in a fresh thread, on one thread, the first strip and a few rows more.
   */
  @Test
  void aFreshThreadsFirstStripsFitTheirBuffer() throws Exception {
    int previous = Parallel.threads();
    Parallel.setThreads(1);
    try {
      for (Form form : Form.values()) {
        Throwable[] failure = new Throwable[1];
        Thread fresh =
            new Thread(
                () -> {
                  try {
                    check(
                        form,
                        VectorMatMul.STRIP_ROWS + 5,
                        VectorMatMul.PANEL + 3,
                        VectorMatMul.DEPTH_BLOCK + 7,
                        new SplittableRandom(5));
                  } catch (Throwable e) {
                    failure[0] = e;
                  }
                });
        fresh.start();
        fresh.join();
        if (failure[0] != null) throw new AssertionError(form + " failed", failure[0]);
      }
    } finally {
      Parallel.setThreads(previous);
    }
  }

  /**
   * The single-thread product computes every element as one chain, {@code c = fma(A[i,p], B[p,j],
   * c)} over {@code p} in order from C's value, whichever path takes its row (a tile, a pair of
   * left-over rows, a single row) and its column (whole vectors, four at a time, or one by one):
   * bit for bit that chain, for every row count around the tile and every column count around the
   * vector widths.
   */
  @Test
  void theSingleThreadProductIsOneChainPerElementForEveryRowAndColumn() {
    int lanes = VectorMatMul.LANES, tile = MatMul.TILE_ROWS;
    SplittableRandom rng = new SplittableRandom(17);
    for (int m = 1; m <= 2 * tile + 5; m++) {
      for (int n :
          new int[] {
            1, lanes - 1, 2 * lanes + 3, 4 * lanes, 4 * lanes + 5, 6 * lanes + 1, 9 * lanes
          }) {
        for (int k : new int[] {1, 7, 33}) {
          float[] a = new float[m * k + 3], b = new float[k * n + 5], c = new float[m * n + 2];
          for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
          for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
          for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
          float[] expected = c.clone();
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              float sum = expected[2 + i * n + j];
              for (int p = 0; p < k; p++) sum = Math.fma(a[3 + i * k + p], b[5 + p * n + j], sum);
              expected[2 + i * n + j] = sum;
            }
          }
          MatMul.gemmNNSingleThread(m, n, k, a, 3, k, b, 5, n, c, 2, n);
          assertArrayEquals(expected, c, "m " + m + ", n " + n + ", k " + k);
        }
      }
    }
  }

  @Test
  void vectorKernelsAreExactAroundEveryBlockBoundary() {
    int lanes = VectorMatMul.LANES, panel = VectorMatMul.PANEL, tile = VectorMatMul.TILE_ROWS;
    int depthBlock = VectorMatMul.DEPTH_BLOCK, dotRows = MatMul.DOT_PRODUCT_ROWS;
    int[] rows = {1, tile - 1, tile, tile + 1, 2 * tile + 3, dotRows, dotRows + 1};
    int[] cols = {1, lanes - 1, lanes + 1, panel - 1, panel, panel + 1, 2 * panel + 3};
    int[] depths = {1, lanes - 1, lanes + 1, depthBlock - 1, depthBlock + 1};
    SplittableRandom rng = new SplittableRandom(71);
    for (Form form : Form.values()) {
      for (int m : rows) {
        for (int n : cols) {
          for (int k : depths) {
            check(form, m, n, k, rng);
          }
        }
      }
      // Many panel groups, and a depth so long that the packed operand is cut into column chunks.
      check(form, 2 * tile + 1, VectorMatMul.PANELS_PER_BLOCK * panel + 5, 300, rng);
      check(form, tile + 1, 3 * panel + 7, 140_000, rng);
      check(form, 3, 3 * panel + 7, 140_000, rng);
      // Rows of S copied into strips a block of STRIP_ROWS at a time: around that block's end.
      for (int m : new int[] {VectorMatMul.STRIP_ROWS - 3, VectorMatMul.STRIP_ROWS + 5}) {
        check(form, m, panel + 3, depthBlock + 7, rng);
      }
    }
  }

  /**
   * {@code C += A^T B} (by the vector kernel) copies A's rows into strips of a tile's rows before
   * the kernel reads them: with A exactly {@code [k, m]} in its array, {@code m} around multiples
   * of the tile, over several depth blocks, panel groups and a strip block's end, on one thread and
   * on all, every element is bit for bit the product's defined sequence: per depth block a chain of
   * fused multiply-adds from zero, then one addition into C.
   */
  @Test
  void stripsOfATransposedOperandGiveEachElementItsSequenceBitForBit() {
    int tile = VectorMatMul.TILE_ROWS, panel = VectorMatMul.PANEL;
    int depthBlock = VectorMatMul.DEPTH_BLOCK;
    int previous = Parallel.threads();
    SplittableRandom rng = new SplittableRandom(29);
    try {
      for (int threads : new int[] {1, previous}) {
        Parallel.setThreads(threads);
        for (int m : new int[] {tile, 3 * tile, 3 * tile + 2, VectorMatMul.STRIP_ROWS + tile}) {
          for (int n : new int[] {panel + 3, VectorMatMul.PANELS_PER_BLOCK * panel + panel}) {
            // the shortest depth that the vector kernel takes (smaller products take the scalar
            // one), and one of several depth blocks
            int shortest = (int) (MatMul.SMALL_PRODUCT / ((long) m * n)) + 1;
            for (int k : new int[] {shortest, 2 * depthBlock + 5}) {
              float[] a = new float[k * m], b = new float[k * n], c = new float[m * n];
              for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
              for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
              for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
              float[] expected = c.clone();
              for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                  for (int p0 = 0; p0 < k; p0 += depthBlock) {
                    float sum = 0;
                    for (int p = p0; p < Math.min(k, p0 + depthBlock); p++) {
                      sum = Math.fma(a[p * m + i], b[p * n + j], sum);
                    }
                    expected[i * n + j] += sum;
                  }
                }
              }
              MatMul.gemmTN(m, n, k, a, 0, m, b, 0, n, c, 0, n);
              assertArrayEquals(
                  expected, c, threads + " thread(s), m " + m + ", n " + n + ", k " + k);
            }
          }
        }
      }
    } finally {
      Parallel.setThreads(previous);
    }
  }

  @Test
  void knownAnswerForEachForm() {
    float[] a = {1, 2, 3, 4, 5, 6}; // [2,3]
    float[] b = {7, 8, 9, 10, 11, 12}; // [3,2] for NN, [2,3] for NT
    float[] nn = {1, 1, 1, 1};
    MatMul.gemmNN(2, 2, 3, a, 0, 3, b, 0, 2, nn, 0, 2);
    assertArrayEquals(new float[] {59, 65, 140, 155}, nn);
    float[] nt = new float[4];
    MatMul.gemmNT(2, 2, 3, a, 0, 3, b, 0, 3, nt, 0, 2);
    assertArrayEquals(new float[] {50, 68, 122, 167}, nt);
    float[] tn = new float[9]; // A^T [3,2] · B[2,3]
    MatMul.gemmTN(3, 3, 2, a, 0, 3, b, 0, 3, tn, 0, 3);
    assertArrayEquals(new float[] {47, 52, 57, 64, 71, 78, 81, 90, 99}, tn);
  }

  @Test
  void tensorFormsCheckShapes() {
    Tensor a = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor c = Tensor.zeros(2, 2);
    var wrong =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> MatMul.matmul(a, Tensor.zeros(2, 2), c));
    assertTrue(
        wrong.getMessage().contains("right operand has shape [2, 2], expected [3, 2]"),
        wrong.getMessage());
    MatMul.matmulTransB(a, a, c);
    assertArrayEquals(new float[] {14, 32, 32, 77}, c.data());
  }
}
