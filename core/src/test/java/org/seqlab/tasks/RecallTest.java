package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;

class RecallTest {

  @Test
  void distinctPairsThenTheQueryAndTheValuePairedWithItsKey() {
    for (int[] kAndPool : new int[][] {{1, 2}, {5, 16}, {16, 16}, {8, 32}}) {
      int k = kAndPool[0], pool = kAndPool[1];
      Recall task = new Recall(k, 32, 4, 6, pool);
      Batch batch = task.trainingBatch(2);
      int size = batch.size();
      assertEquals(2 * k + 2, batch.steps());
      for (int b = 0; b < size; b++) {
        Set<Integer> keys = new HashSet<>(), values = new HashSet<>();
        for (int i = 0; i < k; i++) {
          int key = batch.inputs()[2 * i * size + b];
          int value = batch.inputs()[(2 * i + 1) * size + b];
          assertTrue(key >= 0 && key < pool, "key token " + key);
          assertTrue(value >= pool && value < 2 * pool, "value token " + value);
          assertTrue(keys.add(key), "key " + key + " twice");
          assertTrue(values.add(value), "value " + value + " twice");
        }
        assertEquals(task.queryToken(), batch.inputs()[2 * k * size + b]);
        int query = batch.inputs()[(2 * k + 1) * size + b];
        int pair = -1;
        for (int i = 0; i < k; i++) if (batch.inputs()[2 * i * size + b] == query) pair = i;
        assertTrue(pair >= 0, "the query " + query + " is one of the keys");
        assertEquals(
            batch.inputs()[(2 * pair + 1) * size + b], batch.targets()[(2 * k + 1) * size + b]);
        for (int t = 0; t < 2 * k + 1; t++) {
          assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[t * size + b], "step " + t);
        }
      }
    }
  }

  @Test
  void answeringTheFirstPairsValueScoresTheBaselineOfOneInK() {
    // q is uniform in 1..k, so a fixed guess among the k values seen is right once in k, as is a
    // random one: the baseline.
    int k = 4;
    Recall task = new Recall(k, 500, 4000, 8);
    assertEquals(0.25, task.baseline());
    int right = 0, asked = 0;
    for (Batch batch : task.validationBatches()) {
      int size = batch.size();
      for (int b = 0; b < size; b++) {
        asked++;
        if (batch.targets()[(2 * k + 1) * size + b] == batch.inputs()[size + b]) right++;
      }
    }
    assertEquals(4000, asked);
    assertEquals(1.0 / k, right / (double) asked, 0.025);
  }

  @Test
  void describesItself() {
    Recall task = new Recall(6, 8, 16, 0);
    assertEquals("recall", task.name());
    assertEquals(32, task.pool());
    assertEquals(65, task.vocabularySize());
    assertEquals(64, task.queryToken());
    assertEquals(14, task.steps());
    assertEquals(13, task.dependencyDistance().getAsInt());
    assertEquals(SyntheticTask.Metric.ACCURACY, task.metric());
    assertEquals(1.0 / 6, task.baseline());
    assertEquals(6, task.difficulty());
    assertEquals("k", task.difficultyName());
    assertTrue(task.baselineWords().contains("one of the 6 values"), task.baselineWords());
    assertEquals(2 * 100 + 1, new Recall(3, 8, 16, 0, 100).vocabularySize());
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed -> new Recall(4, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new Recall(0, 4, 4, 0), "between 1 and the pool size 32, got 0");
    SyntheticTaskContract.checkRefused(
        () -> new Recall(33, 4, 4, 0), "between 1 and the pool size 32, got 33");
    SyntheticTaskContract.checkRefused(
        () -> new Recall(2, 4, 4, 0, 1), "the pool must be between 2 and 256, got 1");
    SyntheticTaskContract.checkRefused(
        () -> new Recall(2, 4, 4, 0, 257), "between 2 and 256, got 257");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new Recall(3, batch, validation, 0));
  }

  @Test
  void pairedLayoutIsOneTokenPerPairThenTheKey() {
    int k = 5, pool = 8;
    Recall task = new Recall(k, 16, 4, 3, pool, Recall.Layout.PAIRED);
    assertEquals(k + 1, task.steps());
    assertEquals(pool * pool + 2 * pool, task.vocabularySize());
    assertEquals(1.0 / k, task.baseline());
    Batch batch = task.trainingBatch(7);
    int b = batch.size();
    for (int s = 0; s < b; s++) {
      java.util.Set<Integer> keys = new java.util.HashSet<>(), values = new java.util.HashSet<>();
      java.util.Map<Integer, Integer> valueOf = new java.util.HashMap<>();
      for (int i = 0; i < k; i++) {
        int token = batch.inputs()[i * b + s];
        assertTrue(token >= 0 && token < pool * pool, "a pair token: " + token);
        int key = token / pool, value = token % pool;
        assertTrue(keys.add(key) && values.add(value), "keys and values distinct");
        valueOf.put(key, value);
        assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[i * b + s]);
      }
      int query = batch.inputs()[k * b + s] - pool * pool;
      assertTrue(valueOf.containsKey(query), "the query key is one of the pairs' keys");
      assertEquals(task.valueToken(valueOf.get(query)), batch.targets()[k * b + s]);
    }
    assertEquals(
        "k, the number of pairs, must be between 1 and the pool size 8, got 9",
        assertThrows(
                IllegalArgumentException.class,
                () -> new Recall(9, 16, 4, 3, pool, Recall.Layout.PAIRED))
            .getMessage());
  }
}
