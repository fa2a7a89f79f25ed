package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

  @Test
  void balancedLoopsVisitEveryItemOnceInContiguousPieces() {
    int saved = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2, 3}) {
        Parallel.setThreads(threads);
        for (int n : new int[] {1, 2, 7, 100, 1001}) {
          for (int pieces : new int[] {1, 3, 8, 5000}) {
            AtomicIntegerArray visits = new AtomicIntegerArray(n);
            AtomicIntegerArray calls = new AtomicIntegerArray(1);
            // Enough work per item that the loop is split between threads.
            Parallel.forRangeBalanced(
                n,
                pieces,
                Parallel.MIN_PARALLEL_WORK,
                (from, to) -> {
                  assertTrue(0 <= from && from < to && to <= n, "[" + from + ", " + to + ")");
                  calls.incrementAndGet(0);
                  for (int i = from; i < to; i++) visits.incrementAndGet(i);
                });
            for (int i = 0; i < n; i++) {
              assertEquals(1, visits.get(i), "item " + i + " of " + n + ", " + pieces + " pieces");
            }
            int expectedCalls = threads == 1 || n < 2 ? 1 : Math.min(n, pieces);
            assertEquals(expectedCalls, calls.get(0), "n " + n + ", pieces " + pieces);
          }
        }
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }

  @Test
  void onCallerThreadKeepsNestedLoopsOnTheCallersThreadAndRestoresThem() {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(2);
      Thread caller = Thread.currentThread();
      AtomicIntegerArray elsewhere = new AtomicIntegerArray(1);
      Parallel.RangeBody countOthers =
          (from, to) -> {
            if (Thread.currentThread() != caller) elsewhere.incrementAndGet(0);
          };
      Parallel.onCallerThread(
          () -> {
            Parallel.forRange(64, Parallel.MIN_PARALLEL_WORK, countOthers);
            Parallel.forRangeBalanced(64, 8, Parallel.MIN_PARALLEL_WORK, countOthers);
          });
      assertEquals(0, elsewhere.get(0));
      // Afterwards the same loop is split again: one of its two chunks runs on a worker.
      Parallel.forRange(64, Parallel.MIN_PARALLEL_WORK, countOthers);
      assertEquals(1, elsewhere.get(0));
    } finally {
      Parallel.setThreads(saved);
    }
  }
}
