package org.seqlab.tensor;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Threads that start one measured piece of work at the same instant, for the probes of the
 * machine's limits ({@link FmaPeak}, {@link ReadBandwidth}): the time counts from the first
 * thread's start to the last thread's end, so a core that is busy with other work lowers the
 * figure, as it lowers every kernel's.
 */
final class StartTogether {
  private StartTogether() {}

  /**
   * Starts {@code threads} threads named {@code name-0, name-1, ...}; each first runs {@code
   * prepare} (untimed: compiling the loop, loading its data into the thread's own caches), which
   * returns the work to time; once every thread is ready they all run their work.
   *
   * @return seconds from the start of the first thread's work to the end of the last one's
   */
  static double seconds(int threads, String name, Supplier<Runnable> prepare) {
    // The clock starts when the first thread starts its work and stops when the last one ends,
    // both read by the workers themselves: the calling thread may not run again until they finish.
    CyclicBarrier startLine = new CyclicBarrier(threads);
    AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastEnd = new AtomicLong();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] =
          new Thread(
              () -> {
                Runnable work = prepare.get();
                await(startLine, name);
                firstStart.accumulateAndGet(System.nanoTime(), Math::min);
                work.run();
                lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
              },
              name + "-" + t);
      workers[t].setDaemon(true);
      workers[t].start();
    }
    for (Thread worker : workers) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while measuring (" + name + ")", e);
      }
    }
    return Math.max(lastEnd.get() - firstStart.get(), 1) / 1e9;
  }

  private static void await(CyclicBarrier barrier, String name) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException("the " + name + " threads could not start together", e);
    }
  }
}
