package org.seqlab.experiments;

import java.util.Locale;

/**
 * The one table of limits on a run's settings: for each, the option that sets it and the range
 * every face accepts. {@code train}, {@code run}, {@code sweep}, the lab and its JSON API check a
 * value through this table, so the same bad value gets the same refusal everywhere. A face with
 * tighter ranges (the lab, whose runs share a machine with a browser; a sweep, whose runs must
 * validate) narrows a row with {@link #narrowed}; it never defines a range of its own. Real-valued
 * settings (the learning rate, clipping, ...) are the rows of {@link Real}, in the same style.
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
  /**
   * Any 64-bit number: a sweep's runs derive theirs from its base seed and their seed index, over
   * all 64 bits, and a run of {@code train} takes the same ones.
   */
  SEED("--seed", Long.MIN_VALUE, Long.MAX_VALUE),
  /** A synthetic task's validation sequences. */
  VALIDATION("--validation", 1, 1_000_000),
  /** A sweep's seeds per point. */
  SEEDS("--seeds", 1, 100),
  /** The parameter count a sweep matches its models to. */
  PARAMS("--params", 100, 100_000_000),
  /** A sweep's runs side by side. */
  JOBS("--jobs", 1, 1024),
  /** The time steps {@code seqlab gradients} unrolls (not training steps). */
  GRADIENT_FLOW_STEPS("--steps", 1, 1_000_000),
  /** The input width of {@code seqlab gradients}' recurrent layer. */
  GRADIENT_FLOW_INPUT("--input", 1, 1_000_000);

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
    return new Range(option, min, max, this);
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
    return new Range(option, min, max, this);
  }

  /**
   * An integer range of an option, and the one sentence that refuses a value outside it.
   *
   * @param row the row of the table it is (or narrows)
   */
  public record Range(String option, long min, long max, Limits row) {
    public long check(long value) {
      if (!contains(value)) throw new IllegalArgumentException(refusal(value));
      return value;
    }

    public boolean contains(long value) {
      return value >= min && value <= max;
    }

    /** "--hidden must be in [1, 8192], got 9000". */
    public String refusal(long value) {
      return String.format(Locale.ROOT, "%s must be in [%d, %d], got %d", option, min, max, value);
    }

    /** The same range for an option that gives several values ({@code --distances}). */
    public Range named(String listOption) {
      return new Range(listOption, min, max, row);
    }

    /**
     * This range narrowed to {@code [min, max]}, for a face that accepts less (the lab's range of a
     * task's knob, inside the task's own).
     *
     * @throws IllegalArgumentException if the narrowed range is not inside this one
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
      return new Range(option, min, max, row);
    }
  }

  /**
   * The real-valued settings: each an interval, closed or open at either end, and the one sentence
   * that refuses a value outside it ("--lr must be in (0, 10], got 20.0").
   */
  public enum Real {
    LEARNING_RATE("--lr", 0, false, 10, true, ""),
    CLIP("--clip", 0, true, 1e6, true, " (0: off)"),
    DROPOUT("--dropout", 0, true, 1, false, ""),
    SPECTRAL_RADIUS("--spectral-radius", 0, false, 100, true, ""),
    FORGET_BIAS("--forget-bias", -20, true, 20, true, ""),
    /** The score at which a run stops early: an accuracy, or a loss. */
    GOAL("--goal", 0, true, 1e6, true, " (0: never)");

    private final RealRange range;

    Real(String option, double min, boolean minIn, double max, boolean maxIn, String note) {
      this.range = new RealRange(option, min, minIn, max, maxIn, note, this);
    }

    public String option() {
      return range.option();
    }

    public RealRange range() {
      return range;
    }

    /**
     * Returns {@code value} if it lies in the range.
     *
     * @throws IllegalArgumentException "--lr must be in (0, 10], got 20.0"
     */
    public double check(double value) {
      return range.check(value);
    }

    /**
     * The range narrowed to the closed {@code [min, max]}, for a face that accepts less.
     *
     * @throws IllegalArgumentException if the narrowed range is not inside the table's
     */
    public RealRange narrowed(double min, double max) {
      if (!range.contains(min) || !range.contains(max) || min > max) {
        throw new IllegalArgumentException(
            option() + ": [" + min + ", " + max + "] is not inside " + range.interval());
      }
      return new RealRange(range.option(), min, true, max, true, range.note(), this);
    }
  }

  /**
   * A real interval of an option.
   *
   * @param minIn whether {@code min} itself is allowed
   * @param maxIn whether {@code max} itself is allowed
   * @param note what a special value means, after the interval: " (0: off)"
   * @param row the row of the table it is (or narrows)
   */
  public record RealRange(
      String option, double min, boolean minIn, double max, boolean maxIn, String note, Real row) {

    public double check(double value) {
      if (!contains(value)) throw new IllegalArgumentException(refusal(value));
      return value;
    }

    public boolean contains(double value) {
      return (minIn ? value >= min : value > min) && (maxIn ? value <= max : value < max);
    }

    /** "--clip must be in [0, 1e6] (0: off), got 2000000.0". */
    public String refusal(double value) {
      return option + " must be in " + interval() + note + ", got " + value;
    }

    /** The same range for an option that gives several values ({@code --forget-biases}). */
    public RealRange named(String listOption) {
      return new RealRange(listOption, min, minIn, max, maxIn, note, row);
    }

    /** "(0, 10]". */
    public String interval() {
      return (minIn ? "[" : "(") + bound(min) + ", " + bound(max) + (maxIn ? "]" : ")");
    }

    private static String bound(double v) {
      if (v == Math.rint(v) && Math.abs(v) < 1e5) return Long.toString((long) v);
      double exponent = Math.log10(Math.abs(v));
      if (exponent == Math.rint(exponent)) return (v < 0 ? "-" : "") + "1e" + (long) exponent;
      return Double.toString(v);
    }
  }

  /** The learning rate: {@code (0, 10]}. */
  public static double checkLearningRate(double lr) {
    return Real.LEARNING_RATE.check(lr);
  }

  /** The clipping threshold: {@code [0, 1e6]}, 0 for no clipping. */
  public static double checkClip(double clip) {
    return Real.CLIP.check(clip);
  }

  /** Dropout: {@code [0, 1)}. */
  public static double checkDropout(double p) {
    return Real.DROPOUT.check(p);
  }

  /** The spectral radius of {@code W_hh} at initialisation: {@code (0, 100]}. */
  public static double checkSpectralRadius(double radius) {
    return Real.SPECTRAL_RADIUS.check(radius);
  }

  /** The forget gate's bias at initialisation: {@code [-20, 20]}. */
  public static double checkForgetBias(double bias) {
    return Real.FORGET_BIAS.check(bias);
  }

  /** The goal score: {@code [0, 1e6]}, 0 for none. */
  public static double checkGoal(double goal) {
    return Real.GOAL.check(goal);
  }
}
