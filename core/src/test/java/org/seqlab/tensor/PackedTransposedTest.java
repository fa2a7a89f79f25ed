package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MatMul#gemmNT(int, float[], int, int, MatMul.PackedTransposed, float[], int, int)} with B
 * packed once gives the bits of {@link MatMul#gemmNT} wherever that runs on the packed kernel,
 * however the rows are cut into blocks.
 */
class PackedTransposedTest {
  private final int savedThreads = Parallel.threads();

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] data = new float[size];
    for (int i = 0; i < size; i++) data[i] = (float) r.nextDouble(-1, 1);
    return data;
  }

  @Test
  void blocksOfRowsGiveTheBitsOfOneWholeProduct() {
    // n not a multiple of the panels, k above one depth block (256) and below, B at an offset
    // with a leading dimension wider than its rows.
    int[][] sizes = {{100, 37, 19}, {70, 1024, 300}, {33, 45, 256}, {300, 3, 5}};
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      for (int[] size : sizes) {
        int m = size[0], n = size[1], k = size[2];
        assertTrue(MatMul.gemmNTUsesPackedKernel(m, n, k), m + "x" + n + "x" + k);
        SplittableRandom r = new SplittableRandom(m + n + k);
        float[] a = random(r, m * k);
        int bOff = 3, ldb = k + 2;
        float[] b = random(r, bOff + n * ldb);
        float[] whole = new float[m * n];
        MatMul.gemmNT(m, n, k, a, 0, k, b, bOff, ldb, whole, 0, n);
        MatMul.PackedTransposed packed = MatMul.packTransposed(n, k, b, bOff, ldb);
        float[] blocks = new float[m * n];
        // uneven blocks, some of fewer rows than the kernel's tile and than gemmNT's threshold
        for (int first = 0, size2 = 1; first < m; first += size2, size2 = size2 * 2 + 1) {
          int rows = Math.min(size2, m - first);
          MatMul.gemmNT(rows, a, first * k, k, packed, blocks, first * n, n);
        }
        assertArrayEquals(whole, blocks, m + "x" + n + "x" + k + ", threads " + threads);
      }
    }
  }

  @Test
  void smallProductsAreReportedAsTakingAnotherKernel() {
    assertFalse(MatMul.gemmNTUsesPackedKernel(32, 1024, 256), "few rows: dot products");
    assertFalse(MatMul.gemmNTUsesPackedKernel(40, 4, 4), "tiny: the plain loops");
    assertTrue(MatMul.gemmNTUsesPackedKernel(33, 1024, 256));
    assertThrows(
        IllegalArgumentException.class, () -> MatMul.packTransposed(0, 3, new float[0], 0, 3));
  }
}
