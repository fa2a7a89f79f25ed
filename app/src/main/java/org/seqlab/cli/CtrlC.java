package org.seqlab.cli;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C during long work: the JVM's shutdown asks the work to stop ({@code cancel}) and then waits
 * until the work has returned, so that what it writes on the way out (a checkpoint, the finished
 * rows, the summary) is written before the process ends.
 */
public final class CtrlC {
  private CtrlC() {}

  /** Work that may fail with an I/O error. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code work}; a Ctrl-C meanwhile calls {@code cancel} and holds the shutdown until {@code
   * work} returns, or {@code waitSeconds} have passed.
   */
  public static <T> T cancels(Runnable cancel, int waitSeconds, Work<T> work) throws IOException {
    CountDownLatch finished = new CountDownLatch(1);
    Thread onInterrupt =
        new Thread(
            () -> {
              cancel.run();
              try {
                finished.await(waitSeconds, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    try {
      return work.run();
    } finally {
      // Only now may a Ctrl-C's shutdown go on: what the work writes on its way out is written.
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(onInterrupt);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it has seen the latch
      }
    }
  }
}
