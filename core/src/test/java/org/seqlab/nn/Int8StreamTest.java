package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Tensor;

/**
 * A stream with 8-bit weights ({@link WeightPrecision#INT8}) computes what a float32 stream
 * computes with the weights rounded to 8 bits, bit for bit across threads and batch rows, and stays
 * within the rounding's reach of the float32 model.
 */
class Int8StreamTest {

  /** Units: two whole panels and a narrow one, so that pairs, a lone panel and tails all run. */
  private static final int HIDDEN = 2 * PanelMatVec.PANEL + 5;

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  @Test
  void eachRowIsRoundedToItsOwnScaleWithinHalfAStep() {
    SplittableRandom r = new SplittableRandom(1);
    int rows = 3 * 19, in = 13, h = 19;
    float[] w = new float[rows * in];
    for (int i = 0; i < w.length; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * (1 + i % 7));
    java.util.Arrays.fill(w, 5 * in, 6 * in, 0f); // a row of zeros
    StreamWeights.Int8 q = StreamWeights.Int8.quantize(w, rows, in, h);
    for (int row = 0; row < rows; row++) {
      float s = q.scale()[row];
      float largest = 0;
      for (int p = 0; p < in; p++) largest = Math.max(largest, Math.abs(w[row * in + p]));
      assertEquals(largest / 127f, s, "row " + row + "'s scale: its largest weight is ±127");
      for (int p = 0; p < in; p++) {
        byte b = StreamWeights.Int8.quantized(w[row * in + p], s);
        assertTrue(Math.abs(w[row * in + p] - s * b) <= s / 2 * (1 + 1e-6), "row " + row);
      }
    }
    assertEquals(0f, q.scale()[5], "a row of zeros has scale 0 and quantizes to 0");
  }

  /** The model with every weight replaced by its 8-bit value, {@code scale · Q}. */
  private static Recurrent rounded(Recurrent model) {
    Recurrent copy =
        Recurrent.create(model.kind(), model.inputSize(), model.hiddenSize(), model.numLayers());
    for (int i = 0; i < model.parameters().size(); i++) {
      float[] from = model.parameters().get(i).value().data();
      float[] to = copy.parameters().get(i).value().data();
      System.arraycopy(from, 0, to, 0, from.length);
    }
    for (int k = 0; k < model.numLayers(); k++) {
      for (Parameter p : new Parameter[] {copy.weightIh(k), copy.weightHh(k)}) {
        float[] w = p.value().data();
        int in = p.value().shape()[1], rows = p.value().shape()[0];
        for (int row = 0; row < rows; row++) {
          float largest = 0;
          for (int c = 0; c < in; c++) largest = Math.max(largest, Math.abs(w[row * in + c]));
          float s = largest / 127f;
          for (int c = 0; c < in; c++)
            w[row * in + c] = s * StreamWeights.Int8.quantized(w[row * in + c], s);
        }
      }
    }
    return copy;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void int8StreamIsTheFloat32StreamOfTheRoundedWeights(RecurrentKind kind) {
    int input = 11, layers = 2, steps = 8;
    Recurrent model = Recurrent.create(kind, input, HIDDEN, layers);
    model.initialize(new SplittableRandom(3));
    Recurrent roundedModel = rounded(model);
    for (int batch : new int[] {1, 3, 9}) {
      Tensor x = random(new SplittableRandom(4), steps, batch, input);
      RecurrentStream int8 = new RecurrentStream(model, batch, 1, WeightPrecision.INT8);
      RecurrentStream float32 = new RecurrentStream(roundedModel, batch);
      RecurrentStream exact = new RecurrentStream(model, batch);
      assertEquals(WeightPrecision.INT8, int8.precision());
      float[] a = new float[batch * HIDDEN], e = new float[batch * HIDDEN];
      float[] f = new float[batch * HIDDEN];
      double worst = 0;
      for (int t = 0; t < steps; t++) {
        int8.step(x.data(), t * batch * input, a, 0);
        float32.step(x.data(), t * batch * input, e, 0);
        exact.step(x.data(), t * batch * input, f, 0);
        for (int i = 0; i < a.length; i++) {
          // the same weights, summed in another order: float32 roundings apart
          assertEquals(e[i], a[i], 4e-6f * (1 + Math.abs(e[i])), kind + " B=" + batch + " t=" + t);
          worst = Math.max(worst, Math.abs(a[i] - f[i]));
        }
      }
      // against the unrounded model: off by the rounding of the weights, and by no more than it
      // can explain (each pre-activation moves by at most (I + H) · s/2 · max|input|)
      assertTrue(worst > 0, "8-bit weights change the output");
      assertTrue(worst < 0.02, kind + " B=" + batch + ": largest change " + worst);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void threadsAndBatchRowsGiveTheSameBits(RecurrentKind kind) {
    int input = 7, layers = 2, steps = 5, batch = 4;
    Recurrent model = Recurrent.create(kind, input, HIDDEN, layers);
    model.initialize(new SplittableRandom(8));
    Tensor x = random(new SplittableRandom(9), steps, batch, input);
    RecurrentStream alone = new RecurrentStream(model, batch, 1, WeightPrecision.INT8);
    float[][] expected = new float[steps][batch * HIDDEN];
    for (int t = 0; t < steps; t++) alone.step(x.data(), t * batch * input, expected[t], 0);
    for (int threads : new int[] {2, 3}) {
      try (RecurrentStream shared =
          new RecurrentStream(model, batch, threads, WeightPrecision.INT8)) {
        float[] out = new float[batch * HIDDEN];
        for (int t = 0; t < steps; t++) {
          shared.step(x.data(), t * batch * input, out, 0);
          assertArrayEquals(expected[t], out, kind + " threads=" + threads + " t=" + t);
        }
      }
    }
    // each sequence of the batch, streamed alone, gives its row's bits
    for (int b = 0; b < batch; b++) {
      RecurrentStream one = new RecurrentStream(model, 1, 1, WeightPrecision.INT8);
      float[] in = new float[input], out = new float[HIDDEN];
      for (int t = 0; t < steps; t++) {
        System.arraycopy(x.data(), (t * batch + b) * input, in, 0, input);
        one.step(in, 0, out, 0);
        float[] row = java.util.Arrays.copyOfRange(expected[t], b * HIDDEN, (b + 1) * HIDDEN);
        assertArrayEquals(row, out, kind + " sequence " + b + " t=" + t);
      }
    }
  }

  @Test
  void precisionsHaveNamesAndAnUnknownOneIsRefused() {
    assertEquals(WeightPrecision.INT8, WeightPrecision.fromId("int8"));
    assertEquals(java.util.List.of("float32", "int8"), WeightPrecision.ids());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> WeightPrecision.fromId("int4"));
    assertEquals("unknown weight precision 'int4'; use float32 or int8", e.getMessage());
  }
}
