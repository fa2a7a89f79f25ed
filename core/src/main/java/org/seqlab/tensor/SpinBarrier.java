package org.seqlab.tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reusable barrier for a fixed number of parties that wait by spinning: for threads that stay
 * alive through a whole sequence and meet once per step, where a step lasts microseconds and
 * parking a thread (then waking it) would cost as much as the step.
 *
 * <p>Each round counts arrivals; the arrival that completes the count resets it and then advances
 * the round number, which is what the others watch. A waiter spins with {@link Thread#onSpinWait()}
 * for a bounded number of checks and then yields between checks, so that on cores shared with other
 * work a waiting thread gives way to the one it waits for.
 *
 * <p>Memory: everything a party wrote before {@link #await} is visible to every party after it (the
 * count is updated atomically and the round number is volatile).
 *
 * <p>If a party fails, it calls {@link #breakBarrier()} so that the others stop waiting: their
 * {@code await} throws instead of spinning forever.
 */
public final class SpinBarrier {

  /** Checks spent spinning before a waiter starts yielding. */
  static final int SPINS_BEFORE_YIELD = 1 << 14;

  private final int parties;
  private final AtomicInteger arrived = new AtomicInteger();
  private volatile int round;
  private volatile boolean broken;

  /**
   * @throws IllegalArgumentException if {@code parties < 1}
   */
  public SpinBarrier(int parties) {
    if (parties < 1)
      throw new IllegalArgumentException("parties must be at least 1, got " + parties);
    this.parties = parties;
  }

  public int parties() {
    return parties;
  }

  /** Waits until all parties have arrived in this round; arrives as one party. */
  public void await() {
    await(1);
  }

  /**
   * Arrives as {@code shares} parties at once (a thread that does the work of several) and waits
   * until the round is complete.
   *
   * @throws IllegalArgumentException if {@code shares} is not in {@code [1, parties]}
   * @throws IllegalStateException if the barrier is broken, before or while waiting
   */
  public void await(int shares) {
    if (shares < 1 || shares > parties) {
      throw new IllegalArgumentException("shares must be in [1, " + parties + "], got " + shares);
    }
    // The round is read before arriving: it cannot advance until this arrival is counted.
    int current = round;
    if (broken) throw new IllegalStateException("barrier broken: another party failed");
    if (arrived.addAndGet(shares) == parties) {
      arrived.set(0); // before the round advances, so no arrival of the next round is lost
      round = current + 1;
      return;
    }
    int checks = 0;
    while (round == current) {
      if (broken) throw new IllegalStateException("barrier broken: another party failed");
      if (checks < SPINS_BEFORE_YIELD) {
        checks++;
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  /** Releases every waiter, now and later, with an exception: a party has failed. */
  public void breakBarrier() {
    broken = true;
  }
}
