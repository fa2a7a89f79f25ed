package org.seqlab.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.sweep.Budget;
import org.seqlab.experiments.sweep.Experiments;
import org.seqlab.experiments.sweep.RunExecutor;
import org.seqlab.experiments.sweep.SweepRun;
import org.seqlab.experiments.sweep.TaskSpec;

/** A run that cannot train fails its task as often as Spark allows, then the sweep, in one line. */
class SparkRunsTest {

  @TempDir Path tmp;

  @Test
  void aRunThatFailsEveryAttemptEndsTheJobWithSparksReason() {
    // A character model of a text that is not there: every attempt fails as it reads it.
    Path missing = tmp.resolve("no-such-text.txt");
    SweepRun broken =
        new SweepRun(
            "lstm-window16-seed0",
            "LSTM H 8",
            16,
            ModelSpec.of("lstm", 8, 1, 8, 1),
            new TaskSpec("char-lm", 16, 4, 8, 0, missing.toString()),
            new Budget(2, "adam", 1e-3, 1.0, 1, 0),
            0,
            1L);
    // As the sweep command sets Spark up in local mode: its listener, no UI.
    var conf =
        new SparkConf()
            .setMaster("local[1,2]")
            .setAppName("seqlab sweep char-lm")
            .set("spark.ui.enabled", "false")
            .set("spark.extraListeners", SweepListener.class.getName());
    try (JavaSparkContext spark = new JavaSparkContext(conf)) {
      SparkRuns runs = new SparkRuns(spark, 1, SweepListener.current());
      List<RunExecutor.Outcome> outcomes = new ArrayList<>();
      var failed =
          assertThrows(
              SparkRuns.JobFailed.class,
              () ->
                  runs.execute(Experiments.named("char-lm"), tmp, List.of(broken), outcomes::add));
      assertTrue(failed.getMessage().contains("no-such-text.txt"), failed.getMessage());
      assertEquals(-1, failed.getMessage().indexOf('\n'), "one line: " + failed.getMessage());
      assertEquals(List.of(), outcomes);
      // local[1,2]: two attempts, both failed, each seen by the listener.
      assertEquals(2, runs.stats().failedAttempts());
      assertEquals(0, runs.stats().tasks());
    }
  }
}
