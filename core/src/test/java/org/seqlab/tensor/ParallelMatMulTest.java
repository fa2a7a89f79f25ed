package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Products split over threads give exactly the single-thread result, whatever the shape. */
class ParallelMatMulTest {
  private final int savedThreads = Parallel.threads();

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
  }

  static float[] random(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
    return a;
  }

  interface Gemm {
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

  private static float[] product(
      Gemm gemm,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float[] a,
      float[] b,
      float[] c0,
      int threads) {
    Parallel.setThreads(threads);
    float[] c = c0.clone();
    int lda = transA ? m : k, ldb = transB ? k : n;
    gemm.run(m, n, k, a, 0, lda, b, 0, ldb, c, 0, n);
    return c;
  }

  @Test
  void everyFormIsBitIdenticalAcrossThreadCounts() {
    SplittableRandom r = new SplittableRandom(7);
    int[][] shapes = {
      {1, 300, 200},
      {3, 97, 129},
      {65, 33, 47},
      {257, 64, 17},
      {128, 128, 128},
      {2, 1, 40000},
      {40, 515, 300},
      {33, 70, 2100},
      {9, 100, 140000}
    };
    for (int[] s : shapes) {
      int m = s[0], n = s[1], k = s[2];
      float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
      for (int threads : new int[] {2, 3, 8}) {
        assertArrayEquals(
            product(MatMul::gemmNN, false, false, m, n, k, a, b, c0, 1),
            product(MatMul::gemmNN, false, false, m, n, k, a, b, c0, threads),
            "NN " + m + "x" + n + "x" + k);
        float[] bt = random(r, n * k);
        assertArrayEquals(
            product(MatMul::gemmNT, false, true, m, n, k, a, bt, c0, 1),
            product(MatMul::gemmNT, false, true, m, n, k, a, bt, c0, threads),
            "NT " + m + "x" + n + "x" + k);
        float[] at = random(r, k * m);
        assertArrayEquals(
            product(MatMul::gemmTN, true, false, m, n, k, at, b, c0, 1),
            product(MatMul::gemmTN, true, false, m, n, k, at, b, c0, threads),
            "TN " + m + "x" + n + "x" + k);
      }
    }
  }

  @Test
  void forRangeCoversEveryItemExactlyOnce() {
    Parallel.setThreads(3);
    for (int n : new int[] {0, 1, 2, 5, 1000, 1001}) {
      AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
      Parallel.forRange(
          n,
          1L << 20,
          (from, to) -> {
            for (int i = from; i < to; i++) seen.incrementAndGet(i);
          });
      for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "item " + i + " of " + n);
    }
  }

  @Test
  void badThreadCountIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    assertEquals("threads must be between 1 and 4096, got 0", e.getMessage());
  }
}
