package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Tensor;

class EmbeddingTest {

  @Test
  void forwardLooksUpRowsInTheGivenShape() {
    Embedding embedding = new Embedding(4, 2);
    System.arraycopy(
        new float[] {0, 1, 10, 11, 20, 21, 30, 31}, 0, embedding.weight().value().data(), 0, 8);
    Tensor y = embedding.forward(new int[] {3, 0, 2, 2, 1, 3}, 3, 2);
    assertArrayEquals(new int[] {3, 2, 2}, y.shape());
    assertArrayEquals(new float[] {30, 31, 0, 1, 20, 21, 20, 21, 10, 11, 30, 31}, y.data());
    assertArrayEquals(new int[] {2, 2}, embedding.forward(new int[] {1, 2}).shape());
  }

  @Test
  void backwardScatterAddsAndMatchesFiniteDifferences() {
    SplittableRandom rng = new SplittableRandom(51);
    Embedding embedding = new Embedding(5, 3);
    embedding.initialize(rng);
    int[] ids = {4, 1, 4, 0, 4, 1};
    Tensor r = GradientCheck.random(rng, 1, 2, 3, 3);
    embedding.backward(ids, r);
    // Row 4 is used three times, row 2 and 3 never.
    float[] grad = embedding.weight().grad().data();
    for (int j = 0; j < 3; j++) {
      assertEquals(r.data()[j] + r.data()[6 + j] + r.data()[12 + j], grad[12 + j], 1e-6f);
      assertEquals(0f, grad[6 + j]);
      assertEquals(0f, grad[9 + j]);
    }
    GradientCheck.assertNoFailures(
        GradientCheck.compare(
            "weight",
            embedding.weight().value(),
            embedding.weight().grad(),
            GradientCheck.EPS,
            () -> GradientCheck.dot(embedding.forward(ids, 2, 3), r)));
    embedding.backward(ids, r);
    assertEquals(2 * (r.data()[0] + r.data()[6] + r.data()[12]), grad[12], 1e-6f);
  }

  @Test
  void initializationIsStandardNormal() {
    Embedding embedding = new Embedding(100, 50);
    embedding.initialize(new SplittableRandom(52));
    double sum = 0;
    double squares = 0;
    for (float v : embedding.weight().value().data()) {
      sum += v;
      squares += v * v;
    }
    int n = 5000;
    assertEquals(0, sum / n, 0.05);
    assertEquals(1, squares / n, 0.06);
  }

  @Test
  void idsOutOfRangeAreRejectedWithTheIdAndTheRange() {
    Embedding embedding = new Embedding(5, 3);
    var high =
        assertThrows(IllegalArgumentException.class, () -> embedding.forward(new int[] {1, 5}));
    assertTrue(high.getMessage().contains("id 5"), high.getMessage());
    assertTrue(high.getMessage().contains("[0, 5)"), high.getMessage());
    var negative =
        assertThrows(
            IllegalArgumentException.class,
            () -> embedding.backward(new int[] {-1}, Tensor.zeros(1, 3)));
    assertTrue(negative.getMessage().contains("id -1"), negative.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> embedding.forward(new int[] {1, 2, 3}, 2, 2));
    assertThrows(
        IllegalArgumentException.class,
        () -> embedding.backward(new int[] {1, 2}, Tensor.zeros(2, 4)));
  }
}
