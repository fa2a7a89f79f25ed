package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code seqlab precision} on a trained model, and its refusals. */
class PrecisionCommandTest {

  @TempDir static Path dir;
  static Path text;
  static Path run;

  @BeforeAll
  static void train() throws Exception {
    SplittableRandom rng = new SplittableRandom(5);
    String[] words = {"to ", "be ", "or ", "not ", "that ", "is ", "the ", "question", ".\n"};
    StringBuilder s = new StringBuilder();
    while (s.length() < 20_000) s.append(words[rng.nextInt(words.length)]);
    text = dir.resolve("hamlet.txt");
    Files.writeString(text, s, StandardCharsets.UTF_8);
    run = dir.resolve("run");
    CliRun trained =
        CliRun.of(
            "train",
            "--text",
            text.toString(),
            "--model",
            "gru",
            "--hidden",
            "40",
            "--layers",
            "2",
            "--embedding",
            "8",
            "--batch",
            "8",
            "--seq-len",
            "16",
            "--max-steps",
            "40",
            "--val-every",
            "20",
            "--threads",
            "1",
            "--out",
            run.toString());
    assertEquals(0, trained.status(), trained.err());
  }

  private static double loss(String out, String precision) {
    Matcher m = Pattern.compile("(?m)^" + precision + "\\s+([0-9.]+)").matcher(out);
    assertTrue(m.find(), out);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void comparesFloat32AndInt8OnTheValidationText() {
    CliRun p = CliRun.of("precision", "--checkpoint", run.toString(), "--characters", "600");
    assertEquals(0, p.status(), p.err());
    String out = p.out();
    assertTrue(out.contains("the first 600 characters of hamlet.txt's validation part"), out);
    double f = loss(out, "float32"), q = loss(out, "int8");
    assertTrue(f > 0 && f < Math.log(12), "a trained model beats guessing: " + out);
    assertTrue(Math.abs(q - f) < 0.01 * f, out);
    // 2 GRU layers of 40 units: W_ih [120, 8] and [120, 40], W_hh [120, 40] twice
    long weights = 3 * 40 * 8 + 3 * 3 * 40 * 40;
    assertTrue(out.contains(String.format("%.3f MB", 4 * weights / 1e6)), out);
    // a byte per weight and a float32 scale for each of the 4 matrices' 120 rows
    assertTrue(out.contains(String.format("%.3f MB", (weights + 4 * 4 * 3 * 40) / 1e6)), out);
    assertTrue(out.contains("fewer weight bytes"), out);
  }

  @Test
  void refusesWhatItCannotDoInOneLine() throws Exception {
    CliRun unknown = CliRun.of("precision", "--checkpoint", run.toString(), "--weights", "int4");
    assertTrue(unknown.isOneLineUserError(), unknown.err());
    assertTrue(unknown.err().contains("unknown weight precision 'int4'; use float32 or int8"));

    CliRun noText =
        CliRun.of(
            "precision", "--checkpoint", run.toString(), "--text", dir.resolve("x").toString());
    assertTrue(noText.isOneLineUserError(), noText.err());
    assertTrue(noText.err().contains("--text: no such file"), noText.err());

    Path transformer = dir.resolve("transformer");
    assertEquals(
        0,
        CliRun.of(
                "train",
                "--text",
                text.toString(),
                "--model",
                "transformer",
                "--hidden",
                "16",
                "--heads",
                "2",
                "--layers",
                "1",
                "--batch",
                "4",
                "--seq-len",
                "8",
                "--max-steps",
                "2",
                "--threads",
                "1",
                "--out",
                transformer.toString())
            .status());
    CliRun attention = CliRun.of("precision", "--checkpoint", transformer.toString());
    assertTrue(attention.isOneLineUserError(), attention.err());
    assertTrue(attention.err().contains("int8 weights are for the RNN, LSTM and GRU"));
  }
}
