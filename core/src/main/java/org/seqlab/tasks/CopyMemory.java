package org.seqlab.tasks;

import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * The copy memory task (Hochreiter &amp; Schmidhuber 1997, in the form of Arjovsky, Shah &amp;
 * Bengio 2016): read 10 symbols, wait {@code T} steps, and on the delimiter's cue write the 10
 * symbols back in order. One sequence of delay {@code T = 4} (length {@code T + 20 = 24}):
 *
 * <pre>
 *   step     0 1 2 3 4 5 6 7 8 9  10 11 12  13  14 15 16 17 18 19 20 21 22 23
 *   input    3 1 8 8 2 5 7 1 4 6   0  0  0   9   0  0  0  0  0  0  0  0  0  0
 *   target   0 0 0 0 0 0 0 0 0 0   0  0  0   0   3  1  8  8  2  5  7  1  4  6
 * </pre>
 *
 * <p>Vocabulary of 10: {@value #BLANK} is the blank, 1 to 8 are the symbols, {@value #DELIMITER}
 * the delimiter. Steps {@code 0..9} hold 10 symbols drawn uniformly from 1..8, steps {@code
 * 10..T+8} are blank, step {@code T+9} is the delimiter and steps {@code T+10..T+19} are blank
 * again. Every step is asked: the target is the blank at steps {@code 0..T+9} and the 10 symbols,
 * in order, at steps {@code T+10..T+19}. Symbol {@code i} is read at step {@code i} and written at
 * step {@code T+10+i}: {@code T+10} steps later.
 *
 * <p>The score is the mean cross entropy per step, in nats. The baseline knows the layout but
 * remembers nothing: it answers the blank with certainty where the blank is due (0 nats, {@code
 * T+10} steps) and guesses uniformly among the 8 symbols where a symbol is due ({@code ln 8}, 10
 * steps), {@code 10 · ln 8 / (T+20)} nats per step on average. Only memory brings the loss below
 * it.
 */
public final class CopyMemory implements SyntheticTask {

  /** The longest delay allowed. */
  public static final int MAX_DELAY = 10_000;

  /** The blank: nothing to read, nothing to write. */
  public static final int BLANK = 0;

  /** The cue to write the symbols back. */
  public static final int DELIMITER = 9;

  /** The symbols are {@code 1..SYMBOLS}. */
  public static final int SYMBOLS = 8;

  /** The symbols to remember in every sequence. */
  public static final int SYMBOLS_TO_COPY = 10;

  private static final int VOCABULARY_SIZE = 10;

  private final int delay;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /**
   * @param delay {@code T}, the blanks between the last symbol read and the delimiter, plus one; in
   *     {@code [1, 10000]}
   * @param batchSize {@code B}, the sequences of a training batch (and at most of a validation one)
   * @param validationSize the sequences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sequence
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public CopyMemory(int delay, int batchSize, int validationSize, long seed) {
    SyntheticSupport.requireBetween("the delay", delay, 1, MAX_DELAY);
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    int steps = delay + 2 * SYMBOLS_TO_COPY;
    String advice = "use a smaller batch size, validation size or delay";
    // The logits of a batch, T*B*V, are the largest array a model builds from it.
    SyntheticSupport.requireFits("a training batch", steps, batchSize, VOCABULARY_SIZE, advice);
    SyntheticSupport.requireFits("the validation set", steps, validationSize, 1, advice);
    this.delay = delay;
    this.batchSize = batchSize;
    this.seed = seed;
    this.validationBatches =
        SyntheticSupport.validationSet(seed, validationSize, batchSize, this::draw);
  }

  /**
   * The baseline's cross entropy for delay {@code delay}: {@code 10 · ln 8 / (delay + 20)} nats per
   * step.
   */
  public static double baselineFor(int delay) {
    SyntheticSupport.requireBetween("the delay", delay, 1, MAX_DELAY);
    return SYMBOLS_TO_COPY * Math.log(SYMBOLS) / (delay + 2 * SYMBOLS_TO_COPY);
  }

  private Batch draw(SplittableRandom random, int sequences) {
    int steps = steps();
    // Arrays start as BLANK (0) everywhere: only the symbols and the delimiter need writing.
    int[] inputs = new int[steps * sequences];
    int[] targets = new int[steps * sequences];
    int recallStart = delay + SYMBOLS_TO_COPY;
    for (int b = 0; b < sequences; b++) {
      for (int i = 0; i < SYMBOLS_TO_COPY; i++) {
        int symbol = 1 + random.nextInt(SYMBOLS);
        inputs[i * sequences + b] = symbol;
        targets[(recallStart + i) * sequences + b] = symbol;
      }
      inputs[(recallStart - 1) * sequences + b] = DELIMITER;
    }
    return new Batch(steps, sequences, inputs, targets, false);
  }

  @Override
  public String name() {
    return "copy";
  }

  @Override
  public int vocabularySize() {
    return VOCABULARY_SIZE;
  }

  /** {@code T + 20}. */
  @Override
  public int steps() {
    return delay + 2 * SYMBOLS_TO_COPY;
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

  /** {@code T + 10}: symbol {@code i} is read at step {@code i} and written at {@code T+10+i}. */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(delay + SYMBOLS_TO_COPY);
  }

  @Override
  public Metric metric() {
    return Metric.LOSS;
  }

  /** {@link #baselineFor baselineFor(T)}. */
  @Override
  public double baseline() {
    return baselineFor(delay);
  }

  @Override
  public String baselineWords() {
    return "answers the blank until the delimiter's cue, then guesses one of the 8 symbols";
  }

  @Override
  public int difficulty() {
    return delay;
  }

  @Override
  public String difficultyName() {
    return "delay";
  }
}
