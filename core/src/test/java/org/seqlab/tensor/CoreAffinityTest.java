package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CoreAffinityTest {

  @Test
  void aWokenThreadMayRunOnEveryAllowedCoreButItsWakersAndNowhereElse() throws Exception {
    TreeSet<Integer> mine = allowedCores();
    assumeTrue(mine.size() >= 2, "needs two cores the test may run on");
    CompletableFuture<CoreAffinity> handle = new CompletableFuture<>();
    CountDownLatch wake = new CountDownLatch(1);
    CompletableFuture<TreeSet<Integer>> afterWake = new CompletableFuture<>();
    CompletableFuture<int[]> coresAfterWake = new CompletableFuture<>();
    Thread sleeper =
        new Thread(
            () -> {
              try {
                handle.complete(CoreAffinity.ofCurrentThread());
                wake.await();
                afterWake.complete(allowedCores());
                int[] seen = new int[200];
                for (int i = 0; i < seen.length; i++) {
                  seen[i] = CoreAffinity.currentCore();
                  Thread.yield();
                }
                coresAfterWake.complete(seen);
              } catch (Throwable e) {
                afterWake.completeExceptionally(e);
                coresAfterWake.completeExceptionally(e);
              }
            });
    sleeper.start();
    CoreAffinity affinity = handle.get(10, TimeUnit.SECONDS);
    assumeTrue(affinity != null, "sched_setaffinity is not reachable here (not glibc on Linux)");

    // The core the caller ran on when it set the mask; retried where the caller moved meanwhile.
    int callersCore;
    do {
      callersCore = CoreAffinity.currentCore();
      affinity.keepOffCallersCore();
    } while (CoreAffinity.currentCore() != callersCore);
    wake.countDown();

    TreeSet<Integer> expected = new TreeSet<>(mine);
    expected.remove(callersCore);
    assertEquals(expected, afterWake.get(10, TimeUnit.SECONDS));
    for (int core : coresAfterWake.get(10, TimeUnit.SECONDS)) {
      assertNotEquals(callersCore, core, "the woken thread ran on its waker's core");
    }
    // The caller's own cores are left as they were.
    assertEquals(mine, allowedCores());
    sleeper.join();
  }

  @Test
  void theCurrentCoreIsOneTheThreadMayRunOn() throws IOException {
    int core = CoreAffinity.currentCore();
    assumeTrue(core >= 0, "sched_getcpu is not reachable here");
    // The thread may move between the two reads, but only among its allowed cores.
    assertTrue(allowedCores().contains(core), "core " + core + " of " + allowedCores());
  }

  /** The calling thread's allowed cores, as Linux lists them in /proc/thread-self/status. */
  private static TreeSet<Integer> allowedCores() throws IOException {
    Path status = Path.of("/proc/thread-self/status");
    assumeTrue(Files.isReadable(status), "no /proc/thread-self here");
    TreeSet<Integer> cores = new TreeSet<>();
    for (String line : Files.readAllLines(status)) {
      if (!line.startsWith("Cpus_allowed_list:")) continue;
      for (String range : line.substring(line.indexOf(':') + 1).trim().split(",")) {
        String[] ends = range.split("-");
        int from = Integer.parseInt(ends[0]);
        int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
        for (int c = from; c <= to; c++) cores.add(c);
      }
    }
    return cores;
  }
}
