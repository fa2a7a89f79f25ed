package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.TextFigures;
import org.seqlab.io.RunDirectory;

/** {@code EXPERIMENTS.md} from the saved results: the committed one, its parts, its refusals. */
class ExperimentsDocumentTest {

  @TempDir Path tmp;

  /** The repository's root, from the module's directory where the tests run. */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theCommittedDocumentIsWhatTheCommittedResultsGive() throws Exception {
    Path document = ROOT.resolve(ExperimentsDocument.DEFAULT_DOCUMENT);
    String expected =
        ExperimentsDocument.generate(ROOT.resolve(ExperimentsDocument.DEFAULT_RESULTS), document);
    String committed =
        Files.isRegularFile(document) ? Files.readString(document, StandardCharsets.UTF_8) : "";
    if (!expected.equals(committed)) {
      List<String> want = expected.lines().toList(), have = committed.lines().toList();
      int line = 0;
      while (line < want.size() && line < have.size() && want.get(line).equals(have.get(line))) {
        line++;
      }
      throw new AssertionError(
          "EXPERIMENTS.md is not what docs/experiments gives; regenerate it from the repository"
              + " root with `./seqlab document` (then commit it). First difference at line "
              + (line + 1)
              + ":\n  expected: "
              + (line < want.size() ? want.get(line) : "(end of file)")
              + "\n  found:    "
              + (line < have.size() ? have.get(line) : "(end of file)"));
    }
  }

  static ExperimentRunner.Record record(
      String experiment, ExperimentSettings given, Map<String, List<String>> grid, int runs) {
    ExperimentSettings settings = given.orElse(Experiments.named(experiment).defaults());
    return new ExperimentRunner.Record(
        experiment, settings, Map.of(), "2026-01-02T03:04:05Z", runs, grid);
  }

  static ExperimentSettings given(
      List<String> models,
      List<Integer> distances,
      List<Double> forgetBiases,
      Integer steps,
      Double lr,
      String text,
      Integer jobs) {
    return new ExperimentSettings(
        models,
        distances,
        null,
        forgetBiases,
        null,
        null,
        steps,
        lr,
        null,
        null,
        null,
        null,
        null,
        null,
        text,
        null,
        null,
        jobs);
  }

  @Test
  void theCommandRepeatsTheSettingsThatDifferFromTheDefaults() {
    // the defaults (and --jobs, which changes no number) give the bare command
    assertEquals(
        "./seqlab run long-range",
        ExperimentsDocument.command(
            record("long-range", given(null, null, null, null, null, null, 7), null, 60)));
    // an option given with its default value is left out too
    ExperimentSettings defaults = Experiments.named("long-range").defaults();
    assertEquals(
        "./seqlab run long-range",
        ExperimentsDocument.command(
            record(
                "long-range",
                given(defaults.models(), null, null, defaults.steps(), null, null, null),
                null,
                60)));
    // lists joined by commas, numbers without a needless ".0", in the options' order
    assertEquals(
        "./seqlab run long-range --models rnn,lstm --distances 5,10 --steps 500 --lr 0.0001",
        ExperimentsDocument.command(
            record(
                "long-range",
                given(List.of("rnn", "lstm"), List.of(5, 10), null, 500, 1e-4, null, 2),
                null,
                4)));
    assertEquals(
        "./seqlab run forget-bias --forget-biases 0,2.5",
        ExperimentsDocument.command(
            record(
                "forget-bias",
                given(null, null, List.of(0.0, 2.5), null, null, null, 2),
                null,
                6)));
    // a file name a shell would split is quoted
    assertEquals(
        "./seqlab run char-lm --text 'my texts/it'\\''s.txt'",
        ExperimentsDocument.command(
            record(
                "char-lm", given(null, null, null, null, null, "my texts/it's.txt", 2), null, 6)));
    // the grid, and --max-runs where the plan needs more than the default cap
    Map<String, List<String>> grid = new LinkedHashMap<>();
    grid.put("lr", List.of("0.001", "0.003"));
    grid.put("clip", List.of("0", "1"));
    assertEquals(
        "./seqlab run adding --grid lr=0.001,0.003 --grid clip=0,1 --max-runs 12000",
        ExperimentsDocument.command(record("adding", ExperimentSettings.NONE, grid, 12_000)));
  }

  @Test
  void theCommandIsRebuiltFromExperimentJson() throws Exception {
    Path dir = tmp.resolve("copy");
    Files.createDirectories(dir);
    ExperimentRunner.Record written =
        record("copy", given(null, List.of(5, 40), null, 800, null, null, 2), null, 32);
    RunDirectory.JSON.writeValue(dir.resolve(ExperimentRunner.EXPERIMENT).toFile(), written);
    assertEquals(
        "./seqlab run copy --distances 5,40 --steps 800",
        ExperimentsDocument.command(ExperimentRunner.readRecord(dir)));
  }

  @Test
  void theFactsLine() {
    ExperimentRunner.Record r =
        new ExperimentRunner.Record(
            "long-range",
            given(null, null, null, null, null, null, 2)
                .orElse(Experiments.named("long-range").defaults()),
            Map.of("os", "Linux 6.1", "arch", "amd64", "java", "25.0.3", "processors", "2"),
            "2026-01-02T03:04:05Z",
            60,
            null);
    assertEquals(
        "60 runs, 2 side by side, in 8m24s wall-clock, started 2026-01-02, on 2 processors (Linux"
            + " 6.1, amd64, Java 25.0.3).",
        ExperimentsDocument.facts(r, 60, 504.0));
    assertEquals(
        "58 of 60 runs finished, 2 side by side, started 2026-01-02, on 2 processors (Linux 6.1,"
            + " amd64, Java 25.0.3).",
        ExperimentsDocument.facts(r, 58, null));
  }

  @Test
  void theIntroductionTypesNoNumber() throws Exception {
    String template;
    try (InputStream in = ExperimentsDocument.class.getResourceAsStream("experiments-intro.md")) {
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertFalse(
        template.chars().anyMatch(Character::isDigit),
        "every number of the introduction comes from a constant: " + template);
    String intro = ExperimentsDocument.intro().replaceAll("\\s+", " ");
    assertFalse(intro.contains("{{"), intro);
    assertTrue(intro.contains("accuracy of " + Summary.number(Summary.LEARNED_ACCURACY)), intro);
    assertTrue(intro.contains(Summary.number(Summary.LOSS_LEARNED) + " times"), intro);
    assertTrue(intro.contains("a 95% Wilson interval"), intro);
    assertTrue(intro.contains("more than 1% below"), intro);
    assertTrue(intro.contains("the learning rate at 1/3, 1 and 3 times"), intro);
    assertTrue(intro.contains("forget-gate bias of 1 and 3."), intro);
    assertTrue(intro.contains("within 5% at every difficulty"), intro);
    assertFalse(intro.contains("PyTorch"), intro);
  }

  @Test
  void theTemplateRefusesAnUnknownName() {
    assertEquals("a 1 b", ExperimentsDocument.fill("a {{x}} b", Map.of("x", "1")));
    assertThrows(
        IllegalStateException.class, () -> ExperimentsDocument.fill("{{y}}", Map.of("x", "1")));
  }

  @Test
  void sharesAndCoverage() {
    assertEquals(0.95, ExperimentsDocument.twoSidedCoverage(Wilson.Z95), 1e-6);
    assertEquals("95%", ExperimentsDocument.percent(0.95));
    assertEquals("half", ExperimentsDocument.share(0.5));
    assertEquals("a quarter", ExperimentsDocument.share(0.25));
    assertEquals("40%", ExperimentsDocument.share(0.4));
  }

  /** A tiny experiment run into {@code results/NAME}, its plots written as text. */
  Path tinyRun(Path results, String name) throws Exception {
    Path dir = results.resolve(name);
    ExperimentRunner runner =
        ExperimentRunner.prepare(
            Experiments.named("long-range"),
            ExperimentRunnerTest.small(),
            ExperimentRunnerTest.GIVEN,
            dir);
    runner.run(new ExperimentRunner.Listener() {});
    runner.report(TextFigures.SINK);
    return dir;
  }

  @Test
  void aSectionFromARunDirectory() throws Exception {
    Path results = tmp.resolve("results");
    Path dir = tinyRun(results, "long-range");
    Double wall = ExperimentRunner.readWallSeconds(dir);
    assertTrue(wall != null && wall > 0, "the wall-clock time is recorded: " + wall);
    Files.writeString(dir.resolve("extra.png"), "not drawn by the report");
    Files.createDirectories(results.resolve("notes")); // no experiment: passed over
    Path crosscheck = results.resolve(ExperimentsDocument.CROSSCHECK);
    Files.createDirectories(crosscheck);
    Files.writeString(
        crosscheck.resolve(ExperimentsDocument.CROSSCHECK_REPORT),
        "## PyTorch cross-check\n\nas it is\n");

    String document = ExperimentsDocument.generate(results, tmp.resolve("EXPERIMENTS.md"));
    assertTrue(document.startsWith(ExperimentsDocument.intro()), document);
    assertTrue(
        document.contains(
            "\n## long-range\n\n```\n./seqlab run long-range --models rnn,transformer --distances"
                + " 3,6 --seeds 2 --params 2000 --steps 30 --lr 0.01 --batch 8 --validation 32"
                + " --val-every 10 --goal 0 --seed 5\n```\n\n24 runs, 2 side by side, in "),
        document);
    // the report as the experiment writes it from result.json
    String report = Files.readString(dir.resolve(ExperimentRunner.REPORT)).stripTrailing();
    assertTrue(document.contains("\n```\n" + report + "\n```\n"), document);
    // the plots the report draws, in its order and with their titles, then any other
    int score = document.indexOf("](results/long-range/score.png)");
    int curves = document.indexOf("](results/long-range/curves.png)");
    int extra = document.indexOf("![long-range extra](results/long-range/extra.png)");
    assertTrue(0 < score && score < curves && curves < extra, document);
    assertTrue(document.contains("\n![" + Experiments.named("long-range").title() + "]("));
    assertFalse(document.contains("notes"), document);
    assertTrue(
        document.endsWith(
            "\n\n![long-range extra](results/long-range/extra.png)\n"
                + "\n## PyTorch cross-check\n\nas it is\n"),
        document);
  }

  @Test
  void whatCannotBeReadIsRefusedInOneSentence() throws Exception {
    Path results = tmp.resolve("results");
    Path dir = tinyRun(results, "long-range");
    Path out = tmp.resolve("EXPERIMENTS.md");
    String result = Files.readString(dir.resolve(ExperimentRunner.RESULT));

    Files.writeString(dir.resolve(ExperimentRunner.RESULT), "{ \"rows\": [ {");
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> ExperimentsDocument.generate(results, out));
    assertTrue(e.getMessage().contains("result.json is not a sweep result"), e.getMessage());

    Files.delete(dir.resolve(ExperimentRunner.RESULT));
    Files.deleteIfExists(dir.resolve(ExperimentRunner.JOURNAL));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ExperimentsDocument.generate(results, out));
    assertTrue(e.getMessage().contains("holds no result.json"), e.getMessage());

    Files.writeString(dir.resolve(ExperimentRunner.RESULT), result);
    String record = Files.readString(dir.resolve(ExperimentRunner.EXPERIMENT));
    Files.writeString(
        dir.resolve(ExperimentRunner.EXPERIMENT), record.replace("\"long-range\"", "\"no-such\""));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ExperimentsDocument.generate(results, out));
    assertTrue(e.getMessage().contains("unknown experiment 'no-such'"), e.getMessage());

    Files.delete(dir.resolve(ExperimentRunner.EXPERIMENT));
    e =
        assertThrows(
            IllegalArgumentException.class, () -> ExperimentsDocument.generate(results, out));
    assertTrue(e.getMessage().contains("no experiment.json"), e.getMessage());

    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ExperimentsDocument.generate(tmp.resolve("nowhere"), out));
    assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
  }
}
