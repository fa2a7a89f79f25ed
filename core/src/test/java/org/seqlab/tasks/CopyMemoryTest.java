package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.tensor.Tensor;

class CopyMemoryTest {

  @Test
  void tenSymbolsThenBlanksThenTheDelimiterThenTheSymbolsAsTargets() {
    for (int delay : new int[] {1, 5, 40}) {
      Batch batch = new CopyMemory(delay, 16, 4, 2).trainingBatch(0);
      int size = batch.size();
      assertEquals(delay + 20, batch.steps());
      for (int b = 0; b < size; b++) {
        for (int t = 0; t < delay + 20; t++) {
          int input = batch.inputs()[t * size + b];
          int target = batch.targets()[t * size + b];
          if (t < 10) {
            assertTrue(input >= 1 && input <= 8, "symbol " + input + " at step " + t);
          } else if (t == delay + 9) {
            assertEquals(CopyMemory.DELIMITER, input, "the delimiter at step T+9");
          } else {
            assertEquals(CopyMemory.BLANK, input, "blank input at step " + t);
          }
          if (t < delay + 10) {
            assertEquals(CopyMemory.BLANK, target, "blank target at step " + t);
          } else {
            int symbol = batch.inputs()[(t - delay - 10) * size + b];
            assertEquals(symbol, target, "symbol " + (t - delay - 10) + " written at step " + t);
          }
        }
      }
    }
  }

  @Test
  void everySymbolOccurs() {
    Batch batch = new CopyMemory(3, 64, 1, 0).trainingBatch(0);
    Set<Integer> symbols = new HashSet<>();
    for (int i = 0; i < 10 * 64; i++) symbols.add(batch.inputs()[i]);
    assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), symbols);
  }

  @Test
  void theBaselinePredictorScoresTenLnEightOverTPlusTwenty() {
    for (int delay : new int[] {1, 100}) {
      CopyMemory task = new CopyMemory(delay, 8, 40, 1);
      double expected = 10 * Math.log(8) / (delay + 20);
      assertEquals(expected, task.baseline(), 1e-12);
      assertEquals(expected, CopyMemory.baselineFor(delay), 1e-12);
      for (Batch batch : task.validationBatches()) {
        int steps = batch.steps(), size = batch.size();
        // The predictor knows the layout, not the symbols: the blank with near-certainty for the
        // first T+10 steps, a uniform guess among the symbols 1..8 for the last 10.
        float[] logits = new float[steps * size * 10];
        for (int t = 0; t < steps; t++) {
          for (int b = 0; b < size; b++) {
            int row = (t * size + b) * 10;
            if (t < delay + 10) {
              logits[row + CopyMemory.BLANK] = 100;
            } else {
              logits[row + CopyMemory.BLANK] = -100;
              logits[row + CopyMemory.DELIMITER] = -100;
            }
          }
        }
        double loss =
            CrossEntropyLoss.compute(Tensor.wrap(logits, steps, size, 10), batch.targets()).loss();
        assertEquals(expected, loss, 1e-4, "delay " + delay);
      }
    }
  }

  @Test
  void describesItself() {
    CopyMemory task = new CopyMemory(30, 8, 16, 0);
    assertEquals("copy", task.name());
    assertEquals(10, task.vocabularySize());
    assertEquals(0, task.inputFeatures());
    assertEquals(10, task.outputSize());
    assertEquals(50, task.steps());
    assertEquals(40, task.dependencyDistance().getAsInt());
    assertEquals(SyntheticTask.Metric.LOSS, task.metric());
    assertEquals(30, task.difficulty());
    assertEquals("delay", task.difficultyName());
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed ->
            new CopyMemory(5, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new CopyMemory(0, 4, 4, 0), "the delay must be between 1 and 10000, got 0");
    SyntheticTaskContract.checkRefused(
        () -> new CopyMemory(10_001, 4, 4, 0), "between 1 and 10000, got 10001");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new CopyMemory(10, batch, validation, 0));
    var e = assertThrows(IllegalArgumentException.class, () -> CopyMemory.baselineFor(0));
    assertTrue(e.getMessage().contains("between 1 and 10000"), e.getMessage());
  }
}
