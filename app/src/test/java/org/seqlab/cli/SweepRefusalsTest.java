package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and bad clusters: one line naming what is wrong and what is allowed, exit status 2, and
 * nothing trained or written.
 */
class SweepRefusalsTest {

  @TempDir Path tmp;

  private SweepLocalModeTest.Ran refused(String expected, String... args) {
    Path out = tmp.resolve("out");
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--out");
    all.add(out.toString());
    SweepLocalModeTest.Ran ran = SweepLocalModeTest.seqlab(all.toArray(String[]::new));
    assertEquals(2, ran.status(), ran.out() + ran.err());
    String err = ran.err().strip();
    assertTrue(err.startsWith("seqlab: "), err);
    assertTrue(err.contains(expected), err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
    assertEquals("", ran.out());
    assertFalse(Files.exists(out), "nothing written");
    return ran;
  }

  @Test
  void refusesBadExperimentsGridsAndMastersBeforeAnythingStarts() {
    refused(
        "unknown experiment 'long-rang'; choose one of long-range, adding", "sweep", "long-rang");
    refused(
        "--grid lr:0.1: write KEY=V1,V2,... with KEY one of params, steps, lr",
        "sweep",
        "long-range",
        "--grid",
        "lr:0.1");
    refused("'seeds' cannot be swept", "sweep", "long-range", "--grid", "seeds=1,2");
    refused("'fast' is not a number", "sweep", "long-range", "--grid", "clip=0.1,fast");
    refused(
        "--clip is given both on its own and in --grid",
        "sweep",
        "long-range",
        "--clip",
        "0.1",
        "--grid",
        "clip=0.1,0.2");
    refused(
        "--grid lr: long-range tunes --lr itself", "sweep", "long-range", "--grid", "lr=0.1,0.2");
    // 101 × 101 grid points: more than the 10000 runs allowed, refused before any plan is made.
    String many = "goal=" + String.join(",", range(101, "0.00"));
    String clips = "clip=" + String.join(",", range(101, ""));
    refused(
        "the grid has 10201 points, more than the 10000 runs allowed",
        "sweep",
        "long-range",
        "--grid",
        many,
        "--grid",
        clips);
    refused(
        "these settings give 300 runs, more than the 50 allowed; sweep fewer values, or raise the"
            + " cap with --max-runs",
        "sweep",
        "long-range",
        "--max-runs",
        "50");
    refused(
        "these settings give 600 runs (2 grid points × 300), more than the 100 allowed",
        "sweep",
        "long-range",
        "--grid",
        "clip=0.1,0.2",
        "--max-runs",
        "100");
    refused(
        // long-range's task, agreement: its own range, the only one a distance meets
        "--distances must be in [2, 1000], got 0", "sweep", "long-range", "--distances", "0,5");
    refused("--max-runs", "sweep", "long-range", "--plan", "--max-runs", "lots");
    refused("local mode takes 1 to 1024 threads", "sweep", "long-range", "--master", "local[0]");
    refused("'cluster' is not HOST:PORT", "sweep", "long-range", "--master", "spark://cluster");
    refused("the port must be 1 to 65535", "sweep", "long-range", "--master", "spark://h:70000");
    refused(
        "submit app/target/seqlab.jar with spark-submit",
        "sweep",
        "long-range",
        "--master",
        "yarn");
    refused(
        "--master lcal[2] is not a Spark master URL; allowed: local",
        "sweep",
        "long-range",
        "--master",
        "lcal[2]");
    refused("--conf spark: write spark.KEY=VALUE", "sweep", "long-range", "--conf", "spark");
    refused(
        "--connect-timeout: 0 is out of range", "sweep", "long-range", "--connect-timeout", "0");
    refused("Unknown options: '--jobs'", "sweep", "long-range", "--jobs", "2");
  }

  @Test
  void refusesAClusterThatCannotBeReached() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    long started = System.nanoTime();
    refused(
        "cannot reach the Spark master at spark://127.0.0.1:"
            + port
            + " within 2 s: 127.0.0.1:"
            + port,
        "sweep",
        "long-range",
        "--master",
        "spark://127.0.0.1:" + port,
        "--connect-timeout",
        "2");
    assertTrue((System.nanoTime() - started) / 1e9 < 10);
  }

  /**
   * Something listens on the port but is no Spark master: Spark would wait a minute for it to
   * answer; the sweep gives up after --connect-timeout. In a process of its own, as a user runs it,
   * since Spark's own attempt goes on in the background until the process ends.
   */
  @Test
  void refusesAMasterThatDoesNotAnswerWithinTheTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (true) accepted.add(silent.accept());
                    } catch (java.io.IOException closed) {
                      // the test is over
                    }
                  });
      Path out = tmp.resolve("out");
      long started = System.nanoTime();
      Process p =
          SweepProcess.start(
              System.getProperty("java.class.path"),
              List.of(
                  "sweep",
                  "long-range",
                  "--master",
                  "spark://127.0.0.1:" + silent.getLocalPort(),
                  "--connect-timeout",
                  "3",
                  "--conf",
                  "spark.driver.host=127.0.0.1",
                  "--out",
                  out.toString()));
      String stdout = new String(p.getInputStream().readAllBytes());
      String stderr = new String(p.getErrorStream().readAllBytes());
      int status = p.waitFor();
      double seconds = (System.nanoTime() - started) / 1e9;
      assertEquals(2, status, stdout + stderr);
      assertTrue(
          stderr.contains(
              "seqlab: the Spark master at spark://127.0.0.1:"
                  + silent.getLocalPort()
                  + " did not accept this sweep within 3 s"),
          stderr);
      assertEquals("", stdout);
      assertFalse(Files.exists(out), "nothing written");
      assertTrue(seconds < 30, seconds + " s");
      assertFalse(accepted.isEmpty(), "the driver tried the master");
      silent.close();
      acceptor.join();
      for (Socket s : accepted) s.close();
    }
  }

  private static List<String> range(int n, String prefix) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) out.add(prefix + i);
    return out;
  }
}
