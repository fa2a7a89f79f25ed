package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Tensor;

/**
 * Dropout between stacked layers, as PyTorch's {@code dropout} argument: inverted dropout on the
 * output of every layer but the last while training, nothing at evaluation. That backward uses the
 * same masks is checked against the reference in {@code LayersAgreeWithReferenceTest}.
 */
class RecurrentDropoutTest {

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  private static Recurrent model(RecurrentKind kind, int layers, double dropout) {
    Recurrent m = Recurrent.create(kind, 6, 16, layers, true);
    m.initialize(new SplittableRandom(1));
    m.setDropout(dropout);
    return m;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void evaluationIsTheModelWithoutDropout(RecurrentKind kind) {
    Tensor x = random(new SplittableRandom(2), 5, 3, 6);
    RecurrentOutput plain = model(kind, 3, 0).forward(x, null, null);
    Recurrent dropping = model(kind, 3, 0.5);
    RecurrentOutput evaluation = dropping.forward(x, null, null, null, null);
    assertArrayEquals(plain.output().data(), evaluation.output().data());
    assertArrayEquals(plain.hN().data(), evaluation.hN().data());
    assertNull(evaluation.trace().dropoutMask(0));
    // While training the same model does drop something.
    RecurrentOutput training = dropping.forward(x, null, null, null, new SplittableRandom(3));
    assertFalse(Arrays.equals(plain.output().data(), training.output().data()));
    // p = 0 with a generator is no dropout at all.
    RecurrentOutput zero = model(kind, 3, 0).forward(x, null, null, null, new SplittableRandom(3));
    assertArrayEquals(plain.output().data(), zero.output().data());
    assertNull(zero.trace().dropoutMask(1));
  }

  @Test
  void aboutAFractionPIsDroppedAndTheRestScaledByOneOverOneMinusP() {
    double p = 0.3;
    Recurrent model = model(RecurrentKind.GRU, 3, p);
    RecurrentOutput out =
        model.forward(
            random(new SplittableRandom(4), 40, 25, 6), null, null, null, new SplittableRandom(5));
    float kept = (float) (1 / (1 - p));
    for (int layer = 0; layer < 2; layer++) {
      float[] mask = out.trace().dropoutMask(layer).data();
      assertEquals(40 * 25 * 32, mask.length);
      int zeros = 0;
      for (float m : mask) {
        if (m == 0) zeros++;
        else assertEquals(kept, m, "a kept element is scaled by exactly 1/(1-p)");
      }
      // 32,000 draws: the standard deviation of the fraction is 0.0026, so ±0.015 is ~6σ.
      double fraction = zeros / (double) mask.length;
      assertEquals(p, fraction, 0.015, "fraction dropped after layer " + layer);
    }
    var last = assertThrows(IndexOutOfBoundsException.class, () -> out.trace().dropoutMask(2));
    assertTrue(last.getMessage().contains("no dropout after the last"), last.getMessage());
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void theSameSeedGivesTheSameMasksAndOutputs(RecurrentKind kind) {
    Recurrent model = model(kind, 2, 0.4);
    Tensor x = random(new SplittableRandom(6), 7, 4, 6);
    int[] lengths = {7, 2, 5, 1};
    RecurrentOutput first = model.forward(x, null, null, lengths, new SplittableRandom(7));
    RecurrentOutput again = model.forward(x, null, null, lengths, new SplittableRandom(7));
    RecurrentOutput other = model.forward(x, null, null, lengths, new SplittableRandom(8));
    assertArrayEquals(first.trace().dropoutMask(0).data(), again.trace().dropoutMask(0).data());
    assertArrayEquals(first.output().data(), again.output().data());
    assertArrayEquals(first.hN().data(), again.hN().data());
    assertFalse(Arrays.equals(first.output().data(), other.output().data()));
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void oneLayerHasNothingToDropBetween(RecurrentKind kind) {
    Tensor x = random(new SplittableRandom(9), 4, 2, 6);
    RecurrentOutput plain = model(kind, 1, 0).forward(x, null, null);
    RecurrentOutput dropping =
        model(kind, 1, 0.5).forward(x, null, null, null, new SplittableRandom(1));
    assertArrayEquals(plain.output().data(), dropping.output().data());
  }

  @Test
  void theProbabilityMustBeInZeroToOne() {
    Recurrent model = Recurrent.create(RecurrentKind.LSTM, 2, 3, 2);
    assertEquals(0, model.dropout());
    for (double bad : new double[] {-0.1, 1, 1.5, Double.NaN}) {
      var e = assertThrows(IllegalArgumentException.class, () -> model.setDropout(bad));
      assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
      assertTrue(e.getMessage().contains(Double.toString(bad)), e.getMessage());
    }
    model.setDropout(0.999);
    assertEquals(0.999, model.dropout());
  }
}
