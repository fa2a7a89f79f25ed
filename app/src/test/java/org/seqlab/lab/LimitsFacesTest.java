package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.experiments.sweep.Budget;
import org.seqlab.experiments.sweep.ExperimentSettings;

/**
 * The table of limits seen from every face: the same value out of the table's range gets the same
 * sentence from {@code train}'s configuration, the model's description, a sweep's budget and
 * settings, and the lab (where it refuses rather than clamps: its API's start).
 */
class LimitsFacesTest {

  private static final TrainingRunConfig RUN = LabConfig.defaults().toRunConfig(null);

  /** A face, given the value: throws its refusal, or returns it (the lab). */
  private record Face(String name, Function<Object, String> refusal) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Face train(String field, Map<String, Object> also) {
    return new Face(
        "train " + field,
        v -> {
          Map<String, Object> changes = new LinkedHashMap<>(also);
          changes.put(field, v);
          return assertThrows(IllegalArgumentException.class, () -> RUN.with(changes)).getMessage();
        });
  }

  private static Face model(Function<Object, ModelSpec> build) {
    return new Face(
        "ModelSpec",
        v -> assertThrows(IllegalArgumentException.class, () -> build.apply(v)).getMessage());
  }

  private static Face budget(Function<Object, Budget> build) {
    return new Face(
        "Budget",
        v -> assertThrows(IllegalArgumentException.class, () -> build.apply(v)).getMessage());
  }

  private static Face settings(Function<Object, ExperimentSettings> build) {
    return new Face(
        "ExperimentSettings",
        v ->
            assertThrows(IllegalArgumentException.class, () -> build.apply(v).checkCommon(1, 1))
                .getMessage());
  }

  private static Face lab(String control, Map<String, Object> also) {
    return new Face(
        "lab " + control,
        v -> {
          Map<String, Object> request = new LinkedHashMap<>(also);
          request.put(control, v);
          LabConfig.Checked c = LabConfig.check(request, List.of("a.txt"));
          int at = c.fields().indexOf(control);
          assertTrue(at >= 0 && at < c.refusals().size(), control + ": " + c.changes());
          return c.refusals().get(at);
        });
  }

  private static ExperimentSettings steps(int steps) {
    return new ExperimentSettings(
        null, null, null, null, null, null, steps, null, null, null, null, null, null, null, null,
        null, null, null);
  }

  private static ExperimentSettings lr(double lr) {
    return new ExperimentSettings(
        null, null, null, null, null, null, null, lr, null, null, null, null, null, null, null,
        null, null, null);
  }

  static Stream<Arguments> cases() {
    Map<String, Object> none = Map.of();
    Map<String, Object> lstm = Map.of("model", "lstm");
    return Stream.of(
        Arguments.of(
            9000,
            "--hidden must be in [1, 8192], got 9000",
            List.of(
                train("hidden", none),
                model(v -> ModelSpec.of("lstm", (int) v, 1, 16, 1)),
                lab("hidden", none))),
        Arguments.of(
            40,
            "--layers must be in [1, 32], got 40",
            List.of(
                train("layers", none),
                model(v -> ModelSpec.of("gru", 16, (int) v, 16, 1)),
                lab("layers", none))),
        Arguments.of(
            5000,
            "--batch must be in [1, 4096], got 5000",
            List.of(train("batch", none), lab("batch", none))),
        Arguments.of(
            20000,
            // The default task, agreement, takes distances up to 1000: its row of the table of
            // tasks narrows the table of limits' [1, 10000].
            "--distance must be in [2, 1000], got 20000",
            List.of(train("distance", none), lab("distance", none))),
        Arguments.of(
            20000,
            "--seq-len must be in [1, 10000], got 20000",
            List.of(train("seq_len", none), lab("seq_len", none))),
        Arguments.of(
            -5,
            "--max-steps must be in [0, 1000000000], got -5",
            List.of(train("max_steps", none), lab("steps", none))),
        Arguments.of(
            0,
            "--steps must be in [1, 10000000], got 0",
            List.of(
                budget(v -> new Budget((int) v, "adam", 0.01, 1, 10, 0)),
                settings(v -> steps((int) v)))),
        Arguments.of(
            20.0,
            "--lr must be in (0, 10], got 20.0",
            List.of(
                train("lr", Map.of("min_lr", 20.0)),
                budget(v -> new Budget(10, "adam", (double) v, 1, 10, 0)),
                settings(v -> lr((double) v)),
                lab("lr", none))),
        Arguments.of(
            2e6,
            "--clip must be in [0, 1e6] (0: off), got 2000000.0",
            List.of(
                train("clip", none),
                budget(v -> new Budget(10, "adam", 0.01, (double) v, 10, 0)),
                lab("clip_threshold", none))),
        Arguments.of(
            200.0,
            "--spectral-radius must be in (0, 100], got 200.0",
            List.of(
                train("spectral_radius", none),
                model(v -> ModelSpec.of("rnn", 16, 1, 16, 1).withSpectralRadius((double) v)),
                lab("spectral_radius", Map.of("init", "spectral")))),
        Arguments.of(
            30.0,
            "--forget-bias must be in [-20, 20], got 30.0",
            List.of(
                train("forget_bias", lstm),
                model(v -> ModelSpec.of("lstm", 16, 1, 16, 1).withForgetBias((double) v)),
                lab("forget_bias", lstm))));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("cases")
  void theSameValueGetsTheSameRefusalFromEveryFace(Object value, String refusal, List<Face> faces) {
    List<String> wrong = new ArrayList<>();
    for (Face face : faces) {
      String got = face.refusal().apply(value);
      if (!refusal.equals(got)) wrong.add(face + ": " + got);
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void theLabClampsInsideTheTableWithItsOwnNoticeAndRefusesInItsWords() {
    LabConfig.Checked c = LabConfig.check(Map.of("hidden", 999), List.of());
    assertEquals(List.of("hidden 999 is above its maximum 256; using 256"), c.changes());
    assertEquals(List.of("hidden 999 is above its maximum 256"), c.refusals());
    assertEquals(256, c.config().hidden());
    // Outside the table too: the same clamp for a link, the table's words for a refusal.
    LabConfig.Checked far = LabConfig.check(Map.of("hidden", 9000), List.of());
    assertEquals(List.of("hidden 9000 is above its maximum 256; using 256"), far.changes());
    assertEquals(List.of("--hidden must be in [1, 8192], got 9000"), far.refusals());
  }

  @Test
  void everyLabControlsRangeLiesInsideItsRowOfTheTable() {
    for (LabConfig.Control c : LabConfig.CONTROLS) {
      if (!c.type().equals("int") && !c.type().equals("number")) continue;
      assertNotNull(c.row(), c.name() + " has no row of the table");
      assertTrue(c.row().option().startsWith("--"), c.name());
      assertTrue(c.inTable(c.min()) && c.inTable(c.max()), c.name() + " leaves its row");
      assertTrue(c.min() <= c.max(), c.name());
    }
  }
}
