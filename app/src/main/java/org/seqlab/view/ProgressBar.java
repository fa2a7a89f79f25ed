package org.seqlab.view;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on the terminal's error stream: {@code forward [██████······] 52% 3.1 s}.
 * It draws only after the work has run for a moment, so quick runs print nothing, and redraws at
 * most ten times a second. Phases ({@code forward}, {@code backward}) share one bar each.
 */
public final class ProgressBar implements AutoCloseable {
  private static final long QUIET_NANOS = 700_000_000L;
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final boolean enabled;
  private final long start = System.nanoTime();
  private long lastDraw;
  private boolean drawn;
  private String phase = "";

  /**
   * @param enabled false to print nothing (output piped to a file, tests)
   */
  public ProgressBar(PrintWriter err, boolean enabled) {
    this.err = err;
    this.enabled = enabled;
  }

  /**
   * True when standard error is a terminal a person is watching, as the {@code seqlab} launcher
   * tells through the system property {@code seqlab.stderr.terminal} (Java cannot ask the operating
   * system about one stream alone).
   */
  public static boolean interactive() {
    return Boolean.getBoolean("seqlab.stderr.terminal");
  }

  /** Reports {@code fraction} (0 to 1) of {@code phase} done. */
  public void update(String phase, double fraction) {
    if (!enabled) return;
    long now = System.nanoTime();
    boolean newPhase = !phase.equals(this.phase);
    if (now - start < QUIET_NANOS || (!newPhase && now - lastDraw < REDRAW_NANOS && fraction < 1))
      return;
    this.phase = phase;
    lastDraw = now;
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
    err.printf(
        Locale.ROOT,
        "\r%-9s [%s%s] %3d%%  %.1f s ",
        phase,
        "█".repeat(filled),
        "·".repeat(WIDTH - filled),
        Math.round(fraction * 100),
        (now - start) / 1e9);
    err.flush();
    drawn = true;
  }

  /** Clears the bar's line, so the results print on a clean screen. */
  @Override
  public void close() {
    if (drawn) {
      err.print("\r" + " ".repeat(WIDTH + 30) + "\r");
      err.flush();
    }
  }
}
