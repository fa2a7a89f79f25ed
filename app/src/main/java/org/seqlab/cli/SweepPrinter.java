package org.seqlab.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.Summary;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.view.ProgressBar;
import org.seqlab.view.Units;

/** Prints a sweep as it goes: one line per finished run, and a progress bar on a terminal. */
public final class SweepPrinter implements ExperimentRunner.Listener, AutoCloseable {

  private final PrintWriter out;
  private final ProgressBar bar;
  private final Experiment experiment;
  private final long started = System.nanoTime();
  private int total;
  private int resumedFrom;

  public SweepPrinter(PrintWriter out, PrintWriter err, Experiment experiment) {
    this.out = out;
    this.bar = new ProgressBar(err, ProgressBar.interactive());
    this.experiment = experiment;
  }

  public int total() {
    return total;
  }

  @Override
  public void onPlan(int total, int alreadyDone, int jobs) {
    this.total = total;
    this.resumedFrom = alreadyDone;
    if (alreadyDone > 0) {
      out.printf(Locale.ROOT, "continuing: %d of %d runs already finished%n", alreadyDone, total);
    }
    out.printf(Locale.ROOT, "%d runs, %d side by side%n%n", total - alreadyDone, jobs);
    out.flush();
    bar.update(
        String.format(Locale.ROOT, "runs %d/%d", alreadyDone, total), (double) alreadyDone / total);
  }

  @Override
  public void onRunFinished(SweepRow r, int done, int total) {
    bar.close();
    boolean accuracy = experiment.metric() == SyntheticTask.Metric.ACCURACY;
    String score =
        Double.isNaN(r.score())
            ? "diverged at step " + r.divergedAtStep()
            : String.format(Locale.ROOT, accuracy ? "%.3f" : "%.4g", r.score())
                + String.format(
                    Locale.ROOT, accuracy ? " (baseline %.3f)" : " (baseline %.4g)", r.baseline());
    out.printf(
        Locale.ROOT,
        "[%3d/%d] %-26s %s %-5s seed %d  %s %s  %s params  %d steps  %s  %s%n",
        done,
        total,
        r.series(),
        experiment.xName(),
        Summary.number(r.x()),
        r.seed(),
        experiment.scoreName(),
        score,
        Summary.count(r.params()),
        r.steps(),
        Units.duration(r.seconds()),
        r.stop());
    out.flush();
    double elapsed = (System.nanoTime() - started) / 1e9;
    int fresh = done - resumedFrom;
    String eta =
        fresh > 0 && done < total
            ? ", about " + Units.duration(elapsed / fresh * (total - done)) + " left"
            : "";
    bar.update(String.format(Locale.ROOT, "runs %d/%d%s", done, total, eta), (double) done / total);
  }

  @Override
  public void close() {
    bar.close();
  }
}
