package org.seqlab.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.TrainingState;

class RunDirectoryTest {
  @TempDir Path dir;

  @Test
  void aCheckpointRoundTripsEveryCounterAndTensorExactly() throws Exception {
    RunDirectory run = RunDirectory.create(dir.resolve("r"), false);
    Tensor w = Tensor.wrap(new float[] {1.5f, -2.25f, Float.MIN_VALUE}, 3);
    Tensor h = Tensor.wrap(new float[] {0.1f, 0.2f}, 1, 1, 2);
    TrainingState state =
        new TrainingState(
            17,
            "epoch 1, window 18 of 20",
            12.345678901234567,
            10.5,
            17 * 4096L,
            1.2345678,
            Map.of("rnn.weight", w),
            Map.of("exp_avg.rnn.weight", new double[] {1e-300, -3, 0.1}),
            17,
            Map.of("h", h),
            Double.NaN,
            -1,
            Double.POSITIVE_INFINITY,
            0,
            3);
    run.saveCheckpoint(state, Map.of("note", "x"));
    run.writeJson(RunDirectory.CONFIG, Map.of("task", "test"));
    RunDirectory.Checkpoint back = RunDirectory.open(dir.resolve("r")).loadCheckpoint();
    TrainingState s = back.state();
    assertEquals(17, s.step());
    assertEquals("epoch 1, window 18 of 20", s.position());
    assertEquals(12.345678901234567, s.seconds());
    assertEquals(1.2345678, s.lastLoss());
    assertTrue(Double.isNaN(s.validationLoss()));
    assertEquals(Double.POSITIVE_INFINITY, s.bestValidationLoss());
    assertEquals(3, s.validationsWithoutImprovement());
    assertArrayEquals(w.data(), s.model().get("rnn.weight").data());
    assertArrayEquals(new double[] {1e-300, -3, 0.1}, s.optimizerState().get("exp_avg.rnn.weight"));
    assertArrayEquals(h.shape(), s.carried().get("h").shape());
    assertEquals("x", back.metadata().get("note"));
  }

  @Test
  void openRefusesADirectoryWithoutARun() throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    var e =
        assertThrows(IllegalArgumentException.class, () -> RunDirectory.open(dir.resolve("empty")));
    assertTrue(e.getMessage().contains("holds no run"), e.getMessage());
    Files.writeString(dir.resolve("empty/config.json"), "{}");
    var c =
        assertThrows(
            IllegalArgumentException.class,
            () -> RunDirectory.open(dir.resolve("empty")).loadCheckpoint());
    assertTrue(c.getMessage().contains("before its first checkpoint"), c.getMessage());
  }

  @Test
  void createRefusesAFileAndANonEmptyDirectoryAndForceRemovesOnlyRunFiles() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertThrows(IllegalArgumentException.class, () -> RunDirectory.create(file, true));
    Path run = Files.createDirectories(dir.resolve("old"));
    Files.writeString(run.resolve("metrics.csv"), "step\n1\n");
    Files.writeString(run.resolve("loss.png"), "png");
    Files.writeString(run.resolve("README"), "keep me");
    assertThrows(IllegalArgumentException.class, () -> RunDirectory.create(run, false));
    assertTrue(Files.exists(run.resolve("metrics.csv")));
    RunDirectory.create(run, true);
    assertFalse(Files.exists(run.resolve("metrics.csv")));
    assertFalse(Files.exists(run.resolve("loss.png")));
    assertEquals("keep me", Files.readString(run.resolve("README")));
  }

  @Test
  void truncatingKeepsRowsUpToTheStepAndDropsARowCutShort() throws Exception {
    RunDirectory run = RunDirectory.create(dir.resolve("m"), false);
    try (BufferedWriter out = run.appendCsv("metrics.csv", "step,loss")) {
      out.write("1,2.0\n2,1.9\n3,1.8\n4,1.7\n");
    }
    Files.writeString(run.file("metrics.csv"), "5,1.", java.nio.file.StandardOpenOption.APPEND);
    run.truncateCsv("metrics.csv", 3);
    assertEquals(
        List.of("step,loss", "1,2.0", "2,1.9", "3,1.8"),
        Files.readAllLines(run.file("metrics.csv")));
    // Appending again does not repeat the header.
    try (BufferedWriter out = run.appendCsv("metrics.csv", "step,loss")) {
      out.write("4,1.75\n");
    }
    assertEquals(5, Files.readAllLines(run.file("metrics.csv")).size());
    assertEquals(4, run.readCsv("metrics.csv").size());
  }
}
