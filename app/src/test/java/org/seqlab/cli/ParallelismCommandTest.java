package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.experiments.Parallelism;

class ParallelismCommandTest {
  @TempDir Path dir;

  @Test
  void measuresBothModelsAndWritesTheRunDirectory() throws Exception {
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
    for (JsonNode row : doc.get("rows")) {
      int t = row.get("steps").asInt();
      assertEquals(2L * t, row.get("lstm_critical_path").asLong());
      assertEquals(
          Parallelism.TRANSFORMER_BLOCK_CRITICAL_PATH,
          row.get("transformer_critical_path").asLong());
      assertTrue(row.get("lstm_seconds_1_thread").asDouble() > 0);
      assertTrue(row.get("transformer_seconds_all_cores").asDouble() > 0);
    }
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
    int width = Parallelism.transformerWidthFor(33_280, 4);
    assertEquals(52, width);
    assertTrue(Math.abs(12L * width * width + 13L * width - 33_280) < 0.01 * 33_280);
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
        "--max-steps 65536 --batch 4096"
      })
  void badOptionsGiveOneLineErrors(String args) {
    CliRun run = CliRun.of(("parallelism --no-plots " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    assertTrue(run.err().contains(args.split(" ")[0]), run.err());
  }
}
