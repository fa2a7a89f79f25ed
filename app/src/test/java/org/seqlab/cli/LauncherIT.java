package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code ./seqlab} launcher as a user or a service manager meets it: the process it starts is
 * the JVM itself, so SIGTERM or SIGINT sent to that process ({@code kill PID}) stops the training
 * run, which checkpoints and prints its summary, and leaves no process behind; and the JVM's
 * incubator notice is dropped from standard error.
 *
 * <p>It runs after {@code package} (an integration test), on the packaged jars, with a copy of the
 * launcher in a directory whose sources are older than those jars, so that the launcher starts them
 * without building.
 */
class LauncherIT {

  @org.junit.jupiter.api.io.TempDir Path tmp;

  /** A copy of the launcher whose build is up to date: it runs the packaged jars as they are. */
  private Path launcher() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    Path jar = root.resolve("app/target/seqlab.jar");
    Path sweepJar = root.resolve("sweep/target/seqlab-sweep.jar");
    assumeTrue(
        Files.isRegularFile(root.resolve("seqlab")) && Files.isRegularFile(jar),
        "run after mvn package, from the app module");
    assumeTrue(Files.isRegularFile(sweepJar), "the sweep module's jar");
    Path home = tmp.resolve("seqlab-home");
    Files.createDirectories(home.resolve("scripts"));
    Files.copy(root.resolve("seqlab"), home.resolve("seqlab"));
    Files.setPosixFilePermissions(
        home.resolve("seqlab"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.copy(root.resolve("scripts/find-jdk.sh"), home.resolve("scripts/find-jdk.sh"));
    FileTime old = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));
    Files.writeString(home.resolve("pom.xml"), "");
    Files.setLastModifiedTime(home.resolve("pom.xml"), old);
    for (String module : List.of("core", "engine", "sweep", "app")) {
      Path main = Files.createDirectories(home.resolve(module).resolve("src/main"));
      Files.setLastModifiedTime(main, old);
      Files.setLastModifiedTime(main.getParent(), old);
      Files.setLastModifiedTime(
          Files.writeString(home.resolve(module).resolve("pom.xml"), ""), old);
    }
    Files.createSymbolicLink(home.resolve("app/target"), root.resolve("app/target"));
    Files.createSymbolicLink(home.resolve("sweep/target"), root.resolve("sweep/target"));
    return home.resolve("seqlab");
  }

  @ParameterizedTest
  @ValueSource(strings = {"TERM", "INT"})
  void aSignalToTheLaunchersProcessStopsTheRunWhichCheckpointsAndSaysHowToContinue(String signal)
      throws Exception {
    Path seqlab = launcher();
    Path out = tmp.resolve("run");
    Path stdout = tmp.resolve("stdout"), stderr = tmp.resolve("stderr");
    ProcessBuilder builder =
        new ProcessBuilder(
                seqlab.toString(),
                "train",
                "--task",
                "copy",
                "--distance",
                "2",
                "--hidden",
                "8",
                "--layers",
                "1",
                "--embedding",
                "4",
                "--max-steps",
                "100000000",
                "--val-every",
                "20",
                "--threads",
                "1",
                "--out",
                out.toString())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.start();
    try {
      // Training is under way once a checkpoint is on disk.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(out.resolve("checkpoint.safetensors")) && process.isAlive()) {
        assertTrue(
            System.nanoTime() < deadline, "no checkpoint in 120 s: " + Files.readString(stderr));
        Thread.sleep(100);
      }
      assertTrue(process.isAlive(), "ended early: " + Files.readString(stderr));
      ProcessHandle handle = process.toHandle();
      String command = handle.info().command().orElse("");
      assertTrue(command.endsWith("/java"), "the launcher's process is the JVM, not " + command);
      List<ProcessHandle> children = handle.descendants().toList();
      // A signal ignored when a process starts stays ignored in everything it starts (a background
      // job of a non-interactive shell starts with SIGINT ignored, and no launcher can undo that);
      // then the JVM rightly leaves it ignored, and there is nothing here to test.
      assumeFalse(
          ignores(process.pid(), signal),
          "SIG" + signal + " was ignored where this test started; the JVM inherits that");

      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
      assertEquals(0, kill.waitFor());
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the JVM stops on SIG" + signal);
      assertEquals(128 + (signal.equals("TERM") ? 15 : 2), process.exitValue());
      for (ProcessHandle child : children) {
        assertTrue(child.onExit().get(10, TimeUnit.SECONDS) != null);
        assertFalse(child.isAlive(), "no process is left behind");
      }

      String printed = Files.readString(stdout);
      assertTrue(printed.contains("stopped after "), printed);
      assertTrue(printed.contains("continue it: seqlab train --resume " + out), printed);
      String result = Files.readString(out.resolve("result.json"));
      assertTrue(result.contains("\"stop\" : \"cancelled\""), result);
      assertFalse(
          Files.readString(stderr).contains("Using incubator modules"), Files.readString(stderr));
    } finally {
      process.destroyForcibly();
    }
  }

  /** Whether the process ignores the signal: its bit in the SigIgn mask of /proc/PID/status. */
  private static boolean ignores(long pid, String signal) throws Exception {
    int number = signal.equals("TERM") ? 15 : 2;
    Path status = Path.of("/proc", Long.toString(pid), "status");
    if (!Files.isReadable(status)) return false;
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
        return (mask & (1L << (number - 1))) != 0;
      }
    }
    return false;
  }
}
