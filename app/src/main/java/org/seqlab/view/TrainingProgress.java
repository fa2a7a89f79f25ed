package org.seqlab.view;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.seqlab.train.StepReport;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;
import org.seqlab.train.ValidationReport;

/**
 * What a person sees while a model trains: a table row at every validation on standard output, and,
 * when a person is watching standard error, a live line redrawn up to ten times a second:
 *
 * <pre>
 *   step 1234/5000 [███████·······················] 25%  loss 1.623  val 1.580  31.2k tok/s  2m10s
 * </pre>
 */
public final class TrainingProgress implements TrainingListener {
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int WIDTH = 24;

  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean live;
  private final long maxSteps;
  private final double timeLimitSeconds;
  private long lastDraw;
  private boolean drawn;
  private final boolean showAccuracy;
  private double lastValidation = Double.NaN;
  private double smoothedLoss = Double.NaN;
  private double smoothedRate = Double.NaN;
  private double learningRate = Double.NaN;

  /**
   * @param live draw the live line on {@code err} (a person is watching)
   * @param maxSteps the step limit (0: none)
   * @param timeLimitSeconds the time limit (0: none)
   */
  public TrainingProgress(
      PrintWriter out, PrintWriter err, boolean live, long maxSteps, double timeLimitSeconds) {
    this(out, err, live, maxSteps, timeLimitSeconds, false);
  }

  /**
   * @param showAccuracy add a column with the validation accuracy (for a task of a few answers,
   *     where the loss alone says less than the share answered right)
   */
  public TrainingProgress(
      PrintWriter out,
      PrintWriter err,
      boolean live,
      long maxSteps,
      double timeLimitSeconds,
      boolean showAccuracy) {
    this.showAccuracy = showAccuracy;
    this.out = out;
    this.err = err;
    this.live = live;
    this.maxSteps = maxSteps;
    this.timeLimitSeconds = timeLimitSeconds;
  }

  @Override
  public void onStart(long step, List<String> parameterNames) {
    out.printf(
        Locale.ROOT,
        "%8s  %9s  %10s  %10s  %12s  %9s%s%n",
        "step",
        "time",
        "train loss",
        "val loss",
        "tokens/s",
        "lr",
        showAccuracy ? "  accuracy" : "");
    out.flush();
  }

  @Override
  public void onStep(StepReport r) {
    // Exponential averages over about 20 steps: the per-step values jump too much to read.
    smoothedLoss = Double.isNaN(smoothedLoss) ? r.loss() : 0.95 * smoothedLoss + 0.05 * r.loss();
    smoothedRate =
        Double.isNaN(smoothedRate)
            ? r.tokensPerSecond()
            : 0.9 * smoothedRate + 0.1 * r.tokensPerSecond();
    learningRate = r.learningRate();
    if (!live) return;
    long now = System.nanoTime();
    if (drawn && now - lastDraw < REDRAW_NANOS) return;
    lastDraw = now;
    double fraction =
        maxSteps > 0
            ? Math.max(
                (double) r.step() / maxSteps,
                timeLimitSeconds > 0 ? r.seconds() / timeLimitSeconds : 0)
            : r.seconds() / timeLimitSeconds;
    fraction = Math.max(0, Math.min(1, fraction));
    int filled = (int) Math.round(fraction * WIDTH);
    String steps = maxSteps > 0 ? r.step() + "/" + maxSteps : Long.toString(r.step());
    err.printf(
        Locale.ROOT,
        "\rstep %s [%s%s] %3d%%  loss %.3f  val %s  %s tok/s  %s ",
        steps,
        "█".repeat(filled),
        "·".repeat(WIDTH - filled),
        Math.round(fraction * 100),
        smoothedLoss,
        Double.isNaN(lastValidation) ? "-" : String.format(Locale.ROOT, "%.3f", lastValidation),
        Units.count(smoothedRate),
        Units.duration(r.seconds()));
    err.flush();
    drawn = true;
  }

  @Override
  public void onValidation(ValidationReport r) {
    lastValidation = r.loss();
    clearLine();
    out.printf(
        Locale.ROOT,
        "%8d  %9s  %10.4f  %10.4f%s  %12s  %9.2e%s%n",
        r.step(),
        Units.duration(r.seconds()),
        smoothedLoss,
        r.loss(),
        r.best() ? "*" : " ",
        Units.count(smoothedRate),
        learningRate,
        showAccuracy && !Double.isNaN(r.accuracy())
            ? String.format(Locale.ROOT, "  %8.3f", r.accuracy())
            : "");
    out.flush();
  }

  @Override
  public void onWarning(String message) {
    clearLine();
    err.println("seqlab: warning: " + message);
    err.flush();
  }

  @Override
  public void onFinish(TrainingResult result) {
    clearLine();
  }

  private void clearLine() {
    if (drawn) {
      err.print("\r" + " ".repeat(110) + "\r");
      err.flush();
      drawn = false;
    }
  }
}
