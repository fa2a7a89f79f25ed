package org.seqlab.experiments;

import java.io.BufferedWriter;
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
import java.util.SplittableRandom;
import org.seqlab.io.RunDirectory;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsWriter;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Parameter;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.TextStreams;
import org.seqlab.tasks.Vocabulary;
import org.seqlab.tensor.Parallel;
import org.seqlab.train.StepReport;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;
import org.seqlab.train.TrainingState;
import org.seqlab.train.ValidationReport;
import org.seqlab.view.Plots;

/**
 * A character language model trained into a run directory: what {@code seqlab train} does, and what
 * the web lab will start. It checks everything before it writes anything (the configuration, the
 * text, the memory a step needs, the output directory), trains through the one {@link Trainer}, and
 * records the run as {@link RunDirectory} describes: metrics as they come, checkpoints atomically,
 * the best model, plots and the final figures.
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
  private final CharCorpus corpus;
  private final LanguageModel model;
  private final Trainer trainer;
  private final long resumedFrom;

  private TrainingRun(
      TrainingRunConfig config,
      RunDirectory directory,
      CharCorpus corpus,
      LanguageModel model,
      Trainer trainer,
      long resumedFrom) {
    this.config = config;
    this.directory = directory;
    this.corpus = corpus;
    this.model = model;
    this.trainer = trainer;
    this.resumedFrom = resumedFrom;
    trainer.addListener(new Recorder());
  }

  /**
   * Prepares a new run into {@code out}: reads and checks the text, sizes the model, refuses what
   * cannot work, then creates the directory and writes {@code config.json}.
   *
   * @param force replace the files of an earlier run in {@code out}
   * @throws IllegalArgumentException for anything wrong with the request, before anything is
   *     written
   */
  public static TrainingRun start(TrainingRunConfig requested, Path out, boolean force)
      throws IOException {
    Path text = Path.of(requested.text()).toAbsolutePath().normalize();
    CharCorpus corpus = CharCorpus.read(text);
    TrainingRunConfig config =
        requested.with(Map.of("text", text.toString(), "text_sha256", sha256(text)));
    TextStreams task = new TextStreams(corpus, config.seqLen(), config.batch(), config.seed());
    requireMemory(config, corpus.vocabulary().size());

    LanguageModel model = config.newModel(corpus.vocabulary().size());
    initialize(model, config.seed());
    Trainer trainer = new Trainer(model, task, config.trainingOptions());
    RunDirectory directory = RunDirectory.create(out, force);
    directory.writeJson(RunDirectory.CONFIG, config);
    return new TrainingRun(config, directory, corpus, model, trainer, 0);
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
      Path dir, java.util.function.UnaryOperator<TrainingRunConfig> changes) throws IOException {
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
    if (config.learningRateSchedule().kind() == org.seqlab.train.LearningRateSchedule.Kind.COSINE
        && (config.maxSteps() != stored.maxSteps()
            || config.timeLimitSeconds() != stored.timeLimitSeconds())) {
      throw new IllegalArgumentException(
          "--max-steps and --time-limit set the cosine schedule's length; a resumed cosine run"
              + " keeps them");
    }
    Path text = Path.of(config.text());
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
    CharCorpus corpus = CharCorpus.read(text);
    TextStreams task = new TextStreams(corpus, config.seqLen(), config.batch(), config.seed());
    LanguageModel model = config.newModel(corpus.vocabulary().size());
    Trainer trainer = new Trainer(model, task, config.trainingOptions());
    RunDirectory.Checkpoint checkpoint = directory.loadCheckpoint();
    String vocabulary = checkpoint.metadata().get(VOCABULARY_KEY);
    if (vocabulary != null && !vocabulary.equals(vocabularyJson(corpus.vocabulary()))) {
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
    directory.truncateCsv(RunDirectory.METRICS, step);
    directory.truncateCsv(RunDirectory.GRADIENT_NORMS, step);
    if (!config.equals(stored)) directory.writeJson(RunDirectory.CONFIG, config);
    return new TrainingRun(config, directory, corpus, model, trainer, step);
  }

  /** Whether the run in {@code directory} ended by diverging, as its {@code result.json} says. */
  private static boolean diverged(RunDirectory directory) throws IOException {
    if (!directory.has(RunDirectory.RESULT)) return false;
    com.fasterxml.jackson.databind.JsonNode result =
        RunDirectory.JSON.readTree(directory.file(RunDirectory.RESULT).toFile());
    return "diverged".equals(result.path("stop").asText());
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

  static void initialize(LanguageModel model, long seed) {
    model.initialize(new SplittableRandom(seed));
  }

  private static void requireMemory(TrainingRunConfig config, int vocabularySize) {
    double need = config.estimatedBytes(vocabularySize);
    long have = Runtime.getRuntime().maxMemory();
    if (need > have * 0.6) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "a training step of this size (--batch %d, --seq-len %d, --hidden %d, --layers %d)"
                  + " needs about %.1f GiB; this JVM may use %.1f GiB (make the model or batch"
                  + " smaller, or raise the limit with SEQLAB_JAVA_OPTS=-Xmx...)",
              config.batch(),
              config.seqLen(),
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

  public Vocabulary vocabulary() {
    return corpus.vocabulary();
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
    meta.put(VOCABULARY_KEY, vocabularyJson(corpus.vocabulary()));
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

  /** Writes what the engine reports into the run directory. */
  private final class Recorder implements TrainingListener {
    private static final String METRICS_HEADER =
        "step,seconds,train_loss,val_loss,grad_norm,lr,tokens_per_s";
    private BufferedWriter metrics;
    private BufferedWriter gradients;
    private String pendingRow; // the last step's row, waiting for a validation loss
    private StepReport pending;
    private long lastPlot = System.nanoTime() - 30_000_000_000L;

    @Override
    public void onStart(long step, List<String> parameterNames) {
      try {
        metrics = directory.appendCsv(RunDirectory.METRICS, METRICS_HEADER);
        gradients =
            directory.appendCsv(
                RunDirectory.GRADIENT_NORMS, "step," + String.join(",", parameterNames));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void onStep(StepReport report) {
      flushPending(null);
      pending = report;
      StringBuilder row = new StringBuilder().append(report.step());
      for (double n : report.parameterGradientNorms()) row.append(',').append(format(n));
      write(gradients, row.toString());
    }

    @Override
    public void onValidation(ValidationReport report) {
      if (pending != null && pending.step() == report.step()) {
        flushPending(report.loss());
      } else {
        write(
            metrics,
            String.format(
                Locale.ROOT,
                "%d,%.3f,,%s,,,",
                report.step(),
                report.seconds(),
                format(report.loss())));
      }
      if (report.best()) saveModel(report);
    }

    private void flushPending(Double validationLoss) {
      if (pending == null) return;
      StepReport r = pending;
      pending = null;
      write(
          metrics,
          String.format(
              Locale.ROOT,
              "%d,%.3f,%s,%s,%s,%s,%.1f",
              r.step(),
              r.seconds(),
              format(r.loss()),
              validationLoss == null ? "" : format(validationLoss),
              format(r.gradientNorm()),
              format(r.learningRate()),
              r.tokensPerSecond()));
    }

    private void saveModel(ValidationReport report) {
      SafetensorsWriter w = Safetensors.writer();
      for (Parameter p : model.parameters()) w.f32(p.name(), p.value());
      metadata().forEach(w::metadata);
      w.metadata("step", Long.toString(report.step()));
      w.metadata("val_loss", Double.toString(report.loss()));
      try {
        w.write(directory.file(RunDirectory.MODEL));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      flushPending(null);
      try {
        metrics.flush();
        gradients.flush();
        directory.saveCheckpoint(state, metadata());
        // Plots at most every half minute while training: drawing costs a step or two.
        long now = System.nanoTime();
        if (now - lastPlot > 30_000_000_000L) {
          drawPlots();
          lastPlot = now;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void onFinish(TrainingResult result) {
      flushPending(null);
      try {
        metrics.close();
        gradients.close();
        if (result.stop() != TrainingResult.Stop.DIVERGED) drawPlots();
        directory.writeJson(RunDirectory.RESULT, resultJson(result));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private void write(BufferedWriter out, String line) {
      try {
        out.write(line);
        out.newLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static String format(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : Double.toString(v);
  }

  private Map<String, Object> resultJson(TrainingResult r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("task", config.task());
    json.put("model", config.model());
    json.put("parameters", model.parameterCount());
    json.put("stop", r.stop().name().toLowerCase(Locale.ROOT));
    json.put("steps", r.steps());
    json.put("seconds", r.seconds());
    json.put("tokens_per_second", r.tokensPerSecond());
    json.put("train_loss", finiteOrNull(r.trainingLoss()));
    json.put("val_loss", finiteOrNull(r.validationLoss()));
    json.put("best_val_loss", finiteOrNull(r.bestValidationLoss()));
    json.put("best_step", r.bestStep());
    json.put("vocabulary_size", corpus.vocabulary().size());
    if (r.divergence() != null) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("step", r.divergence().step());
      d.put("loss", Double.toString(r.divergence().loss()));
      d.put("parameter", r.divergence().parameter());
      d.put("gradient_norm", Double.toString(r.divergence().gradientNorm()));
      d.put("recent_gradient_norms", r.divergence().recentNorms());
      d.put("message", r.divergence().describe());
      json.put("divergence", d);
    }
    return json;
  }

  private static Object finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** Loss and gradient-norm curves from {@code metrics.csv}, as PNG and SVG. */
  private void drawPlots() throws IOException {
    List<String[]> rows = directory.readCsv(RunDirectory.METRICS);
    List<double[]> train = new ArrayList<>(),
        validation = new ArrayList<>(),
        norms = new ArrayList<>();
    for (String[] row : rows) {
      double step = Double.parseDouble(row[0]);
      if (!row[2].isEmpty()) train.add(new double[] {step, Double.parseDouble(row[2])});
      if (!row[3].isEmpty()) validation.add(new double[] {step, Double.parseDouble(row[3])});
      if (!row[4].isEmpty()) norms.add(new double[] {step, Double.parseDouble(row[4])});
    }
    if (train.isEmpty()) return;
    String title = config.model() + ", " + config.layers() + " x " + config.hidden();
    Plots.lineChart(
        directory.file("loss.png"),
        true,
        "Loss, " + title,
        "step",
        Plots.Scale.LINEAR,
        "nats per character",
        Plots.Scale.LINEAR,
        List.of(series("training", smooth(train)), series("validation", validation)));
    // A log axis only when the norms span decades (an explosion): otherwise it has no labels.
    double low = Double.POSITIVE_INFINITY, high = 0;
    for (double[] n : norms) {
      if (n[1] > 0 && Double.isFinite(n[1])) {
        low = Math.min(low, n[1]);
        high = Math.max(high, n[1]);
      }
    }
    Plots.lineChart(
        directory.file("gradient-norm.png"),
        true,
        "Global gradient norm before clipping, " + title,
        "step",
        Plots.Scale.LINEAR,
        "‖g‖",
        high > 100 * low ? Plots.Scale.LOG : Plots.Scale.LINEAR,
        List.of(series("gradient norm", norms)));
  }

  private static Plots.Series series(String name, List<double[]> points) {
    double[] x = new double[points.size()], y = new double[points.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = points.get(i)[0];
      y[i] = points.get(i)[1];
    }
    return new Plots.Series(name, x, y);
  }

  /** A running mean over 1% of the points (at least 1), so the curve shows the trend. */
  private static List<double[]> smooth(List<double[]> points) {
    int window = Math.max(1, points.size() / 100);
    List<double[]> out = new ArrayList<>(points.size());
    double sum = 0;
    for (int i = 0; i < points.size(); i++) {
      sum += points.get(i)[1];
      if (i >= window) sum -= points.get(i - window)[1];
      out.add(new double[] {points.get(i)[0], sum / Math.min(i + 1, window)});
    }
    return out;
  }
}
