package org.seqlab.tasks;

import java.util.List;
import java.util.OptionalInt;

/**
 * A source of training and validation batches: a model reads token ids (or feature vectors) and
 * predicts token ids (or values). Everything is deterministic: {@link #trainingBatch} is a pure
 * function of the step, so the same seed gives the same batches on every run, and a resumed run
 * continues where it stopped.
 */
public interface SequenceTask {

  /** A short name, as in {@code config.json} ({@code char-lm}, ...). */
  String name();

  /**
   * The number of distinct token ids; inputs and targets lie in {@code [0, V)} (0 for a task that
   * reads features).
   */
  int vocabularySize();

  /** {@code F}, the width of a step's feature vector, for a task that reads features; else 0. */
  default int inputFeatures() {
    return 0;
  }

  /**
   * The width of the model's output at every step: the logits over the vocabulary, or 1 for a task
   * that asks for one value per step.
   */
  default int outputSize() {
    return vocabularySize();
  }

  /** {@code T}, the window of every training batch. */
  int steps();

  /** {@code B}, the sequences in every training batch. */
  int batchSize();

  /** The batch of training step {@code step} (0 for the first). */
  Batch trainingBatch(long step);

  /**
   * Where in the data training step {@code step} reads, in words a person understands ({@code
   * "epoch 3, window 17 of 245"}).
   */
  String position(long step);

  /**
   * The batches of one full validation pass, in order (with {@link Batch#continuesPrevious()}
   * telling where a stream goes on).
   */
  List<Batch> validationBatches();

  /**
   * The distance in steps over which the task's targets depend on its inputs, when the task knows
   * it (the delay of a copy task, say); empty for natural text. A truncated-BPTT window shorter
   * than this cannot carry the gradient that learning needs.
   */
  default OptionalInt dependencyDistance() {
    return OptionalInt.empty();
  }
}
