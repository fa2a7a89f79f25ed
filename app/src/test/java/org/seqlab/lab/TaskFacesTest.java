package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.experiments.Limits;
import org.seqlab.experiments.Task;
import org.seqlab.experiments.TrainingRunConfig;

/**
 * The table of tasks seen from every face: each row is taken by {@code train}'s configuration and
 * by the lab (its schema, its check, the configuration it hands the engine) at both ends of its
 * knob's range, and a knob outside the row's range gets the table's sentence from both. Every test
 * goes over every row, so a new row is covered without a change here.
 */
class TaskFacesTest {

  private static final TrainingRunConfig RUN = LabConfig.defaults().toRunConfig(null);
  private static final List<String> TEXTS = List.of("a.txt");

  private static TrainingRunConfig train(Task row, long knob) {
    Map<String, Object> changes = new LinkedHashMap<>();
    changes.put("task", row.id());
    if (row.isText()) {
      changes.put("text", "/texts/a.txt");
      changes.put("distance", 0);
      changes.put("seq_len", knob);
    } else {
      changes.put("distance", knob);
    }
    return RUN.with(changes);
  }

  @ParameterizedTest
  @EnumSource(Task.class)
  void trainTakesEveryRowAtBothEndsOfItsKnobAndRefusesPastThem(Task row) {
    Limits.Range range = row.knobRange();
    for (long knob : List.of(range.min(), range.max())) {
      TrainingRunConfig c = train(row, knob);
      assertEquals(row, c.taskRow());
      assertEquals(row.isText(), c.isCharLm());
    }
    for (long knob : List.of(range.min() - 1, range.max() + 1)) {
      String refusal =
          assertThrows(IllegalArgumentException.class, () -> train(row, knob)).getMessage();
      assertEquals(range.refusal(knob), refusal);
      assertTrue(refusal.startsWith(range.option() + " must be in ["), refusal);
    }
  }

  @ParameterizedTest
  @EnumSource(Task.class)
  void theLabTakesEveryRowAtBothEndsOfItsRangeAndHandsTrainTheSame(Task row) {
    Limits.Range lab = LabConfig.knobRange(row);
    assertTrue(row.knobRange().contains(lab.min()) && row.knobRange().contains(lab.max()));
    assertTrue(LabConfig.TASKS.contains(row.id()));
    assertTrue(LabConfig.control("task").choices().contains(row.id()));
    for (long knob : List.of(lab.min(), lab.max())) {
      Map<String, Object> request = new LinkedHashMap<>();
      request.put("task", row.id());
      request.put(row.isText() ? "seq_len" : "distance", knob);
      LabConfig.Checked c = LabConfig.check(request, TEXTS);
      assertTrue(c.exact(), () -> row + " " + knob + ": " + c.changes() + " " + c.problems());
      assertEquals(row, c.config().taskRow());
      TrainingRunConfig run = c.config().toRunConfig(Path.of("/texts/a.txt"));
      assertEquals(row, run.taskRow());
      assertEquals(row.isText() ? 0 : knob, run.distance());
      assertTrue(c.config().title().contains(row.id()), c.config().title());
      if (!row.isText()) {
        assertTrue(c.config().title().endsWith(row.knob() + " " + knob), c.config().title());
        assertEquals(
            List.of(),
            List.copyOf(c.config().inactive().keySet()).stream()
                .filter(n -> n.equals("distance"))
                .toList());
      } else {
        assertTrue(c.config().inactive().containsKey("distance"));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Task.class)
  void theLabClampsToItsRangeAndRefusesPastTheTablesInTheTablesWords(Task row) {
    if (row.isText()) return;
    Limits.Range lab = LabConfig.knobRange(row);
    long over = row.knobRange().max() + 1;
    LabConfig.Checked c = LabConfig.check(Map.of("task", row.id(), "distance", over), TEXTS);
    assertEquals(lab.max(), c.config().distance());
    assertEquals(
        String.format(
            "distance %d is outside %s's range %d to %d; using %d",
            over, row.id(), lab.min(), lab.max(), lab.max()),
        c.changes().getFirst());
    assertEquals(row.knobRange().refusal(over), c.refusals().getFirst());
    assertEquals(train(row, lab.max()).distance(), c.config().toRunConfig(null).distance());
  }

  @Test
  void theSchemaSendsEveryRowOfTheTable() {
    List<Map<String, Object>> rows = LabConfig.tasksJson();
    List<String> ids = rows.stream().map(r -> (String) r.get("id")).toList();
    assertEquals(LabConfig.TASKS, ids);
    assertEquals(new HashSet<>(Task.ids()), new HashSet<>(ids));
    assertEquals(LabConfig.TASKS, LabConfig.control("task").choices());
    for (Map<String, Object> r : rows) {
      Task row = Task.fromId((String) r.get("id"));
      assertEquals(row.label(), r.get("label"));
      assertEquals(row.knobLabel(), r.get("knob_label"));
      assertEquals(row.knobRange().option(), r.get("option"));
      assertEquals(LabConfig.knobRange(row).min(), r.get("lab_min"));
      assertEquals(LabConfig.knobRange(row).max(), r.get("lab_max"));
      assertEquals(row.scoredByAccuracy() ? "accuracy" : "loss", r.get("metric"));
      assertEquals(row.isText(), r.get("text"));
    }
    // The distance control spans every synthetic task's range in the lab.
    LabConfig.Control distance = LabConfig.control("distance");
    for (Task row : Task.values()) {
      if (row.isText()) continue;
      assertTrue(distance.min() <= LabConfig.knobRange(row).min(), row.id());
      assertTrue(distance.max() >= LabConfig.knobRange(row).max(), row.id());
      assertTrue(distance.help().contains(row.id()), distance.help());
    }
  }
}
