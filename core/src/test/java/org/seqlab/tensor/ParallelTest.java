package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
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
      // Afterwards the same loop is split again: one of its two chunks runs on a worker (the
      // caller's chunk takes long enough that the worker, even woken from parking, starts first
      // and the caller does not take the chunk back).
      Parallel.forRange(
          64,
          Parallel.MIN_PARALLEL_WORK,
          (from, to) -> {
            if (from == 0) sleep(200);
            countOthers.run(from, to);
          });
      assertEquals(1, elsewhere.get(0));
    } finally {
      Parallel.setThreads(saved);
    }
  }

  @Test
  void aFailingChunkFailsTheLoopAndTheWorkersServeTheNextOne() {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(2);
      IllegalStateException thrown =
          assertThrows(
              IllegalStateException.class,
              () ->
                  Parallel.forRange(
                      2,
                      Parallel.MIN_PARALLEL_WORK,
                      (from, to) -> {
                        if (from > 0) throw new IllegalStateException("chunk " + from);
                      }));
      assertEquals("chunk 1", thrown.getMessage());
      AtomicIntegerArray visits = new AtomicIntegerArray(10);
      Parallel.forRange(
          10,
          Parallel.MIN_PARALLEL_WORK,
          (from, to) -> {
            for (int i = from; i < to; i++) visits.incrementAndGet(i);
          });
      for (int i = 0; i < 10; i++) assertEquals(1, visits.get(i), "item " + i);
    } finally {
      Parallel.setThreads(saved);
    }
  }

  /**
   * Loops started on two threads at once: the workers serve one of them at a time and the other
   * runs on its caller's thread, and every item of every loop is visited exactly once, long after
   * the workers have had time to park between loops.
   */
  @Test
  void loopsFromTwoThreadsAtOnceEachVisitEveryItemOnce() throws InterruptedException {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(3);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Runnable loops =
          () -> {
            try {
              for (int round = 0; round < 2_000; round++) {
                int n = 1 + round % 37;
                AtomicIntegerArray visits = new AtomicIntegerArray(n);
                Parallel.RangeBody body =
                    (from, to) -> {
                      for (int i = from; i < to; i++) visits.incrementAndGet(i);
                    };
                if (round % 2 == 0) {
                  Parallel.forRange(n, Parallel.MIN_PARALLEL_WORK, body);
                } else {
                  Parallel.forRangeBalanced(n, 5, Parallel.MIN_PARALLEL_WORK, body);
                }
                for (int i = 0; i < n; i++) {
                  if (visits.get(i) != 1) {
                    throw new AssertionError("round " + round + ": item " + i + " of " + n);
                  }
                }
                if (round % 500 == 0) Thread.sleep(2); // the workers park, and must be woken
              }
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            }
          };
      Thread other = new Thread(loops);
      other.start();
      loops.run();
      other.join();
      assertSame(null, failure.get(), () -> String.valueOf(failure.get()));
    } finally {
      Parallel.setThreads(saved);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
