package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GradientsCommandTest {

  private static double[] csvColumn(String csv, int column) {
    List<String> lines = csv.strip().lines().toList();
    double[] values = new double[lines.size() - 1];
    for (int i = 1; i < lines.size(); i++)
      values[i - 1] = Double.parseDouble(lines.get(i).split(",")[column]);
    return values;
  }

  @Test
  void articleSettingsGiveTheArticlesNumbersOneStepEarlier() {
    // With the article's seed, sizes and randn*0.1 weights, dL/dh_t here is what the article's loop
    // prints under the label t+1 (its first print is already one step back from h_50).
    CliRun run =
        CliRun.of(
            "gradients",
            "--model",
            "rnn",
            "--hidden",
            "32",
            "--input",
            "10",
            "--steps",
            "50",
            "--weight-scale",
            "0.1",
            "--seed",
            "42",
            "--format",
            "csv");
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().startsWith("step,grad_norm\n"));
    double[] norms = csvColumn(run.out(), 1);
    assertEquals(50, norms.length);
    assertEquals(Math.sqrt(32), norms[49], 1e-12);
    assertEquals("2.744439", String.format(java.util.Locale.ROOT, "%.6f", norms[48]));
    assertEquals("0.005430", String.format(java.util.Locale.ROOT, "%.6f", norms[38]));
    assertEquals("0.000022", String.format(java.util.Locale.ROOT, "%.6f", norms[28]));
  }

  @Test
  void textEndsWithVanishingVerdict() {
    CliRun run =
        CliRun.of(
            "gradients",
            "--model",
            "rnn",
            "--hidden",
            "32",
            "--steps",
            "50",
            "--weight-scale",
            "0.1");
    assertEquals(0, run.status(), run.err());
    List<String> lines = run.out().strip().lines().toList();
    String verdict = lines.get(lines.size() - 2);
    assertTrue(verdict.startsWith("Verdict: VANISHING."), verdict);
    assertTrue(verdict.contains("per step back"), verdict);
    assertEquals(org.seqlab.view.GradientVerdict.rule(), lines.getLast(), "the rule comes last");
    assertTrue(
        run.out().contains("step    50: 5.656854e+00 ████████████████████████████████████████"),
        run.out());
  }

  @Test
  void largeSpectralRadiusWithReluExplodes() {
    CliRun run =
        CliRun.of(
            "gradients",
            "--model",
            "rnn",
            "--activation",
            "relu",
            "--hidden",
            "16",
            "--steps",
            "40",
            "--spectral-radius",
            "3",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = readJson(run.out());
    assertEquals("exploding", doc.at("/summary/verdict").asText());
    assertEquals(3.0, doc.at("/spectral_radius_w_hh").asDouble(), 1e-12);
  }

  @Test
  void lstmReportsTheCellHighwayAndForgetBiasHelps() {
    CliRun low =
        CliRun.of(
            "gradients",
            "--model",
            "lstm",
            "--hidden",
            "16",
            "--steps",
            "60",
            "--forget-bias",
            "-2",
            "--format",
            "csv");
    CliRun high =
        CliRun.of(
            "gradients",
            "--model",
            "lstm",
            "--hidden",
            "16",
            "--steps",
            "60",
            "--forget-bias",
            "5",
            "--format",
            "csv");
    assertEquals(0, low.status(), low.err());
    assertTrue(low.out().startsWith("step,grad_norm,cell_grad_norm\n"));
    double[] cellLow = csvColumn(low.out(), 2), cellHigh = csvColumn(high.out(), 2);
    // A forget gate near 1 keeps the cell gradient alive over 60 steps; near 0 it is cut each step.
    assertTrue(
        cellHigh[0] / cellHigh[59] > 1e3 * (cellLow[0] / cellLow[59]),
        "high forget bias should keep far more of the cell gradient");
  }

  @Test
  void jsonHasEveryStep() {
    CliRun run =
        CliRun.of(
            "gradients", "--model", "gru", "--hidden", "8", "--steps", "12", "--format", "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = readJson(run.out());
    assertEquals(12, doc.get("steps").size());
    assertEquals(1, doc.at("/steps/0/step").asInt());
    assertEquals(Math.sqrt(8), doc.at("/steps/11/grad_norm").asDouble(), 1e-12);
    assertNull(doc.at("/steps/0/cell_grad_norm").textValue());
  }

  @Test
  void transformerKeepsTheGradientWhereTheRnnLosesIt() {
    CliRun tfm =
        CliRun.of(
            "gradients",
            "--model",
            "transformer",
            "--hidden",
            "32",
            "--steps",
            "64",
            "--format",
            "csv");
    CliRun rnn =
        CliRun.of(
            "gradients",
            "--model",
            "rnn",
            "--weight-scale",
            "0.1",
            "--hidden",
            "32",
            "--steps",
            "64",
            "--format",
            "csv");
    assertEquals(0, tfm.status(), tfm.err());
    assertTrue(tfm.out().startsWith("step,grad_norm\n"));
    double[] t = csvColumn(tfm.out(), 1), r = csvColumn(rnn.out(), 1);
    assertEquals(64, t.length);
    assertTrue(t[0] / t[63] > 1e-3, "transformer: first/last = " + t[0] / t[63]);
    assertTrue(r[0] / r[63] < 1e-6, "rnn: first/last = " + r[0] / r[63]);
    CliRun text =
        CliRun.of("gradients", "--model", "transformer", "--hidden", "32", "--steps", "64");
    assertTrue(text.out().contains("Verdict: STABLE."), text.out());
    assertTrue(text.out().contains("‖dL/dx_1‖ / ‖dL/dx_64‖"), text.out());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--model transformer --hidden 30 --heads 4", "--model transformer --spectral-radius 1",
        "--model transformer --forget-bias 1", "--model transformer --layers 0",
        "--model transformer --hidden 1024 --steps 100000"
      })
  void badTransformerOptionsGiveOneLineErrors(String args) {
    CliRun run = CliRun.of(("gradients " + args).split(" "));
    assertTrue(run.isOneLineUserError(), args + " -> " + run.err());
    String option = args.split(" ")[2];
    assertTrue(run.err().contains(option), "message should name " + option + ": " + run.err());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--hidden 0",
        "--steps -3",
        "--hidden 20000",
        "--model cnn",
        "--weight-scale -1",
        "--spectral-radius 0",
        "--forget-bias 1",
        "--model lstm --activation relu",
        "--seed -1",
        "--format xml",
        "--weight-scale 0.1 --spectral-radius 1",
        "--hidden 16384 --steps 1000000",
        "--hidden abc"
      })
  void badOptionsGiveOneLineErrors(String args) {
    String[] argv = ("gradients " + args).split(" ");
    CliRun run = CliRun.of(argv);
    assertTrue(
        run.isOneLineUserError(),
        "for '" + args + "': status " + run.status() + ", err: " + run.err());
    String option = args.split(" ")[args.startsWith("--model lstm") ? 2 : 0];
    assertTrue(
        run.err().contains(option) || run.err().contains("mutually exclusive"),
        "message should name " + option + ": " + run.err());
  }

  @Test
  void plotIsAPng(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path png = dir.resolve("sub").resolve("lstm.png");
    CliRun run =
        CliRun.of(
            "gradients",
            "--model",
            "lstm",
            "--hidden",
            "8",
            "--steps",
            "20",
            "--plot",
            png.toString());
    assertEquals(0, run.status(), run.err());
    java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
    assertEquals(900, image.getWidth());
    assertEquals(540, image.getHeight());
  }

  @Test
  void gradientBelowDoubleRangeStillGetsItsRate() {
    // 2000 steps at about 0.55 per step goes below 1e-308 after some 1200 steps.
    CliRun run =
        CliRun.of(
            "gradients",
            "--model",
            "rnn",
            "--weight-scale",
            "0.1",
            "--steps",
            "2000",
            "--format",
            "json");
    assertEquals(0, run.status(), run.err());
    JsonNode doc = readJson(run.out());
    int measurable = doc.at("/summary/earliest_measurable_step").asInt();
    assertTrue(
        measurable > 1 && measurable < 2000,
        "underflow expected, earliest measurable " + measurable);
    assertEquals(0.0, doc.at("/steps/0/grad_norm").asDouble(), 0.0);
    double factor = doc.at("/summary/factor_per_step").asDouble();
    assertTrue(factor > 0.4 && factor < 0.7, "factor per step " + factor);
    CliRun text =
        CliRun.of("gradients", "--model", "rnn", "--weight-scale", "0.1", "--steps", "2000");
    assertTrue(text.out().contains("outside double precision's range"), text.out());
  }

  private static JsonNode readJson(String s) {
    try {
      return new ObjectMapper().readTree(s);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + s, e);
    }
  }
}
