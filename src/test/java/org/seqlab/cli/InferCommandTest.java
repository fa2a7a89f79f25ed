package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.tensor.Tensor;

/** {@code seqlab init} and {@code seqlab infer}, end to end through files. */
class InferCommandTest {
  @TempDir Path dir;

  static Tensor gaussian(Random r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    for (int i = 0; i < t.size(); i++) t.data()[i] = (float) r.nextGaussian();
    return t;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void initThenInferGivesTheLayersOutput(RecurrentKind kind) throws Exception {
    Path weights = dir.resolve("w.safetensors"),
        x = dir.resolve("x.safetensors"),
        y = dir.resolve("y.safetensors");
    CliRun init =
        CliRun.of(
            "init",
            "--model",
            kind.metadataName(),
            "--input",
            "3",
            "--hidden",
            "5",
            "--layers",
            "2",
            "--seed",
            "9",
            "--output",
            weights.toString());
    assertEquals(0, init.status(), init.err());

    Random r = new Random(1);
    boolean lstm = kind == RecurrentKind.LSTM;
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put("input", gaussian(r, 4, 2, 3));
    inputs.put("h0", gaussian(r, 2, 2, 5));
    if (lstm) inputs.put("c0", gaussian(r, 2, 2, 5));
    Safetensors.write(x, inputs, Map.of());

    CliRun infer =
        CliRun.of(
            "infer",
            "--weights",
            weights.toString(),
            "--input",
            x.toString(),
            "--output",
            y.toString());
    assertEquals(0, infer.status(), infer.err());

    Recurrent model = RecurrentCheckpoint.load(weights, null);
    assertEquals(kind, model.kind());
    RecurrentOutput expected =
        model.forward(inputs.get("input"), inputs.get("h0"), inputs.get("c0"));
    SafetensorsFile out = Safetensors.read(y);
    assertArrayEquals(expected.output().data(), out.tensor("output").data());
    assertArrayEquals(new int[] {4, 2, 5}, out.shape("output"));
    assertArrayEquals(expected.hN().data(), out.tensor("h_n").data());
    assertEquals(lstm, out.contains("c_n"));
    if (lstm) assertArrayEquals(expected.cN().data(), out.tensor("c_n").data());
  }

  @Test
  void bareStateDictNeedsTheModelNamed() throws Exception {
    Recurrent gru = Recurrent.create(RecurrentKind.GRU, 3, 4, 1);
    gru.initialize(new Random(2));
    Path weights = dir.resolve("bare.safetensors"),
        x = dir.resolve("x.safetensors"),
        y = dir.resolve("y.safetensors");
    Safetensors.write(weights, gru.stateDict(), Map.of());
    Safetensors.write(x, Map.of("input", gaussian(new Random(3), 2, 1, 3)), Map.of());

    CliRun unnamed =
        CliRun.of(
            "infer",
            "--weights",
            weights.toString(),
            "--input",
            x.toString(),
            "--output",
            y.toString());
    assertTrue(unnamed.isOneLineUserError(), unnamed.err());
    assertTrue(unnamed.err().contains("name the model"), unnamed.err());
    assertFalse(Files.exists(y));

    CliRun wrongKind =
        CliRun.of(
            "infer",
            "--weights",
            weights.toString(),
            "--model",
            "lstm",
            "--input",
            x.toString(),
            "--output",
            y.toString());
    assertTrue(wrongKind.isOneLineUserError(), wrongKind.err());
    assertTrue(wrongKind.err().contains("weight_hh_l0 has 12 rows"), wrongKind.err());

    CliRun named =
        CliRun.of(
            "infer",
            "--weights",
            weights.toString(),
            "--model",
            "gru",
            "--input",
            x.toString(),
            "--output",
            y.toString());
    assertEquals(0, named.status(), named.err());
    assertArrayEquals(
        gru.forward(Safetensors.read(x).tensor("input"), null, null).output().data(),
        Safetensors.read(y).tensor("output").data());
  }

  @Test
  void badInputsGiveOneLineErrorsAndWriteNothing() throws Exception {
    Path weights = dir.resolve("w.safetensors"), y = dir.resolve("y.safetensors");
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
    Path wrongWidth = dir.resolve("wide.safetensors");
    Safetensors.write(wrongWidth, Map.of("input", Tensor.zeros(2, 1, 7)), Map.of());
    Path badH0 = dir.resolve("h0.safetensors");
    Safetensors.write(
        badH0, Map.of("input", Tensor.zeros(2, 1, 3), "h0", Tensor.zeros(1, 2, 4)), Map.of());
    Path noInput = dir.resolve("none.safetensors");
    Safetensors.write(noInput, Map.of("x", Tensor.zeros(2, 1, 3)), Map.of());
    Path corrupt = dir.resolve("corrupt.safetensors");
    Files.write(corrupt, new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a'});

    String[][] cases = {
      {"--weights", weights.toString(), "--input", wrongWidth.toString(), "expected [T, B, 3]"},
      {"--weights", weights.toString(), "--input", badH0.toString(), "'h0' has shape [1, 2, 4]"},
      {"--weights", weights.toString(), "--input", noInput.toString(), "no tensor named 'input'"},
      {"--weights", corrupt.toString(), "--input", wrongWidth.toString(), "--weights"},
      {
        "--weights",
        dir.resolve("missing").toString(),
        "--input",
        noInput.toString(),
        "no such file"
      },
    };
    for (String[] c : cases) {
      CliRun run = CliRun.of("infer", c[0], c[1], c[2], c[3], "--output", y.toString());
      assertTrue(run.isOneLineUserError(), String.join(" ", c) + " -> " + run.err());
      assertTrue(run.err().contains(c[4]), "expected '" + c[4] + "' in: " + run.err());
      assertFalse(Files.exists(y), "nothing may be written on error");
    }
  }

  @Test
  void initRefusesAbsurdSizesBeforeAllocating() {
    CliRun huge =
        CliRun.of(
            "init",
            "--model",
            "lstm",
            "--input",
            "1048576",
            "--hidden",
            "65536",
            "--layers",
            "64",
            "--output",
            dir.resolve("w").toString());
    assertTrue(huge.isOneLineUserError(), huge.err());
    assertTrue(huge.err().contains("parameters"), huge.err());
    CliRun zero =
        CliRun.of(
            "init",
            "--model",
            "gru",
            "--input",
            "0",
            "--hidden",
            "4",
            "--output",
            dir.resolve("w").toString());
    assertTrue(zero.isOneLineUserError(), zero.err());
    assertTrue(zero.err().contains("--input"), zero.err());
    CliRun kind =
        CliRun.of(
            "init",
            "--model",
            "transformer9",
            "--input",
            "2",
            "--hidden",
            "4",
            "--output",
            dir.resolve("w").toString());
    assertTrue(kind.isOneLineUserError(), kind.err());
    assertTrue(kind.err().contains("rnn_tanh, rnn_relu, lstm, gru"), kind.err());
    CliRun bias =
        CliRun.of(
            "init",
            "--model",
            "gru",
            "--input",
            "2",
            "--hidden",
            "4",
            "--forget-bias",
            "1",
            "--output",
            dir.resolve("w").toString());
    assertTrue(bias.isOneLineUserError(), bias.err());
  }

  @Test
  void forgetBiasIsWrittenToTheCheckpoint() throws Exception {
    Path weights = dir.resolve("w.safetensors");
    assertEquals(
        0,
        CliRun.of(
                "init",
                "--model",
                "lstm",
                "--input",
                "2",
                "--hidden",
                "3",
                "--forget-bias",
                "1.5",
                "--output",
                weights.toString())
            .status());
    SafetensorsFile f = Safetensors.read(weights);
    float[] bIh = f.tensor("bias_ih_l0").data(), bHh = f.tensor("bias_hh_l0").data();
    for (int j = 3; j < 6; j++) assertEquals(1.5f, bIh[j] + bHh[j], 0f);
    assertEquals("lstm", f.metadata().get("model"));
    assertEquals("3", f.metadata().get("hidden_size"));
  }
}
