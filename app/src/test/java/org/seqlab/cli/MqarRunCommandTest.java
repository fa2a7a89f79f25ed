package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code seqlab run mqar} and {@code seqlab train --task mqar}, end to end, tiny. */
class MqarRunCommandTest {

  @TempDir Path tmp;

  @Test
  void runWritesTheResultsAndThePlots() {
    Path out = tmp.resolve("mqar");
    CliRun run =
        CliRun.of(
            "run",
            "mqar",
            "--models",
            "lstm,transformer",
            "--hidden",
            "8",
            "--distances",
            "2",
            "--seeds",
            "1",
            "--steps",
            "5",
            "--batch",
            "4",
            "--validation",
            "8",
            "--val-every",
            "5",
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.out() + run.err());
    // one model, one size, one number of pairs, one seed: the three rates of its tuning grid
    assertTrue(run.out().contains("[  6/6]"), run.out());
    assertTrue(
        run.out()
            .lines()
            .anyMatch(l -> l.matches("LSTM H 8 · lr 0\\.00[139] \\(16 floats of state\\): .*")),
        run.out());
    assertTrue(
        run.out().lines().anyMatch(l -> l.startsWith("baseline") && l.contains("0.016")),
        run.out());
    for (String file : new String[] {"result.json", "score.png", "curves.png", "state-k2.png"}) {
      assertTrue(Files.isRegularFile(out.resolve(file)), file);
    }
  }

  @Test
  void trainTakesTheTaskByName() {
    CliRun train =
        CliRun.of(
            "train",
            "--task",
            "mqar",
            "--distance",
            "3",
            "--model",
            "gru",
            "--layers",
            "1",
            "--hidden",
            "8",
            "--dropout",
            "0",
            "--batch",
            "4",
            "--max-steps",
            "4",
            "--val-every",
            "4",
            "--threads",
            "1",
            "--out",
            tmp.resolve("t").toString());
    assertEquals(0, train.status(), train.err());
    assertTrue(train.out().contains("mqar"), train.out());
  }
}
