package org.seqlab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.seqlab.io.RunDirectory;
import org.seqlab.nn.LanguageModel;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.SequenceTask;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.tasks.TextStreams;
import org.seqlab.tasks.Vocabulary;
import org.seqlab.tensor.Parallel;
import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;

/**
 * A model trained into a run directory, on a text (a character language model) or on one of the
 * synthetic tasks: what {@code seqlab train} does, and what the web lab will start. It checks
 * everything before it writes anything (the configuration, the text, the memory a step needs, the
 * output directory), trains through the one {@link Trainer}, and records the run as {@link
 * RunDirectory} describes: metrics as they come, checkpoints atomically, the best model, plots and
 * the final figures.
 *
 * <p>{@link #resume} continues a stopped or killed run from its last checkpoint; because batches
 * and dropout masks are functions of the seed and the step, it ends with exactly the numbers of a
 * run that never stopped.
 */
public final class TrainingRun {

  /** The metadata key under which checkpoints and model files hold the configuration. */
  public static final String CONFIG_KEY = "seqlab_config";

  /** The metadata key under which they hold the vocabulary, a JSON array of characters. */
  public static final String VOCABULARY_KEY = "vocabulary";

  /** Configuration fields a resumed run may change: they alter no number of the run. */
  static final List<String> CHANGEABLE_ON_RESUME =
      List.of("maxSteps", "timeLimitSeconds", "threads");

  /**
   * What a run that diverged may also change when it is resumed from its last good checkpoint: the
   * remedies, clipping and the learning rate.
   */
  static final List<String> REMEDIES_AFTER_DIVERGENCE = List.of("clip", "lr");

  private final TrainingRunConfig config;
  private final RunDirectory directory;
  private final CharCorpus corpus; // null for a synthetic task
  private final SequenceTask task;
  private final LanguageModel model;
  private final Trainer trainer;
  private final long resumedFrom;

  /** What a resume's new limits did, in one line; null where there were none. */
  private String extension;

  private TrainingRun(
      TrainingRunConfig config,
      RunDirectory directory,
      Source source,
      LanguageModel model,
      Trainer trainer,
      long resumedFrom,
      FigureSink figures) {
    this.config = config;
    this.directory = directory;
    this.corpus = source.corpus();
    this.task = source.task();
    this.model = model;
    this.trainer = trainer;
    this.resumedFrom = resumedFrom;
    trainer.addListener(
        new RunRecorder(
            directory,
            config,
            model,
            model.vocabularySize(),
            metadata(),
            figures,
            scoredByAccuracy(source.task())));
  }

  /** What a run trains on: the task, and the text behind it (null for a synthetic task). */
  private record Source(SequenceTask task, CharCorpus corpus) {

    /** The task of {@code config}: its text cut into streams, or a synthetic task's generator. */
    static Source of(TrainingRunConfig config, Path text) throws IOException {
      if (config.isCharLm()) {
        CharCorpus corpus = CharCorpus.read(text);
        return new Source(
            new TextStreams(corpus, config.seqLen(), config.batch(), config.dataSeedOrSeed()),
            corpus);
      }
      SyntheticTask task =
          config
              .taskRow()
              .create(
                  config.distance(),
                  config.batch(),
                  config.validationSize(),
                  RECALL_POOL,
                  config.dataSeedOrSeed());
      return new Source(task, null);
    }

    /** What a model must fit to train on this task. */
    ModelSpec.Shape shape() {
      return new ModelSpec.Shape(
          task.vocabularySize(), task.inputFeatures(), task.outputSize(), task.steps());
    }

    /** A new model of the config's shape, fitted to the task, with zero weights. */
    LanguageModel newModel(TrainingRunConfig config) {
      return config.modelSpec().create(shape());
    }
  }

  /** Whether a task's score is its validation accuracy (else its validation loss). */
  static boolean scoredByAccuracy(SequenceTask task) {
    return task instanceof SyntheticTask t && t.metric() == SyntheticTask.Metric.ACCURACY;
  }

  /** The keys (and values) a recall task draws from: {@link Task#RECALL_POOL}. */
  public static final int RECALL_POOL = Task.RECALL_POOL;

  /**
   * Prepares a new run into {@code out}: reads and checks the text, sizes the model, refuses what
   * cannot work, then creates the directory and writes {@code config.json}.
   *
   * @param force replace the files of an earlier run in {@code out}
   * @param figures where the run's plots (loss and gradient norm) are drawn
   * @throws IllegalArgumentException for anything wrong with the request, before anything is
   *     written
   */
  public static TrainingRun start(
      TrainingRunConfig requested, Path out, boolean force, FigureSink figures) throws IOException {
    TrainingRunConfig config = requested;
    Path text =
        requested.isCharLm() ? Path.of(requested.text()).toAbsolutePath().normalize() : null;
    Source source = Source.of(config, text); // reads and checks the text first
    if (text != null) {
      config = requested.with(Map.of("text", text.toString(), "text_sha256", sha256(text)));
    }
    requireMemory(config, source.task());

    LanguageModel model = config.modelSpec().build(source.shape(), config.seed());
    Trainer trainer = new Trainer(model, source.task(), config.trainingOptions());
    RunDirectory directory = RunDirectory.create(out, force);
    directory.writeJson(RunDirectory.CONFIG, config);
    return new TrainingRun(config, directory, source, model, trainer, 0, figures);
  }

  /** As {@link #start(TrainingRunConfig, Path, boolean, FigureSink)}, drawing no plots. */
  public static TrainingRun start(TrainingRunConfig requested, Path out, boolean force)
      throws IOException {
    return start(requested, out, force, FigureSink.NONE);
  }

  /** As {@link #resume(Path, java.util.function.UnaryOperator, FigureSink)}, drawing no plots. */
  public static TrainingRun resume(
      Path dir, java.util.function.UnaryOperator<TrainingRunConfig> changes) throws IOException {
    return resume(dir, changes, FigureSink.NONE);
  }

  /**
   * Continues the run in {@code dir} from its last checkpoint.
   *
   * @param changes applied to the stored configuration: the options the user gave again. Only
   *     {@link #CHANGEABLE_ON_RESUME} may differ; anything else is refused, naming the option.
   * @throws IllegalArgumentException if there is no run or no checkpoint, the configuration
   *     changed, or the text is no longer the one the run trained on
   */
  public static TrainingRun resume(
      Path dir, java.util.function.UnaryOperator<TrainingRunConfig> changes, FigureSink figures)
      throws IOException {
    RunDirectory directory = RunDirectory.open(dir);
    TrainingRunConfig stored;
    try {
      stored = directory.readJson(RunDirectory.CONFIG, TrainingRunConfig.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          directory.file(RunDirectory.CONFIG) + " is unreadable: " + e.getMessage(), e);
    }
    TrainingRunConfig config = changes.apply(stored);
    List<String> changed = new ArrayList<>(differences(stored, config));
    changed.removeAll(CHANGEABLE_ON_RESUME);
    boolean diverged = diverged(directory);
    if (diverged) changed.removeAll(REMEDIES_AFTER_DIVERGENCE);
    if (!changed.isEmpty()) {
      throw new IllegalArgumentException(
          "--resume continues a run with its own configuration, but these options differ from"
              + " "
              + directory.file(RunDirectory.CONFIG)
              + ": "
              + describeDifferences(stored, config, changed)
              + "; drop them, or start a new run with --out"
              + (diverged ? "" : " (--clip and --lr may change only after a divergence)"));
    }
    RunDirectory.Checkpoint checkpoint = directory.loadCheckpoint();
    double seconds = checkpoint.state().seconds();
    // A run that stopped at its time limit had trained for all of it, though its last checkpoint
    // may have been taken a step before the limit: its cosine had ended.
    if ("time_limit".equals(stop(directory)) && stored.timeLimitSeconds() > 0) {
      seconds = Math.max(seconds, stored.timeLimitSeconds());
    }
    Extension extension = extend(stored, config, checkpoint.state().step(), seconds);
    config = extension.config();
    Path text = null;
    if (config.isCharLm()) {
      text = Path.of(config.text());
      if (!Files.isRegularFile(text)) {
        throw new IllegalArgumentException(
            "the run trained on " + text + ", which is no longer there");
      }
      if (!sha256(text).equals(config.textSha256())) {
        throw new IllegalArgumentException(
            text
                + " has changed since the run began (its SHA-256 differs); resuming would train on"
                + " other data");
      }
    }
    Source source = Source.of(config, text);
    CharCorpus corpus = source.corpus();
    LanguageModel model = source.newModel(config);
    Trainer trainer = new Trainer(model, source.task(), config.trainingOptions());
    String vocabulary = checkpoint.metadata().get(VOCABULARY_KEY);
    if (corpus != null
        && vocabulary != null
        && !vocabulary.equals(vocabularyJson(corpus.vocabulary()))) {
      throw new IllegalArgumentException(
          directory.file(RunDirectory.CHECKPOINT) + " was trained on another vocabulary");
    }
    try {
      trainer.restore(checkpoint.state());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          directory.file(RunDirectory.CHECKPOINT)
              + " does not fit the model of "
              + RunDirectory.CONFIG
              + ": "
              + e.getMessage(),
          e);
    }
    long step = checkpoint.state().step();
    RunCurve.upgrade(directory.file(RunDirectory.METRICS)); // a run from before val_score
    directory.truncateCsv(RunDirectory.METRICS, step);
    directory.truncateCsv(RunDirectory.GRADIENT_NORMS, step);
    if (!config.equals(stored)) directory.writeJson(RunDirectory.CONFIG, config);
    TrainingRun run = new TrainingRun(config, directory, source, model, trainer, step, figures);
    run.extension = extension.words();
    return run;
  }

  /** A resumed run's configuration, and what its new limits did, in one line (null: none). */
  record Extension(TrainingRunConfig config, String words) {}

  /**
   * What new limits do to a run resumed at {@code step}, {@code seconds} into it. A limit must lie
   * beyond what the run has done (else it would train nothing). A cosine schedule whose length
   * changes is re-planned where the run resumes ({@link LearningRateSchedule#replannedAt}): from
   * the rate it had reached there down to {@code --min-lr} at the new limit, continuous and
   * falling; one still in its warm-up keeps its plan (its decay, not begun, spans up to the new
   * limit). Constant and warm-up schedules do not depend on the limits.
   *
   * @throws IllegalArgumentException for a limit the run has already reached
   */
  static Extension extend(
      TrainingRunConfig stored, TrainingRunConfig given, long step, double seconds) {
    boolean steps = given.maxSteps() != stored.maxSteps();
    boolean time = given.timeLimitSeconds() != stored.timeLimitSeconds();
    if (!steps && !time) return new Extension(given, null);
    if (steps && given.maxSteps() > 0 && given.maxSteps() <= step) {
      throw new IllegalArgumentException(
          "--max-steps "
              + given.maxSteps()
              + " would train nothing: the run is at step "
              + step
              + "; give more steps than that to extend it");
    }
    if (time && given.timeLimitSeconds() > 0 && given.timeLimitSeconds() <= seconds) {
      throw new IllegalArgumentException(
          "--time-limit "
              + org.seqlab.experiments.Units.duration(given.timeLimitSeconds())
              + " would train nothing: it is the whole run's, which has trained for "
              + org.seqlab.experiments.Units.duration(seconds)
              + "; give more than that to extend it");
    }
    String end =
        given.maxSteps() > 0
            ? "step " + given.maxSteps()
            : "the time limit of "
                + org.seqlab.experiments.Units.duration(given.timeLimitSeconds());
    LearningRateSchedule schedule = stored.learningRateSchedule();
    // The cosine's length is set by the step limit if there is one, else by the time limit.
    boolean lengthChanged = given.maxSteps() > 0 ? steps : time || stored.maxSteps() > 0;
    if (schedule.kind() != LearningRateSchedule.Kind.COSINE || !lengthChanged) {
      return new Extension(
          given,
          "new limits: the run goes on to "
              + end
              + (schedule.kind() == LearningRateSchedule.Kind.COSINE
                  ? "; the cosine keeps its plan (its length follows --max-steps)"
                  : "; the " + schedule.kind().cliName() + " schedule does not depend on them"));
    }
    if (step <= schedule.warmupSteps()) {
      return new Extension(
          given,
          "new limits: the run goes on to "
              + end
              + "; still in its warm-up, its cosine decay will span up to the new limit");
    }
    // The share of the decay still ahead, under the plan the run followed; the rate it gives under
    // the given settings follows a new --lr (a remedy after a divergence) as the plan would.
    double share = TrainingRunConfig.ScheduleRestart.share(stored, step, seconds);
    double rate = given.minLr() + (given.lr() - given.minLr()) * share;
    if (!(rate > 0)) {
      throw new IllegalArgumentException(
          "the run's cosine has decayed to a rate of 0 (--min-lr 0), so more steps would not"
              + " train; start a new run with --out");
    }
    TrainingRunConfig replanned =
        given.with(
            Map.of(
                "schedule_restart", new TrainingRunConfig.ScheduleRestart(step, seconds, share)));
    if (share <= 1e-9) {
      // A run that had finished its decay: the extension trains at the final rate.
      return new Extension(
          replanned,
          "new limits: the run goes on to "
              + end
              + " at --min-lr "
              + given.minLr()
              + ", where its cosine had ended");
    }
    return new Extension(
        replanned,
        String.format(
            Locale.ROOT,
            "new limits: the cosine is re-planned from step %d, from its rate there (%.3g) down to"
                + " --min-lr %s at %s",
            step,
            rate,
            given.minLr(),
            end));
  }

  /** Whether the run in {@code directory} ended by diverging, as its {@code result.json} says. */
  private static boolean diverged(RunDirectory directory) throws IOException {
    return "diverged".equals(stop(directory));
  }

  /** Why the run in {@code directory} ended, as its {@code result.json} says; "" if unknown. */
  private static String stop(RunDirectory directory) throws IOException {
    if (!directory.has(RunDirectory.RESULT)) return "";
    com.fasterxml.jackson.databind.JsonNode result =
        RunDirectory.JSON.readTree(directory.file(RunDirectory.RESULT).toFile());
    return result.path("stop").asText();
  }

  /** The record components (field names) in which {@code a} and {@code b} differ. */
  public static List<String> differences(TrainingRunConfig a, TrainingRunConfig b) {
    List<String> names = new ArrayList<>();
    for (RecordComponent c : TrainingRunConfig.class.getRecordComponents()) {
      if (!Objects.equals(value(c, a), value(c, b))) names.add(c.getName());
    }
    return names;
  }

  private static String describeDifferences(
      TrainingRunConfig stored, TrainingRunConfig given, List<String> names) {
    List<String> parts = new ArrayList<>();
    for (RecordComponent c : TrainingRunConfig.class.getRecordComponents()) {
      if (names.contains(c.getName())) {
        parts.add(c.getName() + " " + value(c, given) + " (the run has " + value(c, stored) + ")");
      }
    }
    return String.join(", ", parts);
  }

  private static Object value(RecordComponent c, TrainingRunConfig config) {
    try {
      return c.getAccessor().invoke(config);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void requireMemory(TrainingRunConfig config, SequenceTask task) {
    double need = config.estimatedBytes(task.outputSize(), task.steps());
    long have = Runtime.getRuntime().maxMemory();
    if (need > have * 0.6) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a training step of this size (--batch %d, %d steps, --hidden %d, --layers %d)"
                  + " needs about %.1f GiB; this JVM may use %.1f GiB (make the model or batch"
                  + " smaller, or raise the limit with SEQLAB_JAVA_OPTS=-Xmx...)",
              config.batch(),
              task.steps(),
              config.hidden(),
              config.layers(),
              need / (1L << 30),
              have / (double) (1L << 30)));
    }
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String vocabularyJson(Vocabulary vocabulary) {
    try {
      return RunDirectory.JSON
          .writer()
          .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(vocabulary.characters());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TrainingRunConfig config() {
    return config;
  }

  public Path directory() {
    return directory.path();
  }

  public LanguageModel model() {
    return model;
  }

  /** {@code T}: the window of char-lm, the (longest) sequence of a synthetic task. */
  public int steps() {
    return task.steps();
  }

  /** A synthetic task's trivial baseline score ("0.5", "0.1667"); empty for char-lm. */
  public String baselineScore() {
    if (!(task instanceof SyntheticTask t)) return "";
    return t.metric() == SyntheticTask.Metric.ACCURACY
        ? String.format(Locale.ROOT, "accuracy %.3f", t.baseline())
        : String.format(Locale.ROOT, "loss %.4f", t.baseline());
  }

  /** What the baseline does, in words; empty for char-lm. */
  public String baselineWords() {
    return task instanceof SyntheticTask t ? t.baselineWords() : "";
  }

  /** The characters of a char-lm run's text; null for a synthetic task. */
  public Vocabulary vocabulary() {
    return corpus == null ? null : corpus.vocabulary();
  }

  /** What the run trains on: its batches, for probes to look at an example. */
  public SequenceTask task() {
    return task;
  }

  /**
   * What new limits given on resuming did to the run, in one line ("new limits: the cosine is
   * re-planned from step 300 ..."); empty for a new run, or a resumed one with its own limits.
   */
  public java.util.Optional<String> extension() {
    return java.util.Optional.ofNullable(extension);
  }

  /** The step the run starts from: 0, or the checkpoint's step when resumed. */
  public long resumedFrom() {
    return resumedFrom;
  }

  /** Adds a watcher (progress bar, live chart). */
  public void addListener(TrainingListener listener) {
    trainer.addListener(listener);
  }

  /** Asks the run to stop after the current step, from any thread; it still checkpoints. */
  public void cancel() {
    trainer.cancel();
  }

  /** Trains on the configured number of threads until the run ends, recording everything. */
  public TrainingResult run() {
    int threadsBefore = Parallel.threads();
    Parallel.setThreads(config.threads());
    try {
      return trainer.run();
    } finally {
      Parallel.setThreads(threadsBefore);
    }
  }

  /** The metadata that describes a model file or checkpoint of this run. */
  private Map<String, String> metadata() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("model", config.model());
    // The random state is a function of these two: step s draws its dropout masks from
    // SplittableRandom(seed, s) and reads the batch the task makes at s for that seed.
    meta.put("seed", Long.toString(config.seed()));
    meta.put("random_state", "dropout masks and data order are functions of (seed, step)");
    if (corpus != null) meta.put(VOCABULARY_KEY, vocabularyJson(corpus.vocabulary()));
    try {
      meta.put(
          CONFIG_KEY,
          RunDirectory.JSON
              .writer()
              .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return meta;
  }
}
