package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.Task;

/** {@code seqlab train} and {@code seqlab sample}, end to end, and every refusal. */
class TrainCommandTest {

  @TempDir static Path dir;
  static Path text;

  @BeforeAll
  static void writeText() throws Exception {
    SplittableRandom rng = new SplittableRandom(5);
    String[] words = {"to ", "be ", "or ", "not ", "that ", "is ", "the ", "question", ".\n"};
    StringBuilder s = new StringBuilder();
    while (s.length() < 20_000) s.append(words[rng.nextInt(words.length)]);
    text = dir.resolve("hamlet.txt");
    Files.writeString(text, s, StandardCharsets.UTF_8);
  }

  /**
   * A small, quick run's options, with {@code extra} ("--option", "value" pairs) replacing them.
   */
  static String[] small(Path out, String... extra) {
    java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
    String[] base = {
      "--schedule",
      "constant",
      "--text",
      text.toString(),
      "--hidden",
      "16",
      "--layers",
      "1",
      "--embedding",
      "8",
      "--batch",
      "4",
      "--seq-len",
      "8",
      "--val-every",
      "6",
      "--threads",
      "1",
      "--out",
      out.toString()
    };
    for (int i = 0; i < base.length; i += 2) options.put(base[i], base[i + 1]);
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < extra.length; i++) {
      if (extra[i].equals("--force")) flags.add(extra[i]);
      else options.put(extra[i], extra[++i]);
    }
    List<String> args = new ArrayList<>(List.of("train"));
    options.forEach((k, v) -> args.addAll(List.of(k, v)));
    args.addAll(flags);
    return args.toArray(String[]::new);
  }

  @Test
  void trainsThenResumesThenSamples() throws Exception {
    Path out = dir.resolve("run");
    CliRun run = CliRun.of(small(out, "--max-steps", "12"));
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("training lstm: 1 layer(s) x 16"), run.out());
    assertTrue(run.out().contains("finished after 12 steps"), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.strip().startsWith("12 ")), run.out());
    assertTrue(Files.exists(out.resolve("checkpoint.safetensors")));

    // A longer limit continues from step 12 instead of starting again.
    CliRun more = CliRun.of("train", "--resume", out.toString(), "--max-steps", "18");
    assertEquals(0, more.status(), more.err());
    assertTrue(more.out().contains("resuming at step 12"), more.out());
    assertTrue(more.out().contains("finished after 18 steps"), more.out());
    assertEquals(19, Files.readAllLines(out.resolve("metrics.csv")).size());

    CliRun sample =
        CliRun.of("sample", "--checkpoint", out.toString(), "--prompt", "to be", "--length", "30");
    assertEquals(0, sample.status(), sample.err());
    String printed = sample.out().stripTrailing();
    assertTrue(printed.startsWith("to be"), printed);
    assertEquals(35, sample.out().codePointCount(0, sample.out().length()) - 1);
    CliRun again =
        CliRun.of("sample", "--checkpoint", out.toString(), "--prompt", "to be", "--length", "30");
    assertEquals(sample.out(), again.out(), "the same seed draws the same text");

    CliRun eightBits =
        CliRun.of(
            "sample",
            "--checkpoint",
            out.toString(),
            "--prompt",
            "to be",
            "--length",
            "30",
            "--weights",
            "int8");
    assertEquals(0, eightBits.status(), eightBits.err());
    assertTrue(eightBits.out().startsWith("to be"), eightBits.out());
    assertEquals(35, eightBits.out().codePointCount(0, eightBits.out().length()) - 1);
    assertTrue(eightBits.err().contains("int8 weights"), eightBits.err());
    CliRun unknown = CliRun.of("sample", "--checkpoint", out.toString(), "--weights", "int4");
    assertTrue(unknown.isOneLineUserError(), unknown.err());
    assertTrue(unknown.err().contains("--weights"), unknown.err());
    assertTrue(unknown.err().contains("int8"), unknown.err());
  }

  /** A model whose weights stay float32 refuses --weights int8 in one line, before any text. */
  @Test
  void sampleWithEightBitWeightsRefusesATransformer() {
    Path out = dir.resolve("transformer");
    CliRun run =
        CliRun.of(small(out, "--model", "transformer", "--heads", "2", "--max-steps", "2"));
    assertEquals(0, run.status(), run.err());
    CliRun sample =
        CliRun.of("sample", "--checkpoint", out.toString(), "--prompt", "to", "--weights", "int8");
    assertTrue(sample.isOneLineUserError(), sample.err());
    assertTrue(sample.err().contains("--weights int8"), sample.err());
    assertEquals("", sample.out(), "nothing printed before the refusal");
  }

  /**
   * A resumed cosine run given a higher --max-steps or --time-limit is extended, not refused: it
   * says in one line how its schedule was re-planned, trains the extra steps, and its metrics and
   * checkpoint continue; a limit it has already reached is one line.
   */
  @Test
  void aResumedCosineRunIsExtendedByStepsOrByTime() throws Exception {
    Path out = dir.resolve("extend-steps");
    CliRun run =
        CliRun.of(small(out, "--schedule", "cosine", "--warmup", "2", "--max-steps", "12"));
    assertEquals(0, run.status(), run.toString());

    CliRun more = CliRun.of("train", "--resume", out.toString(), "--max-steps", "18");
    assertEquals(0, more.status(), more.toString());
    assertTrue(more.out().contains("resuming at step 12"), more.out());
    assertTrue(
        more.out().contains("new limits: the run goes on to step 18 at --min-lr 1.0E-4"),
        more.out());
    assertTrue(more.out().contains("finished after 18 steps"), more.out());
    List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
    assertEquals(19, metrics.size(), "a header and steps 1 to 18");
    assertTrue(metrics.getLast().startsWith("18,"), metrics.getLast());
    assertTrue(Files.readString(out.resolve("result.json")).contains("\"steps\" : 18"));

    CliRun less = CliRun.of("train", "--resume", out.toString(), "--max-steps", "10");
    assertTrue(less.isOneLineUserError(), less.toString());
    assertTrue(less.err().contains("--max-steps 10 would train nothing"), less.err());

    // By time: a run limited to 2 s, extended to 4 s, its cosine re-planned by time.
    Path timed = dir.resolve("extend-time");
    CliRun first =
        CliRun.of(
            small(
                timed,
                "--schedule",
                "cosine",
                "--warmup",
                "2",
                "--max-steps",
                "0",
                "--time-limit",
                "2s"));
    assertEquals(0, first.status(), first.toString());
    long before = Files.readAllLines(timed.resolve("metrics.csv")).size();
    CliRun longer = CliRun.of("train", "--resume", timed.toString(), "--time-limit", "4s");
    assertEquals(0, longer.status(), longer.toString());
    // It had used its 2 s and finished its decay: the extension goes on at the final rate (a run
    // stopped mid-decay is re-planned from its rate there: TrainingRunTest).
    assertTrue(
        longer.out().contains("new limits: the run goes on to the time limit of 4.0s at --min-lr"),
        longer.out());
    assertTrue(longer.out().contains("time limit reached after "), longer.out());
    assertTrue(Files.readAllLines(timed.resolve("metrics.csv")).size() > before, "it trained on");
  }

  /** A run of an experiment, repeated by train: its validation set's size and its goal. */
  @Test
  void aSyntheticRunTakesItsValidationSizeAndStopsAtItsGoal() throws Exception {
    Path out = dir.resolve("goal");
    CliRun run =
        CliRun.of(
            "train",
            "--task",
            "agreement",
            "--distance",
            "3",
            "--model",
            "gru",
            "--hidden",
            "16",
            "--validation",
            "64",
            "--goal",
            "0.9",
            "--val-every",
            "10",
            "--max-steps",
            "2000",
            "--threads",
            "1",
            "--out",
            out.toString());
    assertEquals(0, run.status(), run.err());
    var config = org.seqlab.io.RunDirectory.JSON.readTree(out.resolve("config.json").toFile());
    assertEquals(64, config.get("validation").asInt(), config.toString());
    assertEquals(0.9, config.get("goal").asDouble(), config.toString());
    List<String> lines = Files.readAllLines(out.resolve("metrics.csv"));
    String last = lines.getLast();
    int steps = Integer.parseInt(last.substring(0, last.indexOf(',')));
    assertTrue(steps < 2000, "stopped at the goal, step " + steps + ": " + run.out());
    assertTrue(run.out().contains("goal"), run.out());

    CliRun charLm =
        CliRun.of(small(dir.resolve("never"), "--max-steps", "2", "--validation", "64"));
    assertTrue(charLm.isOneLineUserError(), charLm.err());
    assertTrue(charLm.err().contains("--validation applies to a synthetic task"), charLm.err());
  }

  @Test
  void aStoppedRunSaysHowToContinueAndATextModelHowToSample() {
    Path dir = Path.of("runs", "x");
    assertEquals(
        List.of(
            "continue it: seqlab train --resume " + dir,
            "sample from it: seqlab sample --checkpoint " + dir + " --prompt \"...\""),
        TrainCommand.nextSteps(org.seqlab.train.TrainingResult.Stop.CANCELLED, dir, true));
    assertEquals(
        List.of("continue it: seqlab train --resume " + dir),
        TrainCommand.nextSteps(org.seqlab.train.TrainingResult.Stop.CANCELLED, dir, false));
    assertEquals(
        List.of(),
        TrainCommand.nextSteps(org.seqlab.train.TrainingResult.Stop.MAX_STEPS, dir, false));
  }

  @Test
  void theHelpListsEveryTaskOfTheTableWithItsKnob() {
    CliRun help = CliRun.of("train", "--help");
    assertEquals(0, help.status(), help.err());
    for (Task t : Task.values()) {
      assertTrue(help.out().contains("  " + t.id() + " "), t.id());
      assertTrue(help.out().contains(t.summary()), t.summary());
      assertTrue(
          help.out()
              .contains(
                  t.knobRange().option() + " " + t.knobRange().min() + ".." + t.knobRange().max()),
          t.id());
    }
    assertTrue(help.out().contains(String.join(", ", Task.ids())), help.out());
    // Each synthetic task, asked for without its knob, is told the knob's name and range.
    for (Task t : Task.values()) {
      if (t.isText()) continue;
      CliRun bare = CliRun.of("train", "--task", t.id(), "--max-steps", "1");
      assertTrue(bare.isOneLineUserError(), bare.err());
      assertTrue(
          bare.err().contains("the " + t.id() + " task's " + t.knobWords() + ", in ["), bare.err());
    }
  }

  @Test
  void badRequestsGetOneLineAndLeaveNothingBehind() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.txt"), "");
    Path binary = Files.write(dir.resolve("bin.dat"), new byte[] {1, 2, 0, 4});
    Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'a', (byte) 0xE9});
    Path tiny = Files.writeString(dir.resolve("tiny.txt"), "a few words only\n");
    Path out = dir.resolve("never");
    String[][] cases = {
      {"train", "--max-steps", "5", "--out", out.toString()},
      {"train", "--text", empty.toString(), "--max-steps", "5", "--out", out.toString()},
      {"train", "--text", binary.toString(), "--max-steps", "5", "--out", out.toString()},
      {"train", "--text", latin1.toString(), "--max-steps", "5", "--out", out.toString()},
      {"train", "--text", tiny.toString(), "--max-steps", "5", "--out", out.toString()},
      {"train", "--text", dir.resolve("nope.txt").toString(), "--max-steps", "5"},
      small(out, "--max-steps", "5", "--hidden", "0"),
      small(out, "--max-steps", "5", "--lr", "-1"),
      small(out, "--max-steps", "5", "--lr", "0"),
      small(out, "--max-steps", "5", "--dropout", "1"),
      small(out, "--max-steps", "5", "--batch", "0"),
      small(out, "--max-steps", "5", "--model", "transformer", "--heads", "3"),
      small(out, "--max-steps", "5", "--model", "lstmx"),
      small(out, "--max-steps", "5", "--optimizer", "rmsprop"),
      small(out, "--max-steps", "5", "--schedule", "step"),
      small(out, "--time-limit", "soon"),
      small(out),
      small(out, "--max-steps", "5", "--hidden", "8192", "--layers", "32"),
      {"train", "--resume", dir.resolve("no-such-run").toString()},
    };
    String[] expected = {
      "--text FILE is required",
      "is empty",
      "looks binary",
      "is not UTF-8 text",
      "too short for one batch",
      "no such file",
      "--hidden must be in [1, 8192], got 0",
      "--lr must be in (0, 10], got -1.0",
      "--lr must be in (0, 10], got 0.0",
      "--dropout must be in [0, 1), got 1.0",
      "--batch must be in [1, 4096], got 0",
      "--heads 3 must divide --hidden 16",
      "--model: unknown model 'lstmx'",
      "--optimizer: unknown optimizer 'rmsprop'",
      "--schedule: unknown schedule 'step'",
      "'soon' is not a duration",
      "give --max-steps N or --time-limit",
      "needs about",
      "no such run directory",
    };
    for (int i = 0; i < cases.length; i++) {
      CliRun r = CliRun.of(cases[i]);
      assertTrue(r.isOneLineUserError(), String.join(" ", cases[i]) + " -> " + r);
      assertTrue(r.err().contains(expected[i]), "expected '" + expected[i] + "' in " + r.err());
      assertFalse(Files.exists(out), String.join(" ", cases[i]) + " created " + out);
    }
  }

  @Test
  void anExistingRunIsNeitherOverwrittenNorMixedWithUnlessForced() throws Exception {
    Path out = dir.resolve("kept");
    assertEquals(0, CliRun.of(small(out, "--max-steps", "3")).status());
    Files.writeString(out.resolve("notes.txt"), "mine");
    byte[] before = Files.readAllBytes(out.resolve("checkpoint.safetensors"));

    CliRun refused = CliRun.of(small(out, "--max-steps", "4", "--seed", "1"));
    assertTrue(refused.isOneLineUserError(), refused.toString());
    assertTrue(refused.err().contains("already holds") && refused.err().contains("--force"));
    assertEquals(
        java.util.Arrays.hashCode(before),
        java.util.Arrays.hashCode(Files.readAllBytes(out.resolve("checkpoint.safetensors"))));

    CliRun changed = CliRun.of("train", "--resume", out.toString(), "--hidden", "32");
    assertTrue(changed.isOneLineUserError(), changed.toString());
    assertTrue(changed.err().contains("hidden 32 (the run has 16)"), changed.err());

    CliRun forced = CliRun.of(small(out, "--max-steps", "4", "--seed", "1", "--force"));
    assertEquals(0, forced.status(), forced.err());
    assertEquals("mine", Files.readString(out.resolve("notes.txt")), "--force keeps other files");
    assertEquals(
        5, Files.readAllLines(out.resolve("metrics.csv")).size(), "a new run, not appended");
  }

  @Test
  void aDivergingRunStopsWithTheStepAndCanBeResumedWithClipping() throws Exception {
    Path out = dir.resolve("diverges");
    CliRun run =
        CliRun.of(
            small(
                out,
                "--model",
                "rnn_relu",
                "--hidden",
                "64",
                "--optimizer",
                "sgd",
                "--lr",
                "10",
                "--clip",
                "0",
                "--max-steps",
                "50",
                "--val-every",
                "1"));
    assertEquals(TrainCommand.EXIT_DIVERGED, run.status(), run.toString());
    assertTrue(run.err().contains("training diverged at step "), run.err());
    assertTrue(run.err().contains("last good steps"), run.err());
    assertTrue(run.err().contains("--resume " + out + " --clip 1"), run.err());
    String result = Files.readString(out.resolve("result.json"));
    assertTrue(result.contains("\"stop\" : \"diverged\""), result);

    // Clipping and the rate may change now; other options still may not.
    CliRun other = CliRun.of("train", "--resume", out.toString(), "--hidden", "8");
    assertTrue(other.isOneLineUserError(), other.toString());
    CliRun rescued = CliRun.of("train", "--resume", out.toString(), "--clip", "1", "--lr", "0.01");
    // It continues from the last finite checkpoint (whose weights may already be too large to
    // save: whether it recovers is the run's business, not the command line's).
    assertTrue(rescued.out().contains("resuming at step "), rescued.toString());
    assertTrue(rescued.status() == 0 || rescued.status() == TrainCommand.EXIT_DIVERGED);
  }

  /**
   * Without --text, char-lm trains on the text seqlab ships (found through seqlab's directory,
   * which the launcher names), both in train and in run char-lm; where it is missing, one line says
   * so.
   */
  @Test
  void charLmDefaultsToTheShippedText() throws Exception {
    Path home = Path.of("").toAbsolutePath().getParent();
    Path out = dir.resolve("shakespeare");
    String[] train = {
      "train",
      "--hidden",
      "8",
      "--layers",
      "1",
      "--embedding",
      "4",
      "--batch",
      "2",
      "--seq-len",
      "8",
      "--max-steps",
      "2",
      "--threads",
      "1",
      "--out",
      out.toString()
    };
    CliRun missing = CliRun.of(train);
    assertTrue(missing.isOneLineUserError(), missing.toString());
    assertTrue(missing.err().contains(org.seqlab.experiments.DefaultText.PATH), missing.err());
    assertFalse(Files.exists(out));
    String before = System.getProperty(org.seqlab.experiments.DefaultText.HOME_PROPERTY);
    System.setProperty(org.seqlab.experiments.DefaultText.HOME_PROPERTY, home.toString());
    try {
      CliRun run = CliRun.of(train);
      assertEquals(0, run.status(), run.toString());
      assertTrue(run.out().contains("vocabulary 65"), run.out());
      assertTrue(
          Files.readString(out.resolve("config.json"))
              .contains(
                  "\"text\" : \"" + home.resolve(org.seqlab.experiments.DefaultText.PATH) + "\""));
      CliRun plan = CliRun.of("run", "char-lm", "--plan");
      assertEquals(0, plan.status(), plan.toString());
      assertTrue(plan.out().contains("--text             data/tinyshakespeare.txt"), plan.out());
    } finally {
      if (before == null) System.clearProperty(org.seqlab.experiments.DefaultText.HOME_PROPERTY);
      else System.setProperty(org.seqlab.experiments.DefaultText.HOME_PROPERTY, before);
    }
  }

  /**
   * An empty, garbage or cut-short checkpoint is refused in one line by sample (as infer refuses
   * it) and by --resume, and a refused resume leaves the run's files as they were.
   */
  @Test
  void aDamagedCheckpointIsOneLineForSampleAndResume() throws Exception {
    Path out = dir.resolve("to-damage");
    assertEquals(0, CliRun.of(small(out, "--max-steps", "2")).status());
    Path checkpoint = out.resolve("checkpoint.safetensors");
    byte[] whole = Files.readAllBytes(checkpoint);
    byte[] garbage = new byte[100];
    new SplittableRandom(3).nextBytes(garbage);
    List<byte[]> damaged =
        List.of(
            new byte[0],
            garbage,
            java.util.Arrays.copyOf(whole, 7),
            java.util.Arrays.copyOf(whole, 300),
            java.util.Arrays.copyOf(whole, whole.length / 2),
            java.util.Arrays.copyOf(whole, whole.length - 1));
    Path file = dir.resolve("damaged.safetensors");
    byte[] metrics = Files.readAllBytes(out.resolve("metrics.csv"));
    byte[] config = Files.readAllBytes(out.resolve("config.json"));
    for (byte[] bytes : damaged) {
      Files.write(file, bytes);
      CliRun sample = CliRun.of("sample", "--checkpoint", file.toString());
      assertTrue(sample.isOneLineUserError(), bytes.length + " bytes -> " + sample);
      assertTrue(sample.err().contains("--checkpoint: " + file), sample.err());
      CliRun infer =
          CliRun.of(
              "infer",
              "--weights",
              file.toString(),
              "--input",
              file.toString(),
              "--output",
              dir.resolve("never.safetensors").toString());
      assertTrue(infer.isOneLineUserError(), bytes.length + " bytes -> " + infer);

      Files.write(checkpoint, bytes);
      CliRun resume = CliRun.of("train", "--resume", out.toString());
      assertTrue(resume.isOneLineUserError(), bytes.length + " bytes -> " + resume);
      assertTrue(resume.err().contains(checkpoint.toString()), resume.err());
      assertTrue(resume.err().contains("cannot continue from it"), resume.err());
      assertEquals("", resume.out(), "nothing announced");
      assertTrue(java.util.Arrays.equals(metrics, Files.readAllBytes(out.resolve("metrics.csv"))));
      assertTrue(java.util.Arrays.equals(config, Files.readAllBytes(out.resolve("config.json"))));
      assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(checkpoint)));
    }
    assertFalse(Files.exists(dir.resolve("never.safetensors")));
  }

  /**
   * An --out that cannot be created (under /proc, under a file) is refused in one line naming the
   * path and why, before the run is announced, by every command that writes a directory.
   */
  @Test
  void anOutThatCannotBeCreatedIsOneLineForEveryCommand() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    List<String> places = new ArrayList<>(List.of(file.resolve("x").toString()));
    if (Files.isDirectory(Path.of("/proc"))) places.add("/proc/x");
    for (String place : places) {
      String[][] cases = {
        small(Path.of(place), "--max-steps", "2"),
        {"train", "--task", "copy", "--distance", "2", "--max-steps", "2", "--out", place},
        {"run", "long-range", "--steps", "5", "--out", place},
        {"sweep", "long-range", "--steps", "5", "--out", place},
      };
      for (String[] c : cases) {
        CliRun r = CliRun.of(c);
        assertTrue(r.isOneLineUserError(), String.join(" ", c) + " -> " + r);
        assertTrue(r.err().contains("--out " + place + " cannot be created: "), r.err());
        assertFalse(r.out().contains("directory"), "refused before it is announced: " + r.out());
      }
    }
    assertEquals("x", Files.readString(file));
  }

  @Test
  void sampleRefusesWhatItCannotUse() throws Exception {
    Path out = dir.resolve("for-sampling");
    assertEquals(0, CliRun.of(small(out, "--max-steps", "2")).status());
    Path weights = dir.resolve("plain.safetensors");
    assertEquals(
        0,
        CliRun.of(
                "init",
                "--model",
                "lstm",
                "--input",
                "3",
                "--hidden",
                "4",
                "--output",
                weights.toString())
            .status());
    String[][] cases = {
      {"sample", "--checkpoint", dir.resolve("nothing").toString()},
      {"sample", "--checkpoint", dir.toString()},
      {"sample", "--checkpoint", weights.toString()},
      {"sample", "--checkpoint", out.toString(), "--prompt", "zebra"},
      {"sample", "--checkpoint", out.toString(), "--temperature", "-1"},
      {"sample", "--checkpoint", out.toString(), "--length", "-5"},
    };
    String[] expected = {
      "no such run directory or model file",
      "holds no trained model",
      "is not a seqlab language model",
      "the character 'z' at position 0 is not in the model's vocabulary",
      "--temperature must be in [0, 100]",
      "--length must be in [0, 10000000]",
    };
    for (int i = 0; i < cases.length; i++) {
      CliRun r = CliRun.of(cases[i]);
      assertTrue(r.isOneLineUserError(), String.join(" ", cases[i]) + " -> " + r);
      assertTrue(r.err().contains(expected[i]), "expected '" + expected[i] + "' in " + r.err());
    }
  }
}
