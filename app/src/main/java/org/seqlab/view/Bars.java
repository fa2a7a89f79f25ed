package org.seqlab.view;

/** Horizontal bars of block characters for terminal plots. */
public final class Bars {
  private Bars() {}

  private static final char FULL = '█';

  /**
   * A bar whose length is logarithmic in {@code value}: {@code width} blocks at {@code max}, one
   * block fewer for every {@code decades/width} powers of ten below it, none at or below {@code max
   * * 10^-decades}. A gradient that falls by a factor 10^6 then loses half of a 12-decade bar, so
   * exponential decay draws a straight slope.
   */
  public static String logBar(double value, double max, double decades, int width) {
    if (!(value > 0) || !(max > 0)) return "";
    double fraction = 1 + Math.log10(value / max) / decades;
    return repeat(fraction, width);
  }

  /** A bar {@code width * value / max} blocks long, capped at {@code width}. */
  public static String linearBar(double value, double max, int width) {
    if (!(value > 0) || !(max > 0)) return "";
    return repeat(value / max, width);
  }

  private static String repeat(double fraction, int width) {
    int n = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
    return String.valueOf(FULL).repeat(n);
  }
}
