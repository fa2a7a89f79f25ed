package org.seqlab.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.seqlab.io.RunDirectory;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.TextStreams;
import org.seqlab.tensor.Parallel;

/**
 * The web lab without the web: its runs folder, the runs in it, the queue, and the probes. The HTTP
 * layer only translates requests to these calls and their answers to JSON, so everything the page
 * does can be done (and is tested) from Java.
 *
 * <p>Runs train side by side, each on one kernel thread, at most {@link Options#maxRunning} at a
 * time; the rest wait in a queue of at most {@link Options#maxQueued}. Every run is a directory in
 * the runs folder, written as {@code seqlab train} writes it, so the history is the folder: it
 * survives a restart, and runs the command line wrote there appear too.
 */
public final class Lab implements AutoCloseable {

  /**
   * @param runs the runs folder
   * @param maxRunning runs that train at once
   * @param maxQueued runs that may wait; more are refused
   * @param texts the texts char-lm runs may train on
   */
  public record Options(Path runs, int maxRunning, int maxQueued, List<Path> texts) {
    public Options {
      if (maxRunning < 1 || maxRunning > 64) {
        throw new IllegalArgumentException("--max-running must be 1 to 64, got " + maxRunning);
      }
      if (maxQueued < 0 || maxQueued > 10_000) {
        throw new IllegalArgumentException("--max-queued must be 0 to 10000, got " + maxQueued);
      }
      texts = List.copyOf(texts);
    }
  }

  /** Refused because the queue is full: try again when a run has ended. */
  public static final class QueueFull extends RuntimeException {
    QueueFull(String message) {
      super(message);
    }
  }

  /** A run id is a directory name in the runs folder: no separators, no "..". */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** The newest runs the history lists. */
  public static final int MAX_HISTORY = 500;

  private final Options options;
  private final Map<String, LabRun> runs = new ConcurrentHashMap<>();
  private final Map<String, ExperimentJob> experiments = new ConcurrentHashMap<>();
  private final List<LabRun> waiting = new ArrayList<>();
  private final ExecutorService workers;
  private final ExecutorService experimentWorker;
  private final AtomicInteger running = new AtomicInteger();

  public Lab(Options options) throws IOException {
    this.options = options;
    Files.createDirectories(options.runs());
    for (Path text : options.texts()) checkText(text);
    // Runs go side by side, one kernel thread each: the same numbers as on one thread.
    Parallel.setThreads(1);
    AtomicInteger n = new AtomicInteger();
    workers =
        Executors.newFixedThreadPool(
            options.maxRunning(),
            r -> {
              Thread t = new Thread(r, "lab-run-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    experimentWorker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "lab-experiment");
              t.setDaemon(true);
              return t;
            });
    rescan();
  }

  public Options options() {
    return options;
  }

  /**
   * Checks a text a char-lm run may train on, before the lab starts: a UTF-8 text file, not binary,
   * long enough for a run with the lab's default window and batch.
   *
   * @throws IllegalArgumentException in one sentence, naming the file ("--text FILE: ...")
   */
  public static void checkText(Path text) throws IOException {
    LabConfig d = LabConfig.defaults();
    String problem = textProblem(text, d.seqLen(), d.batch());
    if (problem != null) throw new IllegalArgumentException("--text " + text + ": " + problem);
  }

  /**
   * What keeps {@code text} from serving a char-lm run with this window and batch, in the lab's
   * words, or null. The engine's own check ({@link TextStreams}) decides; only its words change.
   */
  static String textProblem(Path text, int window, int batch) throws IOException {
    CharCorpus corpus;
    try {
      corpus = CharCorpus.read(text);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      return m.startsWith(text.toString()) ? m.substring(text.toString().length()).strip() : m;
    }
    try {
      new TextStreams(corpus, window, batch, 0);
      return null;
    } catch (IllegalArgumentException e) {
      long characters = corpus.train().length + (long) corpus.validation().length;
      return String.format(
          java.util.Locale.ROOT,
          "its %d characters are too few for a char-lm run with a window of %d and a batch of %d"
              + " (90%% of the text trains, 10%% validates, and each needs whole windows); give a"
              + " text of at least %d characters",
          characters,
          window,
          batch,
          shortestText(window, batch));
    }
  }

  /** The fewest characters a text needs for a window and batch (train and validation parts). */
  public static long shortestText(int window, int batch) {
    long n = (long) window * batch + 1;
    while (true) {
      long validation = Math.round(n * CharCorpus.VALIDATION_FRACTION);
      long train = n - validation;
      if ((train - 1) / batch / window > 0 && (validation - 1) / window > 0) return n;
      n++;
    }
  }

  /** The names of the texts char-lm may train on. */
  public List<String> textNames() {
    return options.texts().stream().map(p -> p.getFileName().toString()).toList();
  }

  /** Reads a request as {@link LabConfig#check} does, with this lab's texts. */
  public LabConfig.Checked check(Map<String, ?> request) {
    return LabConfig.check(request, textNames());
  }

  /**
   * Starts a run, or queues it.
   *
   * @throws IllegalArgumentException naming what is wrong (nothing is written then)
   * @throws QueueFull when {@link Options#maxQueued} runs already wait
   */
  public LabRun start(LabConfig config) throws IOException {
    Path text = null;
    if (config.taskRow().isText()) {
      int i = textNames().indexOf(config.text());
      if (i < 0) throw new IllegalArgumentException("text: no text named " + config.text());
      text = options.texts().get(i);
      String problem = textProblem(text, config.seqLen(), config.batch());
      if (problem != null) {
        throw new IllegalArgumentException(
            "text " + config.text() + ": " + problem + ", or lower the window or the batch");
      }
    }
    LabRun run;
    synchronized (waiting) {
      // Counted together: a run between the queue and a worker is in one of the two, never neither.
      if (waiting.size() + running.get() >= options.maxRunning() + options.maxQueued()) {
        throw new QueueFull(
            String.format(
                "%d runs are training and %d wait, the most this lab takes; cancel one or try"
                    + " again when one ends",
                running.get(), waiting.size()));
      }
      String id = newId(config);
      run = LabRun.create(id, options.runs().resolve(id), config, text);
      runs.put(id, run);
      waiting.add(run);
    }
    workers.execute(() -> train(run));
    announcePositions();
    return run;
  }

  private void train(LabRun run) {
    synchronized (waiting) {
      if (!waiting.remove(run)) return; // cancelled while it waited
      running.incrementAndGet();
    }
    announcePositions();
    try {
      run.execute();
    } finally {
      running.decrementAndGet();
    }
  }

  private void announcePositions() {
    List<LabRun> queue;
    synchronized (waiting) {
      queue = List.copyOf(waiting);
    }
    for (int i = 0; i < queue.size(); i++) queue.get(i).queuedAt(i + 1);
  }

  /** Stops a run after its current step, or takes it out of the queue. */
  public LabRun cancel(String id) {
    LabRun run = require(id);
    synchronized (waiting) {
      waiting.remove(run);
    }
    run.cancel();
    announcePositions();
    return run;
  }

  /**
   * Continues a run: a diverged one from its last good checkpoint with clipping at {@code
   * clipThreshold} (1 if null, and optionally another learning rate); one stopped before its end
   * (cancelled, or cut off when the lab stopped) from its checkpoint with its own settings.
   *
   * @throws IllegalStateException if the run cannot be continued
   */
  public LabRun resume(String id, Double clipThreshold, Double lr) throws IOException {
    LabRun run = require(id);
    LabConfig.Control clip = LabConfig.control("clip_threshold");
    if (clipThreshold != null && !(clipThreshold >= clip.min() && clipThreshold <= clip.max())) {
      throw new IllegalArgumentException(
          "clip_threshold must be " + clip.allowed() + ", got " + clipThreshold);
    }
    if (lr != null) {
      LabConfig.Control rate = LabConfig.control("lr");
      if (!(lr >= rate.min() && lr <= rate.max())) {
        throw new IllegalArgumentException("lr must be " + rate.allowed() + ", got " + lr);
      }
    }
    synchronized (waiting) {
      run.prepareResume(clipThreshold, lr);
      waiting.add(run);
    }
    workers.execute(() -> train(run));
    announcePositions();
    return run;
  }

  /** The run called {@code id}, or null. */
  public LabRun get(String id) {
    if (id == null || !ID.matcher(id).matches()) return null;
    LabRun run = runs.get(id);
    if (run == null) {
      Path dir = options.runs().resolve(id);
      if (Files.isRegularFile(dir.resolve("config.json"))) run = loadQuietly(dir);
    }
    return run;
  }

  private LabRun require(String id) {
    LabRun run = get(id);
    if (run == null) throw new java.util.NoSuchElementException("no run " + id);
    return run;
  }

  /** Every run in the runs folder, newest first (at most {@link #MAX_HISTORY}). */
  public List<LabRun> list() {
    rescan();
    return runs.values().stream()
        .sorted(Comparator.comparing(LabRun::created).reversed())
        .limit(MAX_HISTORY)
        .toList();
  }

  /** Loads the runs and experiments the folder holds that the lab does not know yet. */
  private synchronized void rescan() {
    Map<String, String> unreadable = new java.util.TreeMap<>();
    try (Stream<Path> entries = Files.list(options.runs())) {
      for (Path dir : entries.toList()) {
        String name = dir.getFileName().toString();
        if (!ID.matcher(name).matches()) continue;
        if (!runs.containsKey(name) && Files.isRegularFile(dir.resolve("config.json"))) {
          try {
            runs.putIfAbsent(name, LabRun.load(dir));
          } catch (IOException | RuntimeException e) {
            unreadable.put(name, why(dir, e));
          }
        }
        if (!experiments.containsKey(name)
            && Files.isRegularFile(dir.resolve(ExperimentJob.RECORD))) {
          try {
            experiments.putIfAbsent(name, ExperimentJob.load(dir));
          } catch (IOException | RuntimeException e) {
            unreadable.put(name, why(dir, e));
          }
        }
      }
    } catch (IOException e) {
      // An unreadable folder lists what is known.
    }
    skipped = Map.copyOf(unreadable);
  }

  /** The folders of the runs folder that look like runs or experiments but cannot be read. */
  private volatile Map<String, String> skipped = Map.of();

  /**
   * The folders left out of the history because they cannot be read, each with why, as of the last
   * look at the runs folder: folder name to reason.
   */
  public Map<String, String> skipped() {
    rescan();
    return new java.util.TreeMap<>(skipped);
  }

  /**
   * Why a folder cannot be read, in one sentence without the parser's internals: the file that is
   * not JSON and where, or what the reader said.
   */
  static String why(Path dir, Exception e) {
    for (String file :
        List.of(RunDirectory.CONFIG, LabRun.LAB_FILE, RunDirectory.RESULT, ExperimentJob.RECORD)) {
      Path path = dir.resolve(file);
      if (!Files.isRegularFile(path)) continue;
      try {
        RunEvents.JSON.readTree(path.toFile());
      } catch (com.fasterxml.jackson.core.JsonProcessingException j) {
        var at = j.getLocation();
        return file
            + " is not valid JSON"
            + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
            + ": "
            + j.getOriginalMessage()
                .lines()
                .findFirst()
                .orElse("")
                .replaceAll("\\s*\\(code -?\\d+\\)", "");
      } catch (IOException unreadable) {
        return file + " cannot be read: " + unreadable.getMessage();
      }
    }
    Throwable t = e;
    while (!(t instanceof com.fasterxml.jackson.core.JsonProcessingException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String m =
        t instanceof com.fasterxml.jackson.core.JsonProcessingException j
            ? "its files are not as this version writes them: " + j.getOriginalMessage()
            : e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }

  private static LabRun loadQuietly(Path dir) {
    try {
      return LabRun.load(dir);
    } catch (IOException | RuntimeException e) {
      return null; // not a run this version can read: listed by skipped()
    }
  }

  private String newId(LabConfig config) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    String base = stamp + "-" + config.engineModel().replace('_', '-') + "-" + config.task();
    String id = base;
    for (int i = 2; runs.containsKey(id) || Files.exists(options.runs().resolve(id)); i++) {
      id = base + "-" + i;
    }
    return id;
  }

  /**
   * The configurations of {@code ids} side by side, and the fields in which they differ, with each
   * run's value.
   */
  public Map<String, Object> compare(List<String> ids) {
    if (ids.size() < 2 || ids.size() > 8) {
      throw new IllegalArgumentException("compare takes 2 to 8 runs, got " + ids.size());
    }
    List<LabRun> chosen = new ArrayList<>();
    for (String id : ids) chosen.add(require(id));
    List<Map<String, Object>> differences = new ArrayList<>();
    for (LabConfig.Control c : LabConfig.CONTROLS) {
      List<Object> values = new ArrayList<>();
      for (LabRun r : chosen) values.add(r.config().toJson().get(c.name()));
      if (values.stream().distinct().count() > 1) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("field", c.name());
        d.put("label", c.label());
        d.put("values", values);
        differences.add(d);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runs", chosen.stream().map(LabRun::toJson).toList());
    m.put("differences", differences);
    return m;
  }

  /**
   * The gradient-flow probe for a config, over its task's sequence length (or {@code steps}). At
   * most one measurement per processor runs at a time; a request that cannot start within {@link
   * #PROBE_WAIT_SECONDS} is refused as the queue is, so a flood of requests cannot starve the
   * training runs.
   */
  public Map<String, Object> gradientFlow(LabConfig config, Integer steps) {
    int t = steps != null ? steps : sequenceLength(config);
    if (t < 2 || t > LabProbes.MAX_FLOW_STEPS) {
      throw new IllegalArgumentException(
          "flow_steps must be 2 to " + LabProbes.MAX_FLOW_STEPS + ", got " + t);
    }
    try {
      if (!probes.tryAcquire(PROBE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new QueueFull(
            "the lab is busy measuring gradient flows for other requests; try again in a moment");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QueueFull("interrupted while waiting to measure");
    }
    try {
      return LabProbes.gradientFlow(config, t);
    } finally {
      probes.release();
    }
  }

  /** How long a gradient-flow request may wait for a free processor. */
  static final int PROBE_WAIT_SECONDS = 20;

  private final java.util.concurrent.Semaphore probes =
      new java.util.concurrent.Semaphore(Runtime.getRuntime().availableProcessors());

  /** How long the config's sequences are: the window of char-lm, a synthetic task's length. */
  static int sequenceLength(LabConfig c) {
    if (c.taskRow().isText()) return c.seqLen();
    return c.taskRow()
        .create(c.distance(), 1, 1, org.seqlab.experiments.Task.RECALL_POOL, c.seed())
        .steps();
  }

  // --- Experiments -------------------------------------------------------------------------

  /** Every experiment in the runs folder, newest first. */
  public List<ExperimentJob> experiments() {
    rescan();
    return experiments.values().stream()
        .sorted(Comparator.comparing(ExperimentJob::id).reversed())
        .toList();
  }

  public ExperimentJob experiment(String id) {
    if (id == null || !ID.matcher(id).matches()) return null;
    rescan();
    return experiments.get(id);
  }

  /** Experiments that may wait while one runs. */
  static final int MAX_QUEUED_EXPERIMENTS = 2;

  /**
   * Starts an experiment in the background (one at a time; at most {@link #MAX_QUEUED_EXPERIMENTS}
   * wait for it).
   *
   * @throws QueueFull when that many already wait
   */
  public ExperimentJob startExperiment(String name, Map<String, Object> request)
      throws IOException {
    long unfinished = experiments.values().stream().filter(ExperimentJob::unfinished).count();
    if (unfinished > MAX_QUEUED_EXPERIMENTS) {
      throw new QueueFull(
          unfinished
              + " experiments are running or waiting, the most this lab takes; cancel one or try"
              + " again when one ends");
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    String id = stamp + "-" + name;
    for (int i = 2; experiments.containsKey(id) || Files.exists(options.runs().resolve(id)); i++) {
      id = stamp + "-" + name + "-" + i;
    }
    ExperimentJob job = ExperimentJob.prepare(id, options.runs().resolve(id), name, request);
    experiments.put(id, job);
    experimentWorker.execute(job::execute);
    return job;
  }

  public ExperimentJob cancelExperiment(String id) {
    ExperimentJob job = experiment(id);
    if (job == null) throw new java.util.NoSuchElementException("no experiment " + id);
    job.cancel();
    return job;
  }

  /** Cancels what runs (each checkpoints) and stops the workers. */
  @Override
  public void close() {
    for (LabRun run : runs.values()) {
      if (!run.status().ended()) run.cancel();
    }
    for (ExperimentJob job : experiments.values()) job.cancel();
    workers.shutdown();
    experimentWorker.shutdown();
    try {
      workers.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
      experimentWorker.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
