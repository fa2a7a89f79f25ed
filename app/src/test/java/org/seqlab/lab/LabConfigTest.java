package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.seqlab.experiments.TrainingRunConfig;

class LabConfigTest {

  private static LabConfig.Checked check(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
    return LabConfig.check(m, List.of());
  }

  @Test
  void theDefaultsAreTakenAsTheyAre() {
    LabConfig.Checked c = check();
    assertTrue(c.exact(), () -> c.changes() + " " + c.problems());
    assertEquals(LabConfig.defaults(), c.config());
  }

  @Test
  void aValueOutOfRangeIsClampedAndSaidSo() {
    LabConfig.Checked c = check("hidden", 999, "lr", 1e-9);
    assertEquals(256, c.config().hidden());
    assertEquals(1e-5, c.config().lr());
    assertEquals(
        List.of(
            "hidden 999 is above its maximum 256; using 256",
            "lr 1e-09 is below its minimum 1e-05; using 1e-05"),
        c.changes());
    assertEquals(List.of("hidden", "lr"), c.fields());
  }

  @Test
  void theDistanceIsClampedToItsTasksRange() {
    assertEquals(
        List.of("distance 500 is outside agreement's range 2 to 100; using 100"),
        check("distance", 500).changes());
    LabConfig.Checked recall = check("task", "recall", "distance", 9);
    assertEquals(8, recall.config().distance());
    assertEquals(1, recall.changes().size());
    // A distance absurdly large for an int is clamped, not wrapped around.
    assertEquals(100, check("distance", 1e15).config().distance());
  }

  /**
   * One range for each task's knob: the help the page shows under the control, the slider's range
   * the schema sends and the clamp of a link all say {@link LabConfig#knobRange}'s.
   */
  @Test
  void theKnobsHelpSaysTheRangeTheSliderAndTheClampUse() {
    for (Map<String, Object> row : LabConfig.tasksJson()) {
      org.seqlab.experiments.Task t = org.seqlab.experiments.Task.fromId((String) row.get("id"));
      if (t.isText()) continue;
      var range = LabConfig.knobRange(t);
      assertEquals(range.min(), ((Number) row.get("lab_min")).longValue());
      assertEquals(range.max(), ((Number) row.get("lab_max")).longValue());
      String words = range.min() + " to " + range.max();
      assertTrue(((String) row.get("knob_help")).endsWith(words + " in the lab"), row.toString());
      assertTrue(
          LabConfig.control("distance")
              .help()
              .contains(t.id() + " " + t.knobWords() + ", " + words),
          LabConfig.control("distance").help());
      String clamped = check("task", t.id(), "distance", range.max() + 1).changes().getFirst();
      assertTrue(clamped.contains("range " + words), clamped);
    }
  }

  @Test
  void linksArriveAsStringsAndAreParsedLikeJson() {
    LabConfig.Checked c =
        check("model", "lstm", "hidden", "48", "clip", "false", "forget_bias", "3", "seed", "7");
    assertTrue(c.exact(), () -> c.changes().toString());
    assertEquals(48, c.config().hidden());
    assertFalse(c.config().clip());
    assertEquals(3.0, c.config().forgetBias());
    assertEquals(7, c.config().seed());
  }

  @Test
  void whatCannotBeReadFallsBackToTheDefaultWithAReason() {
    LabConfig.Checked c = check("hidden", "abc", "model", "cnn", "wings", 2, "steps", 10.5);
    assertEquals(32, c.config().hidden());
    assertEquals("rnn", c.config().model());
    assertEquals(11, c.config().steps());
    assertEquals(
        List.of(
            "'hidden' must be a number, got 'abc'; using the default",
            "'model' cannot be 'cnn'; allowed: "
                + String.join(", ", LabConfig.MODELS)
                + "; using the default",
            "ignored 'wings': the lab has no such setting",
            "steps 10.5 is not a whole number; using 11"),
        c.changes());
  }

  @Test
  void impossibleCombinationsAreProblemsNamingWhatWouldWork() {
    LabConfig.Checked heads = check("model", "transformer", "hidden", 30, "heads", 4);
    assertEquals(
        List.of(
            "4 heads do not divide the width 30: each head takes width/heads columns; try 1, 2, 3,"
                + " 5, 6"),
        heads.problems());
    assertEquals(List.of("heads"), heads.fields());
    // The same heads on a recurrent model do not matter, so they are no problem.
    assertTrue(check("model", "rnn", "hidden", 30, "heads", 4).exact());
    LabConfig.Checked text = check("task", "char-lm");
    assertEquals(1, text.problems().size());
    assertTrue(text.problems().getFirst().startsWith("char-lm needs a text"));
    assertTrue(LabConfig.check(Map.of("task", "char-lm"), List.of("a.txt")).exact());
  }

  @Test
  void eachControlThatDoesNotMatterSaysWhy() {
    Map<String, String> rnn = check("model", "rnn").config().inactive();
    assertEquals("the RNN has no forget gate", rnn.get("forget_bias"));
    assertEquals("set the initialisation to spectral first", rnn.get("spectral_radius"));
    assertEquals("the RNN has no attention heads", rnn.get("heads"));
    assertNull(rnn.get("activation"));
    Map<String, String> transformer =
        check("model", "transformer", "clip", false).config().inactive();
    assertEquals("the Transformer has no recurrent matrix W_hh", transformer.get("init"));
    assertEquals("clipping is off", transformer.get("clip_threshold"));
    assertEquals("only the vanilla RNN chooses its activation", transformer.get("activation"));
  }

  @Test
  void theEngineGetsWhatTheControlsSay() {
    TrainingRunConfig relu =
        check(
                "activation",
                "relu",
                "init",
                "spectral",
                "spectral_radius",
                2.5,
                "clip",
                false,
                "optimizer",
                "sgd",
                "lr",
                0.05,
                "forget_bias",
                2)
            .config()
            .toRunConfig(null);
    assertEquals("rnn_relu", relu.model());
    assertEquals(2.5, relu.spectralRadius());
    assertNull(relu.forgetBias()); // not an LSTM
    assertEquals(0, relu.clip());
    assertEquals(0, relu.momentum());
    assertEquals(1, relu.threads());
    assertEquals("constant", relu.schedule());
    assertEquals(0, relu.dropout());

    TrainingRunConfig lstm =
        check("model", "lstm", "forget_bias", 3, "spectral_radius", 0.5).config().toRunConfig(null);
    assertEquals(3.0, lstm.forgetBias());
    assertNull(lstm.spectralRadius()); // init is pytorch
    assertEquals(1.0, lstm.clip());

    TrainingRunConfig text =
        LabConfig.check(Map.of("task", "char-lm", "seq_len", 32), List.of("t.txt"))
            .config()
            .toRunConfig(Path.of("/data/t.txt"));
    assertEquals("/data/t.txt", text.text());
    assertEquals(32, text.seqLen());
    assertEquals(0, text.distance());
  }

  @Test
  void aRunReadBackFromItsConfigIsTheSameConfig() {
    for (Presets.Preset p : Presets.ALL) {
      LabConfig c = p.config();
      assertEquals(c.title(), LabConfig.fromRunConfig(c.toRunConfig(null)).title(), p.name());
      LabConfig back = LabConfig.fromRunConfig(c.toRunConfig(null));
      assertEquals(c.model(), back.model());
      assertEquals(c.activation(), back.activation());
      assertEquals(c.forgetBias(), back.forgetBias());
      assertEquals(c.clip(), back.clip());
      assertEquals(c.init(), back.init());
    }
  }

  @Test
  void everyPresetIsInRangeAndTrainable() {
    assertEquals(
        List.of("vanishing", "exploding", "highway", "bottleneck", "attention"),
        Presets.ALL.stream().map(Presets.Preset::name).toList());
    for (Presets.Preset p : Presets.ALL) {
      LabConfig.Checked c = LabConfig.check(p.settings(), List.of());
      assertTrue(c.exact(), () -> p.name() + ": " + c.changes() + c.problems());
      c.config().toRunConfig(null); // the engine accepts it
    }
  }
}
