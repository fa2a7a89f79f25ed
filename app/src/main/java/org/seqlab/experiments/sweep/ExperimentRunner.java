package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.seqlab.io.AtomicFiles;
import org.seqlab.io.RunDirectory;

/**
 * Runs an experiment into a directory and reads it back. The directory holds:
 *
 * <ul>
 *   <li>{@code experiment.json}: the experiment's name, every setting (defaults applied), the
 *       versions of seqlab, Java and the operating system, the processor count and the number of
 *       planned runs;
 *   <li>{@code result.json}: {@code {"experiment", "knob", "metric", "score", "rows": [...]}}, one
 *       row per finished run, rewritten atomically as each run finishes;
 *   <li>{@code metrics/RUN.csv}: each finished run's curve (step, seconds, train loss, gradient
 *       norm, validation loss and score);
 *   <li>{@code report.txt} and the plots (PNG and SVG), written at the end and by {@link #report}.
 * </ul>
 *
 * Starting an experiment in a directory that already holds the same experiment with the same
 * settings resumes it: finished runs are kept, the rest run.
 */
public final class ExperimentRunner {

  public static final String EXPERIMENT = "experiment.json";
  public static final String RESULT = "result.json";
  public static final String REPORT = "report.txt";

  /** What {@code experiment.json} holds. */
  public record Record(
      String experiment,
      ExperimentSettings settings,
      Map<String, String> versions,
      String created,
      int runs) {}

  /** What {@code result.json} holds. */
  public record Result(
      String experiment, String knob, String metric, String score, List<SweepRow> rows) {}

  /** What a caller sees while an experiment runs. */
  public interface Listener {
    /** Before training: how many runs there are and how many were already done. */
    default void onPlan(int total, int alreadyDone, int jobs) {}

    /** A run finished. */
    default void onRunFinished(SweepRow row, int done, int total) {}
  }

  private final Experiment experiment;
  private final ExperimentSettings settings;
  private final Path dir;
  private volatile Sweep sweep;
  private volatile boolean cancelled;

  private ExperimentRunner(Experiment experiment, ExperimentSettings settings, Path dir) {
    this.experiment = experiment;
    this.settings = settings;
    this.dir = dir;
  }

  /**
   * An experiment ready to run into {@code dir}: the settings given, the experiment's defaults
   * elsewhere, all checked before anything is written.
   *
   * @throws IllegalArgumentException for an option the experiment does not take, a value out of
   *     range, or a directory that holds something else
   */
  public static ExperimentRunner prepare(
      Experiment experiment, ExperimentSettings given, List<String> optionsGiven, Path dir)
      throws IOException {
    for (String option : optionsGiven) {
      if (!experiment.options().contains(option) && !option.equals("--out")) {
        throw new IllegalArgumentException(
            option
                + " does not apply to "
                + experiment.name()
                + "; it takes "
                + String.join(", ", experiment.options()));
      }
    }
    given.checkCommon(Integer.MAX_VALUE, Integer.MIN_VALUE);
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--out " + dir + " is a file, not a directory");
    }
    // A directory that holds this experiment is continued with its own settings; an option given
    // again must agree with them (--jobs, which changes no number, may differ).
    ExperimentSettings base = experiment.defaults();
    if (Files.isRegularFile(dir.resolve(EXPERIMENT))) {
      Record existing = readRecord(dir);
      if (!existing.experiment().equals(experiment.name())) {
        throw new IllegalArgumentException(
            "--out "
                + dir
                + " holds the experiment "
                + existing.experiment()
                + ", not "
                + experiment.name()
                + "; choose another directory");
      }
      List<String> changed = given.withJobs(null).differences(existing.settings());
      if (!changed.isEmpty()) {
        throw new IllegalArgumentException(
            "--out "
                + dir
                + " holds this experiment with other settings ("
                + String.join("; ", changed)
                + "); continue it without those options, or choose another directory");
      }
      base = existing.settings();
    } else if (Files.isDirectory(dir)) {
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException(
              "--out " + dir + " is not empty and holds no experiment; choose another directory");
        }
      }
    }
    ExperimentSettings settings = given.orElse(base);
    if (settings.jobs() == null) {
      settings = settings.withJobs(Runtime.getRuntime().availableProcessors());
    }
    experiment.check(settings);
    List<SweepRun> plan = experiment.plan(settings);
    if (plan.isEmpty()) throw new IllegalArgumentException("these settings give no run to do");
    return new ExperimentRunner(experiment, settings, dir);
  }

  public ExperimentSettings settings() {
    return settings;
  }

  public Experiment experiment() {
    return experiment;
  }

  public Path dir() {
    return dir;
  }

  /** Stops the runs in progress after their current step; the finished rows stay. */
  public void cancel() {
    cancelled = true;
    Sweep s = sweep;
    if (s != null) s.cancel();
  }

  /**
   * Runs every run not yet finished, side by side, recording each as it finishes.
   *
   * @return every finished row, earlier ones included
   */
  public List<SweepRow> run(Listener listener) throws IOException {
    Objects.requireNonNull(listener, "listener");
    Files.createDirectories(dir);
    List<SweepRun> plan = experiment.plan(settings);
    if (!Files.isRegularFile(dir.resolve(EXPERIMENT))) {
      Record record =
          new Record(
              experiment.name(), settings, versions(), Instant.now().toString(), plan.size());
      AtomicFiles.write(dir.resolve(EXPERIMENT), RunDirectory.JSON.writeValueAsBytes(record));
    }
    List<SweepRow> rows = new ArrayList<>(readRows(dir));
    Set<String> done = Sweep.ids(rows);
    List<SweepRun> todo = plan.stream().filter(r -> !done.contains(r.id())).toList();
    int jobs = settings.jobs();
    listener.onPlan(
        plan.size(), plan.size() - todo.size(), Math.min(jobs, Math.max(1, todo.size())));
    if (!todo.isEmpty() && !cancelled) {
      sweep = new Sweep(todo, jobs);
      if (cancelled) sweep.cancel();
      IOException[] failure = new IOException[1];
      sweep.run(
          f -> {
            try {
              f.curve().write(Sweep.curveFile(dir, f.run().id()));
              experiment.afterRun(f, dir);
              rows.add(f.row());
              writeResult(rows);
              listener.onRunFinished(f.row(), rows.size(), plan.size());
            } catch (IOException e) {
              failure[0] = e;
              sweep.cancel();
            }
          });
      if (failure[0] != null) throw failure[0];
    }
    return rows;
  }

  private void writeResult(List<SweepRow> rows) throws IOException {
    Map<String, Integer> order = new HashMap<>();
    List<SweepRun> plan = experiment.plan(settings);
    for (int i = 0; i < plan.size(); i++) order.put(plan.get(i).id(), i);
    List<SweepRow> sorted = new ArrayList<>(rows);
    sorted.sort(
        (a, b) ->
            Integer.compare(
                order.getOrDefault(a.run(), Integer.MAX_VALUE),
                order.getOrDefault(b.run(), Integer.MAX_VALUE)));
    Result result =
        new Result(
            experiment.name(),
            experiment.xName(),
            experiment.metric().name().toLowerCase(java.util.Locale.ROOT),
            experiment.scoreName(),
            sorted);
    AtomicFiles.write(dir.resolve(RESULT), RunDirectory.JSON.writeValueAsBytes(result));
  }

  /** The report of what the directory holds now: the text, with the plots rewritten. */
  public String report() throws IOException {
    List<SweepRow> rows = readRows(dir);
    writeResult(rows);
    String text = experiment.report(settings, rows, readCurves(dir, rows), dir);
    AtomicFiles.writeString(dir.resolve(REPORT), text);
    return text;
  }

  /**
   * The experiment recorded in {@code dir}, ready to report or continue.
   *
   * @throws IllegalArgumentException if {@code dir} holds no experiment
   */
  public static ExperimentRunner open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no such directory: " + dir);
    }
    if (!Files.isRegularFile(dir.resolve(EXPERIMENT))) {
      throw new IllegalArgumentException(
          dir
              + " holds no experiment (there is no "
              + EXPERIMENT
              + "); give a directory that"
              + " `seqlab run NAME --out DIR` wrote");
    }
    Record record = readRecord(dir);
    Experiment experiment = Experiments.named(record.experiment());
    experiment.check(record.settings());
    return new ExperimentRunner(experiment, record.settings(), dir);
  }

  static Record readRecord(Path dir) throws IOException {
    try {
      return RunDirectory.JSON.readValue(dir.resolve(EXPERIMENT).toFile(), Record.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(
          dir.resolve(EXPERIMENT) + " is not an experiment record: " + e.getOriginalMessage());
    }
  }

  /** The finished rows recorded in {@code dir} (none if there is no result yet). */
  public static List<SweepRow> readRows(Path dir) throws IOException {
    Path file = dir.resolve(RESULT);
    if (!Files.isRegularFile(file)) return List.of();
    try {
      return RunDirectory.JSON.readValue(file.toFile(), Result.class).rows();
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(
          file + " is not a sweep result: " + e.getOriginalMessage());
    }
  }

  static Map<String, RunCurve> readCurves(Path dir, List<SweepRow> rows) throws IOException {
    Map<String, RunCurve> curves = new LinkedHashMap<>();
    for (SweepRow r : rows) {
      Path file = Sweep.curveFile(dir, r.run());
      if (Files.isRegularFile(file)) curves.put(r.run(), RunCurve.read(file));
    }
    return curves;
  }

  /** The versions a result depends on. */
  static Map<String, String> versions() {
    Map<String, String> v = new LinkedHashMap<>();
    Package p = ExperimentRunner.class.getPackage();
    v.put("seqlab", p.getImplementationVersion() != null ? p.getImplementationVersion() : "0.1.0");
    v.put("java", System.getProperty("java.version"));
    v.put("java_vm", System.getProperty("java.vm.name"));
    v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    v.put("arch", System.getProperty("os.arch"));
    v.put("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
    return v;
  }

  /**
   * Where two results of the same experiment differ, run by run: the score, the steps, how the run
   * ended (times and throughput aside, which no machine repeats). Empty when they agree.
   */
  public static List<String> differences(List<SweepRow> original, List<SweepRow> again) {
    Map<String, SweepRow> byId = new HashMap<>();
    for (SweepRow r : again) byId.put(r.run(), r);
    List<String> out = new ArrayList<>();
    for (SweepRow a : original) {
      SweepRow b = byId.get(a.run());
      if (b == null) {
        out.add(a.run() + ": missing from the rerun");
      } else if (Double.compare(a.score(), b.score()) != 0
          || a.steps() != b.steps()
          || !a.stop().equals(b.stop())
          || a.params() != b.params()) {
        out.add(
            String.format(
                java.util.Locale.ROOT,
                "%s: score %s vs %s, steps %d vs %d, %s vs %s",
                a.run(),
                a.score(),
                b.score(),
                a.steps(),
                b.steps(),
                a.stop(),
                b.stop()));
      }
    }
    return out;
  }
}
