package org.seqlab.tasks;

import java.util.Objects;

/**
 * One minibatch of sequences, time-major. A batch reads either token ids or feature vectors, and
 * asks either for token ids (classification, cross entropy) or for real values (regression, mean
 * squared error):
 *
 * <ul>
 *   <li>{@code inputs[t*B + b]}: the token that sequence {@code b} reads at step {@code t}; or
 *       {@code features[(t*B + b)*F + f]}: feature {@code f} of that step ({@code [T, B, F]});
 *   <li>{@code targets[t*B + b]}: the token it must predict there, or {@link
 *       org.seqlab.nn.CrossEntropyLoss#IGNORE_INDEX} where nothing is asked; or {@code values[t*B +
 *       b]}: the number it must output there, or NaN where nothing is asked.
 * </ul>
 *
 * <p>Sequences of different lengths share a batch by padding after their end, where nothing is
 * asked: every model here is causal, so what follows a sequence's last asked step never reaches its
 * predictions.
 *
 * @param steps {@code T}, the length of the window
 * @param size {@code B}, the number of sequences
 * @param inputs {@code [T, B]} token ids, or null when the batch reads features
 * @param features {@code [T, B, F]} feature vectors, or null when the batch reads tokens
 * @param featureSize {@code F} (0 when the batch reads tokens)
 * @param targets {@code [T, B]} token ids to predict, or null when the batch asks for values
 * @param values {@code [T, B]} values to output, or null when the batch asks for tokens
 * @param continuesPrevious true when sequence {@code b} of this batch is the continuation of
 *     sequence {@code b} of the previous batch (truncated BPTT over a stream): the model's state is
 *     carried over; false when every sequence starts afresh
 */
public record Batch(
    int steps,
    int size,
    int[] inputs,
    float[] features,
    int featureSize,
    int[] targets,
    float[] values,
    boolean continuesPrevious) {
  public Batch {
    if (steps <= 0 || size <= 0) {
      throw new IllegalArgumentException("a batch needs T, B >= 1, got T=" + steps + ", B=" + size);
    }
    if ((inputs == null) == (features == null)) {
      throw new IllegalArgumentException("a batch reads either token ids or features, not both");
    }
    if ((targets == null) == (values == null)) {
      throw new IllegalArgumentException("a batch asks for either token ids or values, not both");
    }
    int cells = steps * size;
    if (inputs != null && (inputs.length != cells || featureSize != 0)) {
      throw new IllegalArgumentException("inputs must hold T*B = " + cells + " ids");
    }
    if (features != null && (featureSize <= 0 || features.length != (long) cells * featureSize)) {
      throw new IllegalArgumentException(
          "features must hold T*B*F = " + cells + "*" + featureSize + " values, F >= 1");
    }
    if (targets != null && targets.length != cells) {
      throw new IllegalArgumentException("targets must hold T*B = " + cells + " ids");
    }
    if (values != null && values.length != cells) {
      throw new IllegalArgumentException("values must hold T*B = " + cells + " numbers");
    }
  }

  /** Token ids in, token ids to predict. */
  public Batch(int steps, int size, int[] inputs, int[] targets, boolean continuesPrevious) {
    this(
        steps,
        size,
        Objects.requireNonNull(inputs, "inputs"),
        null,
        0,
        Objects.requireNonNull(targets, "targets"),
        null,
        continuesPrevious);
  }

  /** Feature vectors in, values to output; every sequence starts afresh. */
  public static Batch regression(
      int steps, int size, float[] features, int featureSize, float[] values) {
    return new Batch(
        steps,
        size,
        null,
        Objects.requireNonNull(features, "features"),
        featureSize,
        null,
        Objects.requireNonNull(values, "values"),
        false);
  }

  /** Whether the batch asks for values (regression) rather than token ids. */
  public boolean isRegression() {
    return values != null;
  }

  /** The number of steps read, {@code T*B}. */
  public int tokens() {
    return steps * size;
  }
}
