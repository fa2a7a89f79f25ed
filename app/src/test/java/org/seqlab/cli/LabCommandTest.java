package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code seqlab lab}'s refusals: one line, exit 2, before anything listens or is written. */
class LabCommandTest {

  @TempDir Path dir;

  @Test
  void aPortInUseIsNamedWithTheWayOut() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliRun r =
          CliRun.of(
              "lab", "--port", Integer.toString(taken.getLocalPort()), "--runs", dir.toString());
      assertTrue(r.isOneLineUserError(), r.err());
      assertEquals(
          "seqlab: port "
              + taken.getLocalPort()
              + " on 127.0.0.1 is in use; choose another with --port (0: any)",
          r.err().strip());
    }
  }

  @Test
  void badOptionsAreRefusedBeforeTheServerStarts() {
    Path runs = dir.resolve("runs");
    for (String[] args :
        new String[][] {
          {"lab", "--port", "70000", "--runs", runs.toString()},
          {"lab", "--max-running", "0", "--runs", runs.toString()},
          {"lab", "--max-queued", "-1", "--runs", runs.toString()},
          {"lab", "--text", dir.resolve("missing.txt").toString(), "--runs", runs.toString()},
          {"lab", "--host", "no-such-host.invalid", "--runs", runs.toString()}
        }) {
      CliRun r = CliRun.of(args);
      assertTrue(r.isOneLineUserError(), String.join(" ", args) + ": " + r.err());
    }
    assertFalse(Files.exists(runs), "nothing was written");
  }

  /** A text no char-lm run could learn is refused at start, not at the first run. */
  @Test
  void aBinaryOrTinyTextIsRefusedAtStart() throws Exception {
    Path runs = dir.resolve("runs");
    Path binary = Files.write(dir.resolve("model.bin"), new byte[] {1, 2, 0, 4, 5});
    CliRun r = CliRun.of("lab", "--text", binary.toString(), "--runs", runs.toString());
    assertTrue(r.isOneLineUserError(), r.err());
    assertEquals(
        "seqlab: --text "
            + binary
            + ": looks binary (a NUL byte at offset 2); give a UTF-8 text file",
        r.err().strip());

    Path tiny = Files.writeString(dir.resolve("tiny.txt"), "to be or not to be\n");
    r = CliRun.of("lab", "--text", tiny.toString(), "--runs", runs.toString());
    assertTrue(r.isOneLineUserError(), r.err());
    assertEquals(
        "seqlab: --text "
            + tiny
            + ": its 19 characters are too few for a char-lm run with a window of 64 and a batch"
            + " of 32 (90% of the text trains, 10% validates, and each needs whole windows); give"
            + " a text of at least "
            + org.seqlab.lab.Lab.shortestText(64, 32)
            + " characters",
        r.err().strip());
    assertFalse(Files.exists(runs), "nothing was written");
  }

  @Test
  void aRunsFolderThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("runs"), "not a folder");
    CliRun r = CliRun.of("lab", "--runs", file.toString());
    assertTrue(r.isOneLineUserError(), r.err());
    assertTrue(r.err().contains("is a file, not a folder"));
  }

  @Test
  void aRunsFolderThatCannotBeCreatedIsRefusedInOneLine() {
    CliRun r = CliRun.of("lab", "--runs", "/proc/x", "--port", "0");
    assertTrue(r.isOneLineUserError(), r.err());
    assertTrue(r.err().contains("--runs /proc/x cannot be created: /proc takes no new"), r.err());
  }
}
