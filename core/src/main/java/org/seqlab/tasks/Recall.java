package org.seqlab.tasks;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.seqlab.nn.CrossEntropyLoss;

/**
 * Associative recall, a probe of memory capacity: read {@code k} key–value pairs, then a query key,
 * and answer the value that was paired with it. One sequence of {@code k = 3} (keys {@code Kn},
 * values {@code Vn}, the query token {@code ?}):
 *
 * <pre>
 *   step     0   1   2   3   4   5   6   7
 *   input    K7  V2  K1  V9  K4  V5  ?   K1
 *   target   -   -   -   -   -   -   -   V9
 * </pre>
 *
 * <p>The vocabulary holds {@code pool} key tokens (ids {@code 0..pool-1}), {@code pool} value
 * tokens (ids {@code pool..2·pool-1}) and the query token (id {@code 2·pool}). A sequence is {@code
 * key_1 value_1 ... key_k value_k QUERY key_q}, {@code 2k+2} steps long: the {@code k} keys are
 * distinct, the {@code k} values are distinct, both drawn uniformly from the pool, and {@code q} is
 * uniform in {@code 1..k}. Only the last step is asked: its target is {@code value_q}; every other
 * target is {@link CrossEntropyLoss#IGNORE_INDEX}. The first pair is read {@code 2k+1} steps before
 * the answer.
 *
 * <p>In the {@link Layout#PAIRED} layout each pair is one token, {@code (key, value)}, and the
 * query is the key alone: {@code pair_1 ... pair_k key_q}, {@code k+1} steps, with {@code pool²}
 * pair tokens (ids {@code key·pool + value}), then {@code pool} key tokens and {@code pool} value
 * tokens (the targets). A recurrent model must still hold all {@code k} pairs in its state before
 * the query comes; attention can match the query key against every pair token in one step, without
 * first learning to link each value to the key before it (which a Transformer learns only after a
 * long, seed-dependent plateau).
 *
 * <p>The score is the accuracy. The baseline remembers which values it saw but not which key each
 * went with, and guesses one of them: right once in {@code k}, because the values are distinct. A
 * model of fixed-size state that cannot hold {@code k} pairs falls towards that baseline as {@code
 * k} grows.
 */
public final class Recall implements SyntheticTask {

  /** The pool of keys and of values when none is given. */
  public static final int DEFAULT_POOL = 32;

  /** The largest pool allowed. */
  public static final int MAX_POOL = 256;

  /** How a sequence lays out its pairs. */
  public enum Layout {
    /** A key token, then its value token: {@code 2k+2} steps. */
    SEPARATE,
    /** One token per pair, then the query key: {@code k+1} steps. */
    PAIRED
  }

  private final int pairs;
  private final int pool;
  private final Layout layout;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /** {@link #Recall(int, int, int, long, int)} with a pool of {@value #DEFAULT_POOL}. */
  public Recall(int pairs, int batchSize, int validationSize, long seed) {
    this(pairs, batchSize, validationSize, seed, DEFAULT_POOL);
  }

  /**
   * @param pairs {@code k}, the key–value pairs of every sequence, in {@code [1, pool]}
   * @param batchSize {@code B}, the sequences of a training batch (and at most of a validation one)
   * @param validationSize the sequences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sequence
   * @param pool the key tokens, and the value tokens, to draw from, in {@code [2, 256]}
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public Recall(int pairs, int batchSize, int validationSize, long seed, int pool) {
    this(pairs, batchSize, validationSize, seed, pool, Layout.SEPARATE);
  }

  /**
   * As {@link #Recall(int, int, int, long, int)}, in the given layout.
   *
   * @param layout separate key and value tokens, or one token per pair
   */
  public Recall(int pairs, int batchSize, int validationSize, long seed, int pool, Layout layout) {
    this.layout = java.util.Objects.requireNonNull(layout, "layout");
    SyntheticSupport.requireBetween("the pool", pool, 2, MAX_POOL);
    // Keys are distinct within a sequence, so there cannot be more pairs than keys.
    if (pairs < 1 || pairs > pool) {
      throw new IllegalArgumentException(
          "k, the number of pairs, must be between 1 and the pool size " + pool + ", got " + pairs);
    }
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    int steps = layout == Layout.PAIRED ? pairs + 1 : 2 * pairs + 2;
    int vocabulary = layout == Layout.PAIRED ? pool * pool + 2 * pool : 2 * pool + 1;
    String advice = "use a smaller batch size, validation size, pool or k";
    // The logits of a batch, T*B*V, are the largest array a model builds from it.
    SyntheticSupport.requireFits("a training batch", steps, batchSize, vocabulary, advice);
    SyntheticSupport.requireFits("the validation set", steps, validationSize, 1, advice);
    this.pairs = pairs;
    this.pool = pool;
    this.batchSize = batchSize;
    this.seed = seed;
    this.validationBatches =
        SyntheticSupport.validationSet(seed, validationSize, batchSize, this::draw);
  }

  /** The pool of keys, and of values. */
  public int pool() {
    return pool;
  }

  public Layout layout() {
    return layout;
  }

  /** The token of key {@code i}, {@code 0 <= i < pool}, as the query reads it. */
  public int keyToken(int i) {
    return layout == Layout.PAIRED ? pool * pool + i : i;
  }

  /** The token of value {@code i}, {@code 0 <= i < pool}, as the answer names it. */
  public int valueToken(int i) {
    return layout == Layout.PAIRED ? pool * pool + pool + i : pool + i;
  }

  /** {@link Layout#PAIRED}: the token of the pair (key {@code k}, value {@code v}). */
  public int pairToken(int k, int v) {
    if (layout != Layout.PAIRED)
      throw new IllegalStateException("pairs are one token only when PAIRED");
    return k * pool + v;
  }

  /** {@link Layout#SEPARATE}: the token that announces the query key. */
  public int queryToken() {
    if (layout != Layout.SEPARATE)
      throw new IllegalStateException("a PAIRED sequence has no query token");
    return 2 * pool;
  }

  private Batch draw(SplittableRandom random, int sequences) {
    int steps = steps();
    int[] inputs = new int[steps * sequences];
    int[] targets = new int[steps * sequences];
    Arrays.fill(targets, CrossEntropyLoss.IGNORE_INDEX);
    int[] keys = new int[pool];
    int[] values = new int[pool];
    for (int b = 0; b < sequences; b++) {
      drawDistinct(random, keys);
      drawDistinct(random, values);
      if (layout == Layout.PAIRED) {
        for (int i = 0; i < pairs; i++) inputs[i * sequences + b] = pairToken(keys[i], values[i]);
        int asked = random.nextInt(pairs);
        inputs[pairs * sequences + b] = keyToken(keys[asked]);
        targets[pairs * sequences + b] = valueToken(values[asked]);
        continue;
      }
      for (int i = 0; i < pairs; i++) {
        inputs[(2 * i) * sequences + b] = keyToken(keys[i]);
        inputs[(2 * i + 1) * sequences + b] = valueToken(values[i]);
      }
      int asked = random.nextInt(pairs);
      inputs[(2 * pairs) * sequences + b] = queryToken();
      inputs[(2 * pairs + 1) * sequences + b] = keyToken(keys[asked]);
      targets[(2 * pairs + 1) * sequences + b] = valueToken(values[asked]);
    }
    return new Batch(steps, sequences, inputs, targets, false);
  }

  /** Leaves {@code k} distinct draws from {@code 0..pool-1} in {@code drawn[0..k)}. */
  private void drawDistinct(SplittableRandom random, int[] drawn) {
    // A partial Fisher–Yates shuffle of 0..pool-1: each prefix is a uniform draw without repeats.
    for (int i = 0; i < pool; i++) drawn[i] = i;
    for (int i = 0; i < pairs; i++) {
      int j = i + random.nextInt(pool - i);
      int swap = drawn[i];
      drawn[i] = drawn[j];
      drawn[j] = swap;
    }
  }

  @Override
  public String name() {
    return "recall";
  }

  /**
   * {@code 2·pool + 1}: the keys, the values and the query token; PAIRED: {@code pool² + 2·pool},
   * the pairs, the keys and the values.
   */
  @Override
  public int vocabularySize() {
    return layout == Layout.PAIRED ? pool * pool + 2 * pool : 2 * pool + 1;
  }

  /** {@code 2k + 2}; PAIRED: {@code k + 1}. */
  @Override
  public int steps() {
    return layout == Layout.PAIRED ? pairs + 1 : 2 * pairs + 2;
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
   * {@code 2k + 1}: from the first key, at step 0, to the answer, at step {@code 2k+1}; PAIRED:
   * {@code k}.
   */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(layout == Layout.PAIRED ? pairs : 2 * pairs + 1);
  }

  @Override
  public Metric metric() {
    return Metric.ACCURACY;
  }

  /** {@code 1/k}. */
  @Override
  public double baseline() {
    return 1.0 / pairs;
  }

  @Override
  public String baselineWords() {
    return "guesses one of the " + pairs + " values it saw";
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
