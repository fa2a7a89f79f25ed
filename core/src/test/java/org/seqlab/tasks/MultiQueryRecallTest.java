package org.seqlab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.CrossEntropyLoss;

class MultiQueryRecallTest {

  @Test
  void distinctPairsThenEveryQueryAsksForTheValuePairedWithItsKey() {
    // {k, K, V, q}
    for (int[] c : new int[][] {{1, 1, 2, 1}, {4, 4, 3, 4}, {6, 16, 8, 6}, {8, 64, 64, 3}}) {
      int k = c[0], keyCount = c[1], valueCount = c[2], q = c[3];
      MultiQueryRecall task = new MultiQueryRecall(k, 32, 4, 6, keyCount, valueCount, q);
      Batch batch = task.trainingBatch(2);
      int size = batch.size();
      assertEquals(2 * k + 2 * q, batch.steps());
      for (int b = 0; b < size; b++) {
        Map<Integer, Integer> valueOf = new HashMap<>();
        for (int i = 0; i < k; i++) {
          int key = batch.inputs()[2 * i * size + b];
          int value = batch.inputs()[(2 * i + 1) * size + b];
          assertTrue(key >= 0 && key < keyCount, "key token " + key);
          assertTrue(value >= keyCount && value < keyCount + valueCount, "value token " + value);
          assertTrue(valueOf.put(key, value) == null, "key " + key + " twice");
          assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[2 * i * size + b]);
          assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[(2 * i + 1) * size + b]);
        }
        Set<Integer> asked = new HashSet<>();
        for (int j = 0; j < q; j++) {
          int keyStep = 2 * k + 2 * j;
          int query = batch.inputs()[keyStep * size + b];
          assertTrue(valueOf.containsKey(query), "query " + query + " is one of the keys");
          assertTrue(asked.add(query), "key " + query + " asked twice");
          assertEquals(valueOf.get(query), batch.targets()[keyStep * size + b], "query " + j);
          assertEquals(valueOf.get(query), batch.inputs()[(keyStep + 1) * size + b], "its slot");
          assertEquals(CrossEntropyLoss.IGNORE_INDEX, batch.targets()[(keyStep + 1) * size + b]);
        }
        if (q == k) assertEquals(valueOf.keySet(), asked, "every key is asked");
      }
    }
  }

  @Test
  void everyKeyIsAskedFirstSomewhere() {
    // The queries come in a random order, not the order of the pairs.
    int k = 4;
    Batch batch = new MultiQueryRecall(k, 400, 1, 3, 8, 8).trainingBatch(0);
    Set<Integer> firstAsked = new HashSet<>();
    for (int b = 0; b < 400; b++) {
      int query = batch.inputs()[2 * k * 400 + b];
      for (int i = 0; i < k; i++) if (batch.inputs()[2 * i * 400 + b] == query) firstAsked.add(i);
    }
    assertEquals(Set.of(0, 1, 2, 3), firstAsked);
  }

  /** Answers the query at {@code step}, having read {@code seen}, the inputs of steps 0..step. */
  @FunctionalInterface
  private interface Reader {
    int answer(int[] seen, int step);
  }

  /** The accuracy of {@code reader} over every query of the validation set. */
  private static double validationAccuracy(MultiQueryRecall task, Reader reader) {
    int asked = 0, right = 0;
    for (Batch batch : task.validationBatches()) {
      int size = batch.size();
      for (int b = 0; b < size; b++) {
        int[] sequence = new int[batch.steps()];
        for (int t = 0; t < batch.steps(); t++) sequence[t] = batch.inputs()[t * size + b];
        for (int t = 0; t < batch.steps(); t++) {
          int target = batch.targets()[t * size + b];
          if (target == CrossEntropyLoss.IGNORE_INDEX) continue;
          asked++;
          // The reader sees the sequence up to the step it answers at, as a causal model does.
          if (reader.answer(Arrays.copyOf(sequence, t + 1), t) == target) right++;
        }
      }
    }
    assertEquals(
        task.validationBatches().stream().mapToInt(Batch::size).sum() * task.queries(), asked);
    return right / (double) asked;
  }

  @Test
  void aReaderThatLooksTheKeyUpIsAlwaysRight() {
    MultiQueryRecall task = new MultiQueryRecall(8, 64, 300, 11, 16, 8, 5);
    double accuracy =
        validationAccuracy(
            task,
            (sequence, step) -> {
              for (int i = 0; i < 2 * task.pairs(); i += 2) {
                if (sequence[i] == sequence[step]) return sequence[i + 1];
              }
              return -1;
            });
    assertEquals(1.0, accuracy);
  }

  @Test
  void guessersThatCannotSeeThePairsScoreTheBaselineOfOneInV() {
    // Every value is uniform and independent of all but its own key, so each guess is right with
    // probability 1/V independently: the hits are binomial, n = sequences * q. Four standard errors
    // leave a false alarm once in about 16,000 runs (the seeds are fixed, so never, in fact), while
    // a value tied to its key (say value = key) or to the pair order would miss by far more.
    int k = 6, valueCount = 8, sequences = 3000;
    MultiQueryRecall task = new MultiQueryRecall(k, 500, sequences, 21, 64, valueCount);
    double p = task.baseline(), n = (double) sequences * k;
    assertEquals(1.0 / valueCount, p);
    double tolerance = 4 * Math.sqrt(p * (1 - p) / n);
    assertTrue(tolerance < 0.01, "tolerance " + tolerance);

    SplittableRandom guesses = new SplittableRandom(5);
    double uniform =
        validationAccuracy(task, (sequence, step) -> task.valueToken(guesses.nextInt(valueCount)));
    assertEquals(p, uniform, tolerance, "a uniform guess");
    double fixed = validationAccuracy(task, (sequence, step) -> task.valueToken(0));
    assertEquals(p, fixed, tolerance, "always the first value");
    // Reads the key but not the pairs: a fixed map from key to value.
    double byKey =
        validationAccuracy(task, (sequence, step) -> task.valueToken(sequence[step] % valueCount));
    assertEquals(p, byKey, tolerance, "a value fixed by the key");
  }

  @Test
  void describesItself() {
    MultiQueryRecall task = new MultiQueryRecall(6, 8, 16, 0);
    assertEquals("mqar", task.name());
    assertEquals(MultiQueryRecall.DEFAULT_KEYS, task.keys());
    assertEquals(MultiQueryRecall.DEFAULT_VALUES, task.values());
    assertEquals(6, task.queries());
    assertEquals(128, task.vocabularySize());
    assertEquals(0, task.inputFeatures());
    assertEquals(24, task.steps());
    assertEquals(22, task.dependencyDistance().getAsInt());
    assertEquals(SyntheticTask.Metric.ACCURACY, task.metric());
    assertEquals(1.0 / 64, task.baseline());
    assertEquals(6, task.difficulty());
    assertEquals("k", task.difficultyName());
    assertTrue(task.baselineWords().contains("64 values uniformly"), task.baselineWords());
    assertEquals(5, task.keyToken(5));
    assertEquals(64 + 5, task.valueToken(5));

    MultiQueryRecall fewer = new MultiQueryRecall(5, 8, 16, 0, 10, 3, 2);
    assertEquals(13, fewer.vocabularySize());
    assertEquals(14, fewer.steps());
    assertEquals(12, fewer.dependencyDistance().getAsInt());
    assertEquals(10 + 2, fewer.valueToken(2));
  }

  @Test
  void theLongestDependencyIsReached() {
    // The first pair is asked last in some sequence: its key waits dependencyDistance() steps.
    int k = 3;
    MultiQueryRecall task = new MultiQueryRecall(k, 200, 1, 4, 8, 8);
    Batch batch = task.trainingBatch(0);
    int last = task.dependencyDistance().getAsInt(), size = batch.size();
    boolean reached = false;
    for (int b = 0; b < size; b++) reached |= batch.inputs()[b] == batch.inputs()[last * size + b];
    assertTrue(reached);
    assertTrue(batch.targets()[last * size] != CrossEntropyLoss.IGNORE_INDEX, "the last is asked");
  }

  @Test
  void batchesAreSeededPerStepAndValidationIsDrawnApart() {
    SyntheticTaskContract.checkSeeding(
        seed ->
            new MultiQueryRecall(
                4, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed));
    SyntheticTaskContract.checkSeeding(
        seed ->
            new MultiQueryRecall(
                5, SyntheticTaskContract.BATCH, SyntheticTaskContract.VALIDATION, seed, 8, 4, 2));
  }

  @Test
  void badArgumentsAreRefusedSayingWhatIsAllowed() {
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(0, 4, 4, 0), "between 1 and the number of keys 64, got 0");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(65, 4, 4, 0), "between 1 and the number of keys 64, got 65");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(5, 4, 4, 0, 4, 8), "the number of keys 4, got 5");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(1, 4, 4, 0, 0, 8),
        "the keys must be between 1 and 32768, got 0");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(1, 4, 4, 0, 8, 1),
        "the values must be between 2 and 32768, got 1");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(1, 4, 4, 0, 8, 32769), "between 2 and 32768, got 32769");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(3, 4, 4, 0, 8, 8, 0),
        "q, the number of queries, must be between 1 and the number of pairs 3, got 0");
    SyntheticTaskContract.checkRefused(
        () -> new MultiQueryRecall(3, 4, 4, 0, 8, 8, 4), "the number of pairs 3, got 4");
    SyntheticTaskContract.checkSizesRefused(
        (batch, validation) -> new MultiQueryRecall(3, batch, validation, 0));
  }
}
