package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Tensor;

/** Streaming one step at a time is the forward pass over the whole sequence. */
class RecurrentStreamTest {

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  private static void assertClose(
      float[] expected, int expectedOff, float[] actual, int actualOff, int n, String what) {
    for (int i = 0; i < n; i++) {
      float e = expected[expectedOff + i], a = actual[actualOff + i];
      assertTrue(
          Math.abs(e - a) <= 2e-6f * (1 + Math.abs(e)),
          what + " element " + i + ": expected " + e + ", got " + a);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void streamingEveryStepEqualsTheForwardPass(RecurrentKind kind) {
    // Sizes that are not multiples of a vector, so every tail of the kernels is used.
    streamingEqualsTheForwardPass(kind, 13, 37, 3);
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void streamingEqualsTheForwardPassFromEightSequencesUp(RecurrentKind kind) {
    // 9 sequences: products 8 rows at a time plus one; 70 units: one whole panel and a part one.
    streamingEqualsTheForwardPass(kind, 5, 70, 9);
  }

  private static void streamingEqualsTheForwardPass(
      RecurrentKind kind, int input, int hidden, int batch) {
    int layers = 2, steps = 12;
    Recurrent model = Recurrent.create(kind, input, hidden, layers);
    model.initialize(new SplittableRandom(5));
    SplittableRandom r = new SplittableRandom(6);
    Tensor x = random(r, steps, batch, input);
    Tensor h0 = random(r, layers, batch, hidden);
    Tensor c0 = kind == RecurrentKind.LSTM ? random(r, layers, batch, hidden) : null;
    RecurrentOutput whole = model.forward(x, h0, c0);

    RecurrentStream stream = new RecurrentStream(model, batch);
    stream.setState(h0, c0);
    float[] out = new float[batch * hidden];
    for (int t = 0; t < steps; t++) {
      stream.step(x.data(), t * batch * input, out, 0);
      assertClose(
          whole.output().data(), t * batch * hidden, out, 0, batch * hidden, kind + " step " + t);
    }
    assertClose(
        whole.hN().data(), 0, stream.hiddenState().data(), 0, layers * batch * hidden, "hN");
    if (c0 != null)
      assertClose(
          whole.cN().data(), 0, stream.cellState().data(), 0, layers * batch * hidden, "cN");

    // After reset the stream starts from zeros, as forward without an initial state.
    stream.reset();
    RecurrentOutput fromZero = model.forward(x, null, null);
    for (int t = 0; t < steps; t++) stream.step(x.data(), t * batch * input, out, 0);
    assertClose(
        fromZero.hN().data(),
        0,
        stream.hiddenState().data(),
        0,
        layers * batch * hidden,
        "hN after reset");
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void aTileOfRowsAtATimeGivesTheSameBitsAsOneRow(RecurrentKind kind) {
    // A batch of PANEL_BATCH takes its products a tile of rows at a time; a batch of one row by
    // row, two
    // panels at a time. The hidden size spans full panels and a narrow one.
    int input = 19, hidden = 2 * org.seqlab.tensor.PanelMatVec.PANEL + 5, layers = 2, steps = 5;
    int batch = Recurrent.PANEL_BATCH;
    Recurrent model = Recurrent.create(kind, input, hidden, layers);
    model.initialize(new SplittableRandom(11));
    Tensor x = random(new SplittableRandom(12), steps, batch, input);
    RecurrentStream eightRows = new RecurrentStream(model, batch);
    RecurrentStream[] packed = new RecurrentStream[batch];
    for (int b = 0; b < batch; b++) packed[b] = new RecurrentStream(model, 1);
    float[] out = new float[batch * hidden];
    float[] single = new float[hidden];
    for (int t = 0; t < steps; t++) {
      eightRows.step(x.data(), t * batch * input, out, 0);
      for (int b = 0; b < batch; b++) {
        packed[b].step(x.data(), (t * batch + b) * input, single, 0);
        for (int j = 0; j < hidden; j++) {
          assertEquals(
              out[b * hidden + j], single[j], kind + " step " + t + " row " + b + " unit " + j);
        }
      }
    }
  }

  @Test
  void stepsAllocateNothing() {
    Recurrent model = Recurrent.create(RecurrentKind.LSTM, 64, 128, 1);
    model.initialize(new SplittableRandom(1));
    RecurrentStream[] streams = {
      new RecurrentStream(model, 1),
      new RecurrentStream(gru(), 1),
      new RecurrentStream(Recurrent.create(RecurrentKind.RNN_TANH, 64, 128, 2), 2),
      new RecurrentStream(model, 1, 2),
    };
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().threadId();
    assertTrue(
        threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    float[] x = new float[2 * 64];
    float[] out = new float[2 * 128];
    for (RecurrentStream stream : streams) {
      // Warm up until the compiler has removed the vectors' boxes.
      for (int i = 0; i < 30_000; i++) stream.step(x, 0, out, 0);
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < 10_000; i++) stream.step(x, 0, out, 0);
      long allocated = threads.getThreadAllocatedBytes(id) - before;
      // One object per step would be at least 160 kB; allow a few stray bytes of the measurement.
      assertTrue(allocated < 16_384, stream.kind() + ": " + allocated + " bytes over 10,000 steps");
      stream.close();
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void threadsGiveTheSameBitsAsOneThread(RecurrentKind kind) {
    // Three panels of units (the last one narrow), split between 2 and 3 threads; batch 1 goes row
    // by row, batch 9 eight rows at a time plus one.
    int input = 11, hidden = 2 * org.seqlab.tensor.PanelMatVec.PANEL + 5, layers = 2, steps = 6;
    Recurrent model = Recurrent.create(kind, input, hidden, layers);
    model.initialize(new SplittableRandom(21));
    for (int batch : new int[] {1, 9}) {
      Tensor x = random(new SplittableRandom(22), steps, batch, input);
      Tensor h0 = random(new SplittableRandom(23), layers, batch, hidden);
      Tensor c0 =
          kind == RecurrentKind.LSTM
              ? random(new SplittableRandom(24), layers, batch, hidden)
              : null;
      RecurrentStream alone = new RecurrentStream(model, batch);
      alone.setState(h0, c0);
      float[][] expected = new float[steps][batch * hidden];
      for (int t = 0; t < steps; t++) alone.step(x.data(), t * batch * input, expected[t], 0);
      for (int threads : new int[] {2, 3}) {
        try (RecurrentStream shared = new RecurrentStream(model, batch, threads)) {
          assertEquals(threads, shared.threads());
          shared.setState(h0, c0);
          float[] out = new float[batch * hidden];
          for (int t = 0; t < steps; t++) {
            shared.step(x.data(), t * batch * input, out, 0);
            assertArrayEquals(
                expected[t], out, kind + " B=" + batch + " threads=" + threads + " step " + t);
          }
          assertArrayEquals(alone.hiddenState().data(), shared.hiddenState().data());
          if (c0 != null) assertArrayEquals(alone.cellState().data(), shared.cellState().data());
        }
      }
    }
  }

  @Test
  void idleHelpersParkAndWakeForTheNextStep() throws InterruptedException {
    Recurrent model =
        Recurrent.create(RecurrentKind.LSTM, 7, 2 * org.seqlab.tensor.PanelMatVec.PANEL, 1);
    model.initialize(new SplittableRandom(31));
    Tensor x = random(new SplittableRandom(32), 4, 1, 7);
    RecurrentStream alone = new RecurrentStream(model, 1);
    float[] expected = new float[model.hiddenSize()], out = new float[model.hiddenSize()];
    try (RecurrentStream shared = new RecurrentStream(model, 1, 2)) {
      for (int t = 0; t < 4; t++) {
        // Far longer than a helper spins: it parks, and the step must wake it.
        Thread.sleep(20);
        alone.step(x.data(), t * 7, expected, 0);
        shared.step(x.data(), t * 7, out, 0);
        assertArrayEquals(expected, out, "step " + t);
      }
    }
  }

  @Test
  void closingStopsTheHelpersAndLaterStepsAreRefused() throws InterruptedException {
    Recurrent model =
        Recurrent.create(RecurrentKind.GRU, 5, 3 * org.seqlab.tensor.PanelMatVec.PANEL, 1);
    model.initialize(new SplittableRandom(41));
    RecurrentStream stream = new RecurrentStream(model, 1, 3);
    float[] x = new float[5], out = new float[model.hiddenSize()];
    stream.step(x, 0, out, 0);
    assertEquals(2, helpersAlive(stream));
    stream.close();
    assertEquals(0, helpersAlive(stream));
    IllegalStateException closed =
        assertThrows(IllegalStateException.class, () -> stream.step(x, 0, out, 0));
    assertEquals("this stream has been closed", closed.getMessage());
    stream.close(); // again: nothing to do

    // More threads than panels of units: the stream uses what it can split.
    try (RecurrentStream narrow =
        new RecurrentStream(Recurrent.create(RecurrentKind.RNN_TANH, 3, 10, 1), 1, 4)) {
      assertEquals(1, narrow.threads());
    }
    assertThrows(IllegalArgumentException.class, () -> new RecurrentStream(model, 1, 0));
  }

  /** Live threads named as this stream's helpers are. */
  private static long helpersAlive(RecurrentStream stream) throws InterruptedException {
    Thread.sleep(50);
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("seqlab-stream-"))
        .count();
  }

  private static Recurrent gru() {
    Recurrent model = Recurrent.create(RecurrentKind.GRU, 64, 128, 1);
    model.initialize(new SplittableRandom(2));
    return model;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void aBidirectionalModelCannotBeStreamed(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, 3, 4, 1, true);
    var refused =
        assertThrows(IllegalArgumentException.class, () -> new RecurrentStream(model, 1, 2));
    assertTrue(refused.getMessage().contains("bidirectional"), refused.getMessage());
    assertTrue(refused.getMessage().contains("cannot be streamed"), refused.getMessage());
  }

  @Test
  void badShapesAreRefusedClearly() {
    Recurrent model = Recurrent.create(RecurrentKind.LSTM, 4, 6, 2);
    IllegalArgumentException noBatch =
        assertThrows(IllegalArgumentException.class, () -> new RecurrentStream(model, 0));
    assertEquals("batch must be at least 1, got 0", noBatch.getMessage());

    RecurrentStream stream = new RecurrentStream(model, 2);
    IndexOutOfBoundsException shortInput =
        assertThrows(
            IndexOutOfBoundsException.class, () -> stream.step(new float[7], 0, new float[12], 0));
    assertEquals(
        "x must hold [B, I] = [2, 4] floats from offset 0, but has length 7",
        shortInput.getMessage());
    IndexOutOfBoundsException shortOutput =
        assertThrows(
            IndexOutOfBoundsException.class, () -> stream.step(new float[8], 0, new float[12], 1));
    assertEquals(
        "out must hold [B, H] = [2, 6] floats from offset 1, but has length 12",
        shortOutput.getMessage());

    assertThrows(
        IllegalArgumentException.class, () -> stream.setState(Tensor.zeros(2, 1, 6), null));
    RecurrentStream gruStream =
        new RecurrentStream(Recurrent.create(RecurrentKind.GRU, 4, 6, 1), 1);
    IllegalArgumentException cellForGru =
        assertThrows(
            IllegalArgumentException.class, () -> gruStream.setState(null, Tensor.zeros(1, 1, 6)));
    assertTrue(cellForGru.getMessage().startsWith("c0 is only for LSTM"), cellForGru.getMessage());
    assertThrows(IllegalStateException.class, gruStream::cellState);
  }
}
