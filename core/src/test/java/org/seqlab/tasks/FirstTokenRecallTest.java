package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;

class FirstTokenRecallTest {

  @Test
  void everyPositionAfterTheFirstAsksForTheFirstToken() {
    for (int[] lengthAndVocabulary : new int[][] {{2, 2}, {6, 8}, {40, 100}}) {
      int length = lengthAndVocabulary[0], vocabulary = lengthAndVocabulary[1];
      Batch batch = new FirstTokenRecall(length, 16, 4, 5, vocabulary).trainingBatch(3);
      int size = batch.size();
      assertEquals(length, batch.steps());
      for (int b = 0; b < size; b++) {
        int first = batch.inputs()[b];
        assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[b], "position 1 is not asked");
        for (int t = 0; t < length; t++) {
          int input = batch.inputs()[t * size + b];
          assertTrue(input >= 0 && input < vocabulary, "token " + input + " at position " + t);
          if (t > 0) assertEquals(first, batch.targets()[t * size + b], "position " + (t + 1));
        }
      }
    }
  }

  @Test
  void everyTokenOccursAtEveryPosition() {
    Batch batch = new FirstTokenRecall(3, 200, 1, 0, 5).trainingBatch(0);
    for (int t = 0; t < 3; t++) {
      Set<Integer> tokens = new HashSet<>();
      for (int b = 0; b < 200; b++) tokens.add(batch.inputs()[t * 200 + b]);
      assertEquals(Set.of(0, 1, 2, 3, 4), tokens, "position " + (t + 1));
    }
  }

  @Test
  void guessingWithoutTheFirstTokenScoresTheBaselineOfOneInV() {
    // The first token is independent of the rest: a fixed guess and "the token just read" are both
    // right once in V, while reading position 1 is always right.
    int vocabulary = 4;
    FirstTokenRecall task = new FirstTokenRecall(5, 500, 4000, 9, vocabulary);
    assertEquals(0.25, task.baseline());
    int asked = 0, fixedRight = 0, lastReadRight = 0, firstRight = 0;
    for (Batch batch : task.validationBatches()) {
      int size = batch.size();
      for (int t = 0; t < batch.steps(); t++) {
        for (int b = 0; b < size; b++) {
          int target = batch.targets()[t * size + b];
          if (target == CrossEntropyLoss.IGNORE_INDEX) continue;
          asked++;
          if (target == 0) fixedRight++;
          if (target == batch.inputs()[t * size + b]) lastReadRight++;
          if (target == batch.inputs()[b]) firstRight++;
        }
      }
    }
    assertEquals(4000 * 4, asked, "positions 2..5 of every sequence");
    assertEquals(task.baseline(), fixedRight / (double) asked, 0.025);
    assertEquals(task.baseline(), lastReadRight / (double) asked, 0.025);
    assertEquals(asked, firstRight);
  }

  @Test
  void describesItself() {
    FirstTokenRecall task = new FirstTokenRecall(16, 32, 64, 1);
    assertEquals("first-token", task.name());
    assertEquals(FirstTokenRecall.DEFAULT_VOCABULARY, task.vocabularySize());
    assertEquals(0, task.inputFeatures());
    assertEquals(16, task.steps());
    assertEquals(32, task.batchSize());
    assertEquals(15, task.dependencyDistance().getAsInt());
    assertEquals(SyntheticTask.Metric.ACCURACY, task.metric());
    assertEquals(1.0 / 8, task.baseline());
    assertEquals(16, task.difficulty());
    assertEquals("length", task.difficultyName());
    assertTrue(task.baselineWords().contains("one of the 8 tokens"), task.baselineWords());
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed ->
            new FirstTokenRecall(
                6, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new FirstTokenRecall(1, 4, 4, 0), "the length must be between 2 and 10000, got 1");
    SyntheticTaskContract.checkRefused(
        () -> new FirstTokenRecall(10_001, 4, 4, 0), "between 2 and 10000, got 10001");
    SyntheticTaskContract.checkRefused(
        () -> new FirstTokenRecall(5, 4, 4, 0, 1),
        "the vocabulary must be between 2 and 65536, got 1");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new FirstTokenRecall(5, batch, validation, 0));
  }
}
