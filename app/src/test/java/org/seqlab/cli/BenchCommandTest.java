package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.nn.Architecture;

class BenchCommandTest {

  @Test
  void jsonReportsThroughputConsistently() throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "--model",
            "gru",
            "--hidden",
            "8",
            "--batch",
            "3",
            "--steps",
            "5",
            "--warmup",
            "0",
            "--repeats",
            "3",
            "--threads",
            "1",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    double seconds = doc.get("seconds_per_step").asDouble();
    assertTrue(seconds > 0);
    assertEquals(15 / seconds, doc.get("tokens_per_second").asDouble(), 1e-9 * (15 / seconds));
    // GRU training: 3 × 2·G·H·(I+H) per token, G = 3, H = I = 8, 15 tokens.
    assertEquals(3 * 2 * 3 * 8 * 16 * 15 / seconds / 1e9, doc.get("gflops").asDouble(), 1e-9);
    assertEquals(3, doc.get("all_seconds").size());
  }

  static Stream<Arguments> recurrentRowsAndModes() {
    return Arrays.stream(Architecture.values())
        .filter(Architecture::isRecurrent)
        .flatMap(a -> Stream.of("train", "infer", "stream").map(m -> Arguments.of(a, m)));
  }

  /** Every recurrent row of the table, in every mode, with no change here when a row is added. */
  @ParameterizedTest
  @MethodSource("recurrentRowsAndModes")
  void everyRecurrentRowReportsThroughputInEveryMode(Architecture architecture, String mode)
      throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "--model",
            architecture.id(),
            "--mode",
            mode,
            "--input",
            "3",
            "--hidden",
            "8",
            "--layers",
            "2",
            "--batch",
            "2",
            "--steps",
            "5",
            "--warmup",
            "0",
            "--repeats",
            "2",
            "--threads",
            "1",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    assertEquals(architecture.id(), doc.get("model").asText());
    assertEquals(mode, doc.get("mode").asText());
    assertTrue(doc.get("tokens_per_second").asDouble() > 0, run.out());
    assertTrue(doc.get("gflops").asDouble() > 0, run.out());
    if (mode.equals("stream")) {
      assertTrue(doc.get("time_steps_per_second").asDouble() > 0, run.out());
      assertTrue(doc.get("weight_bytes").asLong() > 0, run.out());
    }
  }

  @Test
  void theHelpListsTheTable() {
    CliRun help = CliRun.of("bench", "--help");
    assertEquals(0, help.status(), help.err());
    for (String id : Architecture.ids())
      assertTrue(help.out().contains(id), id + ": " + help.out());
    assertTrue(help.out().contains("peak"), help.out());
  }

  @Test
  void streamModeReportsTimePerTimeStep() throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "--model",
            "lstm",
            "--input",
            "4",
            "--hidden",
            "8",
            "--layers",
            "2",
            "--batch",
            "1",
            "--steps",
            "20",
            "--mode",
            "stream",
            "--warmup",
            "0",
            "--repeats",
            "3",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    double seconds = doc.get("seconds_per_step").asDouble();
    assertEquals(
        seconds / 20 * 1e6, doc.get("microseconds_per_time_step").asDouble(), 1e-9 * seconds * 1e6);
    assertEquals(20 / seconds, doc.get("time_steps_per_second").asDouble(), 1e-9 * (20 / seconds));
    // W_ih and W_hh of both layers: 4·8·(4+8) + 4·8·(8+8) floats.
    assertEquals(4 * (4 * 8 * 12 + 4 * 8 * 16), doc.get("weight_bytes").asLong());
    assertTrue(doc.get("weight_read_microseconds").asDouble() > 0, run.out());

    CliRun text =
        CliRun.of(
            "bench",
            "--model",
            "gru",
            "--hidden",
            "8",
            "--batch",
            "2",
            "--steps",
            "5",
            "--mode",
            "stream",
            "--warmup",
            "0",
            "--repeats",
            "1");
    assertEquals(0, text.status(), text.err());
    assertTrue(text.out().contains("µs per time step"), text.out());
    assertTrue(text.out().contains("the floor of a time step"), text.out());
  }

  /**
   * A stream with 8-bit weights reads a byte per weight and a float32 scale per row of each matrix,
   * and says so.
   */
  @Test
  void streamWithEightBitWeightsCountsItsBytes() throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "--model",
            "lstm",
            "--input",
            "4",
            "--hidden",
            "8",
            "--layers",
            "2",
            "--batch",
            "1",
            "--steps",
            "20",
            "--mode",
            "stream",
            "--weights",
            "int8",
            "--warmup",
            "0",
            "--repeats",
            "3",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    assertEquals("int8", doc.get("weights").asText());
    // The same weights as the float32 stream's, a byte each; 4·8 rows in each of the 4 matrices.
    assertEquals((4 * 8 * 12 + 4 * 8 * 16) + 4 * (4 * 4 * 8), doc.get("weight_bytes").asLong());
    assertTrue(doc.get("microseconds_per_time_step").asDouble() > 0, run.out());

    CliRun text =
        CliRun.of(
            "bench",
            "--model",
            "gru",
            "--hidden",
            "8",
            "--batch",
            "1",
            "--steps",
            "5",
            "--mode",
            "stream",
            "--weights",
            "int8",
            "--warmup",
            "0",
            "--repeats",
            "1");
    assertEquals(0, text.status(), text.err());
    assertTrue(text.out().contains("int8 weights"), text.out());
  }

  @Test
  void transformerCountsProjectionsAndTheCausalHalfOfTheAttention() throws Exception {
    CliRun run =
        CliRun.of(
            "bench",
            "--model",
            "transformer",
            "--hidden",
            "8",
            "--heads",
            "2",
            "--ff",
            "12",
            "--batch",
            "3",
            "--steps",
            "5",
            "--warmup",
            "0",
            "--repeats",
            "3",
            "--threads",
            "1",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    double seconds = doc.get("seconds_per_step").asDouble();
    assertEquals(15 / seconds, doc.get("tokens_per_second").asDouble(), 1e-9 * (15 / seconds));
    // Per token: 2·(3·64 + 64 + 2·8·12) for the projections, 2·2·8·(5+1)/2 for the causal
    // attention;
    // 15 tokens, three times for training.
    double perToken = 2 * (3 * 64 + 64 + 2 * 8 * 12) + 2 * 2 * 8 * 3;
    assertEquals(3 * perToken * 15 / seconds / 1e9, doc.get("gflops").asDouble(), 1e-9);

    CliRun text =
        CliRun.of(
            "bench",
            "--model",
            "transformer",
            "--hidden",
            "8",
            "--batch",
            "2",
            "--steps",
            "3",
            "--mode",
            "infer",
            "--warmup",
            "0",
            "--repeats",
            "1");
    assertEquals(0, text.status(), text.err());
    assertTrue(text.out().contains("4 heads, ff 32, causal"), text.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--heads 3", "--ff 0"})
  void transformerOptionsAreChecked(String args) {
    CliRun run = CliRun.of(("bench --model transformer --hidden 8 " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    assertTrue(run.err().contains(args.split(" ")[0]), run.err());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--hidden 0",
        "--batch -1",
        "--threads 0",
        "--model cnn",
        "--mode stream2",
        "--repeats 0",
        "--warmup -1",
        "--warmup 1e9",
        "--batch 1000000 --steps 1000000",
        "--weights int4 --mode stream",
        "--weights int8 --mode train",
        "--weights int8 --mode stream --model mingru",
        "--weights int8 --model transformer"
      })
  void badOptionsGiveOneLineErrors(String args) {
    CliRun run = CliRun.of(("bench " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    assertTrue(run.err().contains(args.split(" ")[0]), run.err());
  }

  @Test
  void peakReportsTheVectorFmaRateOfTheThreads() throws Exception {
    CliRun run =
        CliRun.of(
            "bench", "--model", "peak", "--threads", "2", "--repeats", "1", "--format", "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    assertEquals("peak", doc.get("model").asText());
    assertEquals(2, doc.get("threads").asInt());
    double gflops = doc.get("gflops").asDouble();
    // Any core that runs Java does more than 0.1 GFLOP/s in registers, and none reaches 100
    // TFLOP/s.
    assertTrue(gflops > 0.1 && gflops < 1e5, "gflops " + gflops);
    assertEquals(gflops / 2, doc.get("gflops_per_thread").asDouble(), 1e-9 * gflops);
    assertTrue(doc.get("lanes").asInt() >= 1);

    CliRun text = CliRun.of("bench", "--model", "peak", "--threads", "1", "--repeats", "1");
    assertEquals(0, text.status(), text.err());
    assertTrue(text.out().contains("GFLOP/s (") && text.out().contains("per thread"), text.out());
  }
}
