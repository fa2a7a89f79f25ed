package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.nn.LanguageModel;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.tensor.Parallel;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingResult;

/**
 * Runs the independent runs of a sweep side by side, one per core, each on one kernel thread: on
 * small models, whole runs in parallel use the cores better than one run's products split across
 * them, and every run gets the same numbers as it would alone (the kernels give the same bits on
 * any number of threads).
 *
 * <p>Each finished run becomes a {@link SweepRow} and a {@link RunCurve}, handed to {@code
 * onFinished} at once (under a lock, in the order runs finish), so that a sweep stopped half-way
 * keeps what it finished. A run that diverges is a result, not a failure.
 */
public final class Sweep {

  /** A run's row and curve, and the trained model (for samples). */
  public record Finished(SweepRun run, SweepRow row, RunCurve curve, LanguageModel model) {}

  private final List<SweepRun> runs;
  private final int jobs;
  private final Map<String, Trainer> active = new ConcurrentHashMap<>();
  private volatile boolean cancelled;

  /**
   * @param runs the runs still to do
   * @param jobs how many run at once, at least 1
   */
  public Sweep(List<SweepRun> runs, int jobs) {
    this.runs = List.copyOf(runs);
    if (jobs < 1) throw new IllegalArgumentException("jobs must be >= 1, got " + jobs);
    this.jobs = Math.min(jobs, Math.max(1, runs.size()));
  }

  /** Stops every run after its current step; runs not started yet never start. */
  public void cancel() {
    cancelled = true;
    active.values().forEach(Trainer::cancel);
  }

  public boolean cancelled() {
    return cancelled;
  }

  /**
   * Runs everything; returns the rows of the runs that finished (all of them unless cancelled).
   * Cancelled runs give no row.
   *
   * @param onFinished called for each finished run, one at a time
   */
  public List<SweepRow> run(Consumer<Finished> onFinished) throws IOException {
    Objects.requireNonNull(onFinished, "onFinished");
    int threadsBefore = Parallel.threads();
    Parallel.setThreads(1);
    List<SweepRow> rows = Collections.synchronizedList(new ArrayList<>());
    Object lock = new Object();
    ExecutorService pool =
        Executors.newFixedThreadPool(jobs, Thread.ofPlatform().daemon().factory());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (SweepRun run : runs) {
        futures.add(
            pool.submit(
                () -> {
                  if (cancelled) return null;
                  Finished f = execute(run);
                  if (f == null) return null;
                  synchronized (lock) {
                    onFinished.accept(f);
                    rows.add(f.row());
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          cancel();
        } catch (ExecutionException e) {
          cancel();
          Throwable cause = e.getCause();
          if (cause instanceof java.io.UncheckedIOException io) throw io.getCause();
          if (cause instanceof RuntimeException r) throw r;
          if (cause instanceof Error err) throw err;
          throw new IllegalStateException(cause);
        }
      }
    } finally {
      pool.shutdownNow();
      Parallel.setThreads(threadsBefore);
    }
    return List.copyOf(rows);
  }

  /** Trains one run to the end of its budget; null if it was cancelled. */
  public Finished execute(SweepRun run) {
    // The run as `seqlab train` would run it: the same model, options and data from one
    // description.
    TrainingRunConfig config = run.runConfig();
    SyntheticTask task = run.task().create(config.dataSeedOrSeed());
    ModelSpec.Shape shape =
        new ModelSpec.Shape(
            task.vocabularySize(), task.inputFeatures(), task.outputSize(), task.steps());
    LanguageModel model = config.modelSpec().build(shape, config.seed());
    boolean accuracy = task.metric() == SyntheticTask.Metric.ACCURACY;
    Budget budget = run.budget();
    Trainer trainer =
        new Trainer(
            model,
            task,
            config
                .trainingOptions()
                .withPlateau(budget.patience(), Budget.MIN_DELTA, budget.minSteps()));
    RunCurve curve = new RunCurve();
    trainer.addListener(new RunCurve.Rows(accuracy, curve::add));
    active.put(run.id(), trainer);
    TrainingResult result;
    try {
      if (cancelled) return null;
      result = trainer.run();
    } finally {
      active.remove(run.id());
    }
    if (result.stop() == TrainingResult.Stop.CANCELLED) return null;
    boolean diverged = result.stop() == TrainingResult.Stop.DIVERGED;
    double score =
        diverged ? Double.NaN : accuracy ? result.validationAccuracy() : result.validationLoss();
    long params = model.parameterCount();
    SweepRow row =
        new SweepRow(
            run.id(),
            run.series(),
            run.model().model(),
            run.task().difficulty(),
            run.x(),
            score,
            task.baseline(),
            params,
            run.seed(),
            result.steps(),
            result.seconds(),
            result.stop().words(),
            diverged ? result.divergence().step() : 0,
            diverged ? result.divergence().describe() : "",
            diverged ? Double.NaN : result.validationLoss(),
            result.tokensPerSecond(),
            run.grid(),
            hostName(),
            lateChange(curve));
    return new Finished(run, row, curve, model);
  }

  /** A row's {@link SweepRow#lateChange}, from its curve: null where the curve cannot say. */
  static Double lateChange(RunCurve curve) {
    double change = curve.lateChange(Budget.FLAT_SHARE);
    return Double.isNaN(change) ? null : change;
  }

  /**
   * {@code rows} with the late change of each row that lacks one filled in from its curve, where
   * {@code curves} has it (results written before rows carried it).
   */
  static List<SweepRow> withLateChanges(List<SweepRow> rows, Map<String, RunCurve> curves) {
    List<SweepRow> filled = new java.util.ArrayList<>(rows.size());
    for (SweepRow r : rows) {
      RunCurve curve = curves.get(r.run());
      filled.add(r.lateChange() == null && curve != null ? r.withLateChange(lateChange(curve)) : r);
    }
    return filled;
  }

  /** This machine's name, as rows record it. */
  static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "unknown";
    }
  }

  /** The ids of {@code rows}, for skipping finished runs on resume. */
  public static Set<String> ids(List<SweepRow> rows) {
    Set<String> ids = new java.util.HashSet<>();
    for (SweepRow r : rows) ids.add(r.run());
    return ids;
  }

  /** Where a run's curve lives in a sweep's directory. */
  public static Path curveFile(Path dir, String runId) {
    return dir.resolve("metrics").resolve(runId + ".csv");
  }
}
