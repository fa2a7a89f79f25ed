package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SpinBarrier} over many rounds: nobody leaves a round before everyone has arrived (no early
 * release), and everyone leaves every round (no lost release, or the test times out).
 */
class SpinBarrierTest {

  private static final int ROUNDS = 5_000;

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void everyRoundReleasesAllPartiesAndOnlyWhenAllHaveArrived(int parties) {
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          SpinBarrier barrier = new SpinBarrier(parties);
          AtomicIntegerArray arrivals = new AtomicIntegerArray(ROUNDS);
          AtomicIntegerArray departures = new AtomicIntegerArray(ROUNDS);
          // Each party also writes a plain array between rounds: after the barrier, every party
          // must see what every other party wrote before it.
          int[][] written = new int[parties][ROUNDS];
          ExecutorService threads = Executors.newFixedThreadPool(parties);
          try {
            List<Future<?>> running = new ArrayList<>();
            for (int p = 0; p < parties; p++) {
              int party = p;
              running.add(
                  threads.submit(
                      () -> {
                        for (int r = 0; r < ROUNDS; r++) {
                          written[party][r] = r + 1;
                          arrivals.incrementAndGet(r);
                          barrier.await();
                          assertEquals(parties, arrivals.get(r), "released early in round " + r);
                          for (int other = 0; other < parties; other++) {
                            assertEquals(
                                r + 1, written[other][r], "write not visible in round " + r);
                          }
                          departures.incrementAndGet(r);
                        }
                        return null;
                      }));
            }
            for (Future<?> f : running) f.get();
          } finally {
            threads.shutdownNow();
          }
          for (int r = 0; r < ROUNDS; r++) assertEquals(parties, departures.get(r), "round " + r);
        });
  }

  @Test
  void aPartyArrivingForTwoCompletesARoundOfThree() {
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          SpinBarrier barrier = new SpinBarrier(3);
          AtomicIntegerArray arrivals = new AtomicIntegerArray(ROUNDS);
          Thread other =
              Thread.ofPlatform()
                  .start(
                      () -> {
                        for (int r = 0; r < ROUNDS; r++) {
                          arrivals.incrementAndGet(r);
                          barrier.await();
                        }
                      });
          for (int r = 0; r < ROUNDS; r++) {
            arrivals.addAndGet(r, 2);
            barrier.await(2);
            assertEquals(3, arrivals.get(r), "released early in round " + r);
          }
          other.join();
        });
  }

  @Test
  void aBrokenBarrierReleasesItsWaiterWithAnException() throws Exception {
    SpinBarrier barrier = new SpinBarrier(2);
    Thread breaker =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  barrier.breakBarrier();
                });
    assertTimeoutPreemptively(
        Duration.ofSeconds(30), () -> assertThrows(IllegalStateException.class, barrier::await));
    breaker.join();
  }

  @Test
  void rejectsBadSizes() {
    assertThrows(IllegalArgumentException.class, () -> new SpinBarrier(0));
    SpinBarrier barrier = new SpinBarrier(2);
    assertThrows(IllegalArgumentException.class, () -> barrier.await(3));
    assertThrows(IllegalArgumentException.class, () -> barrier.await(0));
  }
}
