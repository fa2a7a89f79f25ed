package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.io.RunDirectory;
import org.seqlab.sweep.cluster.LoopbackCluster;

/**
 * A sweep on a real Spark standalone cluster of two workers on this machine, driven as a user
 * drives it (the packaged jar, Spark's jars beside it, {@code --master spark://...}): one worker is
 * killed while it trains, and the sweep still completes with every run once and the numbers of
 * local mode. Then, with no worker left, a sweep is refused before anything trains.
 */
class SweepClusterIT {

  /** The sweep module's build: its jar, the jars it ships (lib/) and Spark's class path. */
  static final Path SWEEP_TARGET = Path.of("../sweep/target").toAbsolutePath().normalize();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aSweepSurvivesAKilledWorkerWithEveryRunOnceAndTheNumbersOfLocalMode() throws Exception {
    Path local = dir.resolve("local");
    SweepLocalModeTest.Ran reference =
        SweepLocalModeTest.seqlab(
            SweepLocalModeTest.args(
                List.of("sweep", "long-range"),
                SweepLocalModeTest.concat(
                    SweepLocalModeTest.SMALL, "--master", "local[2]", "--out", local)));
    assertEquals(0, reference.status(), reference.err());

    try (var cluster =
        LoopbackCluster.start(
            dir.resolve("cluster"), sparkJars(), 2, 1, "1g", Duration.ofSeconds(90))) {
      Path onCluster = dir.resolve("on-cluster");
      Process driver =
          driver(
              cluster,
              SweepLocalModeTest.concat(
                  SweepLocalModeTest.SMALL, "--out", onCluster, "--connect-timeout", "60"));
      List<String> lines = new CopyOnWriteArrayList<>();
      CountDownLatch firstRow = new CountDownLatch(1);
      Thread reader = readLines(driver, lines, firstRow);
      assertTrue(firstRow.await(180, TimeUnit.SECONDS), "no run finished: " + lines);

      // Kill the worker whose executor is training a run now, as a crash would.
      int victim = busyWorker(cluster);
      List<ProcessHandle> doomed = cluster.workerProcesses(victim);
      assertTrue(doomed.size() >= 2, "the worker runs an executor: " + doomed);
      cluster.killWorker(victim);
      assertFalse(cluster.workerAlive(victim));

      assertTrue(driver.waitFor(200, TimeUnit.SECONDS), "the sweep did not finish: " + lines);
      reader.join();
      String output = String.join("\n", lines);
      assertEquals(0, driver.exitValue(), output);

      List<SweepRow> rows = ExperimentRunner.readRows(onCluster);
      assertEquals(18, rows.size(), output);
      assertEquals(18, new HashSet<>(rows.stream().map(SweepRow::run).toList()).size());
      assertEquals(
          SweepLocalModeTest.numbers(ExperimentRunner.readRows(local)),
          SweepLocalModeTest.numbers(rows));
      // Spark saw the loss: the killed executor's task failed and ran again elsewhere.
      var session = RunDirectory.JSON.readTree(onCluster.resolve("sweep.json").toFile()).get(0);
      assertEquals(18, session.get("runs_finished").asInt());
      assertTrue(session.get("failed_attempts").asInt() >= 1, session.toString());
      assertTrue(session.get("executors_removed").asInt() >= 1, session.toString());
      assertTrue(output.contains("18 runs as Spark tasks in"), output);
      assertTrue(output.contains("on " + cluster.masterUrl() + ": 2 task(s) at once"), output);
      assertTrue(output.lines().filter(l -> l.startsWith("[")).count() == 18, output);

      // The same jar submitted with Spark's own spark-submit (its main class, as the script runs it
      // in client mode) runs a sweep on the surviving worker, with local mode's numbers.
      List<String> tiny =
          List.of("--models", "rnn,lstm", "--distances", "5", "--seeds", "1", "--steps", "20");
      Path tinyLocal = dir.resolve("tiny-local");
      SweepLocalModeTest.Ran tinyReference =
          SweepLocalModeTest.seqlab(
              SweepLocalModeTest.args(
                  List.of("sweep", "long-range"),
                  SweepLocalModeTest.concat(tiny, "--master", "local[1]", "--out", tinyLocal)));
      assertEquals(0, tinyReference.status(), tinyReference.err());
      Path submitted = dir.resolve("submitted");
      Process submit = submit(cluster, tiny, submitted);
      String submitOut = new String(submit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(submit.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, submit.exitValue(), submitOut);
      assertTrue(
          submitOut.contains("on " + cluster.masterUrl() + ": 1 task(s) at once"), submitOut);
      assertEquals(
          SweepLocalModeTest.numbers(ExperimentRunner.readRows(tinyLocal)),
          SweepLocalModeTest.numbers(ExperimentRunner.readRows(submitted)));

      // No worker left: the next sweep is refused once the timeout has passed, before training.
      // (20 s: long enough that a loaded machine's master has accepted the sweep by then, so the
      // refusal is the one for want of executors.)
      cluster.killWorker(1 - victim);
      cluster.awaitAliveWorkers(0, Duration.ofSeconds(30));
      Path nowhere = dir.resolve("nowhere");
      Process refused =
          driver(
              cluster,
              SweepLocalModeTest.concat(
                  SweepLocalModeTest.SMALL, "--out", nowhere, "--connect-timeout", "20"));
      String stderr = new String(refused.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      String stdout = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(refused.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, refused.exitValue(), stdout + stderr);
      assertTrue(
          stderr.contains("gave this sweep no executor within 20 s: are workers registered"),
          stderr);
      assertEquals("", stdout);
      assertFalse(Files.exists(nowhere));
    }
    // JUnit warns about every link it deletes; the cluster's SPARK_HOME holds one per jar.
    try (Stream<Path> links = Files.list(dir.resolve("cluster/spark-home/jars"))) {
      for (Path link : (Iterable<Path>) links::iterator) Files.delete(link);
    }
  }

  /** {@code seqlab sweep long-range ...} from the packaged jars, as ./seqlab sweep starts it. */
  private static Process driver(LoopbackCluster cluster, List<String> options) throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    Path sweep = SWEEP_TARGET;
    String spark = Files.readString(sweep.resolve("spark.classpath")).strip();
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "sweep",
            "long-range",
            "--master",
            cluster.masterUrl(),
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.executor.memory=512m"));
    args.addAll(options);
    return SweepProcess.start(
        String.join(
            java.io.File.pathSeparator,
            sweep.resolve("seqlab-sweep.jar").toString(),
            target.resolve("seqlab.jar").toString(),
            spark),
        args);
  }

  /**
   * {@code spark-submit --class org.seqlab.cli.Main --jars seqlab-sweep.jar,lib/*.jar seqlab.jar
   * sweep long-range ...}, as README says, with the cluster's own Spark jars: the executors get the
   * sweep's jars (and the seqlab jar, as spark-submit ships the application's jar).
   */
  private static Process submit(LoopbackCluster cluster, List<String> options, Path out)
      throws IOException {
    Path target = Path.of("target").toAbsolutePath();
    List<String> jars = new ArrayList<>();
    jars.add(SWEEP_TARGET.resolve("seqlab-sweep.jar").toString());
    try (Stream<Path> lib = Files.list(SWEEP_TARGET.resolve("lib"))) {
      lib.sorted().forEach(p -> jars.add(p.toString()));
    }
    List<String> command =
        SweepProcess.java(
            cluster.dir().resolve("spark-home/jars") + "/*", "org.apache.spark.deploy.SparkSubmit");
    command.addAll(
        List.of(
            "--master",
            cluster.masterUrl(),
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.executor.memory=512m",
            "--class",
            Main.class.getName(),
            "--jars",
            String.join(",", jars),
            target.resolve("seqlab.jar").toString(),
            "sweep",
            "long-range",
            "--out",
            out.toString()));
    command.addAll(options);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("SPARK_HOME", cluster.dir().resolve("spark-home").toString());
    return pb.start();
  }

  /** Collects the driver's standard output (and error) lines; counts down at the first row. */
  private static Thread readLines(Process p, List<String> lines, CountDownLatch firstRow) {
    Thread err =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try (var in = p.getErrorStream()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                  } catch (IOException ignored) {
                    // the process ended
                  }
                });
    return Thread.ofPlatform()
        .start(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  lines.add(line);
                  if (line.startsWith("[  1/")) firstRow.countDown();
                }
              } catch (IOException ignored) {
                // the process ended
              } finally {
                firstRow.countDown();
                try {
                  err.join();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
  }

  /**
   * The worker whose executor has started a task it has not finished, from the executors' own logs
   * ({@code Running task} and {@code Finished task} lines); worker 1 if none is busy within 10 s.
   */
  private static int busyWorker(LoopbackCluster cluster) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (int w = cluster.workers() - 1; w >= 0; w--) {
        long running = 0;
        Path work = cluster.dir().resolve("work/worker-" + w);
        try (Stream<Path> files = Files.walk(work)) {
          for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
            for (String line : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
              if (line.contains("Running task")) running++;
              if (line.contains("Finished task")) running--;
            }
          }
        }
        if (running > 0) return w;
      }
      Thread.sleep(50);
    }
    return 1;
  }

  /** Spark's class path, and the Jackson jars Maven put among seqlab's (a cluster has its own). */
  static List<Path> sparkJars() throws IOException {
    Path target = SWEEP_TARGET;
    var jars = new ArrayList<>(LoopbackCluster.readClassPath(target.resolve("spark.classpath")));
    try (Stream<Path> lib = Files.list(target.resolve("lib"))) {
      lib.filter(p -> p.getFileName().toString().matches("jackson-.*\\.jar"))
          .sorted()
          .forEach(jars::add);
    }
    return jars;
  }
}
