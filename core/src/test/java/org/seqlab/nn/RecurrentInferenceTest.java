package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * {@link Recurrent#infer} computes every element by the same operations as the traced {@link
 * Recurrent#forward}, so output, hN and cN must be the same bits, on 1 and 2 threads, for odd
 * shapes and for the sizes where the fast paths run: full tiles of 8 batch rows and remainder rows,
 * full and narrow panels of hidden units, input projections done a block of steps at a time and all
 * at once, a depth above the projection kernel's cache block, and small batches split by units.
 */
class RecurrentInferenceTest {
  private final int savedThreads = Parallel.threads();
  private final long savedUnitSplitMinWork = Recurrent.unitSplitMinWork;

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
    Recurrent.unitSplitMinWork = savedUnitSplitMinWork;
  }

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  /** {@code input, hidden, layers, batch, steps}. */
  private static final int[][] SHAPES = {
    {7, 13, 1, 3, 5}, // odd and tiny: projections all at once, scalar tails
    {11, 40, 2, 5, 9},
    {9, 64, 1, 1, 37}, // batch 1: one row per tile
    {16, 64, 2, 8, 37}, // one full tile of 8 rows
    {30, 100, 1, 17, 37}, // two tiles and one remainder row; a narrow last panel of units
    {64, 256, 1, 64, 37}, // the benchmark's shape, shorter
    {33, 256, 2, 3, 1}, // one step
    {300, 48, 1, 9, 6}, // input deeper than one cache block of the projection kernel
  };

  private static void assertInferMatchesForward(
      RecurrentKind kind, int[] shape, boolean initialStates, int[] lengths, String what) {
    int input = shape[0], hidden = shape[1], layers = shape[2], batch = shape[3], steps = shape[4];
    Recurrent model = Recurrent.create(kind, input, hidden, layers);
    model.initialize(new SplittableRandom(31 + hidden));
    SplittableRandom r = new SplittableRandom(7 + batch);
    Tensor x = random(r, steps, batch, input);
    Tensor h0 = initialStates ? random(r, layers, batch, hidden) : null;
    Tensor c0 =
        initialStates && kind == RecurrentKind.LSTM ? random(r, layers, batch, hidden) : null;
    float[] inputBefore = x.data().clone();

    RecurrentOutput traced = model.forward(x, h0, c0, lengths, null);
    RecurrentOutput inferred = model.infer(x, h0, c0, lengths);

    String message = kind + " " + what + ", threads " + Parallel.threads();
    assertArrayEquals(traced.output().data(), inferred.output().data(), message + ": output");
    assertArrayEquals(traced.hN().data(), inferred.hN().data(), message + ": hN");
    if (kind == RecurrentKind.LSTM) {
      assertArrayEquals(traced.cN().data(), inferred.cN().data(), message + ": cN");
    } else {
      assertNull(inferred.cN(), message + ": cN");
    }
    assertArrayEquals(inputBefore, x.data(), message + ": the input must not change");
    assertFalse(inferred.hasTrace(), message);

    // The frozen weights give the same bits, before and after the model's own weights change.
    FrozenRecurrent frozen = model.freeze();
    assertSameResult(inferred, frozen.infer(x, h0, c0, lengths), message + ", frozen");
    for (Parameter p : model.parameters()) {
      float[] d = p.value().data();
      for (int i = 0; i < d.length; i++) d[i] += 0.25f;
    }
    assertSameResult(inferred, frozen.infer(x, h0, c0, lengths), message + ", frozen, model moved");
  }

  private static void assertSameResult(RecurrentOutput expected, RecurrentOutput actual, String m) {
    assertArrayEquals(expected.output().data(), actual.output().data(), m + ": output");
    assertArrayEquals(expected.hN().data(), actual.hN().data(), m + ": hN");
    if (expected.cN() != null) assertArrayEquals(expected.cN().data(), actual.cN().data(), m);
  }

  @Test
  void aBidirectionalModelIsNotFrozenAndAFrozenModelChecksItsInputs() {
    Recurrent both = Recurrent.create(RecurrentKind.GRU, 3, 4, 1, true);
    IllegalStateException refused = assertThrows(IllegalStateException.class, both::freeze);
    assertTrue(refused.getMessage().contains("bidirectional"), refused.getMessage());
    Recurrent lstm = Recurrent.create(RecurrentKind.LSTM, 3, 4, 1);
    FrozenRecurrent frozen = lstm.freeze();
    IllegalArgumentException wrong =
        assertThrows(
            IllegalArgumentException.class, () -> frozen.infer(Tensor.zeros(2, 1, 5), null, null));
    IllegalArgumentException sameFromModel =
        assertThrows(
            IllegalArgumentException.class, () -> lstm.infer(Tensor.zeros(2, 1, 5), null, null));
    org.junit.jupiter.api.Assertions.assertEquals(sameFromModel.getMessage(), wrong.getMessage());
  }

  private static String describe(int[] shape, boolean initialStates) {
    return String.format(
        "I %d, H %d, L %d, B %d, T %d, %s",
        shape[0], shape[1], shape[2], shape[3], shape[4], initialStates ? "h0/c0" : "zero state");
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void inferIsBitIdenticalToTheTracedForward(RecurrentKind kind) {
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      for (int[] shape : SHAPES) {
        for (boolean initialStates : new boolean[] {true, false}) {
          assertInferMatchesForward(
              kind, shape, initialStates, null, describe(shape, initialStates));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void raggedBatchesAreBitIdenticalToTheTracedForward(RecurrentKind kind) {
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      for (int[] shape : SHAPES) {
        int batch = shape[3], steps = shape[4];
        int[] lengths = new int[batch];
        // unsorted, from 1 to T, at least one sequence of all T steps when there are two
        for (int b = 0; b < batch; b++) lengths[b] = 1 + (b * 7 + 3) % steps;
        lengths[batch / 2] = steps;
        assertInferMatchesForward(kind, shape, true, lengths, describe(shape, true) + ", ragged");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void smallBatchesSplitByUnitsAreBitIdentical(RecurrentKind kind) {
    // Batch below the thread count, forced onto the path that splits each step's hidden units
    // between threads meeting on a barrier; three panels, the last narrow, split unevenly.
    Recurrent.unitSplitMinWork = 0;
    Parallel.setThreads(2);
    int hidden = 2 * PanelMatVec.PANEL + 5;
    int[] shape = {19, hidden, 2, 1, 37};
    assertInferMatchesForward(kind, shape, true, null, describe(shape, true) + ", unit split");
    assertInferMatchesForward(kind, shape, false, null, describe(shape, false) + ", unit split");
    int[] ragged = {19, hidden, 1, 1, 37};
    assertInferMatchesForward(
        kind, ragged, true, new int[] {23}, describe(ragged, true) + ", ragged, unit split");
  }

  @Test
  void theBenchmarkShapeIsSplitOverThreadsAndStaysBitIdentical() {
    // H 256, B 64 on 2 threads: every step's work is far above the parallel threshold, so the
    // batch really is split (32 rows, 4 full tiles each) and the projections come in blocks.
    Parallel.setThreads(2);
    long perStep = 64L * 4 * 256 * 256;
    assertTrue(perStep >= Parallel.MIN_PARALLEL_WORK);
    int[] shape = {256, 256, 1, 64, 12};
    assertInferMatchesForward(RecurrentKind.LSTM, shape, false, null, describe(shape, false));
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void bidirectionalModelsGiveTheTracedResultWithoutATrace(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, 6, 20, 2, true);
    model.initialize(new SplittableRandom(5));
    SplittableRandom r = new SplittableRandom(6);
    Tensor x = random(r, 7, 3, 6);
    int[] lengths = {7, 2, 5};
    RecurrentOutput traced = model.forward(x, null, null, lengths, null);
    RecurrentOutput inferred = model.infer(x, null, null, lengths);
    assertArrayEquals(traced.output().data(), inferred.output().data());
    assertArrayEquals(traced.hN().data(), inferred.hN().data());
    if (kind == RecurrentKind.LSTM) assertArrayEquals(traced.cN().data(), inferred.cN().data());
    assertFalse(inferred.hasTrace());
  }

  @Test
  void backwardRefusesAnInferenceOutput() {
    Recurrent model = Recurrent.create(RecurrentKind.LSTM, 4, 8, 1);
    model.initialize(new SplittableRandom(1));
    RecurrentOutput inferred = model.infer(random(new SplittableRandom(2), 3, 2, 4), null, null);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> model.backward(inferred, null, null, null));
    assertTrue(e.getMessage().contains("infer"), e.getMessage());
    assertThrows(IllegalStateException.class, inferred::trace);
    assertTrue(model.forward(random(new SplittableRandom(2), 3, 2, 4), null, null).hasTrace());
  }

  @Test
  void badArgumentsAreRefusedWithWhatWasExpected() {
    Recurrent gru = Recurrent.create(RecurrentKind.GRU, 4, 8, 2);
    Tensor x = Tensor.zeros(3, 2, 4);
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class, () -> gru.infer(Tensor.zeros(3, 2, 5), null, null));
    assertTrue(shape.getMessage().contains("[T, B, 4]"), shape.getMessage());
    IllegalArgumentException cell =
        assertThrows(
            IllegalArgumentException.class, () -> gru.infer(x, null, Tensor.zeros(2, 2, 8)));
    assertTrue(cell.getMessage().contains("only for LSTM"), cell.getMessage());
    assertThrows(IllegalArgumentException.class, () -> gru.infer(x, Tensor.zeros(1, 2, 8), null));
    IllegalArgumentException length =
        assertThrows(
            IllegalArgumentException.class, () -> gru.infer(x, null, null, new int[] {4, 1}));
    assertTrue(length.getMessage().contains("outside [1, 3]"), length.getMessage());
    assertThrows(IllegalArgumentException.class, () -> gru.infer(x, null, null, new int[] {1}));
  }
}
