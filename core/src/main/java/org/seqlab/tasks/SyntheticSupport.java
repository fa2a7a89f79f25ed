package org.seqlab.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.seqlab.tensor.Tensor;

/**
 * What the synthetic tasks share: argument checks that say what is allowed, the seeded generators
 * of training steps and of the validation set, and the cutting of the validation set into batches.
 */
final class SyntheticSupport {
  private SyntheticSupport() {}

  // Odd constants (the golden ratio's and murmur3's), so that multiplying by them is a bijection
  // of the 64-bit integers: distinct (seed, step) keys of one seed stay distinct.
  private static final long SEED_SPREAD = 0x9E3779B97F4A7C15L;
  private static final long STEP_SPREAD = 0xC2B2AE3D27D4EB4FL;

  /** Draws {@code sequences} fresh sequences as one batch. */
  @FunctionalInterface
  interface Drawer {
    Batch draw(SplittableRandom random, int sequences);
  }

  /**
   * The generator of training step {@code step}: a pure function of {@code (seed, step)}, so that a
   * resumed run sees the batches it would have seen.
   */
  static SplittableRandom trainingRandom(long seed, long step) {
    if (step < 0) throw new IllegalArgumentException("the step must be >= 0, got " + step);
    return new SplittableRandom(scramble(seed * SEED_SPREAD + (step + 1) * STEP_SPREAD));
  }

  /**
   * The generator of the validation set: the key of "step -1". For a training step, {@code (step +
   * 1) * STEP_SPREAD} lies in {@code [1, 2^63]} times an odd number and is never 0 modulo 2^64, so
   * no training step of the same seed shares this key.
   */
  static SplittableRandom validationRandom(long seed) {
    return new SplittableRandom(scramble(seed * SEED_SPREAD));
  }

  /**
   * murmur3's finalizer, a bijection. SplittableRandom's streams from seeds {@code x} and {@code x
   * + γ} (its own increment) are the same stream shifted by one draw; scrambling the key first
   * makes such near neighbours as unlikely as for random keys.
   */
  private static long scramble(long key) {
    key = (key ^ (key >>> 33)) * 0xFF51AFD7ED558CCDL;
    key = (key ^ (key >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return key ^ (key >>> 33);
  }

  /**
   * {@code sequences} validation sequences drawn in order from {@link #validationRandom}, cut into
   * batches of at most {@code batchSize}; unmodifiable.
   */
  static List<Batch> validationSet(long seed, int sequences, int batchSize, Drawer drawer) {
    SplittableRandom random = validationRandom(seed);
    List<Batch> batches = new ArrayList<>((sequences + batchSize - 1) / batchSize);
    for (int drawn = 0; drawn < sequences; drawn += batchSize) {
      batches.add(drawer.draw(random, Math.min(batchSize, sequences - drawn)));
    }
    return List.copyOf(batches);
  }

  /** Where training step {@code step} reads: every batch is new, so only its number. */
  static String position(long step) {
    return "batch " + (step + 1) + " (fresh sequences)";
  }

  /** Refuses {@code value} outside {@code [min, max]}, naming the argument and the range. */
  static void requireBetween(String what, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          what + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  /** Refuses {@code value} below {@code min}, naming the argument and the bound. */
  static void requireAtLeast(String what, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(what + " must be at least " + min + ", got " + value);
    }
  }

  /**
   * Refuses an array of {@code steps * sequences * width} numbers beyond {@link
   * Tensor#MAX_ELEMENTS}, before anything that size is allocated.
   *
   * @param what the array, in words ({@code "a training batch"})
   * @param width the widest vector of one step: the features read or the logits produced
   * @param advice which knobs to turn down
   */
  static void requireFits(String what, long steps, long sequences, long width, String advice) {
    // Each factor is at most 2^31, so the product of the first two fits a long; the last is
    // checked.
    long cells = steps * sequences;
    if (cells > Tensor.MAX_ELEMENTS || cells * (double) width > Tensor.MAX_ELEMENTS) {
      throw new IllegalArgumentException(
          String.format(
              "%s of %d sequences of %d steps, %d numbers a step, would hold more than the %d"
                  + " numbers a tensor can; %s",
              what, sequences, steps, width, Tensor.MAX_ELEMENTS, advice));
    }
  }
}
