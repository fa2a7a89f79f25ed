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
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.RunCurve;
import org.seqlab.io.AtomicFiles;
import org.seqlab.io.RunDirectory;

/**
 * Runs an experiment into a directory and reads it back. The directory holds:
 *
 * <ul>
 *   <li>{@code experiment.json}: the experiment's name, every setting (defaults applied), the
 *       versions of seqlab, Java and the operating system, the processor count and the number of
 *       planned runs;
 *   <li>{@code result.json}: {@code {"experiment", "knob", "metric", "score", "wall_seconds",
 *       "rows": [...]}}, one row per finished run, rewritten atomically as each run finishes;
 *   <li>{@code result.csv}: the same rows as a table, one line per run, rewritten with it;
 *   <li>{@code rows.jsonl}: each row on one line, appended as its run finishes. {@code result.json}
 *       and {@code result.csv} are rewritten at most once a second (a sweep of 10,000 runs would
 *       otherwise write gigabytes), so this journal is what keeps every finished row when the
 *       process dies; reading the rows merges it in;
 *   <li>{@code metrics/RUN.csv}: each finished run's curve (step, seconds, train loss, gradient
 *       norm, validation loss and score);
 *   <li>{@code report.txt} and the plots (PNG and SVG), written at the end and by {@link #report}.
 * </ul>
 *
 * Starting an experiment in a directory that already holds the same experiment with the same
 * settings resumes it: finished runs are kept, the rest run. Where the runs execute is a {@link
 * RunExecutor}'s business: threads of this process by default, or the tasks of a cluster.
 */
public final class ExperimentRunner {

  public static final String EXPERIMENT = "experiment.json";
  public static final String RESULT = "result.json";
  public static final String TABLE = "result.csv";
  public static final String JOURNAL = "rows.jsonl";

  /** The shortest time between two rewrites of {@code result.json} and {@code result.csv}. */
  private static final long REWRITE_NANOS = 1_000_000_000L;

  /** The most runs an experiment may plan unless the caller allows more. */
  public static final int DEFAULT_MAX_RUNS = 10_000;

  public static final String REPORT = "report.txt";

  /**
   * What {@code experiment.json} holds.
   *
   * @param grid the grid's axes ({@link Grid#axes}); null or empty for none
   */
  public record Record(
      String experiment,
      ExperimentSettings settings,
      Map<String, String> versions,
      String created,
      int runs,
      Map<String, List<String>> grid) {}

  /**
   * What {@code result.json} holds.
   *
   * @param wallSeconds the wall-clock seconds spent running the experiment, summed over the
   *     sessions that ran it (each up to its last finished run); null in results written before it
   *     was recorded
   */
  public record Result(
      String experiment,
      String knob,
      String metric,
      String score,
      Double wallSeconds,
      List<SweepRow> rows) {

    /** A result without its wall-clock time. */
    public Result(
        String experiment, String knob, String metric, String score, List<SweepRow> rows) {
      this(experiment, knob, metric, score, null, rows);
    }
  }

  /** What a caller sees while an experiment runs. */
  public interface Listener {
    /** Before training: how many runs there are and how many were already done. */
    default void onPlan(int total, int alreadyDone, int jobs) {}

    /** A run finished. */
    default void onRunFinished(SweepRow row, int done, int total) {}
  }

  private final Experiment experiment;
  private final Grid grid;
  private final ExperimentSettings settings;
  private final Path dir;
  private volatile RunExecutor executor;
  private volatile boolean cancelled;

  private ExperimentRunner(Experiment base, Grid grid, ExperimentSettings settings, Path dir) {
    this.experiment = grid.isEmpty() ? base : new GridExperiment(base, grid);
    this.grid = grid;
    this.settings = settings;
    this.dir = dir;
  }

  /** {@link #prepare(Experiment, ExperimentSettings, List, Grid, long, Path)} without a grid. */
  public static ExperimentRunner prepare(
      Experiment experiment, ExperimentSettings given, List<String> optionsGiven, Path dir)
      throws IOException {
    return prepare(experiment, given, optionsGiven, Grid.NONE, DEFAULT_MAX_RUNS, dir);
  }

  /**
   * An experiment ready to run into {@code dir}: the settings given, the experiment's defaults
   * elsewhere, all checked before anything is written.
   *
   * @param grid the grid whose every point runs the whole plan ({@link Grid#NONE}: the plan once);
   *     a directory that holds a grid continues with its own
   * @param maxRuns the most runs the plan may have
   * @throws IllegalArgumentException for an option the experiment does not take, a value out of
   *     range, a plan with no run or more than {@code maxRuns}, a directory that holds something
   *     else, or one that cannot be created or written
   */
  public static ExperimentRunner prepare(
      Experiment experiment,
      ExperimentSettings given,
      List<String> optionsGiven,
      Grid grid,
      long maxRuns,
      Path dir)
      throws IOException {
    List<String> asked = new ArrayList<>(optionsGiven);
    asked.addAll(grid.options());
    for (String option : asked) {
      if (!experiment.options().contains(option) && !option.equals("--out")) {
        throw new IllegalArgumentException(
            option
                + " does not apply to "
                + experiment.name()
                + "; it takes "
                + String.join(", ", experiment.options()));
      }
    }
    for (String option : grid.options()) {
      if (optionsGiven.contains(option)) {
        throw new IllegalArgumentException(
            option + " is given both on its own and in --grid; give it in one place");
      }
    }
    given.checkCommonButDistances(); // the experiment checks them, in its task's range, below
    org.seqlab.io.OutputDirectory.requireWritable("--out", dir);
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
      Grid recorded = existing.grid() == null ? Grid.NONE : new Grid(existing.grid());
      if (!grid.isEmpty() && !grid.equals(recorded)) {
        throw new IllegalArgumentException(
            "--out "
                + dir
                + " holds this experiment "
                + (recorded.isEmpty() ? "without a grid" : "over the grid " + recorded.axes())
                + ", not over "
                + grid.axes()
                + "; continue it without --grid, or choose another directory");
      }
      grid = recorded;
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
    // An absurd grid is refused before a single plan is made: the grid points times the runs of
    // the first point (every point plans as many runs).
    long points = grid.points();
    if (points > maxRuns) {
      throw new IllegalArgumentException(
          "the grid has "
              + (points == Long.MAX_VALUE ? "more than 9e18" : Long.toString(points))
              + " points, more than the "
              + maxRuns
              + " runs allowed; sweep fewer values, or raise the cap with --max-runs");
    }
    ExperimentRunner runner = new ExperimentRunner(experiment, grid, settings, dir);
    runner.experiment.check(settings); // at every grid point
    long perPoint = experiment.plan(Grid.apply(settings, grid.pointList().getFirst())).size();
    if (perPoint == 0) throw new IllegalArgumentException("these settings give no run to do");
    if (perPoint * points > maxRuns) {
      throw new IllegalArgumentException(
          "these settings give "
              + perPoint * points
              + " runs"
              + (grid.isEmpty() ? "" : " (" + points + " grid points × " + perPoint + ")")
              + ", more than the "
              + maxRuns
              + " allowed; sweep fewer values, or raise the cap with --max-runs");
    }
    return runner;
  }

  /** The grid the experiment runs over ({@link Grid#NONE} for none). */
  public Grid grid() {
    return grid;
  }

  /** Every run of the experiment, finished or not, in the order they start. */
  public List<SweepRun> plan() {
    return experiment.plan(settings);
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
    RunExecutor e = executor;
    if (e != null) e.cancel();
  }

  /**
   * Runs every run not yet finished on this machine's cores ({@code --jobs} at once), recording
   * each as it finishes.
   *
   * @return every finished row, earlier ones included
   */
  public List<SweepRow> run(Listener listener) throws IOException {
    return run(listener, new RunExecutor.OnThreads(settings.jobs()));
  }

  /**
   * Runs every run not yet finished through {@code executor}, recording each as it finishes: its
   * curve and files first, then its row in {@code result.json} and {@code result.csv}, each file
   * written whole (a crash keeps every row recorded before it). A run the executor hands back twice
   * (a task that ran again after a failure) is recorded once.
   *
   * @return every finished row, earlier ones included
   */
  public List<SweepRow> run(Listener listener, RunExecutor executor) throws IOException {
    Objects.requireNonNull(listener, "listener");
    Files.createDirectories(dir);
    List<SweepRun> plan = experiment.plan(settings);
    if (!Files.isRegularFile(dir.resolve(EXPERIMENT))) {
      Record record =
          new Record(
              experiment.name(),
              settings,
              versions(),
              Instant.now().toString(),
              plan.size(),
              grid.isEmpty() ? null : grid.axes());
      AtomicFiles.write(dir.resolve(EXPERIMENT), RunDirectory.JSON.writeValueAsBytes(record));
    }
    Map<String, Integer> order = new HashMap<>();
    for (int i = 0; i < plan.size(); i++) order.put(plan.get(i).id(), i);
    List<SweepRow> rows = new ArrayList<>(readRows(dir));
    Double wallBefore = readWallSeconds(dir);
    long started = System.nanoTime();
    Set<String> done = Sweep.ids(rows);
    List<SweepRun> todo = plan.stream().filter(r -> !done.contains(r.id())).toList();
    listener.onPlan(
        plan.size(),
        plan.size() - todo.size(),
        Math.min(executor.parallelism(), Math.max(1, todo.size())));
    if (!todo.isEmpty() && !cancelled) {
      this.executor = executor;
      if (cancelled) executor.cancel();
      IOException[] failure = new IOException[1];
      long[] lastRewrite = {System.nanoTime() - REWRITE_NANOS};
      int[] rowsWritten = {rows.size()};
      cutTornJournalLine();
      executor.execute(
          experiment,
          dir,
          todo,
          outcome -> {
            if (failure[0] != null || done.contains(outcome.row().run())) return;
            try {
              outcome.curve().write(Sweep.curveFile(dir, outcome.row().run()));
              for (var file : outcome.files().entrySet()) {
                Path target = dir.resolve(file.getKey()).normalize();
                if (!target.startsWith(dir.normalize())) {
                  throw new IOException("a run's file leaves the directory: " + file.getKey());
                }
                Files.createDirectories(target.getParent());
                AtomicFiles.write(target, file.getValue());
              }
              done.add(outcome.row().run());
              appendJournal(outcome.row());
              rows.add(outcome.row());
              long now = System.nanoTime();
              if (now - lastRewrite[0] >= REWRITE_NANOS || rows.size() == plan.size()) {
                writeResult(rows, order, wallSeconds(wallBefore, started));
                lastRewrite[0] = now;
                rowsWritten[0] = rows.size();
              }
              listener.onRunFinished(outcome.row(), rows.size(), plan.size());
            } catch (IOException e) {
              failure[0] = e;
              executor.cancel();
            }
          });
      // The rows of the last second, or of a stop, not yet in result.json.
      if (rows.size() > rowsWritten[0]) {
        writeResult(rows, order, wallSeconds(wallBefore, started));
      }
      if (failure[0] != null) throw failure[0];
    }
    return rows;
  }

  /** The seconds recorded before this session plus those since it started. */
  private static double wallSeconds(Double before, long startedNanos) {
    return (before == null ? 0 : before) + (System.nanoTime() - startedNanos) / 1e9;
  }

  private void writeResult(List<SweepRow> rows, Map<String, Integer> order, Double wallSeconds)
      throws IOException {
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
            wallSeconds,
            sorted);
    AtomicFiles.write(dir.resolve(RESULT), RunDirectory.JSON.writeValueAsBytes(result));
    AtomicFiles.writeString(dir.resolve(TABLE), table(sorted, experiment.xName()));
  }

  /**
   * The rows as a CSV table: the run, its configuration (series, model, the task's difficulty, the
   * x axis named by {@code knob}, one column per grid setting), its seed, what it measured and
   * where it ran.
   */
  static String table(List<SweepRow> rows, String knob) {
    List<String> gridKeys = new ArrayList<>();
    for (SweepRow r : rows)
      for (String k : r.grid().keySet()) if (!gridKeys.contains(k)) gridKeys.add(k);
    // The task's difficulty (distance, length, delay, k) and the sweep's x axis, which is the
    // difficulty itself in most experiments and another knob in some (the clip, the forget bias).
    StringBuilder s = new StringBuilder("run,series,model,difficulty," + csv(knob));
    for (String k : gridKeys) s.append(',').append(csv(k));
    s.append(
        ",seed,score,baseline,params,steps,seconds,stop,diverged_at_step,loss,tokens_per_second,host\n");
    for (SweepRow r : rows) {
      s.append(csv(r.run())).append(',').append(csv(r.series())).append(',').append(csv(r.model()));
      s.append(',').append(r.distance()).append(',').append(Summary.number(r.x()));
      for (String k : gridKeys) s.append(',').append(csv(r.grid().getOrDefault(k, "")));
      s.append(',').append(r.seed());
      s.append(',').append(number(r.score())).append(',').append(number(r.baseline()));
      s.append(',').append(r.params()).append(',').append(r.steps());
      s.append(',').append(String.format(java.util.Locale.ROOT, "%.3f", r.seconds()));
      s.append(',').append(csv(r.stop())).append(',').append(r.divergedAtStep());
      s.append(',').append(number(r.loss()));
      s.append(',').append(String.format(java.util.Locale.ROOT, "%.1f", r.tokensPerSecond()));
      s.append(',').append(csv(r.host() == null ? "" : r.host())).append('\n');
    }
    return s.toString();
  }

  /** A number in full precision (the JSON's digits), empty for NaN. */
  private static String number(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  private static String csv(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0) return field;
    return '"' + field.replace("\"", "\"\"") + '"';
  }

  /**
   * The report of what the directory holds now: the text, with the plots rewritten through {@code
   * figures}.
   */
  public String report(FigureSink figures) throws IOException {
    List<SweepRow> read = readRows(dir);
    Map<String, RunCurve> curves = readCurves(dir, read);
    List<SweepRow> rows = Sweep.withLateChanges(read, curves);
    Map<String, Integer> order = new HashMap<>();
    List<SweepRun> plan = experiment.plan(settings);
    for (int i = 0; i < plan.size(); i++) order.put(plan.get(i).id(), i);
    writeResult(rows, order, readWallSeconds(dir));
    String text = experiment.report(settings, rows, curves, dir, figures);
    AtomicFiles.writeString(dir.resolve(REPORT), text);
    return text;
  }

  /**
   * The report text of what the directory holds now, with the plots handed to {@code figures}, and
   * nothing written into the directory ({@link #report} rewrites {@code result.json} and {@code
   * report.txt}).
   */
  public String reportText(FigureSink figures) throws IOException {
    List<SweepRow> read = readRows(dir);
    Map<String, RunCurve> curves = readCurves(dir, read);
    return experiment.report(settings, Sweep.withLateChanges(read, curves), curves, dir, figures);
  }

  /**
   * The experiment recorded in {@code dir}, for reading what it saved: as {@link #open}, without
   * checking its settings against this machine (a {@code --text} file the runs read need not be
   * here to report them). Not for continuing it.
   *
   * @throws IllegalArgumentException if {@code dir} holds no experiment, or one seqlab does not
   *     know
   */
  public static ExperimentRunner openSaved(Path dir) throws IOException {
    return open(dir, false);
  }

  /**
   * The experiment recorded in {@code dir}, ready to report or continue.
   *
   * @throws IllegalArgumentException if {@code dir} holds no experiment
   */
  public static ExperimentRunner open(Path dir) throws IOException {
    return open(dir, true);
  }

  private static ExperimentRunner open(Path dir, boolean check) throws IOException {
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
    Grid grid = record.grid() == null ? Grid.NONE : new Grid(record.grid());
    ExperimentRunner runner = new ExperimentRunner(experiment, grid, record.settings(), dir);
    if (check) runner.experiment.check(record.settings());
    return runner;
  }

  static Record readRecord(Path dir) throws IOException {
    try {
      return RunDirectory.JSON.readValue(dir.resolve(EXPERIMENT).toFile(), Record.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(
          dir.resolve(EXPERIMENT) + " is not an experiment record: " + unreadable(e));
    }
  }

  /**
   * Why a JSON file could not be read, in a user's words: the parser's complaint about text that is
   * not JSON, or, for JSON of another shape, where it differs (without the names of Java classes).
   */
  static String unreadable(com.fasterxml.jackson.core.JacksonException e) {
    if (e instanceof com.fasterxml.jackson.core.exc.StreamReadException) {
      return e.getOriginalMessage();
    }
    com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
    return "it is JSON of another shape"
        + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
  }

  /**
   * The wall-clock seconds {@code result.json} in {@code dir} records; null where there is none, or
   * it records none.
   */
  public static Double readWallSeconds(Path dir) throws IOException {
    Path file = dir.resolve(RESULT);
    if (!Files.isRegularFile(file)) return null;
    try {
      return RunDirectory.JSON.readValue(file.toFile(), Result.class).wallSeconds();
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(file + " is not a sweep result: " + unreadable(e));
    }
  }

  /**
   * The finished rows recorded in {@code dir} (none if there is no result yet).
   *
   * @throws IllegalArgumentException if {@code result.json} is not a sweep result: not JSON, or a
   *     row without its run, series, model or ending
   */
  public static List<SweepRow> readRows(Path dir) throws IOException {
    Path file = dir.resolve(RESULT);
    List<SweepRow> rows = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      List<SweepRow> read;
      try {
        read = RunDirectory.JSON.readValue(file.toFile(), Result.class).rows();
      } catch (com.fasterxml.jackson.core.JacksonException e) {
        throw new IllegalArgumentException(file + " is not a sweep result: " + unreadable(e));
      }
      if (read == null)
        throw new IllegalArgumentException(file + " is not a sweep result: no rows");
      for (int i = 0; i < read.size(); i++) {
        SweepRow r = read.get(i);
        String missing =
            r == null
                ? "row"
                : r.run() == null
                    ? "run"
                    : r.series() == null
                        ? "series"
                        : r.model() == null ? "model" : r.stop() == null ? "stop" : null;
        if (missing != null) {
          throw new IllegalArgumentException(
              file + " is not a sweep result: row " + (i + 1) + " has no '" + missing + "'");
        }
      }
      rows.addAll(read);
    }
    Path journal = dir.resolve(JOURNAL);
    if (Files.isRegularFile(journal)) {
      Set<String> seen = Sweep.ids(rows);
      for (String line : Files.readAllLines(journal)) {
        SweepRow row;
        try {
          row = RunDirectory.JSON.readValue(line, SweepRow.class);
        } catch (com.fasterxml.jackson.core.JacksonException torn) {
          continue; // the last line of a process that died while writing it
        }
        if (seen.add(row.run())) rows.add(row);
      }
    }
    return rows;
  }

  /** Appends a finished row to the journal, one line. */
  private void appendJournal(SweepRow row) throws IOException {
    String line =
        RunDirectory.JSON
                .writer()
                .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(row)
            + "\n";
    Files.writeString(
        dir.resolve(JOURNAL),
        line,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  /** Cuts a torn last line of the journal, so that the next row starts a line of its own. */
  private void cutTornJournalLine() throws IOException {
    Path journal = dir.resolve(JOURNAL);
    if (!Files.isRegularFile(journal)) return;
    byte[] bytes = Files.readAllBytes(journal);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') end--;
    if (end < bytes.length) {
      try (var channel =
          java.nio.channels.FileChannel.open(journal, java.nio.file.StandardOpenOption.WRITE)) {
        channel.truncate(end);
      }
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
