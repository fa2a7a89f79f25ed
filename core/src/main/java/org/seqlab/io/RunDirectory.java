package org.seqlab.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.TrainingState;

/**
 * One training run on disk:
 *
 * <pre>
 *   config.json              everything needed to rerun it
 *   metrics.csv              one row per step (and the validation loss where measured)
 *   gradient-norms.csv       each parameter's gradient norm per step
 *   result.json              the final figures
 *   checkpoint.safetensors   the latest full training state (model, optimizer, step, carried state)
 *   model.safetensors        the weights with the best validation loss, PyTorch names
 *   *.png, *.svg             plots of the curves
 * </pre>
 *
 * Whole files are written atomically (a temporary file renamed over the old one), so a run killed
 * at any moment leaves the previous checkpoint intact and loadable. The CSV files are appended to
 * and flushed before each checkpoint; a resumed run first cuts them back to the checkpoint's step.
 */
public final class RunDirectory {

  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.csv";
  public static final String GRADIENT_NORMS = "gradient-norms.csv";
  public static final String RESULT = "result.json";
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String MODEL = "model.safetensors";

  /** JSON as the run files hold it: snake-case names, indented. */
  public static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;

  private RunDirectory(Path dir) {
    this.dir = dir;
  }

  /**
   * A directory for a new run. An existing directory must be empty unless {@code force}, in which
   * case the files of an earlier run (the names above, plots, temporary files) are deleted and
   * anything else is left alone.
   *
   * @throws IllegalArgumentException if {@code dir} is a file, a non-empty directory without {@code
   *     force}, or a directory that cannot be created or written ({@link OutputDirectory})
   */
  public static RunDirectory create(Path dir, boolean force) throws IOException {
    OutputDirectory.requireWritable("--out", dir);
    if (Files.isDirectory(dir)) {
      List<Path> entries;
      try (Stream<Path> list = Files.list(dir)) {
        entries = list.toList();
      }
      if (!entries.isEmpty()) {
        if (!force) {
          throw new IllegalArgumentException(
              "--out "
                  + dir
                  + " already holds "
                  + entries.size()
                  + " file(s); choose another directory, continue that run with --resume "
                  + dir
                  + ", or replace it with --force");
        }
        for (Path p : entries) if (isRunFile(p.getFileName().toString())) Files.delete(p);
      }
    }
    Files.createDirectories(dir);
    return new RunDirectory(dir);
  }

  private static boolean isRunFile(String name) {
    return name.equals(CONFIG)
        || name.equals(METRICS)
        || name.equals(GRADIENT_NORMS)
        || name.equals(RESULT)
        || name.equals(CHECKPOINT)
        || name.equals(MODEL)
        || name.endsWith(".png")
        || name.endsWith(".svg")
        || name.contains(".tmp-");
  }

  /**
   * An existing run, to resume or read.
   *
   * @throws IllegalArgumentException if {@code dir} holds no run
   */
  public static RunDirectory open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no such run directory: " + dir);
    }
    if (!Files.isRegularFile(dir.resolve(CONFIG))) {
      throw new IllegalArgumentException(dir + " holds no run (there is no " + CONFIG + ")");
    }
    return new RunDirectory(dir);
  }

  public Path path() {
    return dir;
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  public boolean has(String name) {
    return Files.isRegularFile(dir.resolve(name));
  }

  /** Writes {@code value} as indented snake-case JSON, atomically. */
  public void writeJson(String name, Object value) throws IOException {
    AtomicFiles.write(dir.resolve(name), JSON.writeValueAsBytes(value));
  }

  /** Reads {@code name} as a {@code type}. */
  public <T> T readJson(String name, Class<T> type) throws IOException {
    return JSON.readValue(dir.resolve(name).toFile(), type);
  }

  // ----------------------------------------------------------------------------------------------
  // Checkpoints

  private static final String MODEL_PREFIX = "model.";
  private static final String OPTIMIZER_PREFIX = "optimizer.";
  private static final String CARRIED_PREFIX = "carried.";

  /**
   * Writes {@code state} to {@code checkpoint.safetensors}, atomically, with {@code metadata} (the
   * run's description) beside the engine's counters.
   */
  public void saveCheckpoint(TrainingState state, Map<String, String> metadata) throws IOException {
    SafetensorsWriter w = Safetensors.writer();
    state.model().forEach((name, t) -> w.f32(MODEL_PREFIX + name, t));
    state
        .optimizerState()
        .forEach((name, v) -> w.f64(OPTIMIZER_PREFIX + name, new int[] {v.length}, v));
    state.carried().forEach((name, t) -> w.f32(CARRIED_PREFIX + name, t));
    metadata.forEach(w::metadata);
    w.metadata("step", Long.toString(state.step()));
    w.metadata("position", state.position());
    w.metadata("seconds", Double.toString(state.seconds()));
    w.metadata("training_seconds", Double.toString(state.trainingSeconds()));
    w.metadata("training_tokens", Long.toString(state.trainingTokens()));
    w.metadata("last_loss", Double.toString(state.lastLoss()));
    w.metadata("optimizer_steps", Long.toString(state.optimizerSteps()));
    w.metadata("validation_loss", Double.toString(state.validationLoss()));
    w.metadata("validation_step", Long.toString(state.validationStep()));
    w.metadata("best_validation_loss", Double.toString(state.bestValidationLoss()));
    w.metadata("best_step", Long.toString(state.bestStep()));
    w.metadata(
        "validations_without_improvement", Integer.toString(state.validationsWithoutImprovement()));
    w.write(dir.resolve(CHECKPOINT));
  }

  /** A checkpoint read back: the engine's state and the run's metadata. */
  public record Checkpoint(TrainingState state, Map<String, String> metadata) {}

  /**
   * Reads {@code checkpoint.safetensors}.
   *
   * @throws IllegalArgumentException if there is none, or it is not a seqlab checkpoint: not
   *     safetensors at all (empty, garbage, cut short), or without the engine's counters
   */
  public Checkpoint loadCheckpoint() throws IOException {
    Path path = dir.resolve(CHECKPOINT);
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(
          dir + " has no " + CHECKPOINT + " (the run stopped before its first checkpoint)");
    }
    SafetensorsFile file;
    try {
      file = Safetensors.read(path);
    } catch (SafetensorsException e) {
      // A damaged file is the user's to know about, in the format's one-line words; a run whose
      // checkpoint is damaged cannot continue, only start again.
      throw new IllegalArgumentException(
          e.getMessage()
              + "; the run cannot continue from it (start it again with --out "
              + dir
              + " --force)",
          e);
    }
    Map<String, String> meta = file.metadata();
    Map<String, Tensor> model = new LinkedHashMap<>();
    Map<String, double[]> optimizer = new LinkedHashMap<>();
    Map<String, Tensor> carried = new LinkedHashMap<>();
    for (String name : file.names()) {
      if (name.startsWith(MODEL_PREFIX)) {
        model.put(name.substring(MODEL_PREFIX.length()), file.tensor(name));
      } else if (name.startsWith(OPTIMIZER_PREFIX)) {
        optimizer.put(name.substring(OPTIMIZER_PREFIX.length()), file.doubles(name));
      } else if (name.startsWith(CARRIED_PREFIX)) {
        carried.put(name.substring(CARRIED_PREFIX.length()), file.tensor(name));
      }
    }
    try {
      TrainingState state =
          new TrainingState(
              Long.parseLong(required(meta, "step", path)),
              required(meta, "position", path),
              Double.parseDouble(required(meta, "seconds", path)),
              Double.parseDouble(required(meta, "training_seconds", path)),
              Long.parseLong(required(meta, "training_tokens", path)),
              Double.parseDouble(required(meta, "last_loss", path)),
              model,
              optimizer,
              Long.parseLong(required(meta, "optimizer_steps", path)),
              carried,
              Double.parseDouble(required(meta, "validation_loss", path)),
              Long.parseLong(required(meta, "validation_step", path)),
              Double.parseDouble(required(meta, "best_validation_loss", path)),
              Long.parseLong(required(meta, "best_step", path)),
              Integer.parseInt(required(meta, "validations_without_improvement", path)));
      return new Checkpoint(state, meta);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(path + " has a malformed counter: " + e.getMessage(), e);
    }
  }

  private static String required(Map<String, String> meta, String key, Path path) {
    String value = meta.get(key);
    if (value == null) {
      throw new IllegalArgumentException(
          path + " is not a seqlab training checkpoint (no '" + key + "')");
    }
    return value;
  }

  // ----------------------------------------------------------------------------------------------
  // Metrics

  /**
   * Opens a CSV file of the run for appending, writing {@code header} first if the file is new or
   * empty.
   */
  public BufferedWriter appendCsv(String name, String header) throws IOException {
    Path path = dir.resolve(name);
    boolean fresh = !Files.exists(path) || Files.size(path) == 0;
    BufferedWriter out =
        Files.newBufferedWriter(
            path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    if (fresh) {
      out.write(header);
      out.newLine();
    }
    return out;
  }

  /**
   * Keeps only the rows of CSV file {@code name} whose first column (the step) is at most {@code
   * step}, and the header: what a run resumed from step {@code step} cuts back before appending.
   * Rewritten atomically; a missing file is left missing.
   */
  public void truncateCsv(String name, long step) throws IOException {
    Path path = dir.resolve(name);
    if (!Files.exists(path)) return;
    List<String> kept = new ArrayList<>();
    List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (i == 0) {
        kept.add(line);
        continue;
      }
      int comma = line.indexOf(',');
      try {
        long rowStep = Long.parseLong(comma < 0 ? line : line.substring(0, comma));
        if (rowStep <= step) kept.add(line);
      } catch (NumberFormatException e) {
        // a row cut short by a kill: drop it
      }
    }
    AtomicFiles.writeString(path, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
  }

  /** The rows of CSV file {@code name} below its header, split on commas. */
  public List<String[]> readCsv(String name) throws IOException {
    List<String> lines = Files.readAllLines(dir.resolve(name), StandardCharsets.UTF_8);
    List<String[]> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      if (!lines.get(i).isEmpty()) rows.add(lines.get(i).split(",", -1));
    }
    return rows;
  }
}
