package org.seqlab.tasks;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.seqlab.nn.CrossEntropyLoss;

/**
 * Multi-query associative recall (MQAR, after Zoology, Arora et al. 2023): read {@code k} key–value
 * pairs, then answer {@code q} queries, each a key of those pairs whose value must come next. One
 * sequence of {@code k = 3} pairs and {@code q = 3} queries (keys {@code Kn}, values {@code Vn},
 * {@code -} where nothing is asked):
 *
 * <pre>
 *   step     0   1   2   3   4   5   6   7   8   9   10  11
 *   input    K7  V2  K1  V9  K4  V2  K1  V9  K7  V2  K4  V2
 *   target   -   -   -   -   -   -   V9  -   V2  -   V2  -
 * </pre>
 *
 * <p>One vocabulary holds both kinds of token: {@code K} keys (ids {@code 0..K-1}) and {@code V}
 * values (ids {@code K..K+V-1}). A sequence is {@code key_1 value_1 ... key_k value_k}, then {@code
 * q} queries {@code key value}: {@code 2k + 2q} steps. The {@code k} keys are distinct, drawn
 * uniformly from the {@code K}; each value is drawn uniformly from the {@code V}, independently of
 * its key and of the other values (so values may repeat, as {@code V2} does above). The queries are
 * {@code q} of the {@code k} keys drawn without replacement, in a random order (all {@code k},
 * shuffled, unless told otherwise); Zoology instead scatters them over the rest of the sequence
 * with a power-law spread of gaps, which this task leaves out.
 *
 * <p>A query is asked as the next token is in a language model: the step that reads a query's key
 * has that key's value as its target, and the step after it reads the value, the slot where the
 * answer belongs. Every other target is {@link CrossEntropyLoss#IGNORE_INDEX}. Each key is asked
 * once, so the value read after one answer never gives away another. The first pair, read at step
 * 0, is asked at step {@code 2k + 2q - 2} at the latest.
 *
 * <p>The score is the accuracy over all the query steps. The baseline cannot see the pairs and
 * guesses a value uniformly: right once in {@code V}, because every value is drawn uniformly and
 * independently of everything but its own pair. A model of fixed-size state must hold all {@code k}
 * pairs at once before the queries come, and falls towards the baseline as {@code k} grows;
 * attention can look each key up in one step.
 */
public final class MultiQueryRecall implements SyntheticTask {

  /** The keys, and the values, when none are given. */
  public static final int DEFAULT_KEYS = 64;

  /** The values when none are given. */
  public static final int DEFAULT_VALUES = 64;

  /** The most keys, and the most values, allowed. */
  public static final int MAX_TOKENS = 1 << 15;

  private final int pairs;
  private final int queries;
  private final int keys;
  private final int values;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /**
   * {@link #MultiQueryRecall(int, int, int, long, int, int)} over {@value #DEFAULT_KEYS} keys and
   * {@value #DEFAULT_VALUES} values.
   */
  public MultiQueryRecall(int pairs, int batchSize, int validationSize, long seed) {
    this(pairs, batchSize, validationSize, seed, DEFAULT_KEYS, DEFAULT_VALUES);
  }

  /**
   * A task that asks every one of the {@code k} keys once, in a random order.
   *
   * @param pairs {@code k}, the key–value pairs of every sequence, in {@code [1, keys]}
   * @param batchSize {@code B}, the sequences of a training batch (and at most of a validation one)
   * @param validationSize the sequences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sequence
   * @param keys {@code K}, the key tokens to draw from, in {@code [1, 32768]}
   * @param values {@code V}, the value tokens to draw from, in {@code [2, 32768]}
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public MultiQueryRecall(
      int pairs, int batchSize, int validationSize, long seed, int keys, int values) {
    this(pairs, batchSize, validationSize, seed, keys, values, pairs);
  }

  /**
   * As {@link #MultiQueryRecall(int, int, int, long, int, int)}, asking only {@code queries} of the
   * keys.
   *
   * @param queries {@code q}, the keys asked in every sequence, in {@code [1, pairs]}
   */
  public MultiQueryRecall(
      int pairs, int batchSize, int validationSize, long seed, int keys, int values, int queries) {
    SyntheticSupport.requireBetween("the keys", keys, 1, MAX_TOKENS);
    // One value could be predicted without reading anything.
    SyntheticSupport.requireBetween("the values", values, 2, MAX_TOKENS);
    // Keys are distinct within a sequence, so there cannot be more pairs than keys.
    if (pairs < 1 || pairs > keys) {
      throw new IllegalArgumentException(
          "k, the number of pairs, must be between 1 and the number of keys "
              + keys
              + ", got "
              + pairs);
    }
    // Each key is asked at most once, so there cannot be more queries than pairs.
    if (queries < 1 || queries > pairs) {
      throw new IllegalArgumentException(
          "q, the number of queries, must be between 1 and the number of pairs "
              + pairs
              + ", got "
              + queries);
    }
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    int steps = 2 * pairs + 2 * queries;
    String advice = "use a smaller batch size, validation size, k, or fewer keys or values";
    // The logits of a batch, T*B*V, are the largest array a model builds from it.
    SyntheticSupport.requireFits("a training batch", steps, batchSize, keys + values, advice);
    SyntheticSupport.requireFits("the validation set", steps, validationSize, 1, advice);
    this.pairs = pairs;
    this.queries = queries;
    this.keys = keys;
    this.values = values;
    this.batchSize = batchSize;
    this.seed = seed;
    this.validationBatches =
        SyntheticSupport.validationSet(seed, validationSize, batchSize, this::draw);
  }

  /** {@code k}, the key–value pairs of every sequence. */
  public int pairs() {
    return pairs;
  }

  /** {@code q}, the keys asked in every sequence. */
  public int queries() {
    return queries;
  }

  /** {@code K}, the key tokens. */
  public int keys() {
    return keys;
  }

  /** {@code V}, the value tokens. */
  public int values() {
    return values;
  }

  /** The token of key {@code i}, {@code 0 <= i < K}. */
  public int keyToken(int i) {
    return i;
  }

  /** The token of value {@code i}, {@code 0 <= i < V}. */
  public int valueToken(int i) {
    return keys + i;
  }

  private Batch draw(SplittableRandom random, int sequences) {
    int steps = steps();
    int[] inputs = new int[steps * sequences];
    int[] targets = new int[steps * sequences];
    Arrays.fill(targets, CrossEntropyLoss.IGNORE_INDEX);
    int[] drawnKeys = new int[keys];
    int[] pairValues = new int[pairs];
    int[] asked = new int[pairs];
    for (int b = 0; b < sequences; b++) {
      drawDistinct(random, drawnKeys, pairs);
      for (int i = 0; i < pairs; i++) {
        pairValues[i] = random.nextInt(values);
        inputs[(2 * i) * sequences + b] = keyToken(drawnKeys[i]);
        inputs[(2 * i + 1) * sequences + b] = valueToken(pairValues[i]);
      }
      drawDistinct(random, asked, queries);
      for (int j = 0; j < queries; j++) {
        int pair = asked[j];
        int keyStep = 2 * pairs + 2 * j;
        int value = valueToken(pairValues[pair]);
        inputs[keyStep * sequences + b] = keyToken(drawnKeys[pair]);
        targets[keyStep * sequences + b] = value;
        inputs[(keyStep + 1) * sequences + b] = value;
      }
    }
    return new Batch(steps, sequences, inputs, targets, false);
  }

  /**
   * Leaves {@code count} distinct draws from {@code 0..drawn.length-1} in {@code drawn[0..count)},
   * in a uniformly random order.
   */
  private static void drawDistinct(SplittableRandom random, int[] drawn, int count) {
    // A partial Fisher–Yates shuffle: each prefix is a uniform draw without repeats.
    int n = drawn.length;
    for (int i = 0; i < n; i++) drawn[i] = i;
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(n - i);
      int swap = drawn[i];
      drawn[i] = drawn[j];
      drawn[j] = swap;
    }
  }

  @Override
  public String name() {
    return "mqar";
  }

  /** {@code K + V}: the keys, then the values. */
  @Override
  public int vocabularySize() {
    return keys + values;
  }

  /** {@code 2k + 2q}. */
  @Override
  public int steps() {
    return 2 * pairs + 2 * queries;
  }

  @Override
  public int batchSize() {
    return batchSize;
  }

  @Override
  public Batch trainingBatch(long step) {
    return draw(SyntheticSupport.trainingRandom(seed, step), batchSize);
  }

  @Override
  public String position(long step) {
    return SyntheticSupport.position(step);
  }

  @Override
  public List<Batch> validationBatches() {
    return validationBatches;
  }

  /**
   * {@code 2k + 2q - 2}: the longest a key can wait for its answer, from the first pair, at step 0,
   * to the last query, at step {@code 2k + 2q - 2}.
   */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(2 * pairs + 2 * queries - 2);
  }

  @Override
  public Metric metric() {
    return Metric.ACCURACY;
  }

  /** {@code 1/V}. */
  @Override
  public double baseline() {
    return 1.0 / values;
  }

  @Override
  public String baselineWords() {
    return "guesses one of the " + values + " values uniformly, without reading the pairs";
  }

  @Override
  public int difficulty() {
    return pairs;
  }

  @Override
  public String difficultyName() {
    return "k";
  }
}
