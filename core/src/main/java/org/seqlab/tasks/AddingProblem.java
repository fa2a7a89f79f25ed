package org.seqlab.tasks;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * The adding problem (Hochreiter &amp; Schmidhuber 1997, in the form of Arjovsky, Shah &amp; Bengio
 * 2016): read {@code T} pairs (value, marker) and output, at the last step, the sum of the two
 * marked values. One sequence of {@code T = 8}:
 *
 * <pre>
 *   step t     0     1     2     3     4     5     6     7
 *   value      0.31  0.77  0.05  0.62  0.90  0.14  0.48  0.26
 *   marker     0     1     0     0     0     0     1     0
 *   target     -     -     -     -     -     -     -     1.25   (0.77 + 0.48)
 * </pre>
 *
 * <p>Feature 0 of every step is a value drawn from {@code U[0, 1)}; feature 1 is a marker, 1 at
 * exactly one step of the first half {@code [0, T/2)} and at exactly one step of the second half
 * {@code [T/2, T)}, 0 elsewhere. The batch is a regression batch: {@code features[(t*B + b)*2 +
 * f]}, and {@code values[t*B + b]} is the sum at {@code t = T-1} and NaN (nothing asked) at every
 * other step. The first marker may sit at step 0, so the answer can depend on an input {@code T}
 * steps back.
 *
 * <p>The score is the mean squared error. The baseline always answers 1, the mean of the sum of two
 * independent {@code U[0, 1)} values; its error is the variance of that sum, {@code 2 · 1/12 = 1/6
 * ≈ 0.167}. A model below it has learned to find and keep the marked values.
 */
public final class AddingProblem implements SyntheticTask {

  /** The longest sequence allowed. */
  public static final int MAX_LENGTH = 10_000;

  private static final int FEATURES = 2;
  private static final int VALUE = 0;
  private static final int MARKER = 1;

  private final int length;
  private final int batchSize;
  private final long seed;
  private final List<Batch> validationBatches;

  /**
   * @param length {@code T}, the steps of every sequence, in {@code [2, 10000]}
   * @param batchSize {@code B}, the sequences of a training batch (and at most of a validation one)
   * @param validationSize the sequences of the validation set (callers use {@value
   *     SyntheticTask#DEFAULT_VALIDATION_SIZE})
   * @param seed draws every sequence
   * @throws IllegalArgumentException for an argument out of its range, or a batch too large for a
   *     tensor
   */
  public AddingProblem(int length, int batchSize, int validationSize, long seed) {
    SyntheticSupport.requireBetween("the length", length, 2, MAX_LENGTH);
    SyntheticSupport.requireAtLeast("the batch size", batchSize, 1);
    SyntheticSupport.requireAtLeast("the validation size", validationSize, 1);
    String advice = "use a smaller batch size, validation size or length";
    SyntheticSupport.requireFits("a training batch", length, batchSize, FEATURES, advice);
    SyntheticSupport.requireFits("the validation set", length, validationSize, FEATURES, advice);
    this.length = length;
    this.batchSize = batchSize;
    this.seed = seed;
    this.validationBatches =
        SyntheticSupport.validationSet(seed, validationSize, batchSize, this::draw);
  }

  private Batch draw(SplittableRandom random, int sequences) {
    float[] features = new float[length * sequences * FEATURES];
    float[] values = new float[length * sequences];
    Arrays.fill(values, Float.NaN);
    int half = length / 2;
    for (int b = 0; b < sequences; b++) {
      for (int t = 0; t < length; t++) {
        features[(t * sequences + b) * FEATURES + VALUE] = random.nextFloat();
      }
      int first = random.nextInt(half);
      int second = half + random.nextInt(length - half);
      features[(first * sequences + b) * FEATURES + MARKER] = 1;
      features[(second * sequences + b) * FEATURES + MARKER] = 1;
      values[(length - 1) * sequences + b] =
          features[(first * sequences + b) * FEATURES + VALUE]
              + features[(second * sequences + b) * FEATURES + VALUE];
    }
    return Batch.regression(length, sequences, features, FEATURES, values);
  }

  @Override
  public String name() {
    return "adding";
  }

  @Override
  public int vocabularySize() {
    return 0;
  }

  @Override
  public int inputFeatures() {
    return FEATURES;
  }

  @Override
  public int outputSize() {
    return 1;
  }

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

  /** {@code T}: the first marker may sit at step 0 and the answer is asked at step {@code T-1}. */
  @Override
  public OptionalInt dependencyDistance() {
    return OptionalInt.of(length);
  }

  @Override
  public Metric metric() {
    return Metric.LOSS;
  }

  /** {@code 1/6}, the variance of the sum of two independent {@code U[0, 1)} values. */
  @Override
  public double baseline() {
    return 1.0 / 6;
  }

  @Override
  public String baselineWords() {
    return "always answers 1, the mean of the sum";
  }

  @Override
  public int difficulty() {
    return length;
  }

  @Override
  public String difficultyName() {
    return "length";
  }
}
