package org.seqlab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.TrainingRun;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.io.AtomicFiles;
import org.seqlab.io.RunDirectory;
import org.seqlab.train.StepReport;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;
import org.seqlab.train.TrainingState;
import org.seqlab.train.ValidationReport;
import org.seqlab.view.Plots;

/**
 * One run as the lab knows it: a run directory that {@link TrainingRun} writes (the same files
 * {@code seqlab train} writes), its configuration in the lab's terms ({@code lab.json}), where it
 * stands, and its {@link RunEvents}. A run the command line wrote shows up too, read from its
 * files.
 */
public final class LabRun {

  /** The file that says what the lab knows of a run beyond the run directory. */
  static final String LAB_FILE = "lab.json";

  /** Where a run stands. */
  public enum Status {
    QUEUED,
    RUNNING,
    FINISHED,
    CANCELLED,
    DIVERGED,
    FAILED,
    /** It has no result: the lab (or the command) stopped while it ran. */
    INCOMPLETE;

    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean ended() {
      return this != QUEUED && this != RUNNING;
    }
  }

  /** About 400 points make a smooth curve; more only slow the page. */
  static final int STEP_EVENTS = 400;

  /** Rows of the live heat map of the gradient over time. */
  static final int TIME_GRADIENT_ROWS = 100;

  /** Looks inside the model (gates, attention) at about this many validations. */
  static final int INSIDE_VIEWS = 10;

  private final String id;
  private final Path dir;
  private final String source;
  private final Instant created;

  private volatile RunEvents events;
  private volatile LabConfig config;
  private volatile Status status;
  private volatile TrainingRun training; // while queued or running
  private volatile long step;
  private volatile long checkpointStep;
  private volatile Map<String, Object> result;
  private volatile Map<String, Object> divergence;
  private volatile String error;
  private volatile String baseline = "";
  private volatile String baselineWords = "";

  private LabRun(
      String id,
      Path dir,
      String source,
      Instant created,
      LabConfig config,
      Status status,
      RunEvents events) {
    this.id = id;
    this.dir = dir;
    this.source = source;
    this.created = created;
    this.config = config;
    this.status = status;
    this.events = events;
  }

  /** A new run of the lab, prepared (its directory written) and queued. */
  static LabRun create(String id, Path dir, LabConfig config, Path text) throws IOException {
    TrainingRun training = TrainingRun.start(config.toRunConfig(text), dir, false, Plots.FIGURES);
    LabRun run =
        new LabRun(
            id,
            dir,
            "lab",
            Instant.now(),
            config,
            Status.QUEUED,
            new RunEvents(dir.resolve(RunEvents.FILE)));
    run.training = training;
    run.baseline = training.baselineScore();
    run.baselineWords = training.baselineWords();
    run.writeLabFile();
    run.events.add("status", run.statusEvent(1));
    return run;
  }

  /** A run found in the runs folder: its files say what it was and how it ended. */
  static LabRun load(Path dir) throws IOException {
    RunDirectory d = RunDirectory.open(dir);
    TrainingRunConfig runConfig = d.readJson(RunDirectory.CONFIG, TrainingRunConfig.class);
    JsonNode lab =
        Files.isRegularFile(dir.resolve(LAB_FILE))
            ? RunEvents.JSON.readTree(dir.resolve(LAB_FILE).toFile())
            : null;
    LabConfig config =
        lab != null && lab.has("config")
            ? LabConfig.fromJson(
                RunEvents.JSON.convertValue(
                    lab.get("config"),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}))
            : LabConfig.fromRunConfig(runConfig);
    Instant created =
        lab != null && lab.has("created")
            ? Instant.parse(lab.get("created").asText())
            : Files.getLastModifiedTime(dir.resolve(RunDirectory.CONFIG)).toInstant();
    LabRun run =
        new LabRun(
            dir.getFileName().toString(),
            dir,
            lab != null ? "lab" : "cli",
            created,
            config,
            Status.INCOMPLETE,
            RunEvents.stored(dir.resolve(RunEvents.FILE)));
    if (lab != null && lab.has("baseline")) {
      run.baseline = lab.get("baseline").asText();
      run.baselineWords = lab.path("baseline_words").asText();
    }
    if (d.has(RunDirectory.RESULT))
      run.readResult(RunEvents.JSON.readTree(d.file(RunDirectory.RESULT).toFile()));
    if (lab != null && lab.path("status").asText().equals("cancelled") && run.result == null) {
      run.status = Status.CANCELLED;
    }
    if (lab != null && lab.path("status").asText().equals("failed")) {
      run.status = Status.FAILED;
      run.error = lab.path("error").asText(null);
    }
    if (!Files.isRegularFile(dir.resolve(RunEvents.FILE))) {
      // A run the command line wrote: its curves from its files, held (they are small).
      run.events = new RunEvents(null);
      run.eventsFromFiles(d, run.events);
      run.events.close();
    }
    return run;
  }

  private void readResult(JsonNode r) {
    Map<String, Object> m = new LinkedHashMap<>();
    String stop = r.path("stop").asText();
    m.put("stop", stop);
    m.put("stop_words", stopWords(stop));
    m.put("steps", r.path("steps").asLong());
    m.put("seconds", r.path("seconds").asDouble());
    m.put("val_loss", r.path("val_loss").isNumber() ? r.path("val_loss").asDouble() : null);
    m.put(
        "val_accuracy",
        r.path("val_accuracy").isNumber() ? r.path("val_accuracy").asDouble() : null);
    m.put("tokens_per_second", r.path("tokens_per_second").asDouble());
    m.put("parameters", r.path("parameters").asLong());
    m.put("baseline", baseline);
    m.put("baseline_words", baselineWords);
    result = m;
    step = r.path("steps").asLong();
    status =
        switch (stop) {
          case "diverged" -> Status.DIVERGED;
          case "cancelled" -> Status.CANCELLED;
          default -> Status.FINISHED;
        };
    JsonNode d = r.get("divergence");
    if (d != null && !d.isNull()) {
      Map<String, Object> dv = new LinkedHashMap<>();
      dv.put("step", d.path("step").asLong());
      dv.put("parameter", d.path("parameter").isNull() ? null : d.path("parameter").asText());
      dv.put("gradient_norm", d.path("gradient_norm").asText());
      dv.put("loss", d.path("loss").asText());
      dv.put("message", d.path("message").asText());
      dv.put("checkpoint_step", checkpointStep);
      divergence = dv;
    }
  }

  private static String stopWords(String stop) {
    for (TrainingResult.Stop s : TrainingResult.Stop.values()) {
      if (s.name().equalsIgnoreCase(stop)) return s.words();
    }
    return stop;
  }

  /** A run without an event log (the command line's): its curves from {@code metrics.csv}. */
  private void eventsFromFiles(RunDirectory d, RunEvents events) throws IOException {
    if (!d.has(RunDirectory.METRICS)) {
      events.add("finished", toJson());
      return;
    }
    List<RunCurve.Point> rows = RunCurve.read(d.file(RunDirectory.METRICS)).points();
    int every = Math.max(1, rows.size() / STEP_EVENTS);
    int i = 0;
    for (RunCurve.Point p : rows) {
      if (!Double.isNaN(p.trainLoss()) && (i++ % every == 0)) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("step", p.step());
        e.put("seconds", p.seconds());
        e.put("loss", p.trainLoss());
        e.put("grad_norm", orNull(p.gradNorm()));
        e.put("lr", orNull(p.learningRate()));
        e.put("tokens_per_s", orNull(p.tokensPerSecond()));
        events.add("step", e);
      }
      if (p.validated()) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("step", p.step());
        v.put("seconds", p.seconds());
        v.put("loss", p.validationLoss());
        v.put("accuracy", config.taskRow().scoredByAccuracy() ? orNull(p.validationScore()) : null);
        events.add("validation", v);
      }
    }
    if (divergence != null) events.add("divergence", divergence);
    events.add("finished", toJson());
  }

  private static Double orNull(double v) {
    return Double.isNaN(v) ? null : v;
  }

  /** Trains on the calling thread until the run ends; every outcome becomes an event. */
  void execute() {
    TrainingRun run = training;
    status = Status.RUNNING;
    events.add("status", statusEvent(0));
    try {
      writeLabFile();
      Watcher watcher = new Watcher(run);
      run.addListener(watcher);
      TrainingResult r = run.run();
      readResult(RunEvents.JSON.readTree(dir.resolve(RunDirectory.RESULT).toFile()));
      if (r.stop() == TrainingResult.Stop.DIVERGED) {
        divergence.put("checkpoint_step", checkpointStep);
        watcher.lastGoodStep(divergence);
        events.add("divergence", divergence);
      }
    } catch (IOException | RuntimeException e) {
      status = Status.FAILED;
      error = e.getMessage() == null ? e.toString() : e.getMessage();
    } finally {
      training = null;
      finish();
    }
  }

  private void finish() {
    try {
      writeLabFile();
    } catch (IOException e) {
      if (error == null) error = "could not record the run: " + e.getMessage();
    }
    events.add("finished", toJson());
    events.close();
  }

  /** Stops a running run after its step; a queued one never starts. */
  void cancel() {
    TrainingRun run = training;
    if (status == Status.QUEUED) {
      status = Status.CANCELLED;
      training = null;
      finish();
    } else if (run != null) {
      run.cancel();
    }
  }

  /**
   * Whether {@link #prepareResume} can continue the run: one that diverged (from its last good
   * checkpoint, or from step 0), or one stopped before its end (cancelled, or cut off when the lab
   * stopped) that left a checkpoint, as {@code seqlab train --resume} continues it.
   */
  public boolean resumable() {
    if (training != null) return false;
    if (status == Status.DIVERGED) return true;
    return stopped() && Files.isRegularFile(dir.resolve(RunDirectory.CHECKPOINT));
  }

  private boolean stopped() {
    return (status == Status.CANCELLED || status == Status.INCOMPLETE) && step < config.steps();
  }

  /**
   * Prepares a run to continue: a diverged one from its last good checkpoint with clipping on (at
   * {@code clipThreshold}, 1 if null, and optionally another learning rate); without a checkpoint
   * it starts again from step 0, the initial weights, which the seed draws again exactly. A stopped
   * one continues from its checkpoint with its own settings.
   */
  void prepareResume(Double clipThreshold, Double lr) throws IOException {
    if (!resumable()) {
      throw new IllegalStateException(
          status == Status.CANCELLED || status == Status.INCOMPLETE
              ? "run "
                  + id
                  + " is "
                  + status.word()
                  + " and left no checkpoint to continue from; start it again instead"
              : "only a run that diverged or was stopped before its end is resumed; this one is "
                  + status.word());
    }
    boolean diverged = status == Status.DIVERGED;
    if (!diverged && (clipThreshold != null || lr != null)) {
      throw new IllegalArgumentException(
          "a stopped run continues with its own settings; clip_threshold and lr change only after"
              + " a divergence");
    }
    double clip = clipThreshold == null ? 1.0 : clipThreshold;
    if (!events.persisted()) {
      // A run the command line wrote: its events so far go to a log of its own, which the resumed
      // run writes on.
      RunEvents log = new RunEvents(dir.resolve(RunEvents.FILE));
      for (RunEvents.Event old : events.all())
        log.add(old.type(), RunEvents.JSON.readTree(old.data()));
      events = log;
    }
    Map<String, Object> changes = new LinkedHashMap<>();
    if (diverged) changes.put("clip", clip);
    if (lr != null) changes.put("lr", lr);
    long from;
    TrainingRun run;
    if (Files.isRegularFile(dir.resolve(RunDirectory.CHECKPOINT))) {
      run = TrainingRun.resume(dir, c -> c.with(changes), Plots.FIGURES);
      from = run.resumedFrom();
    } else {
      TrainingRunConfig stored =
          RunDirectory.open(dir).readJson(RunDirectory.CONFIG, TrainingRunConfig.class);
      run = TrainingRun.start(stored.with(changes), dir, true, Plots.FIGURES);
      from = 0;
    }
    LabConfig c = config;
    if (diverged)
      config =
          new LabConfig(
              c.model(),
              c.activation(),
              c.task(),
              c.distance(),
              c.text(),
              c.seqLen(),
              c.hidden(),
              c.layers(),
              c.heads(),
              c.init(),
              c.spectralRadius(),
              c.forgetBias(),
              true,
              clip,
              c.optimizer(),
              lr != null ? lr : c.lr(),
              c.steps(),
              c.batch(),
              c.seed());
    training = run;
    result = null;
    divergence = null;
    step = from;
    status = Status.QUEUED;
    events.reopen();
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("from_step", from);
    e.put("clip_threshold", diverged ? clip : null);
    e.put("config", config.toJson());
    events.add("resumed", e);
    events.add("status", statusEvent(1));
    writeLabFile();
  }

  /** Tells the page the place in the queue. */
  void queuedAt(int position) {
    if (status == Status.QUEUED) events.add("status", statusEvent(position));
  }

  private Map<String, Object> statusEvent(int queuePosition) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", status.word());
    m.put("queue_position", status == Status.QUEUED ? queuePosition : null);
    return m;
  }

  private void writeLabFile() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("title", config.title());
    m.put("created", created.toString());
    m.put("status", status.word());
    m.put("error", error);
    m.put("baseline", baseline);
    m.put("baseline_words", baselineWords);
    m.put("config", config.toJson());
    AtomicFiles.write(
        dir.resolve(LAB_FILE),
        RunEvents.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
  }

  /** The run as the API shows it. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("title", config.title());
    m.put("status", status.word());
    m.put("config", config.toJson());
    m.put("created", created.toString());
    m.put("step", step);
    m.put("max_steps", config.steps());
    m.put("source", source);
    m.put("baseline", baseline);
    m.put("baseline_words", baselineWords);
    m.put("result", result);
    m.put("divergence", divergence);
    m.put("resumable", resumable());
    m.put("error", error);
    return m;
  }

  public String id() {
    return id;
  }

  public Path dir() {
    return dir;
  }

  public LabConfig config() {
    return config;
  }

  public Status status() {
    return status;
  }

  /** The run's events. */
  public RunEvents events() {
    return events;
  }

  public Instant created() {
    return created;
  }

  /** Turns the engine's reports into the page's events, thinned to what a chart can use. */
  private final class Watcher implements TrainingListener {
    private final TrainingRun run;
    private final long stepEvery, gradientEvery;
    private final int insideEvery;
    private int validations;

    Watcher(TrainingRun run) {
      this.run = run;
      long steps = Math.max(1, run.config().maxSteps());
      stepEvery = Math.max(1, steps / STEP_EVENTS);
      gradientEvery = Math.max(1, steps / TIME_GRADIENT_ROWS);
      long validationCount = Math.max(1, steps / Math.max(1, run.config().validateEvery()));
      insideEvery = (int) Math.max(1, validationCount / INSIDE_VIEWS);
    }

    private List<String> parameterNames = List.of();
    private StepReport lastGood;

    /**
     * Adds to a divergence where the last good step's gradient was largest: when the loss itself
     * broke first, no gradient names the parameter, but the step before usually has.
     */
    void lastGoodStep(Map<String, Object> divergence) {
      if (lastGood == null) return;
      double[] norms = lastGood.parameterGradientNorms();
      int largest = 0;
      for (int i = 1; i < norms.length; i++) if (norms[i] > norms[largest]) largest = i;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", lastGood.step());
      m.put("largest_parameter", parameterNames.get(largest));
      m.put("largest_gradient_norm", finite(norms[largest]));
      divergence.put("last_good_step", m);
      if (divergence.get("parameter") == null) {
        divergence.put(
            "message",
            divergence.get("message")
                + String.format(
                    java.util.Locale.ROOT,
                    "; at step %d, the last good one, the largest gradient was %s's (norm %.3g)",
                    lastGood.step(),
                    parameterNames.get(largest),
                    norms[largest]));
      }
    }

    @Override
    public void onStart(long from, List<String> parameterNames) {
      this.parameterNames = parameterNames;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", from);
      m.put("parameters", parameterNames);
      m.put("baseline", baseline);
      m.put("baseline_words", baselineWords);
      m.put("steps_per_sequence", run.steps());
      m.put("title", config.title());
      events.add("start", m);
      inside(from);
    }

    private StepReport unsent; // the last step, if thinning skipped it: sent when the run ends

    /**
     * Steps so far and the sum of their seconds per token: a run's batches all have the same number
     * of tokens, so {@code steps / secondsPerToken} is training tokens per second of training time
     * (validation excluded), the definition of the result's {@code tokens_per_second}. Each step
     * event sends it as it stands, so the page shows one speed.
     */
    private long timedSteps;

    private double secondsPerToken;

    @Override
    public void onStep(StepReport r) {
      step = r.step();
      if (r.tokensPerSecond() > 0 && Double.isFinite(r.tokensPerSecond())) {
        timedSteps++;
        secondsPerToken += 1 / r.tokensPerSecond();
      }
      lastGood = r;
      unsent = r;
      if (r.step() == 1 || r.step() % stepEvery == 0) sendStep(r);
      if (r.step() == 1 || r.step() % gradientEvery == 0) {
        Map<String, Object> g = LabProbes.timeGradients(run.model(), r.step());
        if (g != null) events.add("time_gradients", g);
      }
    }

    @Override
    public void onFinish(TrainingResult result) {
      if (unsent != null) sendStep(unsent);
    }

    private void sendStep(StepReport r) {
      unsent = null;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", r.step());
      m.put("seconds", r.seconds());
      m.put("loss", finite(r.loss()));
      m.put("grad_norm", finite(r.gradientNorm()));
      m.put("lr", r.learningRate());
      m.put("tokens_per_s", timedSteps == 0 ? null : timedSteps / secondsPerToken);
      events.add("step", m);
    }

    @Override
    public void onValidation(ValidationReport r) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", r.step());
      m.put("seconds", r.seconds());
      m.put("loss", finite(r.loss()));
      m.put("accuracy", finite(r.accuracy()));
      events.add("validation", m);
      validations++;
      if (validations % insideEvery == 0 || r.step() >= run.config().maxSteps()) inside(r.step());
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      checkpointStep = state.step();
    }

    @Override
    public void onWarning(String message) {
      events.add("warning", Map.of("message", message));
    }

    private void inside(long at) {
      Map.Entry<String, Map<String, Object>> view = LabProbes.inside(run, at);
      if (view != null) events.add(view.getKey(), view.getValue());
    }
  }

  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
