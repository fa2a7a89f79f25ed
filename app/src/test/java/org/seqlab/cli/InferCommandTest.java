package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.io.SafetensorsWriter;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.MinRecurrent;
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

  /** minGRU and minLSTM, like every recurrent row the table gains that is built from them. */
  static java.util.stream.Stream<Architecture> minimalRows() {
    return java.util.Arrays.stream(Architecture.values())
        .filter(a -> a.minRecurrentKind().isPresent());
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("minimalRows")
  void initThenInferRunsAMinimalModel(Architecture architecture) throws Exception {
    Path weights = dir.resolve("w.safetensors"),
        x = dir.resolve("x.safetensors"),
        y = dir.resolve("y.safetensors");
    CliRun init =
        CliRun.of(
            "init",
            "--model",
            architecture.id(),
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
    SafetensorsFile file = Safetensors.read(weights);
    assertEquals(architecture.id(), file.metadata().get("model"));
    assertTrue(
        file.contains("weight_ih_l1") && file.contains("bias_ih_l1"), file.names().toString());
    assertFalse(file.contains("weight_hh_l0"));

    Random r = new Random(1);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put("input", gaussian(r, 4, 2, 3));
    inputs.put("h0", gaussian(r, 2, 2, 5));
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
    assertTrue(infer.out().startsWith(architecture.id() + ": 2 layer(s)"), infer.out());

    MinRecurrent model = RecurrentCheckpoint.loadMinRecurrent(weights, null);
    assertEquals(architecture.minRecurrentKind().orElseThrow(), model.kind());
    MinRecurrent.Output expected = model.forward(inputs.get("input"), inputs.get("h0"));
    SafetensorsFile out = Safetensors.read(y);
    assertArrayEquals(expected.output().data(), out.tensor("output").data());
    assertArrayEquals(new int[] {4, 2, 5}, out.shape("output"));
    assertArrayEquals(expected.hN().data(), out.tensor("h_n").data());
    assertEquals(architecture.id(), out.metadata().get("model"));

    // What a minimal model cannot take is refused in one line, naming it.
    Path withLengths = dir.resolve("lengths.safetensors");
    Safetensors.writer()
        .f32("input", inputs.get("input"))
        .i64("lengths", new int[] {2}, new long[] {4, 3})
        .write(withLengths);
    CliRun lengths =
        CliRun.of(
            "infer",
            "--weights",
            weights.toString(),
            "--input",
            withLengths.toString(),
            "--output",
            dir.resolve("z.safetensors").toString());
    assertTrue(lengths.isOneLineUserError(), lengths.err());
    assertTrue(lengths.err().contains("'lengths'"), lengths.err());
    // A minimal model's file is not a torch.nn.RNN/LSTM/GRU stack.
    IllegalArgumentException wrongLoader =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> RecurrentCheckpoint.load(weights, null));
    assertTrue(wrongLoader.getMessage().contains("loadMinRecurrent"), wrongLoader.getMessage());
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
    // The table's names, every row.
    assertTrue(kind.err().contains(String.join(", ", Architecture.ids())), kind.err());
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

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(InferCommandTest.class.getResource("/interop/" + name).toURI());
  }

  /**
   * PyTorch wrote the model (a bare float32 state_dict of a bidirectional 2-layer model, as
   * safetensors.torch.save_file does), the input with a ragged int64 'lengths', and its own float32
   * outputs (scripts/golden/make_recurrent_goldens.py): seqlab infer must reproduce them.
   */
  @ParameterizedTest
  @EnumSource(
      value = RecurrentKind.class,
      names = {"LSTM", "GRU"})
  void runsABidirectionalPyTorchModelOverARaggedBatchAsPyTorchDid(RecurrentKind kind)
      throws Exception {
    String prefix = kind.metadataName() + "_bidirectional_";
    Path y = dir.resolve("y.safetensors");
    CliRun run =
        CliRun.of(
            "infer",
            "--weights",
            resource(prefix + "state_dict.safetensors").toString(),
            "--model",
            kind.metadataName(),
            "--input",
            resource(prefix + "input.safetensors").toString(),
            "--output",
            y.toString());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().startsWith("bidirectional " + kind.metadataName()), run.out());
    assertTrue(run.out().contains("lengths [4, 6, 2]"), run.out());

    SafetensorsFile expected = Safetensors.read(resource(prefix + "expected.safetensors"));
    SafetensorsFile actual = Safetensors.read(y);
    assertEquals("true", actual.metadata().get("bidirectional"));
    assertEquals(expected.names(), actual.names());
    for (String name : expected.names()) {
      assertArrayEquals(expected.shape(name), actual.shape(name), name);
      float[] e = expected.tensor(name).data(), a = actual.tensor(name).data();
      double max = 0, worst = 0;
      for (int i = 0; i < e.length; i++) {
        max = Math.max(max, Math.abs(e[i]));
        worst = Math.max(worst, Math.abs(e[i] - a[i]));
        // PyTorch pads with exact zeros; so must we.
        if (e[i] == 0) assertEquals(0f, a[i], 0f, name + " element " + i);
      }
      // float32 on both sides, summed in different orders
      assertTrue(worst <= 1e-5 * (1 + max), name + ": max |diff| " + worst + " scale " + max);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void initBidirectionalThenInferWithLengths(RecurrentKind kind) throws Exception {
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
            "--bidirectional",
            "--output",
            weights.toString());
    assertEquals(0, init.status(), init.err());
    assertTrue(init.out().startsWith("bidirectional"), init.out());
    Recurrent model = RecurrentCheckpoint.load(weights, null);
    assertTrue(model.bidirectional());
    assertEquals("true", Safetensors.read(weights).metadata().get("bidirectional"));
    // init counts the parameters without building the model: layer 1 reads 2H = 10 inputs
    assertTrue(
        init.out()
            .contains(
                String.format(java.util.Locale.ROOT, "%,d parameters", model.parameterCount())),
        init.out());

    Random r = new Random(2);
    boolean lstm = kind == RecurrentKind.LSTM;
    Tensor input = gaussian(r, 4, 3, 3), h0 = gaussian(r, 4, 3, 5);
    Tensor c0 = lstm ? gaussian(r, 4, 3, 5) : null;
    SafetensorsWriter writer = Safetensors.writer().f32("input", input).f32("h0", h0);
    if (lstm) writer.f32("c0", c0);
    writer.i64("lengths", new int[] {3}, new long[] {2, 4, 1}).write(x);
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
    RecurrentOutput expected = model.forward(input, h0, c0, new int[] {2, 4, 1}, null);
    SafetensorsFile out = Safetensors.read(y);
    assertArrayEquals(new int[] {4, 3, 10}, out.shape("output"));
    assertArrayEquals(expected.output().data(), out.tensor("output").data());
    assertArrayEquals(expected.hN().data(), out.tensor("h_n").data());
    if (lstm) assertArrayEquals(expected.cN().data(), out.tensor("c_n").data());
  }

  @Test
  void everyMalformedInputFileGetsOneClearLine() throws Exception {
    Path weights = dir.resolve("w.safetensors"), gruWeights = dir.resolve("gru.safetensors");
    Path y = dir.resolve("y.safetensors");
    for (String[] m :
        new String[][] {{"lstm", weights.toString()}, {"gru", gruWeights.toString()}}) {
      CliRun init =
          CliRun.of(
              "init",
              "--model",
              m[0],
              "--input",
              "3",
              "--hidden",
              "4",
              "--layers",
              "2",
              "--bidirectional",
              "--output",
              m[1]);
      assertEquals(0, init.status(), init.err());
    }
    Tensor input = Tensor.zeros(5, 2, 3), state = Tensor.zeros(4, 2, 4);
    // the expected message -> the input file that must produce it
    Map<String, SafetensorsWriter> cases = new LinkedHashMap<>();
    java.util.function.BiConsumer<String, SafetensorsWriter> add = cases::put;
    add.accept(
        "'input' is stored as I64; it must be a floating-point tensor",
        Safetensors.writer().i64("input", new int[] {5, 2, 3}, new long[30]));
    add.accept(
        "'h0' is stored as I64; it must be a floating-point tensor",
        Safetensors.writer().f32("input", input).i64("h0", new int[] {4, 2, 4}, new long[32]));
    add.accept(
        "'h0' has shape [2, 2, 4]; expected [4, 2, 4] [L*2, B, H], layer 0 forward, layer 0 reverse",
        Safetensors.writer().f32("input", input).f32("h0", Tensor.zeros(2, 2, 4)));
    add.accept(
        "'c0' has shape [4, 1, 4]; expected [4, 2, 4]",
        Safetensors.writer().f32("input", input).f32("c0", Tensor.zeros(4, 1, 4)));
    add.accept(
        "'lengths' is stored as F32; it must be int64 (I64) of shape [2] (one per sequence), each in"
            + " [1, 5]",
        Safetensors.writer().f32("input", input).f32("lengths", Tensor.zeros(2)));
    add.accept(
        "'lengths' has shape [3]; it must be int64",
        Safetensors.writer()
            .f32("input", input)
            .i64("lengths", new int[] {3}, new long[] {1, 2, 3}));
    add.accept(
        "'lengths' has shape [1, 2]; it must be int64",
        Safetensors.writer()
            .f32("input", input)
            .i64("lengths", new int[] {1, 2}, new long[] {1, 2}));
    add.accept(
        "'lengths'[1] = 0 is outside [1, 5]",
        Safetensors.writer().f32("input", input).i64("lengths", new int[] {2}, new long[] {3, 0}));
    add.accept(
        "'lengths'[0] = 6 is outside [1, 5]",
        Safetensors.writer().f32("input", input).i64("lengths", new int[] {2}, new long[] {6, 1}));
    add.accept(
        "unexpected tensor 'h_0'", Safetensors.writer().f32("input", input).f32("h_0", state));
    add.accept(
        "'input' has shape [5, 2]; expected [T, B, 3]",
        Safetensors.writer().f32("input", Tensor.zeros(5, 2)));
    add.accept("'input' is empty", Safetensors.writer().f32("input", Tensor.zeros(0, 2, 3)));
    int i = 0;
    for (var c : cases.entrySet()) {
      Path x = dir.resolve("x" + i++ + ".safetensors");
      c.getValue().write(x);
      CliRun run =
          CliRun.of(
              "infer",
              "--weights",
              weights.toString(),
              "--input",
              x.toString(),
              "--output",
              y.toString());
      assertTrue(run.isOneLineUserError(), c.getKey() + " -> " + run.err());
      assertTrue(run.err().contains(c.getKey()), "expected '" + c.getKey() + "' in: " + run.err());
      assertFalse(Files.exists(y), "nothing may be written on error");
    }

    Path c0ForGru = dir.resolve("c0.safetensors");
    Safetensors.writer().f32("input", input).f32("c0", state).write(c0ForGru);
    CliRun gru =
        CliRun.of(
            "infer",
            "--weights",
            gruWeights.toString(),
            "--input",
            c0ForGru.toString(),
            "--output",
            y.toString());
    assertTrue(gru.isOneLineUserError(), gru.err());
    assertTrue(gru.err().contains("has 'c0' but a gru has no cell state"), gru.err());
  }

  @Test
  void everyMalformedStateDictGetsOneClearLine() throws Exception {
    Recurrent lstm = Recurrent.create(RecurrentKind.LSTM, 3, 4, 2, true);
    lstm.initialize(new SplittableRandom(1));
    Map<String, Tensor> good = lstm.stateDict();
    Path x = dir.resolve("x.safetensors"), y = dir.resolve("y.safetensors");
    Safetensors.write(x, Map.of("input", Tensor.zeros(2, 1, 3)), Map.of());

    Map<String, Map<String, Tensor>> bare = new LinkedHashMap<>();
    Map<String, Tensor> missing = new LinkedHashMap<>(good);
    missing.remove("bias_hh_l1");
    bare.put(
        "has no tensor 'bias_hh_l1', which a 2-layer bidirectional lstm with input 3, hidden 4 needs",
        missing);
    Map<String, Tensor> extra = new LinkedHashMap<>(good);
    extra.put("proj_weight", Tensor.zeros(2, 2));
    bare.put(
        "has the tensor 'proj_weight', which is not a parameter of a 2-layer bidirectional lstm",
        extra);
    Map<String, Tensor> misShaped = new LinkedHashMap<>(good);
    misShaped.put("bias_ih_l1_reverse", Tensor.zeros(15));
    bare.put("bias_ih_l1_reverse has shape [15], expected [16]", misShaped);
    Map<String, Tensor> wrongWidth = new LinkedHashMap<>(good);
    wrongWidth.put("weight_ih_l1", Tensor.zeros(16, 4));
    bare.put("weight_ih_l1 has shape [16, 4], expected [16, 8]", wrongWidth);
    Map<String, Tensor> partly = new LinkedHashMap<>();
    for (var e : good.entrySet()) {
      if (!e.getKey().endsWith("l1_reverse")) partly.put(e.getKey(), e.getValue());
    }
    bare.put("has _reverse tensors for layer(s) [0] but not for layer(s) [1]", partly);
    Map<String, Tensor> vector = new LinkedHashMap<>(good);
    vector.put("weight_ih_l0", Tensor.zeros(48));
    bare.put("weight_ih_l0 and weight_hh_l0 must be matrices", vector);
    int i = 0;
    for (var c : bare.entrySet()) {
      Path w = dir.resolve("w" + i++ + ".safetensors");
      Safetensors.write(w, c.getValue(), Map.of());
      CliRun run =
          CliRun.of(
              "infer",
              "--weights",
              w.toString(),
              "--model",
              "lstm",
              "--input",
              x.toString(),
              "--output",
              y.toString());
      assertTrue(run.isOneLineUserError(), c.getKey() + " -> " + run.err());
      assertTrue(run.err().contains("--weights"), run.err());
      assertTrue(run.err().contains(c.getKey()), "expected '" + c.getKey() + "' in: " + run.err());
      assertFalse(Files.exists(y));
    }

    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("bidirectional = 'maybe'; allowed: true, false", "maybe");
    metadata.put("bidirectional = false but the file has _reverse tensors", "false");
    for (var c : metadata.entrySet()) {
      Path w = dir.resolve("meta.safetensors");
      Safetensors.write(w, good, Map.of("model", "lstm", "bidirectional", c.getValue()));
      CliRun run =
          CliRun.of(
              "infer",
              "--weights",
              w.toString(),
              "--input",
              x.toString(),
              "--output",
              y.toString());
      assertTrue(run.isOneLineUserError(), run.err());
      assertTrue(run.err().contains(c.getKey()), "expected '" + c.getKey() + "' in: " + run.err());
    }
    Recurrent one = Recurrent.create(RecurrentKind.LSTM, 3, 4, 2);
    Path w = dir.resolve("uni.safetensors");
    Safetensors.write(w, one.stateDict(), Map.of("model", "lstm", "bidirectional", "true"));
    CliRun run =
        CliRun.of(
            "infer", "--weights", w.toString(), "--input", x.toString(), "--output", y.toString());
    assertTrue(run.isOneLineUserError(), run.err());
    assertTrue(
        run.err().contains("bidirectional = true but the file has no _reverse tensors"), run.err());

    Path integers = dir.resolve("int.safetensors");
    SafetensorsWriter writer = Safetensors.writer();
    for (var e : good.entrySet()) {
      writer.i64(e.getKey(), e.getValue().shape(), new long[e.getValue().size()]);
    }
    writer.write(integers);
    CliRun ints =
        CliRun.of(
            "infer",
            "--weights",
            integers.toString(),
            "--model",
            "lstm",
            "--input",
            x.toString(),
            "--output",
            y.toString());
    assertTrue(ints.isOneLineUserError(), ints.err());
    assertTrue(ints.err().contains("is stored as I64 and cannot be read as float32"), ints.err());
  }
}
