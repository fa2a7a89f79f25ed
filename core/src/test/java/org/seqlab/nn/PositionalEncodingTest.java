package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class PositionalEncodingTest {

  @Test
  void sinusoidalTableHasSinesInEvenAndCosinesInOddColumns() {
    PositionalEncoding pe = new PositionalEncoding(PositionalEncoding.Kind.SINUSOIDAL, 50, 5);
    assertEquals(List.of(), pe.parameters());
    Tensor table = pe.table();
    // Position 0: sin 0 = 0, cos 0 = 1; odd width ends with a sine column.
    assertArrayEquals(
        new float[] {0, 1, 0, 1, 0}, java.util.Arrays.copyOfRange(table.data(), 0, 5));
    for (int p : new int[] {1, 7, 49}) {
      assertEquals(Math.sin(p), table.get(p, 0), 1e-6);
      assertEquals(Math.cos(p), table.get(p, 1), 1e-6);
      double angle = p / Math.pow(10000, 2.0 / 5);
      assertEquals(Math.sin(angle), table.get(p, 2), 1e-6);
      assertEquals(Math.cos(angle), table.get(p, 3), 1e-6);
      assertEquals(Math.sin(p / Math.pow(10000, 4.0 / 5)), table.get(p, 4), 1e-6);
    }
  }

  @Test
  void addsTheRowOfEachStepToEverySequence() {
    PositionalEncoding pe = new PositionalEncoding(PositionalEncoding.Kind.SINUSOIDAL, 4, 2);
    Tensor x = Tensor.zeros(3, 2, 2);
    x.fill(1f);
    pe.addInPlace(x);
    assertEquals(1 + (float) Math.sin(2), x.get(2, 1, 0));
    assertEquals(1 + (float) Math.cos(2), x.get(2, 0, 1));
  }

  @Test
  void learnedTableIsAParameterWhoseGradientSumsOverTheBatch() {
    PositionalEncoding pe = new PositionalEncoding(PositionalEncoding.Kind.LEARNED, 5, 2);
    assertEquals(List.of("position_embedding.weight"), TransformerTesting.names(pe));
    pe.initialize(new SplittableRandom(1));
    Tensor x = Tensor.zeros(2, 3, 2);
    pe.addInPlace(x);
    assertEquals(pe.table().get(1, 1), x.get(1, 2, 1));
    Tensor dy = Tensor.zeros(2, 3, 2);
    for (int i = 0; i < dy.size(); i++) dy.data()[i] = i;
    pe.backward(dy);
    pe.backward(dy);
    Tensor grad = pe.parameters().getFirst().grad();
    // Step 0 collects rows 0, 1, 2 of [6, 2]: (0+2+4, 1+3+5), twice.
    assertArrayEquals(new float[] {12, 18, 48, 54, 0, 0, 0, 0, 0, 0}, grad.data());
  }

  @Test
  void refusesSequencesLongerThanTheTable() {
    PositionalEncoding pe = new PositionalEncoding(PositionalEncoding.Kind.LEARNED, 4, 2);
    TransformerTesting.assertRefused(
        "sequence length T=5 exceeds the positional table's maxLen=4",
        () -> pe.addInPlace(Tensor.zeros(5, 1, 2)));
    TransformerTesting.assertRefused(
        "PositionalEncoding needs positive sizes, got maxLen=0, dModel=2",
        () -> new PositionalEncoding(PositionalEncoding.Kind.SINUSOIDAL, 0, 2));
  }
}
