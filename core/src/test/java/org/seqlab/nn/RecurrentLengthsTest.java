package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Tensor;

/**
 * What a ragged batch and a reverse direction mean, stated as properties of the float32 layers: a
 * sequence in a padded batch gives what it gives alone, the padding changes nothing, and the
 * reverse direction is the forward recurrence over the sequence read backwards.
 */
class RecurrentLengthsTest {
  static final int T = 6, B = 4, I = 5, H = 7, L = 2;
  static final int[] LENGTHS = {4, 6, 1, 3};

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  private static Recurrent bidirectional(RecurrentKind kind) {
    Recurrent model = Recurrent.create(kind, I, H, L, true);
    model.initialize(new SplittableRandom(kind.ordinal() + 1));
    return model;
  }

  /** Row {@code b} of {@code [S, B, F]}, as {@code [rows, 1, F]} for its first {@code rows}. */
  private static Tensor row(Tensor t, int b, int rows) {
    int f = t.dim(2), batch = t.dim(1);
    float[] out = new float[rows * f];
    for (int s = 0; s < rows; s++) System.arraycopy(t.data(), (s * batch + b) * f, out, s * f, f);
    return Tensor.wrap(out, rows, 1, f);
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void eachSequenceOfARaggedBatchGivesWhatItGivesAlone(RecurrentKind kind) {
    Recurrent model = bidirectional(kind);
    boolean lstm = kind == RecurrentKind.LSTM;
    SplittableRandom r = new SplittableRandom(2);
    Tensor x = random(r, T, B, I), h0 = random(r, 2 * L, B, H);
    Tensor c0 = lstm ? random(r, 2 * L, B, H) : null;
    RecurrentOutput batch = model.forward(x, h0, c0, LENGTHS, null);
    for (int b = 0; b < B; b++) {
      int len = LENGTHS[b];
      RecurrentOutput alone =
          model.forward(row(x, b, len), row(h0, b, 2 * L), lstm ? row(c0, b, 2 * L) : null);
      // The input projection of a batch of one may add in another order: float32 rounding apart.
      Tensor output = row(batch.output(), b, T);
      float[] expected = Arrays.copyOf(alone.output().data(), T * 2 * H); // zero past the end
      assertClose(expected, output.data(), kind + " output of sequence " + b);
      assertClose(alone.hN().data(), row(batch.hN(), b, 2 * L).data(), kind + " h_n " + b);
      if (lstm) assertClose(alone.cN().data(), row(batch.cN(), b, 2 * L).data(), "c_n " + b);
      for (int t = len; t < T; t++) {
        for (int j = 0; j < 2 * H; j++) {
          assertEquals(0f, output.data()[t * 2 * H + j], "output past the end");
        }
      }
    }
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertTrue(
          Math.abs(expected[i] - actual[i]) <= 1e-6 * (1 + Math.abs(expected[i])),
          what + " element " + i + ": " + expected[i] + " vs " + actual[i]);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void thePaddingChangesNothingAndReceivesNoGradient(RecurrentKind kind) {
    Recurrent model = bidirectional(kind);
    SplittableRandom r = new SplittableRandom(3);
    Tensor x = random(r, T, B, I), dOutput = random(r, T, B, 2 * H);
    Tensor noisy = Tensor.wrap(x.data().clone(), T, B, I);
    Tensor ignored = Tensor.wrap(dOutput.data().clone(), T, B, 2 * H);
    for (int t = 0; t < T; t++) {
      for (int b = 0; b < B; b++) {
        if (t < LENGTHS[b]) continue;
        Arrays.fill(noisy.data(), (t * B + b) * I, (t * B + b + 1) * I, Float.NaN);
        Arrays.fill(ignored.data(), (t * B + b) * 2 * H, (t * B + b + 1) * 2 * H, 1e6f);
      }
    }
    List<float[]> clean = run(model, x, dOutput);
    List<float[]> padded = run(model, noisy, ignored);
    for (int i = 0; i < clean.size(); i++) {
      assertArrayEquals(clean.get(i), padded.get(i), kind + " result " + i);
    }
    float[] dInput = clean.get(clean.size() - 1);
    for (int t = 0; t < T; t++) {
      for (int b = 0; b < B; b++) {
        for (int j = 0; t >= LENGTHS[b] && j < I; j++) {
          assertEquals(0f, Math.abs(dInput[(t * B + b) * I + j]), "dInput at padding");
        }
      }
    }
  }

  /** Output, final states, every parameter gradient and, last, the input gradient. */
  private static List<float[]> run(Recurrent model, Tensor x, Tensor dOutput) {
    model.zeroGrad();
    RecurrentOutput out = model.forward(x, null, null, LENGTHS, null);
    RecurrentGradients g = model.backward(out, dOutput, null, null);
    List<float[]> all = new ArrayList<>();
    all.add(out.output().data());
    all.add(out.hN().data());
    for (Parameter p : model.parameters()) all.add(p.grad().data().clone());
    all.add(g.dh0().data());
    all.add(g.dInput().data());
    return all;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void theReverseDirectionIsTheForwardRecurrenceOverTheSequenceReadBackwards(RecurrentKind kind) {
    Recurrent both = Recurrent.create(kind, I, H, 1, true);
    both.initialize(new SplittableRandom(4));
    Recurrent reverseOnly = Recurrent.create(kind, I, H, 1);
    for (Parameter p : reverseOnly.parameters()) {
      float[] reverse = both.stateDict().get(p.name() + "_reverse").data();
      System.arraycopy(reverse, 0, p.value().data(), 0, reverse.length);
    }
    SplittableRandom r = new SplittableRandom(5);
    Tensor x = random(r, T, B, I);
    RecurrentOutput out = both.forward(x, null, null, LENGTHS, null);
    for (int b = 0; b < B; b++) {
      int len = LENGTHS[b];
      Tensor sequence = row(x, b, len);
      float[] backwards = new float[len * I];
      for (int t = 0; t < len; t++) {
        System.arraycopy(sequence.data(), t * I, backwards, (len - 1 - t) * I, I);
      }
      RecurrentOutput reversed = reverseOnly.forward(Tensor.wrap(backwards, len, 1, I), null, null);
      for (int t = 0; t < len; t++) {
        float[] expected =
            Arrays.copyOfRange(reversed.output().data(), (len - 1 - t) * H, (len - t) * H);
        float[] actual =
            Arrays.copyOfRange(
                out.output().data(), (t * B + b) * 2 * H + H, (t * B + b + 1) * 2 * H);
        assertArrayEquals(expected, actual, kind + " reverse output, sequence " + b + " t " + t);
      }
      // h_n of the reverse direction is its state after position 0
      assertArrayEquals(
          reversed.hN().data(),
          Arrays.copyOfRange(out.hN().data(), (B + b) * H, (B + b + 1) * H),
          "reverse h_n " + b);
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void fullLengthsAreTheSameAsNone(RecurrentKind kind) {
    Recurrent model = bidirectional(kind);
    Tensor x = random(new SplittableRandom(6), T, B, I);
    RecurrentOutput none = model.forward(x, null, null);
    RecurrentOutput full = model.forward(x, null, null, new int[] {T, T, T, T}, null);
    assertArrayEquals(none.output().data(), full.output().data());
    assertArrayEquals(none.hN().data(), full.hN().data());
    assertArrayEquals(new int[] {T, T, T, T}, full.trace().lengths());
  }

  @Test
  void lengthsAreCheckedWithClearMessages() {
    Recurrent model = bidirectional(RecurrentKind.GRU);
    Tensor x = Tensor.zeros(T, B, I);
    var count =
        assertThrows(
            IllegalArgumentException.class,
            () -> model.forward(x, null, null, new int[] {1, 2, 3}, null));
    assertEquals(
        "lengths has 3 entries, expected one per sequence of the batch (4)", count.getMessage());
    for (int bad : new int[] {0, -1, T + 1}) {
      var range =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(x, null, null, new int[] {1, bad, 3, 4}, null));
      assertTrue(
          range.getMessage().startsWith("lengths[1] = " + bad + " is outside [1, " + T + "]"),
          range.getMessage());
    }
    // The caller's array is copied: changing it later cannot corrupt backward.
    int[] lengths = LENGTHS.clone();
    RecurrentOutput out = model.forward(x, null, null, lengths, null);
    lengths[0] = 6;
    assertArrayEquals(LENGTHS, out.trace().lengths());
  }
}
