package org.seqlab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.ExperimentSettings;
import org.seqlab.experiments.sweep.Experiments;
import org.seqlab.experiments.sweep.Summary;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.experiments.sweep.Tuning;
import org.seqlab.io.RunDirectory;
import org.seqlab.view.Plots;

/**
 * An experiment of {@code seqlab run} started from the lab (or found in its runs folder): the same
 * {@link ExperimentRunner}, its rows streamed to the page as they finish.
 */
public final class ExperimentJob {

  /** The file that marks an experiment's directory. */
  static final String RECORD = ExperimentRunner.EXPERIMENT;

  /**
   * The options of {@code seqlab run} the lab's form sets; the rest keep the experiment's defaults.
   */
  static final List<String> FORM = List.of("--models", "--distances", "--seeds", "--steps");

  /**
   * The experiments of the table ({@link Experiments#all()}) the lab runs: those whose settings are
   * the form's ({@link #FORM}) and whose models are the lab's architectures, so that a page can set
   * every one of them. The others (one ReLU RNN's clipping, the forget-bias sweep, the text) have
   * settings of their own and run with {@code seqlab run}.
   */
  public static List<Experiment> runnable() {
    return Experiments.all().stream()
        .filter(e -> e.options().containsAll(FORM))
        .filter(e -> LabConfig.MODELS.containsAll(e.defaults().models()))
        .toList();
  }

  /** The experiments the lab runs, as the page's schema has them: what the form needs of each. */
  public static List<Map<String, Object>> runnableJson() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Experiment e : runnable()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", e.name());
      m.put("title", e.title());
      m.put("claim", e.claim());
      m.put("knob", e.xLabel());
      m.put("distances", e.defaults().distances());
      m.put("models", e.defaults().models());
      out.add(m);
    }
    return out;
  }

  /** The settings the lab lets a page choose, with the lab's limits. */
  static final int MAX_DISTANCES = 6, MAX_SEEDS = 3, MAX_STEPS = 3000, MAX_DISTANCE = 100;

  private final String id;
  private final Path dir;
  private final ExperimentRunner runner; // null for one found finished in the folder
  private final RunEvents events;
  private final List<SweepRow> rows = new ArrayList<>();
  private volatile String name; // the experiment's, once known (a job from the folder reads it)
  private volatile String status;
  private volatile String error;

  private ExperimentJob(String id, Path dir, ExperimentRunner runner, RunEvents events) {
    this.id = id;
    this.dir = dir;
    this.runner = runner;
    this.events = events;
  }

  /**
   * Checks a request ({@code distances}, {@code models}, {@code seeds}, {@code steps}; the rest
   * from the experiment's defaults) and prepares the experiment's directory.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static ExperimentJob prepare(String id, Path dir, String name, Map<String, Object> request)
      throws IOException {
    Experiment experiment = Experiments.named(name);
    if (!runnable().contains(experiment)) {
      throw new IllegalArgumentException(
          "the lab runs "
              + String.join(", ", runnable().stream().map(Experiment::name).toList())
              + "; run "
              + name
              + " with seqlab run "
              + name);
    }
    List<String> given = new ArrayList<>();
    List<Integer> distances = null;
    List<String> models = null;
    Integer seeds = null, steps = null;
    for (Map.Entry<String, Object> e : request.entrySet()) {
      switch (e.getKey()) {
        case "experiment" -> {}
        case "distances" -> {
          distances = new ArrayList<>();
          for (Object o : list(e.getValue(), "distances")) {
            int d = integer(o, "distances");
            if (d < 1 || d > MAX_DISTANCE) {
              throw new IllegalArgumentException(
                  "distances: " + d + " is out of range; the lab allows 1 to " + MAX_DISTANCE);
            }
            distances.add(d);
          }
          if (distances.isEmpty() || distances.size() > MAX_DISTANCES) {
            throw new IllegalArgumentException(
                "distances: give 1 to " + MAX_DISTANCES + " distances, got " + distances.size());
          }
          given.add("--distances");
        }
        case "models" -> {
          models = new ArrayList<>();
          for (Object o : list(e.getValue(), "models")) models.add(String.valueOf(o));
          given.add("--models");
        }
        case "seeds" -> {
          seeds = integer(e.getValue(), "seeds");
          if (seeds < 1 || seeds > MAX_SEEDS) {
            throw new IllegalArgumentException(
                "seeds: " + seeds + " is out of range; the lab allows 1 to " + MAX_SEEDS);
          }
          given.add("--seeds");
        }
        case "steps" -> {
          steps = integer(e.getValue(), "steps");
          if (steps < 10 || steps > MAX_STEPS) {
            throw new IllegalArgumentException(
                "steps: " + steps + " is out of range; the lab allows 10 to " + MAX_STEPS);
          }
          given.add("--steps");
        }
        default ->
            throw new IllegalArgumentException(
                "'" + e.getKey() + "': an experiment takes distances, models, seeds and steps");
      }
    }
    ExperimentSettings settings =
        new ExperimentSettings(
            models,
            distances,
            null,
            null,
            seeds,
            null,
            steps,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            Runtime.getRuntime().availableProcessors());
    ExperimentRunner runner = ExperimentRunner.prepare(experiment, settings, given, dir);
    ExperimentJob job = new ExperimentJob(id, dir, runner, new RunEvents(null));
    job.status = "queued";
    return job;
  }

  private static List<?> list(Object value, String name) {
    if (value instanceof List<?> l) return l;
    if (value instanceof String s) return List.of(s.split(","));
    throw new IllegalArgumentException(name + " must be a list");
  }

  private static int integer(Object value, String name) {
    try {
      double d =
          value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString().trim());
      if (d != Math.rint(d)) throw new NumberFormatException();
      return (int) d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be whole numbers, got '" + value + "'");
    }
  }

  /**
   * An experiment found in the runs folder, with the rows it has.
   *
   * @throws IOException or a RuntimeException if its files cannot be read
   */
  static ExperimentJob load(Path dir) throws IOException {
    JsonNode record = RunDirectory.JSON.readTree(dir.resolve(RECORD).toFile());
    ExperimentJob job =
        new ExperimentJob(dir.getFileName().toString(), dir, null, new RunEvents(null));
    job.name = record.path("experiment").asText();
    Experiments.named(job.name); // one this version knows, or why not
    int planned = record.path("runs").asInt();
    for (SweepRow row : ExperimentRunner.readRows(dir)) job.addRow(row);
    job.status = job.rows.size() >= planned ? "finished" : "incomplete";
    job.finish();
    return job;
  }

  void execute() {
    if ("cancelled".equals(status)) return;
    name = runner.experiment().name();
    status = "running";
    events.add("status", Map.of("status", status));
    try {
      runner.run(
          new ExperimentRunner.Listener() {
            @Override
            public void onRunFinished(SweepRow row, int done, int total) {
              addRow(row);
            }
          });
      if (!"cancelled".equals(status)) status = "finished";
      runner.report(Plots.FIGURES);
    } catch (IOException | RuntimeException e) {
      status = "failed";
      error = e.getMessage();
    }
    finish();
  }

  private synchronized void addRow(SweepRow row) {
    rows.add(row);
    events.add("row", RunDirectory.JSON.convertValue(row, Map.class));
  }

  private void finish() {
    events.add("finished", toJson());
    events.close();
  }

  void cancel() {
    if ("queued".equals(status)) {
      status = "cancelled";
      finish();
    } else if ("running".equals(status)) {
      status = "cancelled";
      runner.cancel();
    }
  }

  public String id() {
    return id;
  }

  /** Whether it still runs or waits to. */
  boolean unfinished() {
    return "queued".equals(status) || "running".equals(status);
  }

  public RunEvents events() {
    return events;
  }

  /** The experiment as the API shows it: its rows, the baseline, and the verdicts in words. */
  public synchronized Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    String experimentName = name != null ? name : runner.experiment().name();
    Experiment experiment = Experiments.named(experimentName);
    m.put("id", id);
    m.put("experiment", experimentName);
    m.put("title", experiment.title());
    m.put("status", status);
    m.put("error", error);
    m.put("knob", experiment.xLabel());
    m.put("metric", experiment.metric().name().toLowerCase(java.util.Locale.ROOT));
    m.put("score", experiment.scoreName());
    m.put("rows", rows.stream().map(r -> RunDirectory.JSON.convertValue(r, Map.class)).toList());
    m.put(
        "runs", runner == null ? rows.size() : runner.experiment().plan(runner.settings()).size());
    // the hypothesis, as `seqlab run` prints it before the run, and what the counts say about it
    List<String> sentences = new ArrayList<>();
    m.put("expected", experiment.claim());
    if (!rows.isEmpty()) {
      // the tables follow each model's chosen point of its tuning grid, as the report does
      Summary summary =
          new Summary(
              experiment.metric(),
              experiment.tunes().isEmpty()
                  ? rows
                  : Tuning.chosenRows(experiment.metric(), rows, experiment.judged()));
      for (Summary.Point p : summary.points())
        sentences.add(summary.sentence(p, experiment.xName()));
      m.put("hypothesis", experiment.test(summary).words());
    }
    m.put("summary", sentences);
    m.put("dir", dir.toString());
    return m;
  }
}
