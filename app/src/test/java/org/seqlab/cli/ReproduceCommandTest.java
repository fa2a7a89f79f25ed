package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReproduceCommandTest {

  private record Run(int status, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(status, out.toString(), err.toString());
  }

  private static List<String> golden(String name) throws IOException {
    try (InputStream in = ReproduceCommandTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) throw new IllegalStateException("golden/" + name + " is missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  @Test
  void rnnVanishingPrintsTheArticlesFiftyLinesThenWhatTheyMean() throws IOException {
    Run run = run("reproduce", "rnn-vanishing");
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    List<String> lines = run.outLines();
    List<String> expected =
        golden("article_rnn_vanishing.txt").stream().filter(l -> l.startsWith(" step ")).toList();
    assertEquals(50, expected.size());
    // A title line, then the 50 lines exactly as numpy's run printed them.
    assertTrue(lines.getFirst().startsWith("Gradient norm at each step"), lines.getFirst());
    assertEquals(expected, lines.subList(1, 51));
    String rest = String.join("\n", lines.subList(51, lines.size()));
    assertTrue(rest.contains("ρ(W_h) = 0.6260"), rest);
    assertTrue(rest.contains("‖W_h‖₂ = 1.0640"), rest);
    assertTrue(rest.contains("0.555 per step"), rest);
    assertTrue(rest.contains("the code prints 2.744439 at step 50"), rest);
    assertTrue(rest.contains("the code prints 0.000022 there"), rest);
  }

  @Test
  void lstmGatesDefaultsToSeed42() throws IOException {
    Run run = run("reproduce", "lstm-gates");
    assertEquals(0, run.status(), run.err());
    assertEquals(golden("article_lstm_gates_seed42.txt"), stepLines(run));
    assertTrue(run.out().contains("Forget gates average 0.503"), run.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"42", "7"})
  void lstmGatesMatchesNumpyForSeed(String seed) throws IOException {
    Run run = run("reproduce", "lstm-gates", "--seed", seed);
    assertEquals(0, run.status(), run.err());
    assertEquals(golden("article_lstm_gates_seed" + seed + ".txt"), stepLines(run));
  }

  private static List<String> stepLines(Run run) {
    return run.outLines().stream().filter(l -> l.startsWith("Step ")).toList();
  }

  @Test
  void unknownProgramIsOneLineListingTheChoices() {
    Run run = run("reproduce", "transformer");
    assertEquals(Main.EXIT_USAGE, run.status());
    assertEquals("", run.out());
    assertEquals(
        List.of("seqlab: unknown program 'transformer'; choose one of: rnn-vanishing, lstm-gates"),
        run.err().lines().toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "4294967296", "99999999999999"})
  void seedOutsideNumpysRangeIsOneLine(String seed) {
    Run run = run("reproduce", "lstm-gates", "--seed", seed);
    assertEquals(Main.EXIT_USAGE, run.status());
    List<String> errLines = run.err().lines().toList();
    assertEquals(1, errLines.size(), run.err());
    assertTrue(
        errLines.getFirst().startsWith("seqlab: --seed must be between 0 and 2^32-1"), run.err());
    assertFalse(run.err().contains("Exception"), run.err());
    assertEquals("", run.out());
  }

  @Test
  void largestSeedIsAccepted() {
    Run run = run("reproduce", "lstm-gates", "--seed", "4294967295");
    assertEquals(0, run.status(), run.err());
    assertEquals(4, stepLines(run).size());
  }
}
