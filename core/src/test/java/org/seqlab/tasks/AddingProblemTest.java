package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AddingProblemTest {

  @Test
  void everySequenceHasOneMarkerInEachHalfAndAsksForTheirSumAtTheLastStepOnly() {
    for (int length : new int[] {2, 3, 7, 10}) {
      Batch batch = new AddingProblem(length, 32, 4, 5).trainingBatch(0);
      int size = batch.size();
      int half = length / 2;
      assertEquals(length, batch.steps());
      assertEquals(2, batch.featureSize());
      assertTrue(batch.isRegression());
      for (int b = 0; b < size; b++) {
        int firstHalf = 0, secondHalf = 0;
        float sum = 0;
        for (int t = 0; t < length; t++) {
          float value = batch.features()[(t * size + b) * 2];
          float marker = batch.features()[(t * size + b) * 2 + 1];
          assertTrue(value >= 0 && value < 1, "value " + value);
          assertTrue(marker == 0 || marker == 1, "marker " + marker);
          if (marker == 1) {
            if (t < half) firstHalf++;
            else secondHalf++;
            sum += value;
          }
        }
        assertEquals(1, firstHalf, "markers in [0, T/2) of sequence " + b + ", T=" + length);
        assertEquals(1, secondHalf, "markers in [T/2, T) of sequence " + b + ", T=" + length);
        for (int t = 0; t < length - 1; t++) {
          assertTrue(Float.isNaN(batch.values()[t * size + b]), "nothing asked at step " + t);
        }
        assertEquals(sum, batch.values()[(length - 1) * size + b], 0f);
      }
    }
  }

  @Test
  void answeringOneAlwaysScoresTheBaselineOfOneSixth() {
    AddingProblem task = new AddingProblem(10, 1000, 20_000, 3);
    assertEquals(1.0 / 6, task.baseline());
    double squares = 0;
    long asked = 0;
    for (Batch batch : task.validationBatches()) {
      for (float value : batch.values()) {
        if (Float.isNaN(value)) continue;
        squares += (1 - value) * (1 - value);
        asked++;
      }
    }
    assertEquals(20_000, asked);
    assertEquals(1.0 / 6, squares / asked, 0.01);
  }

  @Test
  void theFirstMarkerFallsOnEveryStepOfTheFirstHalf() {
    // dependencyDistance() = T promises that the first marker can sit at step 0.
    AddingProblem task = new AddingProblem(8, 256, 1, 9);
    boolean[] seen = new boolean[4];
    Batch batch = task.trainingBatch(0);
    for (int b = 0; b < batch.size(); b++) {
      for (int t = 0; t < 4; t++)
        if (batch.features()[(t * batch.size() + b) * 2 + 1] == 1) seen[t] = true;
    }
    for (int t = 0; t < 4; t++) assertTrue(seen[t], "a first marker at step " + t);
    assertEquals(8, task.dependencyDistance().getAsInt());
  }

  @Test
  void describesItself() {
    AddingProblem task = new AddingProblem(50, 8, 16, 0);
    assertEquals("adding", task.name());
    assertEquals(0, task.vocabularySize());
    assertEquals(2, task.inputFeatures());
    assertEquals(1, task.outputSize());
    assertEquals(50, task.steps());
    assertEquals(8, task.batchSize());
    assertEquals(SyntheticTask.Metric.LOSS, task.metric());
    assertEquals(50, task.difficulty());
    assertEquals("length", task.difficultyName());
    assertTrue(task.baselineWords().contains("always answers 1"), task.baselineWords());
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed ->
            new AddingProblem(
                12, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new AddingProblem(1, 4, 4, 0), "the length must be between 2 and 10000, got 1");
    SyntheticTaskContract.checkRefused(
        () -> new AddingProblem(10_001, 4, 4, 0), "between 2 and 10000, got 10001");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new AddingProblem(10, batch, validation, 0));
    // 10000 steps * 110000 sequences * 2 features > 2^31: refused before allocating.
    SyntheticTaskContract.checkRefused(() -> new AddingProblem(10_000, 110_000, 1, 0), "more than");
  }
}
