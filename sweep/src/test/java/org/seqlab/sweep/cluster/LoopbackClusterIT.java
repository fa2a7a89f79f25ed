package org.seqlab.sweep.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a real two-worker cluster, runs a job on it with this JVM as the driver, kills a worker as
 * a crash would, and checks that the next job still runs on the survivor and that nothing is left
 * running at the end.
 *
 * <p>The jobs use only Spark's own classes ({@code parallelize(...).count()}): executors receive no
 * jar of this project, so a lambda of this class could not be deserialised there.
 *
 * <p>Spark's class path is read from what {@code mvn package} leaves in {@code target/} (the
 * working directory of the test is the module's directory): {@code spark.classpath} plus the
 * Jackson jars among seqlab's runtime jars in {@code lib/}. On failure the cluster's folder, with
 * every log, is kept and named in the message.
 */
class LoopbackClusterIT {

  private static final int NUMBERS = 10_000;

  /** For the cluster to come up: about 10 s on two busy cores, more on a loaded build machine. */
  private static final Duration START = Duration.ofSeconds(60);

  /** For executors to register or to be noticed lost, and for the master to notice a loss. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void runsJobsOnTwoWorkersAndSurvivesTheLossOfOne() throws IOException {
    var everyProcess = new ArrayList<ProcessHandle>();
    try (var cluster = LoopbackCluster.start(dir, sparkJars(), 2, 1, "1g", START)) {
      assertEquals(2, cluster.workers());
      assertEquals(2, cluster.aliveWorkersAtMaster());
      assertTrue(cluster.masterUrl().matches("spark://127\\.0\\.0\\.1:\\d+"), cluster.masterUrl());

      var conf =
          new SparkConf()
              .setMaster(cluster.masterUrl())
              .setAppName("loopback-cluster-it")
              .set("spark.ui.enabled", "false")
              .set("spark.driver.host", "127.0.0.1")
              .set("spark.executor.memory", "512m")
              .set("spark.executor.extraJavaOptions", LoopbackCluster.executorJavaOptions());
      try (var sc = new JavaSparkContext(conf)) {
        sc.setLogLevel("WARN");
        List<Integer> numbers = IntStream.range(0, NUMBERS).boxed().toList();

        // One executor per worker; the status tracker counts the driver too.
        awaitExecutors(sc, 2, cluster);
        assertEquals(NUMBERS, sc.parallelize(numbers, 4).count(), "count on two workers");

        List<ProcessHandle> doomed = cluster.workerProcesses(1);
        assertTrue(
            doomed.size() >= 2, "worker 1 should run an executor, but its processes are " + doomed);
        cluster.killWorker(1);
        assertFalse(cluster.workerAlive(1), "worker 1 is still alive after killWorker(1)");
        for (ProcessHandle p : doomed) {
          assertFalse(p.isAlive(), "process " + p.pid() + " of worker 1 survived killWorker(1)");
        }
        assertTrue(cluster.workerAlive(0), "worker 0 died with worker 1");

        cluster.awaitAliveWorkers(1, WAIT);
        awaitExecutors(sc, 1, cluster);
        assertEquals(NUMBERS, sc.parallelize(numbers, 4).count(), "count on the surviving worker");

        everyProcess.addAll(cluster.processes());
      }
    }

    assertTrue(everyProcess.size() >= 3, "master, worker 0 and its executor: " + everyProcess);
    for (ProcessHandle p : everyProcess) {
      assertFalse(p.isAlive(), "process " + p.pid() + " of the cluster survived close()");
    }
    List<String> javaChildren =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().command().orElse("").endsWith("java"))
            .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
            .toList();
    assertEquals(List.of(), javaChildren, "JVMs still running after close()");

    // JUnit warns about each symbolic link it deletes from a temporary folder; remove the links
    // into Maven's repository here. (On failure the folder is kept, links and all.)
    try (Stream<Path> links = Files.list(dir.resolve("spark-home/jars"))) {
      for (Path link : (Iterable<Path>) links::iterator) {
        Files.delete(link);
      }
    }
  }

  /** Waits until the driver sees exactly {@code executors} executors besides itself. */
  private void awaitExecutors(JavaSparkContext sc, int executors, LoopbackCluster cluster) {
    Instant deadline = Instant.now().plus(WAIT);
    int seen;
    while ((seen = sc.statusTracker().getExecutorInfos().length - 1) != executors) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "the driver sees "
                + seen
                + " executors, not "
                + executors
                + ", after "
                + WAIT.toSeconds()
                + " s; see the logs under "
                + cluster.dir());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /**
   * Spark's full class path: {@code target/spark.classpath} (Spark is a provided dependency) and
   * the Jackson jars that Maven resolved into seqlab's runtime jars instead.
   */
  private static List<Path> sparkJars() throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    Path classPathFile = target.resolve("spark.classpath");
    if (!Files.isRegularFile(classPathFile)) {
      throw new IllegalStateException(
          classPathFile + " is missing; run this test through mvn verify, after the package phase");
    }
    var jars = new ArrayList<>(LoopbackCluster.readClassPath(classPathFile));
    try (Stream<Path> lib = Files.list(target.resolve("lib"))) {
      lib.filter(p -> p.getFileName().toString().matches("jackson-.*\\.jar"))
          .sorted()
          .forEach(jars::add);
    }
    return jars;
  }
}
