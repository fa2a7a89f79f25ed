package org.seqlab.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The concurrency primitive of the kernels: split a range of independent items (rows of a matrix
 * product, batch elements) into one contiguous chunk per thread, run them at once, and wait. The
 * caller's thread takes the first chunk, so one thread means a plain loop with no hand-off. {@link
 * #forRangeBalanced} cuts the range finer and lets the threads share the pieces out as they finish,
 * for the matrix products, where a core slowed by other work would otherwise hold up the rest.
 *
 * <p>Work below {@link #MIN_PARALLEL_WORK} multiply-adds stays on the caller's thread: waking a
 * worker costs microseconds, as much as a small product.
 */
public final class Parallel {
  private Parallel() {}

  /** Multiply-adds below which a call runs on the caller's thread alone. */
  public static final long MIN_PARALLEL_WORK = 1L << 15;

  private static volatile int threads = Runtime.getRuntime().availableProcessors();
  private static volatile ForkJoinPool pool = newPool(threads);

  /** The body of a parallel loop: handles items {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  /** Threads the kernels use; by default the number of available processors. */
  public static int threads() {
    return threads;
  }

  /** Sets the threads the kernels use (1 = everything on the caller's thread). */
  public static synchronized void setThreads(int count) {
    if (count < 1 || count > 4096) {
      throw new IllegalArgumentException("threads must be between 1 and 4096, got " + count);
    }
    if (count == threads) return;
    ForkJoinPool old = pool;
    pool = newPool(count);
    threads = count;
    old.shutdown();
  }

  private static ForkJoinPool newPool(int count) {
    return new ForkJoinPool(Math.max(1, count));
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks.
   *
   * @param workPerItem rough multiply-adds per item, to keep small loops on one thread
   */
  public static void forRange(int n, long workPerItem, RangeBody body) {
    int p = threads;
    boolean[] inside = INSIDE.get();
    // A loop nested in a parallel one (a product inside one attention head) runs on its thread:
    // the cores are already busy with the outer loop.
    if (p <= 1 || n < 2 || inside[0] || (long) n * workPerItem < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    int chunks = Math.min(p, n);
    ForkJoinPool workers = pool;
    ForkJoinTask<?>[] others = new ForkJoinTask<?>[chunks - 1];
    for (int c = 1; c < chunks; c++) {
      int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
      others[c - 1] = workers.submit(() -> runInside(body, from, to));
    }
    runInside(body, 0, (int) ((long) n / chunks));
    for (ForkJoinTask<?> task : others) task.join();
  }

  /**
   * Like {@link #forRange}, but the range is cut into {@code pieces} contiguous pieces (more than
   * the threads) that the threads take one after another as they finish, so that a thread slowed by
   * other work on its core takes fewer of them instead of holding up the rest. For loops whose
   * items are independent and may run in any order and on any thread; never for bodies that wait
   * for one another.
   *
   * @param pieces how many pieces to cut {@code [0, n)} into, at most {@code n}
   */
  public static void forRangeBalanced(int n, int pieces, long workPerItem, RangeBody body) {
    int p = threads;
    boolean[] inside = INSIDE.get();
    if (p <= 1 || n < 2 || inside[0] || (long) n * workPerItem < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    int count = Math.max(1, Math.min(n, pieces));
    java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    Runnable takePieces =
        () -> {
          for (int piece = next.getAndIncrement(); piece < count; piece = next.getAndIncrement()) {
            body.run((int) ((long) n * piece / count), (int) ((long) n * (piece + 1) / count));
          }
        };
    int helpers = Math.min(p, count) - 1;
    ForkJoinPool workers = pool;
    ForkJoinTask<?>[] others = new ForkJoinTask<?>[helpers];
    for (int h = 0; h < helpers; h++) {
      others[h] = workers.submit(() -> runInside((from, to) -> takePieces.run(), 0, 0));
    }
    runInside((from, to) -> takePieces.run(), 0, 0);
    for (ForkJoinTask<?> task : others) task.join();
  }

  /**
   * Runs {@code body} with every parallel loop inside it kept on the caller's thread, as if it were
   * one chunk of an outer parallel loop: for a latency path made of many small products (one
   * decoding step at batch 1), where handing each product to other threads costs about as much as
   * the product itself.
   */
  public static void onCallerThread(Runnable body) {
    boolean[] inside = INSIDE.get();
    boolean wasInside = inside[0];
    inside[0] = true;
    try {
      body.run();
    } finally {
      inside[0] = wasInside;
    }
  }

  /** Per thread: true while it runs a chunk of a parallel loop. */
  private static final ThreadLocal<boolean[]> INSIDE =
      ThreadLocal.withInitial(() -> new boolean[1]);

  private static void runInside(RangeBody body, int from, int to) {
    boolean[] inside = INSIDE.get();
    inside[0] = true;
    try {
      body.run(from, to);
    } finally {
      inside[0] = false;
    }
  }
}
