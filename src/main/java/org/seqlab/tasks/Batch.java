package org.seqlab.tasks;

import java.util.Objects;

/**
 * One minibatch of token sequences, time-major: {@code inputs[t*B + b]} is the token that sequence
 * {@code b} reads at step {@code t}, {@code targets[t*B + b]} the token it must predict there (or
 * {@link org.seqlab.nn.CrossEntropyLoss#IGNORE_INDEX} where nothing is asked).
 *
 * @param steps {@code T}, the length of the window
 * @param size {@code B}, the number of sequences
 * @param inputs {@code [T, B]} token ids
 * @param targets {@code [T, B]} token ids to predict
 * @param continuesPrevious true when sequence {@code b} of this batch is the continuation of
 *     sequence {@code b} of the previous batch (truncated BPTT over a stream): the model's state is
 *     carried over; false when every sequence starts afresh
 */
public record Batch(int steps, int size, int[] inputs, int[] targets, boolean continuesPrevious) {
  public Batch {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(targets, "targets");
    if (steps <= 0 || size <= 0) {
      throw new IllegalArgumentException("a batch needs T, B >= 1, got T=" + steps + ", B=" + size);
    }
    if (inputs.length != steps * size || targets.length != steps * size) {
      throw new IllegalArgumentException(
          "inputs and targets must hold T*B = " + steps * size + " ids each");
    }
  }

  /** The number of predicted tokens, {@code T*B}. */
  public int tokens() {
    return steps * size;
  }
}
