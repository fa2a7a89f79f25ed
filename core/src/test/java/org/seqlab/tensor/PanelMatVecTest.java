package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link PanelMatVec}: a known answer, the packed layout itself, and random shapes against {@link
 * MatMul#gemmNNSingleThread}, which computes every element by the same chain of fused multiply-adds
 * and so must give the same bits, whole or split into panel ranges.
 */
class PanelMatVecTest {

  private static final int P = PanelMatVec.PANEL;

  private static float[] random(SplittableRandom rng, int length) {
    float[] data = new float[length];
    for (int i = 0; i < length; i++) data[i] = (float) rng.nextDouble(-1, 1);
    return data;
  }

  @Test
  void knownAnswer() {
    // B = [[1, 2, 3], [4, 5, 6]], a = [10, 100], c starts at [1, 1, 1]
    float[] packed = PanelMatVec.pack(2, 3, new float[] {1, 2, 3, 4, 5, 6}, 0, 3);
    float[] c = {1, 1, 1};
    PanelMatVec.multiplyAdd(2, 3, 0, 3, new float[] {10, 100}, 0, packed, 0, c, 0);
    assertArrayEquals(new float[] {411, 521, 631}, c);
  }

  @Test
  void packedElementsLieWhereTheLayoutSays() {
    int k = 5, n = 2 * P + 3, ldb = n + 2, bOff = 1;
    float[] b = random(new SplittableRandom(1), bOff + k * ldb);
    float[] packed = PanelMatVec.pack(k, n, b, bOff, ldb);
    assertEquals(k * n, packed.length);
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < n; j++) {
        int q0 = j / P * P;
        int width = Math.min(P, n - q0);
        assertEquals(
            b[bOff + p * ldb + j],
            packed[q0 * k + p * width + (j - q0)],
            "B[" + p + ", " + j + "]");
      }
    }
  }

  @Test
  void equalsTheRowMajorKernelBitForBit() {
    SplittableRandom rng = new SplittableRandom(7);
    int[] ks = {1, 3, 17, 64, 129};
    int[] ns = {1, 5, P - 1, P, P + 1, 3 * P + 7, 4 * P};
    for (int k : ks) {
      for (int n : ns) {
        int ldb = n + rng.nextInt(3),
            bOff = rng.nextInt(4),
            aOff = rng.nextInt(4),
            cOff = rng.nextInt(4);
        float[] b = random(rng, bOff + k * ldb);
        float[] a = random(rng, aOff + k);
        float[] expected = random(rng, cOff + n + 2);
        float[] actual = expected.clone();
        MatMul.gemmNNSingleThread(1, n, k, a, aOff, k, b, bOff, ldb, expected, cOff, n);
        float[] packed = PanelMatVec.pack(k, n, b, bOff, ldb);
        // in two ranges split on a panel boundary, as two threads would compute it
        int split = Math.min(n, (n / P + 1) / 2 * P);
        PanelMatVec.multiplyAdd(k, n, split, n, a, aOff, packed, 0, actual, cOff);
        PanelMatVec.multiplyAdd(k, n, 0, split, a, aOff, packed, 0, actual, cOff);
        assertArrayEquals(expected, actual, "k=" + k + ", n=" + n);
      }
    }
  }

  @Test
  void rejectsRangesOffThePanels() {
    float[] packed = new float[2 * P + 1];
    float[] a = {1};
    float[] c = new float[2 * P + 1];
    assertThrows(
        IllegalArgumentException.class,
        () -> PanelMatVec.multiplyAdd(1, 2 * P + 1, 1, P, a, 0, packed, 0, c, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> PanelMatVec.multiplyAdd(1, 2 * P + 1, 0, P + 1, a, 0, packed, 0, c, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> PanelMatVec.multiplyAdd(1, 2 * P + 1, P, 2 * P + 2, a, 0, packed, 0, c, 0));
  }
}
