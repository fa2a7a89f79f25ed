package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * A released pass's buffers are reused by the next passes ({@link RecurrentTrace#release}, {@link
 * RecurrentOutput#release}, {@link RecurrentGradients#release}), and that changes no number: a
 * model that releases every step trains bit for bit as one that never does, even when every kept
 * buffer is filled with NaN before it is reused (so a buffer that a pass forgot to overwrite or
 * clear would show). Sizes where the fast paths run: H 64, batch 17 (two 8-row tiles and a
 * remainder), on 1 and 2 threads.
 */
class RecurrentWorkspaceTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(RecurrentKind.LSTM, false, false, 0.0),
        Arguments.of(RecurrentKind.LSTM, true, true, 0.3),
        Arguments.of(RecurrentKind.GRU, false, true, 0.0),
        Arguments.of(RecurrentKind.GRU, true, false, 0.3),
        Arguments.of(RecurrentKind.RNN_TANH, false, false, 0.2),
        Arguments.of(RecurrentKind.RNN_RELU, true, true, 0.0));
  }

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  private static Recurrent model(RecurrentKind kind, boolean bidirectional, double dropout) {
    Recurrent m = Recurrent.create(kind, 24, 64, 2, bidirectional);
    m.initialize(new SplittableRandom(7));
    m.setDropout(dropout);
    return m;
  }

  @ParameterizedTest
  @MethodSource("cases")
  void releasingChangesNoNumber(
      RecurrentKind kind, boolean bidirectional, boolean ragged, double dropout) throws Exception {
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      try {
        Recurrent releasing = model(kind, bidirectional, dropout);
        Recurrent keeping = model(kind, bidirectional, dropout);
        SplittableRandom data = new SplittableRandom(11);
        // Two shapes, alternating, so that kept buffers of the wrong size must be passed over.
        int[][] shapes = {{9, 17}, {9, 17}, {5, 3}, {9, 17}, {5, 3}};
        for (int step = 0; step < shapes.length; step++) {
          int steps = shapes[step][0], batch = shapes[step][1];
          int states = releasing.numLayers() * releasing.directions();
          Tensor x = random(data, steps, batch, 24);
          Tensor dy = random(data, steps, batch, releasing.outputSize());
          // Given at some steps, zero (null) at others.
          Tensor h0 = step % 2 == 1 ? random(data, states, batch, 64) : null;
          int[] lengths = null;
          if (ragged) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + data.nextInt(steps);
          }
          releasing.zeroGrad();
          keeping.zeroGrad();
          WorkspacePoison.poison(releasing.workspace());
          RecurrentOutput a =
              releasing.forward(x, h0, null, lengths, new SplittableRandom(100 + step));
          RecurrentOutput b =
              keeping.forward(x, h0, null, lengths, new SplittableRandom(100 + step));
          assertArrayEquals(b.output().data(), a.output().data(), "output at step " + step);
          assertArrayEquals(b.hN().data(), a.hN().data(), "hN at step " + step);
          WorkspacePoison.poison(releasing.workspace());
          RecurrentGradients ga = releasing.backward(a, dy, null, null);
          RecurrentGradients gb = keeping.backward(b, dy, null, null);
          assertArrayEquals(gb.dInput().data(), ga.dInput().data(), "dInput at step " + step);
          assertArrayEquals(gb.dh0().data(), ga.dh0().data(), "dh0 at step " + step);
          assertArrayEquals(
              gb.hiddenGradients().data(), ga.hiddenGradients().data(), "dL/dh at step " + step);
          for (int p = 0; p < releasing.parameters().size(); p++) {
            assertArrayEquals(
                keeping.parameters().get(p).grad().data(),
                releasing.parameters().get(p).grad().data(),
                releasing.parameters().get(p).name() + " at step " + step);
          }
          // Everything goes back: the trace, the output and final states, the gradients.
          ga.release();
          a.release();
          assertTrue(releasing.workspace().kept() > 0, "the pass's buffers are kept");
        }
      } finally {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void theNextPassOfTheSameShapeTakesTheReleasedBuffers(
      RecurrentKind kind, boolean bidirectional, boolean ragged, double dropout) {
    Recurrent model = model(kind, bidirectional, dropout);
    Tensor x = random(new SplittableRandom(3), 6, 8, 24);
    RecurrentOutput first = model.forward(x, null, null, null, new SplittableRandom(1));
    model.backward(first, null, null, null);
    int afterBackward = model.workspace().kept();
    assertTrue(afterBackward > 0, "the backward pass's work buffers are kept");
    first.trace().release();
    int afterRelease = model.workspace().kept();
    assertTrue(afterRelease > afterBackward, "the trace's buffers are kept");
    RecurrentOutput second = model.forward(x, null, null, null, new SplittableRandom(1));
    assertTrue(
        model.workspace().kept() < afterRelease,
        "the next forward pass takes kept buffers instead of allocating");
    assertArrayEquals(
        model.forward(x, null, null, null, new SplittableRandom(1)).output().data(),
        second.output().data());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void aTrainingStepOfTheSameShapesAllocatesNothingOnceThePreviousIsReleased(
      RecurrentKind kind, boolean bidirectional, boolean ragged, double dropout) {
    Recurrent model = model(kind, bidirectional, dropout);
    SplittableRandom data = new SplittableRandom(6);
    Tensor x = random(data, 7, 9, 24);
    Tensor dy = random(data, 7, 9, model.outputSize());
    int[] lengths = ragged ? new int[] {7, 1, 3, 7, 2, 5, 6, 7, 4} : null;
    long[] allocatedBefore = new long[3];
    for (int step = 0; step < 3; step++) {
      allocatedBefore[step] = model.workspace().allocated();
      RecurrentOutput out = model.forward(x, null, null, lengths, new SplittableRandom(step));
      RecurrentGradients g = model.backward(out, dy, null, null);
      g.release();
      out.release();
    }
    assertTrue(allocatedBefore[1] > 0, "the first step allocates its buffers");
    assertEquals(
        allocatedBefore[1],
        model.workspace().allocated(),
        "the second and third steps take every array from the workspace");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void releasedResultsAreRefusedByNameAndHandedBackOnce(
      RecurrentKind kind, boolean bidirectional, boolean ragged, double dropout) {
    Recurrent model = model(kind, bidirectional, dropout);
    RecurrentOutput out = model.forward(random(new SplittableRandom(4), 4, 2, 24), null, null);
    RecurrentGradients g = model.backward(out, null, null, null);
    float[][] results = {
      out.output().data(),
      out.hN().data(),
      g.dInput().data(),
      g.dh0().data(),
      g.hiddenGradients().data()
    };
    g.release();
    out.release();
    int kept = model.workspace().kept();
    g.release(); // a second call does nothing
    out.release();
    assertEquals(kept, model.workspace().kept(), "a second release hands nothing back again");
    for (float[] result : results) {
      assertTrue(model.workspace().holds(result), "each result array is kept for reuse");
    }
    assertTrue(g.isReleased());
    assertTrue(out.trace().isReleased(), "releasing the output releases its trace");
    IllegalStateException refused = assertThrows(IllegalStateException.class, out::output);
    assertTrue(refused.getMessage().contains("released"), refused.getMessage());
    assertThrows(IllegalStateException.class, out::hN);
    IllegalStateException e = assertThrows(IllegalStateException.class, g::dInput);
    assertTrue(e.getMessage().contains("released"), e.getMessage());
    assertThrows(IllegalStateException.class, g::hiddenGradients);
    assertThrows(IllegalStateException.class, () -> g.hiddenGradient(0));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void aReleasedTraceIsRefusedByName(
      RecurrentKind kind, boolean bidirectional, boolean ragged, double dropout) {
    Recurrent model = model(kind, bidirectional, dropout);
    RecurrentOutput out = model.forward(random(new SplittableRandom(4), 4, 2, 24), null, null);
    Tensor output = out.output().copy();
    out.trace().release();
    out.trace().release(); // a second call does nothing
    assertTrue(out.trace().isReleased());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> model.backward(out, null, null, null));
    assertTrue(e.getMessage().contains("released"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> out.trace().gates(0));
    assertThrows(IllegalStateException.class, () -> out.trace().hiddenStates(0));
    // What the pass returned is not part of the trace: a later pass does not overwrite it.
    model.forward(random(new SplittableRandom(5), 4, 2, 24), null, null);
    assertArrayEquals(output.data(), out.output().data());
  }
}
