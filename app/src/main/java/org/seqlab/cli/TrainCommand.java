package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.seqlab.experiments.DefaultText;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.Task;
import org.seqlab.experiments.TrainingRun;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.io.RunDirectory;
import org.seqlab.nn.Architecture;
import org.seqlab.train.TrainingResult;
import org.seqlab.view.Plots;
import org.seqlab.view.ProgressBar;
import org.seqlab.view.TrainingProgress;
import org.seqlab.view.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code seqlab train}: trains a model into a run directory, or resumes one. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Trains a character language model on a UTF-8 text (the last 10%% is validation), or a"
          + " model on a synthetic task (--task TASK --distance D: the tasks are listed below), and"
          + " records the run in --out: config.json, metrics.csv, gradient-norms.csv, result.json,"
          + " checkpoint.safetensors (written atomically), model.safetensors (best validation loss),"
          + " loss and gradient-norm plots (PNG and SVG).",
      "--resume DIR continues a stopped or killed run from its last checkpoint and ends with the"
          + " numbers of a run that never stopped. Ctrl-C stops a run after the current step and"
          + " checkpoints it.",
      "",
      "Example: seqlab train --task char-lm --model lstm --layers 2 --hidden 256 --time-limit 12m"
          + " --out runs/shakespeare   (on "
          + DefaultText.PATH
          + "; --text FILE for another text)",
      "         seqlab train --task agreement --distance 20 --model gru --layers 1 --hidden 48"
          + " --embedding 16 --dropout 0 --max-steps 2000 --val-every 100",
      ""
    })
public final class TrainCommand implements Callable<Integer> {

  /** Exit status of a run whose loss or gradient stopped being finite. */
  public static final int EXIT_DIVERGED = 3;

  @Spec CommandSpec spec;

  @Option(
      names = "--task",
      defaultValue = "char-lm",
      completionCandidates = TaskNames.class,
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}; see Tasks below)")
  String task;

  @Option(
      names = "--text",
      paramLabel = "FILE",
      description =
          "the UTF-8 text of char-lm (default: "
              + DefaultText.PATH
              + ", tiny Shakespeare, shipped with seqlab)")
  Path text;

  @Option(
      names = "--distance",
      paramLabel = "D",
      description =
          "a synthetic task's knob, in the task's range (see Tasks below): the adding problem's"
              + " length, the copy delay, the agreement distance, the pairs to recall")
  Integer distance;

  @Option(
      names = "--spectral-radius",
      paramLabel = "R",
      description = "recurrent models: W_hh rescaled to spectral radius R at initialisation")
  Double spectralRadius;

  @Option(
      names = "--forget-bias",
      paramLabel = "B",
      description = "LSTM: the forget-gate bias at initialisation (the gate starts at sigmoid(B))")
  Double forgetBias;

  @Option(
      names = "--model",
      defaultValue = "lstm",
      completionCandidates = ArchitectureNames.class,
      description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--layers", defaultValue = "2", description = "layers or blocks (default 2)")
  int layers;

  @Option(
      names = "--hidden",
      defaultValue = "256",
      description = "hidden size; a Transformer's width (default 256)")
  int hidden;

  @Option(
      names = "--embedding",
      defaultValue = "64",
      description = "recurrent models: embedding width (default 64)")
  int embedding;

  @Option(
      names = "--dropout",
      description =
          "recurrent models: dropout on the embedding, between layers and before the head, in [0,"
              + " 1) (default "
              + TrainingRunConfig.DEFAULT_RECURRENT_DROPOUT
              + "; the Transformer has none)")
  Double dropout;

  @Option(
      names = "--heads",
      defaultValue = "4",
      description = "Transformer: attention heads, dividing --hidden (default 4)")
  int heads;

  @Option(names = "--ff", description = "Transformer: feed-forward width (default 4 x --hidden)")
  Integer feedForward;

  @Option(names = "--batch", defaultValue = "64", description = "sequences per step (default 64)")
  int batch;

  @Option(
      names = "--seq-len",
      defaultValue = "64",
      description = "the truncated-BPTT window T; a Transformer's context (default 64)")
  int seqLen;

  @Option(
      names = "--optimizer",
      defaultValue = "adam",
      description = "sgd (with --momentum), adam or adamw (default adam)")
  String optimizer;

  @Option(
      names = "--lr",
      defaultValue = "" + TrainingRunConfig.DEFAULT_LR,
      description = "peak learning rate (default ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--schedule",
      defaultValue = TrainingRunConfig.DEFAULT_SCHEDULE,
      description =
          "constant, warmup (linear warm-up, then constant) or cosine (warm-up, then cosine decay"
              + " to --min-lr over the step limit, or over the time limit if there is none)"
              + " (default ${DEFAULT-VALUE})")
  String schedule;

  @Option(
      names = "--warmup",
      defaultValue = "" + TrainingRunConfig.DEFAULT_WARMUP,
      description = "warm-up steps (default ${DEFAULT-VALUE})")
  int warmup;

  @Option(
      names = "--min-lr",
      defaultValue = "" + TrainingRunConfig.DEFAULT_MIN_LR,
      description = "the cosine schedule's final rate (default ${DEFAULT-VALUE})")
  double minLr;

  @Option(
      names = "--clip",
      defaultValue = "5",
      description = "clip the global gradient norm to this; 0 turns clipping off (default 5)")
  double clip;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default 0.9)")
  double momentum;

  @Option(
      names = "--weight-decay",
      description = "weight decay (default 0; adamw 0.01): decoupled for adamw, L2 otherwise")
  Double weightDecay;

  @Option(names = "--beta1", defaultValue = "0.9", description = "Adam's β1 (default 0.9)")
  double beta1;

  @Option(names = "--beta2", defaultValue = "0.999", description = "Adam's β2 (default 0.999)")
  double beta2;

  @Option(names = "--eps", defaultValue = "1e-8", description = "Adam's ε (default 1e-8)")
  double epsilon;

  @Option(
      names = "--max-steps",
      defaultValue = "0",
      paramLabel = "N",
      description = "stop after N steps (0: no step limit)")
  long maxSteps;

  @Option(
      names = "--time-limit",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "stop after this wall-clock time, e.g. 90s, 12m, 1h30m (a bare number: seconds)")
  Double timeLimit;

  @Option(
      names = "--val-every",
      defaultValue = "" + TrainingRunConfig.DEFAULT_VALIDATE_EVERY,
      paramLabel = "N",
      description =
          "validate every N steps, and at the end (default ${DEFAULT-VALUE}; 0: only at the end)")
  int validateEvery;

  @Option(
      names = "--patience",
      defaultValue = "0",
      paramLabel = "N",
      description = "stop after N validations without a new best (default 0: never)")
  int patience;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "0",
      paramLabel = "N",
      description = "checkpoint every N steps (default 0: at every validation), and at the end")
  int checkpointEvery;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "seed of initialisation, data order and dropout (default 42)")
  long seed;

  @Option(
      names = "--validation",
      paramLabel = "N",
      description =
          "a synthetic task's validation sequences (default "
              + org.seqlab.tasks.SyntheticTask.DEFAULT_VALIDATION_SIZE
              + "); a run of an experiment uses the experiment's")
  Integer validation;

  @Option(
      names = "--goal",
      paramLabel = "SCORE",
      description =
          "stop once a validation reaches it: an accuracy (at or above) for a task scored by"
              + " accuracy, else a loss (at or below); 0 for never (the default)")
  Double goal;

  @Option(
      names = "--data-seed",
      paramLabel = "SEED",
      description =
          "seed of the data alone, when it is not --seed: a run of a sweep draws its data and its"
              + " weights from two seeds (default: --seed)")
  Long dataSeed;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description =
          "worker threads (default: all cores); any number gives the same numbers, bit for bit")
  Integer threads;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "the run directory (default runs/DATE-TIME-MODEL); must be new or empty")
  Path out;

  @Option(names = "--force", description = "replace the files of an earlier run in --out")
  boolean force;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description =
          "continue the run in DIR from its last checkpoint; only --max-steps, --time-limit and"
              + " --threads may be given again with new values (and --clip and --lr after a"
              + " divergence). A longer limit extends the run: a cosine schedule is re-planned"
              + " where it resumes, from the rate it had reached down to --min-lr at the new"
              + " limit (both limits count the whole run: --max-steps 600 extends a 300-step run"
              + " by 300)")
  Path resume;

  /** Option name to {@code config.json} field, for the options a resumed run compares. */
  private static final Map<String, String> FIELDS = new LinkedHashMap<>();

  static {
    String[][] pairs = {
      {"--task", "task"},
      {"--text", "text"},
      {"--distance", "distance"},
      {"--spectral-radius", "spectral_radius"},
      {"--forget-bias", "forget_bias"},
      {"--model", "model"},
      {"--layers", "layers"},
      {"--hidden", "hidden"},
      {"--embedding", "embedding"},
      {"--dropout", "dropout"},
      {"--heads", "heads"},
      {"--ff", "feed_forward"},
      {"--batch", "batch"},
      {"--seq-len", "seq_len"},
      {"--optimizer", "optimizer"},
      {"--lr", "lr"},
      {"--schedule", "schedule"},
      {"--warmup", "warmup_steps"},
      {"--min-lr", "min_lr"},
      {"--clip", "clip"},
      {"--momentum", "momentum"},
      {"--weight-decay", "weight_decay"},
      {"--beta1", "beta1"},
      {"--beta2", "beta2"},
      {"--eps", "epsilon"},
      {"--max-steps", "max_steps"},
      {"--time-limit", "time_limit_seconds"},
      {"--val-every", "validate_every"},
      {"--patience", "patience"},
      {"--checkpoint-every", "checkpoint_every"},
      {"--seed", "seed"},
      {"--threads", "threads"}
    };
    for (String[] p : pairs) FIELDS.put(p[0], p[1]);
  }

  /**
   * Ends {@code train}'s help with the table of tasks, one line a row (its name, what it asks, its
   * knob and range, its score), so the help lists what {@code --task} and {@code --distance} accept
   * without a list of its own.
   */
  static void describeTasks(CommandSpec train) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    lines.add("");
    lines.add("Tasks (--task), each with its knob, the knob's range, and its score:");
    for (Task t : Task.values()) {
      String knob =
          String.format(
              Locale.ROOT,
              "%s %d..%d (%s), scored by %s",
              t.knobRange().option(),
              t.knobRange().min(),
              t.knobRange().max(),
              t.knobWords(),
              t.scoredByAccuracy() ? "accuracy" : "loss");
      lines.add(String.format(Locale.ROOT, "  %-10s %s", t.id(), knob).replace("%", "%%"));
      lines.add(String.format(Locale.ROOT, "  %-10s %s", "", t.summary()).replace("%", "%%"));
    }
    lines.add("");
    train.usageMessage().footer(lines.toArray(String[]::new));
  }

  /**
   * Whether the progress table has an accuracy column: a task that predicts one of a few tokens,
   * where the share answered right says more than the loss.
   */
  static boolean showsAccuracy(Task task) {
    return switch (task) {
      case COPY, AGREEMENT, RECALL, MQAR -> true;
      // A real number (adding), or the next character of a text, has no accuracy worth a column.
      case ADDING, CHAR_LM -> false;
    };
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TrainingRun run;
    try {
      run = resume != null ? resumeRun() : startRun();
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    TrainingRunConfig c = run.config();
    out.printf(
        Locale.ROOT,
        "%s %s: %d layer(s) x %d, %,d parameters, %s; batch %d x %d steps, %s lr %s, clip %s, %d thread(s)%n",
        run.resumedFrom() > 0 ? "resuming at step " + run.resumedFrom() + ":" : "training",
        c.model(),
        c.layers(),
        c.hidden(),
        run.model().parameterCount(),
        c.isCharLm() ? "vocabulary " + run.vocabulary().size() : c.task() + " at " + c.distance(),
        c.batch(),
        run.steps(),
        c.optimizer(),
        c.lr(),
        c.clip() > 0 ? Double.toString(c.clip()) : "off",
        c.threads());
    run.extension().ifPresent(out::println);
    out.printf("run directory: %s%n", run.directory());
    out.flush();
    run.addListener(
        new TrainingProgress(
            out,
            err,
            ProgressBar.interactive(),
            c.maxSteps(),
            c.timeLimitSeconds(),
            showsAccuracy(c.taskRow())));

    // Ctrl-C asks the run to stop after its step and waits for its checkpoint.
    return CtrlC.cancels(run::cancel, 60, () -> trainAndReport(run, out, err));
  }

  private int trainAndReport(TrainingRun run, PrintWriter out, PrintWriter err) {
    TrainingResult result;
    try {
      result = run.run();
    } catch (UncheckedIOException e) {
      throw new UserError("cannot write the run directory: " + e.getCause().getMessage(), e);
    }

    if (result.stop() == TrainingResult.Stop.DIVERGED) {
      err.println("seqlab: " + result.divergence().describe());
      if (java.nio.file.Files.exists(run.directory().resolve(RunDirectory.CHECKPOINT))) {
        err.println(
            "seqlab: the last good checkpoint is intact; continue from it with clipping or a lower"
                + " rate: seqlab train --resume "
                + run.directory()
                + " --clip 1 (or --lr ...)");
      } else {
        err.println(
            "seqlab: it broke before its first checkpoint; start again with --clip 1 or a lower"
                + " --lr (and --force to reuse "
                + run.directory()
                + ")");
      }
      err.flush();
      return EXIT_DIVERGED;
    }
    if (!run.config().isCharLm()) {
      out.printf(
          Locale.ROOT,
          "%s after %d steps in %s: %s tokens/s; validation loss %.4f%s (best %.4f at step %d)%n",
          result.stop().words(),
          result.steps(),
          Units.duration(result.seconds()),
          Units.count(result.tokensPerSecond()),
          result.validationLoss(),
          Double.isNaN(result.validationAccuracy())
              ? ""
              : String.format(Locale.ROOT, ", accuracy %.3f", result.validationAccuracy()),
          result.bestValidationLoss(),
          result.bestStep());
      out.printf(
          Locale.ROOT, "the trivial baseline: %s (%s)%n", run.baselineScore(), run.baselineWords());
      for (String line : nextSteps(result.stop(), run.directory(), false)) out.println(line);
      out.flush();
      return 0;
    }
    out.printf(
        Locale.ROOT,
        "%s after %d steps in %s: %s tokens/s; validation loss %.4f nats/char (best %.4f at step %d)%n",
        result.stop().words(),
        result.steps(),
        Units.duration(result.seconds()),
        Units.count(result.tokensPerSecond()),
        result.validationLoss(),
        result.bestValidationLoss(),
        result.bestStep());
    for (String line : nextSteps(result.stop(), run.directory(), true)) out.println(line);
    out.flush();
    return 0;
  }

  /**
   * What a user can do next with a run that ended this way: continue a stopped run from its
   * checkpoint, and sample from a character model.
   */
  static List<String> nextSteps(TrainingResult.Stop stop, Path dir, boolean text) {
    List<String> lines = new ArrayList<>();
    if (stop == TrainingResult.Stop.CANCELLED) {
      lines.add("continue it: seqlab train --resume " + dir);
    }
    if (text) lines.add("sample from it: seqlab sample --checkpoint " + dir + " --prompt \"...\"");
    return lines;
  }

  private TrainingRun startRun() throws IOException {
    Task row;
    try {
      row = Task.fromId(task);
    } catch (IllegalArgumentException e) {
      throw new UserError("--task: " + e.getMessage(), e);
    }
    boolean charLm = row.isText();
    Path text = this.text;
    if (charLm && text == null) {
      text = DefaultText.find().orElseThrow(() -> new UserError(DefaultText.missing()));
    }
    if (!charLm && distance == null) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--distance D is required: the %s task's %s, in [%d, %d] (e.g. --distance %d)",
              task,
              row.knobWords(),
              row.knobRange().min(),
              row.knobRange().max(),
              Math.min(row.knobRange().max(), 8)));
    }
    if (!charLm && spec.commandLine().getParseResult().hasMatchedOption("--seq-len")) {
      throw new UserError(
          "--seq-len applies to char-lm; the " + task + " task's sequences have their own length");
    }
    if (force && out == null) throw new UserError("--force needs --out DIR");
    TrainingRunConfig config =
        new TrainingRunConfig(
            task,
            text == null ? null : text.toString(),
            null,
            distance == null ? 0 : distance,
            seqLen,
            batch,
            model,
            layers,
            hidden,
            embedding,
            dropout != null
                ? dropout
                : Architecture.ids().contains(model) && !Architecture.fromId(model).isRecurrent()
                    ? 0
                    : TrainingRunConfig.DEFAULT_RECURRENT_DROPOUT,
            heads,
            feedForward != null ? feedForward : ModelSpec.defaultFeedForward(hidden),
            optimizer,
            lr,
            momentum,
            beta1,
            beta2,
            epsilon,
            weightDecay != null ? weightDecay : "adamw".equals(optimizer) ? 0.01 : 0,
            schedule,
            warmup,
            minLr,
            clip,
            maxSteps,
            timeLimit != null ? timeLimit : 0,
            validateEvery,
            patience,
            checkpointEvery,
            seed,
            threads != null ? threads : Runtime.getRuntime().availableProcessors(),
            spectralRadius,
            forgetBias,
            validation,
            dataSeed,
            goal);
    Path dir = out;
    if (dir == null) {
      String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      dir = Path.of("runs", stamp + "-" + model);
    }
    return TrainingRun.start(config, dir, force, Plots.FIGURES);
  }

  private TrainingRun resumeRun() throws IOException {
    if (out != null || force) {
      throw new UserError(
          "--resume continues the run in its own directory; drop --out and --force");
    }
    ParseResult parsed = spec.commandLine().getParseResult();
    Map<String, Object> given = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : FIELDS.entrySet()) {
      if (parsed.hasMatchedOption(f.getKey())) {
        Object value = parsed.matchedOptionValue(f.getKey(), null);
        if (value instanceof Path p) value = p.toAbsolutePath().normalize().toString();
        given.put(f.getValue(), value);
      }
    }
    return TrainingRun.resume(resume, stored -> stored.with(given), Plots.FIGURES);
  }

  /** Reads {@code 90s}, {@code 12m}, {@code 1h30m}, {@code 1.5h} or a bare number of seconds. */
  static final class DurationConverter implements ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)([hms]?)").matcher(v);
      double seconds = 0;
      int at = 0;
      while (at < v.length() && m.find(at) && m.start() == at) {
        double n = Double.parseDouble(m.group(1));
        seconds +=
            n
                * switch (m.group(2)) {
                  case "h" -> 3600;
                  case "m" -> 60;
                  default -> 1;
                };
        at = m.end();
        if (m.group(2).isEmpty()) break;
      }
      if (v.isEmpty() || at != v.length()) {
        throw new picocli.CommandLine.TypeConversionException(
            "'" + value + "' is not a duration; write e.g. 90s, 12m, 1h30m or 720 (seconds)");
      }
      return seconds;
    }
  }
}
