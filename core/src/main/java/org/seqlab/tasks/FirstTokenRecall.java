package org.seqlab.tasks;

import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.seqlab.nn.CrossEntropyLoss;

/**
 * First-token recall: read a random sequence and, at every position after the first, answer the
 * token at position 1. One sequence of length {@code T = 6} (positions counted from 1, {@code -}
 * where nothing is asked):
 *
 * <pre>
 *   position  1  2  3  4  5  6
 *   input     5  2  7  2  0  3
 *   target    -  5  5  5  5  5
 * </pre>
 *
 * <p>Every token is drawn uniformly and independently from {@code 0..V-1}. Positions {@code 2..T}
 * are asked, each for the token at position 1; position 1 is not ({@link
 * CrossEntropyLoss#IGNORE_INDEX}): there the answer is the token being read, nothing to remember.
 * Position {@code t} asks for a token read {@code t-1} steps before, so the farthest answer lies
 * {@code T-1} steps back.
 *
 * <p>A recurrent network must carry the first token through every step; attention can fetch it in
 * one step from any distance, and a Transformer that has learned the task shows a head whose
 * weights form a bright column at position 1.
 *
 * <p>The score is the accuracy over the asked positions. The baseline guesses a token: the first
 * token is independent of every token after it, so without remembering it nothing is right more
 * often than once in {@code V}.
 */
public final class FirstTokenRecall implements SyntheticTask {

  /** The vocabulary when none is given. */
  public static final int DEFAULT_VOCABULARY = 8;

  /** The longest sequence allowed. */
  public static final int MAX_LENGTH = 10_000;

  /** The largest vocabulary allowed. */
  public static final int MAX_VOCABULARY = 1 << 16;

  private final int length;
  private final int vocabulary;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /** A task over {@value #DEFAULT_VOCABULARY} tokens. */
  public FirstTokenRecall(int length, int batchSize, int validationSize, long seed) {
    this(length, batchSize, validationSize, seed, DEFAULT_VOCABULARY);
  }

  /**
   * @param length {@code T}, the tokens of every sequence, in {@code [2, 10000]}
   * @param batchSize {@code B}, the sequences of a training batch (and at most of a validation one)
   * @param validationSize the sequences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sequence
   * @param vocabulary {@code V}, the tokens to draw from, in {@code [2, 65536]}
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public FirstTokenRecall(
      int length, int batchSize, int validationSize, long seed, int vocabulary) {
    SyntheticSupport.requireBetween("the length", length, 2, MAX_LENGTH);
    SyntheticSupport.requireBetween("the vocabulary", vocabulary, 2, MAX_VOCABULARY);
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    String advice = "use a smaller batch size, validation size, length or vocabulary";
    // The logits of a batch, T*B*V, are the largest array a model builds from it.
    SyntheticSupport.requireFits("a training batch", length, batchSize, vocabulary, advice);
    SyntheticSupport.requireFits("the validation set", length, validationSize, 1, advice);
    this.length = length;
    this.vocabulary = vocabulary;
    this.batchSize = batchSize;
    this.seed = seed;
    this.validationBatches =
        SyntheticSupport.validationSet(seed, validationSize, batchSize, this::draw);
  }

  private Batch draw(SplittableRandom random, int sequences) {
    int[] inputs = new int[length * sequences];
    int[] targets = new int[length * sequences];
    for (int b = 0; b < sequences; b++) {
      for (int t = 0; t < length; t++) inputs[t * sequences + b] = random.nextInt(vocabulary);
      targets[b] = CrossEntropyLoss.IGNORE_INDEX;
      for (int t = 1; t < length; t++) targets[t * sequences + b] = inputs[b];
    }
    return new Batch(length, sequences, inputs, targets, false);
  }

  @Override
  public String name() {
    return "first-token";
  }

  @Override
  public int vocabularySize() {
    return vocabulary;
  }

  /** {@code T}. */
  @Override
  public int steps() {
    return length;
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

  /** {@code T-1}: position {@code T} asks for the token read at position 1. */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(length - 1);
  }

  @Override
  public Metric metric() {
    return Metric.ACCURACY;
  }

  /** {@code 1/V}: the first token is uniform and independent of the tokens after it. */
  @Override
  public double baseline() {
    return 1.0 / vocabulary;
  }

  @Override
  public String baselineWords() {
    return "guesses one of the " + vocabulary + " tokens: right once in " + vocabulary;
  }

  /** {@code T}: the last answer lies {@code T-1} steps back. */
  @Override
  public int difficulty() {
    return length;
  }

  @Override
  public String difficultyName() {
    return "length";
  }
}
