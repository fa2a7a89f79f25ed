package org.seqlab.experiments;

import java.util.Locale;

/**
 * Numbers with their units, as a person reads them: {@code 31.2k}, {@code 2m10s}. The one place
 * they are formatted: the engine's reports, the terminal and the sweep print through it.
 */
public final class Units {
  private Units() {}

  /** A count with a k or M suffix: {@code 950}, {@code 31.2k}, {@code 1.25M}. */
  public static String count(double n) {
    if (!Double.isFinite(n)) return "-";
    if (n >= 1e6) return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    if (n >= 1e3) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
    return String.format(Locale.ROOT, "%.0f", n);
  }

  /** A duration: {@code 4.2s}, {@code 2m10s}, {@code 1h05m}. */
  public static String duration(double seconds) {
    if (!Double.isFinite(seconds)) return "-";
    if (seconds < 60) return String.format(Locale.ROOT, "%.1fs", seconds);
    long s = Math.round(seconds);
    if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
