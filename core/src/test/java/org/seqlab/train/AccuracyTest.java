package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.tensor.Tensor;

class AccuracyTest {

  @Test
  void countsAskedRowsWhoseTargetHasTheLargestLogit() {
    Tensor logits =
        Tensor.wrap(
            new float[] {
              0, 3, 1, // row 0: argmax 1
              5, 0, 0, // row 1: argmax 0
              0, 0, 2, // row 2: argmax 2
              1, 1, 0 //  row 3: a tie goes to the first, 0
            },
            4,
            3);
    int ignored = CrossEntropyLoss.IGNORE_INDEX;
    assertEquals(2, Trainer.correct(logits, new int[] {1, 2, 2, ignored}));
    assertEquals(1, Trainer.correct(logits, new int[] {ignored, ignored, 0, 0}));
    assertEquals(0, Trainer.correct(logits, new int[] {0, 1, ignored, 1}));
  }
}
