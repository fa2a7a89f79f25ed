package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.experiments.Parallelism;
import org.seqlab.nn.Architecture;

class ParallelismCommandTest {
  @TempDir Path dir;

  @Test
  void measuresEveryModelAndWritesTheRunDirectory() throws Exception {
    Path out = dir.resolve("run");
    CliRun run =
        CliRun.of(
            "parallelism",
            "--hidden",
            "8",
            "--batch",
            "2",
            "--min-steps",
            "4",
            "--max-steps",
            "16",
            "--repeats",
            "1",
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("PROJECTION, not a measurement"), run.out());
    JsonNode doc = new ObjectMapper().readTree(Files.readString(out.resolve("results.json")));
    assertEquals(3, doc.get("rows").size()); // T = 4, 8, 16
    // The default models, each under its id, every one's critical path the table's.
    assertEquals("[\"lstm\",\"mingru\",\"transformer\"]", doc.get("models").toString());
    for (JsonNode row : doc.get("rows")) {
      int t = row.get("steps").asInt();
      assertEquals(2L * t, row.get("lstm_critical_path").asLong());
      assertEquals(
          Architecture.ATTENTION_BLOCK_CRITICAL_PATH,
          row.get("transformer_critical_path").asLong());
      for (Architecture a :
          List.of(Architecture.LSTM, Architecture.MIN_GRU, Architecture.TRANSFORMER)) {
        assertEquals(a.criticalPath(t, 1), row.get(a.id() + "_critical_path").asLong(), a.id());
        assertTrue(row.get(a.id() + "_seconds_1_thread").asDouble() > 0, a.id());
        assertTrue(row.get(a.id() + "_seconds_all_cores").asDouble() > 0, a.id());
        assertTrue(row.get("projected_speedup").get(a.id() + "_p8").asDouble() >= 1, a.id());
      }
    }
    assertEquals(8, doc.get("lstm").get("hidden").asInt());
    assertTrue(doc.get("mingru").get("parameters").asLong() > 0);
    for (String png : new String[] {"step_time.png", "projected_speedup.png"}) {
      BufferedImage image = ImageIO.read(out.resolve(png).toFile());
      assertEquals(900, image.getWidth(), png);
    }
  }

  @Test
  void brentsBoundFavoursTheShortCriticalPath() {
    // Same work, same tau: the longer critical path caps the speed-up.
    double t1 = 1.0, tau = 1e-5;
    assertTrue(Parallelism.projectedSpeedup(t1, 24, tau, 64) > 60);
    assertTrue(Parallelism.projectedSpeedup(t1, 2048, tau, 64) < 40);
    assertEquals(1.0, Parallelism.projectedSpeedup(t1, 0, tau, 1), 1e-12);
  }

  @Test
  void equalParameterCount() {
    int width = Parallelism.widthFor(Architecture.TRANSFORMER, 33_280, 4);
    assertEquals(52, width);
    assertTrue(Math.abs(12L * width * width + 13L * width - 33_280) < 0.01 * 33_280);
    // An LSTM of 64 units sets the budget; minGRU (2 blocks, no W_hh) gets about twice the width.
    assertEquals(33_280, Parallelism.layerParameters(Architecture.LSTM, 64));
    assertEquals(128, Parallelism.widthFor(Architecture.MIN_GRU, 33_280, 4));
  }

  @Test
  void onlyTheChosenModelsAreTimed() throws Exception {
    CliRun run =
        CliRun.of(
            "parallelism",
            "--models",
            "gru,minlstm",
            "--hidden",
            "4",
            "--batch",
            "1",
            "--min-steps",
            "4",
            "--max-steps",
            "4",
            "--repeats",
            "1",
            "--format",
            "json",
            "--no-plots");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = new ObjectMapper().readTree(run.out());
    assertEquals("[\"gru\",\"minlstm\"]", doc.get("models").toString());
    JsonNode row = doc.get("rows").get(0);
    assertEquals(
        Architecture.MIN_LSTM.criticalPath(4, 1), row.get("minlstm_critical_path").asLong());
    assertTrue(row.get("lstm_critical_path") == null, row.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--hidden 0",
        "--min-steps 0",
        "--max-steps 8 --min-steps 16",
        "--repeats 0",
        "--project 0",
        "--format xml",
        "--models cnn",
        "--max-steps 65536 --batch 4096"
      })
  void badOptionsGiveOneLineErrors(String args) {
    CliRun run = CliRun.of(("parallelism --no-plots " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    assertTrue(run.err().contains(args.split(" ")[0]), run.err());
  }
}
