package org.seqlab.experiments;

import java.util.Locale;

/**
 * The one table of limits on a run's settings: for each, the option that sets it and the range
 * every face accepts. {@code train}, {@code run}, {@code sweep}, the lab and its JSON API check a
 * value through this table, so the same bad value gets the same refusal everywhere. A face with
 * tighter ranges (the lab, whose runs share a machine with a browser) narrows a row with {@link
 * #narrowed}; it never defines a range of its own.
 */
public enum Limits {
  HIDDEN("--hidden", 1, 8192),
  LAYERS("--layers", 1, 32),
  EMBEDDING("--embedding", 1, 8192),
  HEADS("--heads", 1, 1024),
  FEED_FORWARD("--ff", 1, 65_536),
  BATCH("--batch", 1, 4096),
  SEQ_LEN("--seq-len", 1, 10_000),
  DISTANCE("--distance", 1, 10_000),
  STEPS("--steps", 1, 10_000_000),
  MAX_STEPS("--max-steps", 0, 1_000_000_000L),
  VALIDATE_EVERY("--val-every", 0, Integer.MAX_VALUE),
  PATIENCE("--patience", 0, 1_000_000),
  CHECKPOINT_EVERY("--checkpoint-every", 0, Integer.MAX_VALUE),
  WARMUP("--warmup", 0, 100_000_000),
  THREADS("--threads", 1, 256),
  SEED("--seed", 0, Long.MAX_VALUE);

  private final String option;
  private final long min;
  private final long max;

  Limits(String option, long min, long max) {
    this.option = option;
    this.min = min;
    this.max = max;
  }

  /** The command-line option that sets the value: {@code --hidden}. */
  public String option() {
    return option;
  }

  public long min() {
    return min;
  }

  public long max() {
    return max;
  }

  /**
   * Returns {@code value} if it lies in the range.
   *
   * @throws IllegalArgumentException "--hidden must be in [1, 8192], got 9000"
   */
  public int check(long value) {
    return (int) Math.min(Integer.MAX_VALUE, range().check(value));
  }

  /** {@link #check} for values that may exceed an {@code int}. */
  public long checkLong(long value) {
    return range().check(value);
  }

  /** The whole range. */
  public Range range() {
    return new Range(option, min, max);
  }

  /**
   * The range narrowed to {@code [min, max]}, for a face that accepts less.
   *
   * @throws IllegalArgumentException if the narrowed range is not inside the table's
   */
  public Range narrowed(long min, long max) {
    if (min < this.min || max > this.max || min > max) {
      throw new IllegalArgumentException(
          option
              + ": ["
              + min
              + ", "
              + max
              + "] is not inside ["
              + this.min
              + ", "
              + this.max
              + "]");
    }
    return new Range(option, min, max);
  }

  /** An integer range of an option, and the one sentence that refuses a value outside it. */
  public record Range(String option, long min, long max) {
    public long check(long value) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            String.format(Locale.ROOT, "%s must be in [%d, %d], got %d", option, min, max, value));
      }
      return value;
    }
  }

  // Real-valued settings: their ranges, checked by the same words.

  /** The learning rate: {@code (0, 10]}. */
  public static double checkLearningRate(double lr) {
    if (!(lr > 0 && lr <= 10)) {
      throw new IllegalArgumentException("--lr must be in (0, 10], got " + lr);
    }
    return lr;
  }

  /** The clipping threshold: {@code [0, 1e6]}, 0 for no clipping. */
  public static double checkClip(double clip) {
    if (!(clip >= 0 && clip <= 1e6)) {
      throw new IllegalArgumentException("--clip must be in [0, 1e6] (0: off), got " + clip);
    }
    return clip;
  }

  /** Dropout: {@code [0, 1)}. */
  public static double checkDropout(double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("--dropout must be in [0, 1), got " + p);
    }
    return p;
  }

  /** The spectral radius of {@code W_hh} at initialisation: {@code (0, 100]}. */
  public static double checkSpectralRadius(double radius) {
    if (!(radius > 0 && radius <= 100)) {
      throw new IllegalArgumentException("--spectral-radius must be in (0, 100], got " + radius);
    }
    return radius;
  }

  /** The forget gate's bias at initialisation: {@code [-20, 20]}. */
  public static double checkForgetBias(double bias) {
    if (!(bias >= -20 && bias <= 20)) {
      throw new IllegalArgumentException("--forget-bias must be in [-20, 20], got " + bias);
    }
    return bias;
  }
}
