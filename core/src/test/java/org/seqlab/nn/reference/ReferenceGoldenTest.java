package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.RecurrentKind;

/**
 * The double-precision reference against PyTorch's float64 golden files, to near machine precision:
 * both compute the same function in the same precision, so they may differ only by the order of
 * floating-point additions.
 */
class ReferenceGoldenTest {
  static final double TOL = 1e-12;

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void matchesPyTorchInDoublePrecision(RecurrentKind kind) throws Exception {
    SafetensorsFile golden =
        Safetensors.read(
            Path.of("src/test/resources/golden/" + kind.metadataName() + ".safetensors"));
    Map<String, String> meta = golden.metadata();
    assertEquals(kind.metadataName(), meta.get("model"));
    int[] x = golden.shape("input");
    ReferenceRecurrent model =
        new ReferenceRecurrent(
            kind,
            Integer.parseInt(meta.get("input_size")),
            Integer.parseInt(meta.get("hidden_size")),
            Integer.parseInt(meta.get("num_layers")));
    for (String name : model.parameters().keySet()) {
      double[] values = golden.doubles(name);
      System.arraycopy(values, 0, model.parameter(name), 0, values.length);
    }
    boolean lstm = kind == RecurrentKind.LSTM;
    ReferenceRecurrent.Unrolled run =
        model.unroll(
            golden.doubles("input"),
            x[0],
            x[1],
            golden.doubles("h0"),
            lstm ? golden.doubles("c0") : null);
    run.backward(
        golden.doubles("dOutput"), golden.doubles("dhN"), lstm ? golden.doubles("dcN") : null);

    int steps = x[0], layers = model.numLayers();
    Var[] outputs = new Var[steps];
    for (int t = 0; t < steps; t++) outputs[t] = run.output(t);
    Var[] hN = new Var[layers], cN = new Var[layers];
    for (int k = 0; k < layers; k++) {
      hN[k] = run.hidden()[k][steps - 1];
      if (lstm) cN[k] = run.cell()[k][steps - 1];
    }
    assertClose(
        kind + " output",
        ReferenceRecurrentGradientCheckTest.concatValues(outputs),
        golden.doubles("output"));
    assertClose(
        kind + " h_n", ReferenceRecurrentGradientCheckTest.concatValues(hN), golden.doubles("h_n"));
    if (lstm)
      assertClose(
          kind + " c_n",
          ReferenceRecurrentGradientCheckTest.concatValues(cN),
          golden.doubles("c_n"));
    for (var p : run.parameters().entrySet()) {
      assertClose(
          kind + " grad." + p.getKey(), p.getValue().grad(), golden.doubles("grad." + p.getKey()));
    }
    assertClose(
        kind + " grad.input",
        ReferenceRecurrentGradientCheckTest.concat(run.inputs()),
        golden.doubles("grad.input"));
    assertClose(
        kind + " grad.h0",
        ReferenceRecurrentGradientCheckTest.concat(run.h0()),
        golden.doubles("grad.h0"));
    if (lstm)
      assertClose(
          kind + " grad.c0",
          ReferenceRecurrentGradientCheckTest.concat(run.c0()),
          golden.doubles("grad.c0"));
  }

  /** Bidirectional, two layers, ragged lengths packed as PyTorch's enforce_sorted=False does. */
  @ParameterizedTest
  @EnumSource(
      value = RecurrentKind.class,
      names = {"RNN_TANH", "LSTM", "GRU"})
  void bidirectionalRaggedMatchesPyTorchInDoublePrecision(RecurrentKind kind) throws Exception {
    SafetensorsFile golden =
        Safetensors.read(
            Path.of(
                "src/test/resources/golden/" + kind.metadataName() + "_bidirectional.safetensors"));
    Map<String, String> meta = golden.metadata();
    assertEquals("true", meta.get("bidirectional"));
    int[] x = golden.shape("input");
    ReferenceRecurrent model =
        new ReferenceRecurrent(
            kind,
            Integer.parseInt(meta.get("input_size")),
            Integer.parseInt(meta.get("hidden_size")),
            Integer.parseInt(meta.get("num_layers")),
            true);
    for (String name : model.parameters().keySet()) {
      double[] values = golden.doubles(name);
      System.arraycopy(values, 0, model.parameter(name), 0, values.length);
    }
    long[] stored = golden.longs("lengths");
    int[] lengths = new int[stored.length];
    for (int b = 0; b < lengths.length; b++) lengths[b] = Math.toIntExact(stored[b]);
    boolean lstm = kind == RecurrentKind.LSTM;
    ReferenceRecurrent.Unrolled run =
        model.unroll(
            golden.doubles("input"),
            x[0],
            x[1],
            golden.doubles("h0"),
            lstm ? golden.doubles("c0") : null,
            lengths,
            null);
    run.backward(
        golden.doubles("dOutput"), golden.doubles("dhN"), lstm ? golden.doubles("dcN") : null);

    var concat =
        (java.util.function.Function<Var[], double[]>)
            ReferenceRecurrentGradientCheckTest::concatValues;
    assertClose(kind + " output", concat.apply(run.outputs()), golden.doubles("output"));
    assertClose(kind + " h_n", concat.apply(run.hN()), golden.doubles("h_n"));
    if (lstm) assertClose(kind + " c_n", concat.apply(run.cN()), golden.doubles("c_n"));
    for (var p : run.parameters().entrySet()) {
      assertClose(
          kind + " grad." + p.getKey(), p.getValue().grad(), golden.doubles("grad." + p.getKey()));
    }
    assertClose(
        kind + " grad.input",
        ReferenceRecurrentGradientCheckTest.concat(run.inputs()),
        golden.doubles("grad.input"));
    assertClose(
        kind + " grad.h0",
        ReferenceRecurrentGradientCheckTest.concat(run.h0()),
        golden.doubles("grad.h0"));
    if (lstm)
      assertClose(
          kind + " grad.c0",
          ReferenceRecurrentGradientCheckTest.concat(run.c0()),
          golden.doubles("grad.c0"));
  }

  static void assertClose(String what, double[] actual, double[] expected) {
    assertEquals(expected.length, actual.length, what + " length");
    double worst = 0, scale = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    assertTrue(worst <= TOL * (1 + scale), what + ": max |diff| " + worst);
  }
}
