package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Tensor;

/** Behaviour shared by every {@link Recurrent} kind. */
class RecurrentTest {

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void parametersHavePyTorchNamesShapesAndOrder(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, 4, 6, 2);
    int rows = kind.gateCount() * 6;
    List<String> names = new ArrayList<>();
    for (Parameter p : model.parameters()) names.add(p.name());
    assertEquals(
        List.of(
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_ih_l1",
            "weight_hh_l1",
            "bias_ih_l1",
            "bias_hh_l1"),
        names);
    assertArrayEquals(new int[] {rows, 4}, model.weightIh(0).value().shape());
    assertArrayEquals(new int[] {rows, 6}, model.weightIh(1).value().shape());
    assertArrayEquals(new int[] {rows, 6}, model.weightHh(1).value().shape());
    assertArrayEquals(new int[] {rows}, model.biasHh(0).value().shape());
    assertEquals(kind, model.kind());
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void bidirectionalParametersFollowPyTorchsStateDict(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, 4, 6, 2, true);
    int rows = kind.gateCount() * 6;
    List<String> names = new ArrayList<>();
    for (Parameter p : model.parameters()) names.add(p.name());
    assertEquals(
        List.of(
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "weight_ih_l0_reverse",
            "weight_hh_l0_reverse",
            "bias_ih_l0_reverse",
            "bias_hh_l0_reverse",
            "weight_ih_l1",
            "weight_hh_l1",
            "bias_ih_l1",
            "bias_hh_l1",
            "weight_ih_l1_reverse",
            "weight_hh_l1_reverse",
            "bias_ih_l1_reverse",
            "bias_hh_l1_reverse"),
        names);
    assertTrue(model.bidirectional());
    assertEquals(2, model.directions());
    assertEquals(12, model.outputSize());
    // Layer 1 reads both directions of layer 0: 2H inputs.
    assertArrayEquals(new int[] {rows, 4}, model.weightIh(0, 1).value().shape());
    assertArrayEquals(new int[] {rows, 12}, model.weightIh(1).value().shape());
    assertArrayEquals(new int[] {rows, 12}, model.weightIh(1, 1).value().shape());
    assertArrayEquals(new int[] {rows, 6}, model.weightHh(1, 1).value().shape());
    assertEquals("bias_hh_l1_reverse", model.biasHh(1, 1).name());
    assertEquals("bias_ih_l0", model.biasIh(0, 0).name());

    RecurrentOutput out = model.forward(Tensor.zeros(3, 5, 4), null, null);
    assertArrayEquals(new int[] {3, 5, 12}, out.output().shape());
    assertArrayEquals(new int[] {4, 5, 6}, out.hN().shape());

    Recurrent one = Recurrent.create(kind, 4, 6, 2);
    assertEquals(1, one.directions());
    assertEquals(6, one.outputSize());
    assertTrue(!one.bidirectional());
    var noReverse = assertThrows(IndexOutOfBoundsException.class, () -> one.weightIh(0, 1));
    assertEquals("direction 1 outside [0, 1)", noReverse.getMessage());
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void initializationStaysWithinTheBoundAndVaries(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, 3, 7, 2);
    model.initialize(new SplittableRandom(1));
    double bound = 1 / Math.sqrt(7);
    for (Parameter p : model.parameters()) {
      float min = Float.POSITIVE_INFINITY;
      float max = Float.NEGATIVE_INFINITY;
      for (float v : p.value().data()) {
        assertTrue(Math.abs(v) <= bound, p.name() + " has " + v + " outside ±" + bound);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      // A uniform draw of at least 7 values spans more than a third of the interval.
      assertTrue(max - min > bound * 2 / 3, p.name() + " spans only [" + min + ", " + max + "]");
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void loadStateDictRoundTrips(RecurrentKind kind) {
    Recurrent source = Recurrent.create(kind, 3, 4, 2);
    source.initialize(new SplittableRandom(2));
    Map<String, Tensor> copies = new LinkedHashMap<>();
    source.stateDict().forEach((name, t) -> copies.put(name, t.copy()));
    Recurrent target = Recurrent.create(kind, 3, 4, 2);
    target.loadStateDict(copies);
    Tensor input = GradientCheck.random(new SplittableRandom(3), 1, 3, 2, 3);
    assertArrayEquals(
        source.forward(input, null, null).output().data(),
        target.forward(input, null, null).output().data());
    for (Parameter p : target.parameters()) {
      assertArrayEquals(source.stateDict().get(p.name()).data(), p.value().data(), p.name());
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void backwardAccumulatesIntoParameterGradients(RecurrentKind kind) {
    RecurrentGradientCheck check = new RecurrentGradientCheck(kind, 4);
    check.model.zeroGrad();
    check.backward();
    List<float[]> once = new ArrayList<>();
    for (Parameter p : check.model.parameters()) once.add(p.grad().data().clone());
    check.backward();
    List<Parameter> params = check.model.parameters();
    for (int i = 0; i < params.size(); i++) {
      float[] twice = params.get(i).grad().data();
      for (int j = 0; j < twice.length; j++) {
        assertEquals(
            2 * once.get(i)[j], twice[j], 1e-6f * (1 + Math.abs(twice[j])), params.get(i).name());
      }
    }
    check.model.zeroGrad();
    for (Parameter p : params) assertEquals(0, p.grad().norm(), p.name());
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void hiddenGradientOfLastStepIsOutputGradientPlusFinalStateGradient(RecurrentKind kind) {
    RecurrentGradientCheck check = new RecurrentGradientCheck(kind, 5);
    RecurrentGradients grads = check.backward();
    int steps = RecurrentGradientCheck.STEPS;
    int block = RecurrentGradientCheck.BATCH * RecurrentGradientCheck.HIDDEN;
    int top = RecurrentGradientCheck.LAYERS - 1;
    Tensor hiddenGradient = grads.hiddenGradient(top);
    assertArrayEquals(
        new int[] {steps, RecurrentGradientCheck.BATCH, RecurrentGradientCheck.HIDDEN},
        hiddenGradient.shape());
    for (int i = 0; i < block; i++) {
      float expected =
          check.dOutput.data()[(steps - 1) * block + i] + check.dhN.data()[top * block + i];
      assertEquals(expected, hiddenGradient.data()[(steps - 1) * block + i], 0f);
    }
    // With no gradient reaching the top layer, the lower layer's last step sees only its dhN.
    Tensor onlyLowerLayer = check.dhN.copy();
    for (int i = 0; i < block; i++) onlyLowerLayer.data()[top * block + i] = 0f;
    Tensor lower =
        check.model.backward(check.forward(), null, onlyLowerLayer, null).hiddenGradient(0);
    for (int i = 0; i < block; i++) {
      assertEquals(check.dhN.data()[i], lower.data()[(steps - 1) * block + i], 0f);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void finalStatesAndOutputAgreeWithTheTrace(RecurrentKind kind) {
    RecurrentGradientCheck check = new RecurrentGradientCheck(kind, 6);
    RecurrentOutput out = check.forward();
    int steps = RecurrentGradientCheck.STEPS;
    int block = RecurrentGradientCheck.BATCH * RecurrentGradientCheck.HIDDEN;
    RecurrentTrace trace = out.trace();
    assertArrayEquals(
        out.output().data(), trace.hiddenStates(RecurrentGradientCheck.LAYERS - 1).data());
    for (int k = 0; k < RecurrentGradientCheck.LAYERS; k++) {
      Tensor states = trace.hiddenStates(k);
      for (int i = 0; i < block; i++) {
        assertEquals(out.hN().data()[k * block + i], states.data()[(steps - 1) * block + i], 0f);
      }
      assertArrayEquals(
          new int[] {
            steps, RecurrentGradientCheck.BATCH, kind.gateCount() * RecurrentGradientCheck.HIDDEN
          },
          trace.gates(k).shape());
    }
    // Accessors hand out copies: writing to one must not change what backward reads.
    trace.hiddenStates(0).fill(99f);
    trace.gates(0).fill(99f);
    assertArrayEquals(
        out.output().data(), trace.hiddenStates(RecurrentGradientCheck.LAYERS - 1).data());
    if (kind != RecurrentKind.LSTM) {
      assertNull(out.cN());
      assertThrows(IllegalStateException.class, () -> trace.cellStates(0));
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void zerosForMissingInitialStatesAndUpstreamGradients(RecurrentKind kind) {
    RecurrentGradientCheck check = new RecurrentGradientCheck(kind, 7);
    Tensor zeros =
        Tensor.zeros(
            RecurrentGradientCheck.LAYERS,
            RecurrentGradientCheck.BATCH,
            RecurrentGradientCheck.HIDDEN);
    Tensor c0 = kind == RecurrentKind.LSTM ? zeros : null;
    assertArrayEquals(
        check.model.forward(check.input, zeros, c0).output().data(),
        check.model.forward(check.input, null, null).output().data());
    RecurrentGradients grads =
        check.model.backward(check.model.forward(check.input, null, null), null, null, null);
    assertEquals(0, grads.dInput().norm());
    assertEquals(0, grads.dh0().norm());
    assertEquals(0, grads.hiddenGradients().norm());
  }

  @Test
  void shapeErrorsNameTheArgumentItsShapeAndTheExpectedShape() {
    Recurrent lstm = Recurrent.create(RecurrentKind.LSTM, 4, 6, 2);
    Tensor input = Tensor.zeros(5, 3, 4);
    var wrongInput =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(5, 3, 7), null, null));
    assertTrue(
        wrongInput.getMessage().contains("input has shape [5, 3, 7]"), wrongInput.getMessage());
    assertTrue(wrongInput.getMessage().contains("[T, B, 4]"), wrongInput.getMessage());
    var flatInput =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(15, 4), null, null));
    assertTrue(flatInput.getMessage().contains("input has shape [15, 4]"), flatInput.getMessage());
    var wrongH0 =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.forward(input, Tensor.zeros(1, 3, 6), null));
    assertEquals("h0 has shape [1, 3, 6], expected [2, 3, 6]", wrongH0.getMessage());
    var wrongC0 =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.forward(input, null, Tensor.zeros(2, 2, 6)));
    assertEquals("c0 has shape [2, 2, 6], expected [2, 3, 6]", wrongC0.getMessage());

    RecurrentOutput out = lstm.forward(input, null, null);
    var wrongDOutput =
        assertThrows(
            IllegalArgumentException.class,
            () -> lstm.backward(out, Tensor.zeros(5, 3, 5), null, null));
    assertEquals("dOutput has shape [5, 3, 5], expected [5, 3, 6]", wrongDOutput.getMessage());
    var wrongDhN =
        assertThrows(
            IllegalArgumentException.class,
            () -> lstm.backward(out, null, Tensor.zeros(2, 3), null));
    assertEquals("dhN has shape [2, 3], expected [2, 3, 6]", wrongDhN.getMessage());
    var wrongDcN =
        assertThrows(
            IllegalArgumentException.class,
            () -> lstm.backward(out, null, null, Tensor.zeros(2, 3, 7)));
    assertEquals("dcN has shape [2, 3, 7], expected [2, 3, 6]", wrongDcN.getMessage());

    Recurrent gru = Recurrent.create(RecurrentKind.GRU, 4, 6, 2);
    var c0ForGru =
        assertThrows(
            IllegalArgumentException.class, () -> gru.forward(input, null, Tensor.zeros(2, 3, 6)));
    assertTrue(c0ForGru.getMessage().contains("c0 is only for LSTM"), c0ForGru.getMessage());
    RecurrentOutput gruOut = gru.forward(input, null, null);
    assertThrows(
        IllegalArgumentException.class,
        () -> gru.backward(gruOut, null, null, Tensor.zeros(2, 3, 6)));
    var foreign =
        assertThrows(IllegalArgumentException.class, () -> lstm.backward(gruOut, null, null, null));
    assertTrue(foreign.getMessage().contains("different model"), foreign.getMessage());
  }

  @Test
  void bidirectionalStatesAreLayersTimesDirections() {
    Recurrent lstm = Recurrent.create(RecurrentKind.LSTM, 4, 6, 2, true);
    Tensor input = Tensor.zeros(5, 3, 4);
    var wrongH0 =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.forward(input, Tensor.zeros(2, 3, 6), null));
    assertEquals("h0 has shape [2, 3, 6], expected [4, 3, 6]", wrongH0.getMessage());
    RecurrentOutput out = lstm.forward(input, null, Tensor.zeros(4, 3, 6));
    var wrongDOutput =
        assertThrows(
            IllegalArgumentException.class,
            () -> lstm.backward(out, Tensor.zeros(5, 3, 6), null, null));
    assertEquals("dOutput has shape [5, 3, 6], expected [5, 3, 12]", wrongDOutput.getMessage());
    RecurrentGradients g = lstm.backward(out, null, Tensor.zeros(4, 3, 6), Tensor.zeros(4, 3, 6));
    assertArrayEquals(new int[] {4, 3, 6}, g.dh0().shape());
    assertArrayEquals(new int[] {4, 5, 3, 6}, g.hiddenGradients().shape());
    assertArrayEquals(new int[] {5, 3, 6}, out.trace().hiddenStates(1, 1).shape());
    var noDirection = assertThrows(IndexOutOfBoundsException.class, () -> out.trace().gates(0, 2));
    assertEquals("direction 2 outside [0, 2)", noDirection.getMessage());
  }

  @Test
  void sizesAreValidatedBeforeAllocating() {
    var zeroHidden =
        assertThrows(
            IllegalArgumentException.class, () -> Recurrent.create(RecurrentKind.GRU, 4, 0, 1));
    assertTrue(zeroHidden.getMessage().contains("hiddenSize=0"), zeroHidden.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> Recurrent.create(RecurrentKind.GRU, -1, 4, 1));
    assertThrows(
        IllegalArgumentException.class, () -> Recurrent.create(RecurrentKind.GRU, 4, 4, 0));
    var huge =
        assertThrows(
            IllegalArgumentException.class,
            () -> Recurrent.create(RecurrentKind.LSTM, 1 << 20, 1 << 12, 1));
    assertTrue(huge.getMessage().contains("more than"), huge.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Rnn(RecurrentKind.LSTM, 2, 2, 1));
  }

  @Test
  void kindsRoundTripThroughTheirMetadataNames() {
    for (RecurrentKind kind : RecurrentKind.values()) {
      assertEquals(kind, RecurrentKind.fromMetadataName(kind.metadataName()));
    }
    assertEquals(4, RecurrentKind.LSTM.gateCount());
    assertEquals(3, RecurrentKind.GRU.gateCount());
    assertEquals(1, RecurrentKind.RNN_RELU.gateCount());
    var unknown =
        assertThrows(IllegalArgumentException.class, () -> RecurrentKind.fromMetadataName("LSTM"));
    assertEquals(
        "unknown model 'LSTM'; allowed: rnn_tanh, rnn_relu, lstm, gru", unknown.getMessage());
  }
}
