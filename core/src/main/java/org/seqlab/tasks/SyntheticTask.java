package org.seqlab.tasks;

/**
 * A task made up from a seed, built to measure one ability of a model (memory over a distance,
 * recall of one of many pairs, ...), with a difficulty knob and a trivial baseline to compare the
 * model's score with. A model that only matches the baseline has learned nothing of what the task
 * asks for.
 *
 * <p>Every synthetic task draws its training batch of step {@code s} from a generator seeded by
 * {@code (seed, s)} alone, and its validation set once, in the constructor, from a generator seeded
 * by {@code seed} in a way no training step is; every sequence starts afresh ({@link
 * Batch#continuesPrevious()} is false).
 */
public interface SyntheticTask extends SequenceTask {

  /** The number of validation sequences callers use when they are not told otherwise. */
  int DEFAULT_VALIDATION_SIZE = 512;

  /** Which validation figure is the task's score. */
  enum Metric {
    /** The share of asked tokens predicted right: higher is better. */
    ACCURACY,
    /** Nats per asked step, or the mean squared error: lower is better. */
    LOSS
  }

  /** Which validation figure is the task's score. */
  Metric metric();

  /** The score of the trivial baseline, in the metric's units. */
  double baseline();

  /**
   * What the baseline does, in words ({@code "always answers 1"}, {@code "guesses one of the k
   * values it saw"}, ...).
   */
  String baselineWords();

  /** The difficulty knob's value (a distance, a delay, a number of pairs). */
  int difficulty();

  /** The difficulty knob's name ({@code "distance"}, {@code "delay"}, {@code "k"}, ...). */
  String difficultyName();
}
