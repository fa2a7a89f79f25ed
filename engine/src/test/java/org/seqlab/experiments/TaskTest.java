package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.experiments.sweep.TaskSpec;
import org.seqlab.tasks.SyntheticTask;

/**
 * The table of tasks: each generated row makes its task at both ends of its knob's range, with the
 * name, knob and metric the row says, and the lists the engine's faces read are the table's. Every
 * test goes over every row, so a new row is covered without a change here.
 */
class TaskTest {

  @ParameterizedTest
  @EnumSource(Task.class)
  void eachGeneratedRowMakesItsTaskAtBothEndsOfItsKnob(Task row) {
    if (row.isText()) {
      assertTrue(
          assertThrows(IllegalArgumentException.class, () -> row.create(64, 2, 2, 0, 0))
              .getMessage()
              .contains("--text FILE"));
      return;
    }
    for (long d : List.of(row.knobRange().min(), row.knobRange().max())) {
      SyntheticTask task = row.create((int) d, 2, 2, Task.RECALL_POOL, 0);
      assertEquals(row.id(), task.name());
      assertEquals(row.knob(), task.difficultyName());
      assertEquals(row.metric(), task.metric());
      assertEquals(d, task.difficulty());
    }
    // Below the range, the task itself refuses too: the table does not claim more than it takes.
    long below = row.knobRange().min() - 1;
    assertThrows(
        IllegalArgumentException.class, () -> row.create((int) below, 2, 2, Task.RECALL_POOL, 0));
    assertEquals("--distance", row.knobRange().option());
    assertTrue(Limits.DISTANCE.range().contains(row.knobRange().max()));
  }

  @ParameterizedTest
  @EnumSource(Task.class)
  void aSweepTakesEveryRowByItsName(Task row) {
    TaskSpec spec =
        new TaskSpec(
            row.id(),
            (int) row.knobRange().min(),
            2,
            2,
            Task.RECALL_POOL,
            row.isText() ? "text.txt" : null);
    assertEquals(row, spec.row());
    assertEquals(row.knob(), TaskSpec.knob(row.id()));
    assertTrue(TaskSpec.TASKS.contains(row.id()));
    assertEquals(row.scoredByAccuracy(), Tasks.scoredByAccuracy(row.id()));
  }

  @Test
  void theListsOfTasksAreTheTables() {
    assertEquals(Task.values().length, new HashSet<>(Task.ids()).size(), "ids are unique");
    assertEquals(TrainingRunConfig.CHAR_LM, Task.CHAR_LM.id());
    assertEquals(Task.syntheticIds(), TrainingRunConfig.SYNTHETIC_TASKS);
    assertEquals(new HashSet<>(Task.ids()), new HashSet<>(TaskSpec.TASKS));
    assertEquals(
        "unknown task 'sorting'; use char-lm, adding, copy, agreement, recall, mqar",
        assertThrows(IllegalArgumentException.class, () -> Task.fromId("sorting")).getMessage());
    assertEquals(
        "agreement: the verb's number, from the subject d words back (--distance: distance d, 2"
            + " to 1000; scored by accuracy)",
        Task.AGREEMENT.describe());
    assertEquals(Task.RECALL_POOL, TrainingRun.RECALL_POOL);
  }
}
