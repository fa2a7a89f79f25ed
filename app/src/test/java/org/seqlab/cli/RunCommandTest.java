package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.Limits;
import org.seqlab.experiments.Task;

/** {@code seqlab run}, {@code rerun} and {@code report}, end to end, and their refusals. */
class RunCommandTest {

  @TempDir Path tmp;

  String[] tiny(Path out) {
    return new String[] {
      "run",
      "long-range",
      "--models",
      "rnn,lstm",
      "--forget-biases",
      "1",
      "--distances",
      "3,5",
      "--seeds",
      "1",
      "--steps",
      "20",
      "--batch",
      "8",
      "--validation",
      "16",
      "--val-every",
      "10",
      "--params",
      "1500",
      "--out",
      out.toString()
    };
  }

  @Test
  void runReportAndRerunAgree() throws Exception {
    Path out = tmp.resolve("lr");
    CliRun run = CliRun.of(tiny(out));
    assertEquals(0, run.status(), run.err());
    // 2 distances × (3 rates for the RNN, 3 rates × 1 forget bias for the LSTM)
    assertTrue(run.out().contains("[ 12/12]"), run.out());
    assertTrue(run.out().contains("RNN H "), run.out());
    assertTrue(
        run.out().lines().anyMatch(l -> l.startsWith("baseline") && l.contains("0.500")),
        run.out());
    assertTrue(run.out().contains("at distance 5: "), run.out());

    Files.delete(out.resolve("score.png"));
    CliRun report = CliRun.of("report", out.toString());
    assertEquals(0, report.status(), report.err());
    assertTrue(Files.isRegularFile(out.resolve("score.png")), "the plot is drawn again");
    int start = run.out().indexOf("model ");
    String table = run.out().substring(start, run.out().indexOf("\nbaseline", start));
    assertTrue(report.out().contains(table), report.out());

    CliRun rerun =
        CliRun.of("rerun", out.toString(), "--out", tmp.resolve("again").toString(), "--jobs", "1");
    assertEquals(0, rerun.status(), rerun.out() + rerun.err());
    assertTrue(
        rerun.out().contains("the rerun got the same numbers as " + out + " in all 12 runs"),
        rerun.out());

    // A rerun into the experiment's own directory, or into a rerun that is done, would run
    // nothing and compare the results with themselves: refused in one line before anything runs,
    // never reported as agreement, and the results are left as they were.
    byte[] result = Files.readAllBytes(out.resolve("result.json"));
    byte[] rerunResult = Files.readAllBytes(tmp.resolve("again").resolve("result.json"));
    for (Path target : List.of(out, out.resolve("."), tmp.resolve("again"))) {
      CliRun nothing = CliRun.of("rerun", out.toString(), "--out", target.toString());
      assertTrue(nothing.isOneLineUserError(), nothing.toString());
      assertEquals("", nothing.out(), "nothing runs");
      assertFalse(nothing.err().contains("same numbers"), nothing.err());
    }
    assertTrue(
        CliRun.of("rerun", out.toString(), "--out", out.toString())
            .err()
            .contains("is the experiment's own directory"));
    assertTrue(
        CliRun.of("rerun", out.toString(), "--out", tmp.resolve("again").toString())
            .err()
            .contains("already holds all 12 runs"));
    assertArrayEquals(result, Files.readAllBytes(out.resolve("result.json")));
    assertArrayEquals(rerunResult, Files.readAllBytes(tmp.resolve("again").resolve("result.json")));

    // A damaged result.json is refused in one line by report and rerun, naming the file.
    Path damaged = tmp.resolve("damaged");
    Files.createDirectories(damaged);
    Files.copy(out.resolve("experiment.json"), damaged.resolve("experiment.json"));
    for (String content :
        List.of(
            "{\"rows\": [1,",
            "garbage",
            "{\"rows\": [1]}",
            "{\"rows\": [{\"run\": \"a\"}]}",
            "{}")) {
      Files.writeString(damaged.resolve("result.json"), content);
      for (String command : List.of("report", "rerun")) {
        CliRun r =
            command.equals("report")
                ? CliRun.of("report", damaged.toString())
                : CliRun.of("rerun", damaged.toString(), "--out", tmp.resolve("never").toString());
        assertTrue(r.isOneLineUserError(), content + " " + command + " -> " + r);
        assertTrue(
            r.err().contains(damaged.resolve("result.json") + " is not a sweep result"), r.err());
        assertFalse(r.err().contains("org.seqlab"), "no Java class names: " + r.err());
      }
    }
    assertFalse(Files.exists(tmp.resolve("never")));

    // An --out that cannot be created is refused before the run is announced.
    if (Files.isDirectory(Path.of("/proc"))) {
      CliRun proc = CliRun.of("rerun", out.toString(), "--out", "/proc/x");
      assertTrue(proc.isOneLineUserError(), proc.toString());
      assertTrue(proc.err().contains("--out /proc/x cannot be created"), proc.err());
      assertEquals("", proc.out());
    }

    // the same command again finds everything done and trains nothing
    CliRun again = CliRun.of(tiny(out));
    assertEquals(0, again.status(), again.err());
    assertTrue(again.out().contains("continuing: 12 of 12 runs already finished"), again.out());
    assertFalse(again.out().contains("[  1/12]"), again.out());
  }

  @Test
  void planPrintsTheSettingsAndRunsAndTrainsNothing() {
    Path out = tmp.resolve("planned");
    CliRun plan = CliRun.of("run", "long-range", "--plan", "--seeds", "2", "--out", out.toString());
    assertEquals(0, plan.status(), plan.err());
    assertTrue(plan.out().contains("--distances        5,10,20,40"), plan.out());
    assertTrue(plan.out().contains("--seeds            2"), plan.out());
    // 4 distances × 2 seeds × (3 rates for RNN, GRU, Transformer; 3 × 2 forget biases for LSTM)
    assertTrue(plan.out().contains("120 runs, at most 360.0k training steps"), plan.out());
    assertTrue(
        plan.out()
            .contains(
                "LSTM H 40 · lr 0.009, forget-bias 3   8 runs, 12.0k parameters (at distance 40)"),
        plan.out());
    assertFalse(Files.exists(out), "nothing was written");
  }

  @Test
  void trainRunsASyntheticTaskAndSampleRefusesIt() {
    Path out = tmp.resolve("adding");
    CliRun train =
        CliRun.of(
            "train",
            "--task",
            "adding",
            "--distance",
            "6",
            "--model",
            "gru",
            "--layers",
            "1",
            "--hidden",
            "8",
            "--dropout",
            "0",
            "--batch",
            "8",
            "--max-steps",
            "20",
            "--val-every",
            "10",
            "--threads",
            "1",
            "--out",
            out.toString());
    assertEquals(0, train.status(), train.err());
    assertTrue(train.out().contains("adding at 6"), train.out());
    assertTrue(
        train.out().contains("the trivial baseline: loss 0.1667 (always answers 1"), train.out());
    CliRun sample = CliRun.of("sample", "--checkpoint", out.toString());
    assertTrue(sample.isOneLineUserError(), sample.err());
    assertTrue(sample.err().contains("was trained on the adding task"), sample.err());
  }

  /**
   * A task's knob has one range, its row's in the table of tasks, checked once with one message:
   * every value outside it, just below or far below, meets the same words in train, in run and in a
   * run's --grid (no wider first range that lets some values through to a second check).
   */
  @Test
  void aKnobOutOfItsTasksRangeMeetsOneRangeAndOneMessage() {
    Path out = tmp.resolve("never");
    for (Task t : Task.values()) {
      if (t.isText()) continue;
      Limits.Range range = t.knobRange();
      for (long d : List.of(range.min() - 1, range.max() + 1, 0L, -5L)) {
        if (range.contains(d)) continue;
        CliRun r =
            CliRun.of(
                "train",
                "--task",
                t.id(),
                "--distance",
                Long.toString(d),
                "--max-steps",
                "1",
                "--out",
                out.toString());
        assertTrue(r.isOneLineUserError(), r.toString());
        assertEquals("seqlab: " + range.refusal(d), r.err().strip());
      }
    }
    // long-range runs the agreement task: 0 and 1 are refused in the same words.
    Limits.Range agreement = Task.AGREEMENT.knobRange().named("--distances");
    for (String d : List.of("0", "1", "1001")) {
      for (String[] args :
          List.of(
              new String[] {"run", "long-range", "--distances", d, "--out", out.toString()},
              new String[] {
                "run", "long-range", "--grid", "distances=" + d, "--out", out.toString()
              },
              new String[] {"sweep", "long-range", "--distances", d, "--out", out.toString()})) {
        CliRun r = CliRun.of(args);
        assertTrue(r.isOneLineUserError(), r.toString());
        assertEquals("seqlab: " + agreement.refusal(Long.parseLong(d)), r.err().strip());
      }
    }
    assertFalse(Files.exists(out));
  }

  /**
   * Refusals name what is allowed once: no list repeated in one message, no "1 choices", and the
   * model names are the table of architectures' (init takes rnn, and rnn_tanh as another name).
   */
  @Test
  void refusalsListWhatIsAllowedOnce() {
    String[][] cases = {
      {"train", "--model", "foo", "--task", "copy", "--distance", "2", "--max-steps", "1"},
      {"train", "--task", "foo"},
      {"train", "--optimizer", "foo", "--task", "copy", "--distance", "2", "--max-steps", "1"},
      {"train", "--schedule", "foo", "--task", "copy", "--distance", "2", "--max-steps", "1"},
      {"run", "foo"},
      {"run", "long-range", "--models", "lstm,foo"},
      {"run", "long-range", "--grid", "foo=1"},
      {"run", "long-range", "--grid", "models=foo"},
      {"init", "--model", "foo", "--input", "2", "--hidden", "2", "--output", "x.safetensors"},
      {"gradients", "--model", "foo"},
      {"bench", "--model", "foo"},
      {"infer", "--model", "foo", "--weights", "x", "--input", "y", "--output", "z"},
      {"reproduce", "foo"},
    };
    for (String[] c : cases) {
      CliRun r = CliRun.of(c);
      String line = r.err().strip();
      assertTrue(r.isOneLineUserError(), String.join(" ", c) + " -> " + r);
      assertFalse(line.contains("1 choices"), line);
      for (String word : List.of("allowed", "choose", "expected one of", "use ")) {
        int first = line.indexOf(word);
        assertTrue(first < 0 || line.indexOf(word, first + 1) < 0, "said twice: " + line);
      }
      assertTrue(line.contains("lstm") || !c[1].equals("--model"), line);
    }
    Path weights = tmp.resolve("rnn.safetensors");
    CliRun rnn =
        CliRun.of(
            "init",
            "--model",
            "rnn",
            "--input",
            "2",
            "--hidden",
            "3",
            "--output",
            weights.toString());
    assertEquals(0, rnn.status(), rnn.toString());
    assertTrue(rnn.out().startsWith("rnn: "), rnn.out());
  }

  @Test
  void badInputIsOneLineAndTrainsNothing() throws Exception {
    Path out = tmp.resolve("x");
    CliRun unknown = CliRun.of("run", "long-rang", "--out", out.toString());
    assertTrue(unknown.isOneLineUserError(), unknown.err());
    assertTrue(
        unknown.err().contains("unknown experiment 'long-rang'; choose one of long-range"),
        unknown.err());

    CliRun distance = CliRun.of("run", "long-range", "--distances", "5,1", "--out", out.toString());
    assertTrue(distance.isOneLineUserError(), distance.err());
    assertTrue(distance.err().contains("--distances must be in [2, 1000], got 1"), distance.err());

    CliRun seeds = CliRun.of("run", "adding", "--seeds", "0", "--out", out.toString());
    assertTrue(
        seeds.isOneLineUserError() && seeds.err().contains("--seeds must be in [1, 100], got 0"),
        seeds.err());

    CliRun wrong = CliRun.of("run", "mqar", "--forget-biases", "1", "--out", out.toString());
    assertTrue(wrong.isOneLineUserError(), wrong.err());
    assertTrue(wrong.err().contains("--forget-biases does not apply to mqar"), wrong.err());

    CliRun text = CliRun.of("run", "char-lm", "--out", out.toString());
    assertTrue(
        text.isOneLineUserError() && text.err().contains("--text FILE is required"), text.err());

    CliRun notARun = CliRun.of("report", tmp.toString());
    assertTrue(
        notARun.isOneLineUserError() && notARun.err().contains("holds no experiment"),
        notARun.err());
    CliRun rerun = CliRun.of("rerun", tmp.resolve("nowhere").toString());
    assertTrue(
        rerun.isOneLineUserError() && rerun.err().contains("no such directory"), rerun.err());

    CliRun ownText =
        CliRun.of(
            "train",
            "--task",
            "agreement",
            "--distance",
            "5",
            "--text",
            "x.txt",
            "--max-steps",
            "1");
    assertTrue(ownText.isOneLineUserError(), ownText.err());
    assertTrue(
        ownText.err().contains("--text applies to char-lm; the agreement task makes its own"),
        ownText.err());
    CliRun noDistance = CliRun.of("train", "--task", "recall", "--max-steps", "1");
    assertTrue(noDistance.isOneLineUserError(), noDistance.err());
    assertTrue(noDistance.err().contains("--distance D is required"), noDistance.err());
    CliRun nope = CliRun.of("train", "--task", "sorting", "--distance", "3", "--max-steps", "1");
    assertTrue(nope.isOneLineUserError(), nope.err());
    assertTrue(
        nope.err()
            .contains("unknown task 'sorting'; use char-lm, adding, copy, agreement, recall, mqar"),
        nope.err());
    CliRun far = CliRun.of("train", "--task", "recall", "--distance", "9", "--max-steps", "1");
    assertTrue(far.isOneLineUserError(), far.err());
    assertTrue(far.err().contains("--distance must be in [1, 8], got 9"), far.err());

    assertFalse(Files.exists(out), "nothing was written");
  }
}
