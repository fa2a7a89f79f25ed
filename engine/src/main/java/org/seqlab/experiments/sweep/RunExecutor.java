package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.seqlab.experiments.RunCurve;

/**
 * Where the independent runs of an experiment execute: threads of this process ({@link OnThreads})
 * or the tasks of a cluster. {@link ExperimentRunner} plans the runs, hands over those not yet
 * finished, and records each {@link Outcome} as it comes back; the executor only trains.
 */
public interface RunExecutor {

  /**
   * What a finished run hands back: its row and curve, and the files the experiment wrote for it
   * ({@link Experiment#afterRun}), by path relative to the experiment's directory, when they were
   * written elsewhere (on another machine).
   */
  record Outcome(SweepRow row, RunCurve curve, Map<String, byte[]> files) {
    public Outcome {
      files = Map.copyOf(files);
    }
  }

  /** How many runs train at once. */
  int parallelism();

  /**
   * Trains every run of {@code runs} and hands each finished one to {@code onFinished}, one at a
   * time; returns when all have finished or the executor was cancelled. A run that diverges is an
   * outcome like any other; a run that fails (a bug, a machine lost for good) ends the whole call
   * with its exception.
   *
   * @param dir the experiment's directory, for executors that share this machine's disk
   */
  void execute(Experiment experiment, Path dir, List<SweepRun> runs, Consumer<Outcome> onFinished)
      throws IOException;

  /** Stops: runs not started never start; runs in progress stop after their step, if they can. */
  void cancel();

  /**
   * The runs side by side on this machine's cores, {@code jobs} at once, each on one kernel thread
   * ({@link Sweep}). The experiment's files for a run are written straight into its directory.
   */
  final class OnThreads implements RunExecutor {
    private final int jobs;
    private volatile Sweep sweep;
    private volatile boolean cancelled;

    public OnThreads(int jobs) {
      if (jobs < 1) throw new IllegalArgumentException("jobs must be >= 1, got " + jobs);
      this.jobs = jobs;
    }

    @Override
    public int parallelism() {
      return jobs;
    }

    @Override
    public void execute(
        Experiment experiment, Path dir, List<SweepRun> runs, Consumer<Outcome> onFinished)
        throws IOException {
      Sweep s = new Sweep(runs, jobs);
      sweep = s;
      if (cancelled) s.cancel();
      IOException[] failure = new IOException[1];
      s.run(
          f -> {
            if (failure[0] != null) return;
            try {
              experiment.afterRun(f, dir);
              onFinished.accept(new Outcome(f.row(), f.curve(), Map.of()));
            } catch (IOException e) {
              failure[0] = e;
              s.cancel();
            }
          });
      if (failure[0] != null) throw failure[0];
    }

    @Override
    public void cancel() {
      cancelled = true;
      Sweep s = sweep;
      if (s != null) s.cancel();
    }
  }
}
