package org.seqlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.seqlab.experiments.LayerBenchmark;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.WeightPrecision;
import org.seqlab.tensor.FmaPeak;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.ReadBandwidth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab bench}: the speed of a whole layer on this machine. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Times one training step (forward + backward through time) or one inference pass of a layer over a"
          + " [T, B, I] batch: median of --repeats runs after warm-up. Any recurrent model of the table"
          + " runs; minGRU and minLSTM train by their parallel scan and stream by MinRecurrent.step."
          + " An RNN, LSTM or GRU infers as a service would, its weights laid out once"
          + " (Recurrent.freeze).",
      "Reports tokens/s (B*T per second), seconds per step and GFLOP/s of the matrix products;"
          + " --mode stream also the microseconds per time step of RecurrentStream (of"
          + " MinRecurrent.step for minGRU and minLSTM), whose steps --threads threads share (the"
          + " caller and helpers, each with its share of the units), beside the time it takes only"
          + " to read the weights from the cache, the step's floor.",
      "--model transformer times causal pre-norm Transformer blocks of width --hidden, --heads heads"
          + " and feed-forward width --ff; its FLOPs count the causal half of the attention (keys s <= t).",
      "--model peak measures the machine's limit instead: GFLOP/s of independent vector FMAs on --threads"
          + " threads, the figure the layers' GFLOP/s are a fraction of."
    })
public final class BenchCommand implements Callable<Integer> {

  /** What {@code --model} accepts: every row of the table of architectures, then {@code peak}. */
  public static final class ModelNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Stream.concat(Architecture.ids().stream(), Stream.of(PEAK)).iterator();
    }
  }

  static final String PEAK = "peak";

  enum Mode {
    train,
    infer,
    stream
  }

  enum Format {
    text,
    json
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      completionCandidates = ModelNames.class,
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
      defaultValue = "lstm")
  String model;

  @Option(
      names = "--hidden",
      description =
          "hidden units H; the model width D of a transformer (default: ${DEFAULT-VALUE})",
      defaultValue = "256")
  int hidden;

  @Option(
      names = "--heads",
      description = "attention heads of a transformer block (default: ${DEFAULT-VALUE})",
      defaultValue = "4")
  int heads;

  @Option(
      names = "--ff",
      description = "feed-forward width F of a transformer block (default: 4 × --hidden)")
  Integer ff;

  @Option(names = "--input", description = "input features I (default: same as --hidden)")
  Integer input;

  @Option(
      names = "--layers",
      description = "stacked layers (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int layers;

  @Option(
      names = "--batch",
      description = "batch B (default: ${DEFAULT-VALUE})",
      defaultValue = "64")
  int batch;

  @Option(
      names = "--steps",
      description = "sequence length T (default: ${DEFAULT-VALUE})",
      defaultValue = "100")
  int steps;

  @Option(names = "--threads", description = "threads (default: all cores)")
  Integer threads;

  @Option(
      names = "--mode",
      description =
          "train, infer or stream (one step at a time, as RecurrentStream; default: ${DEFAULT-VALUE})",
      defaultValue = "train")
  Mode mode;

  @Option(
      names = "--weights",
      completionCandidates = PrecisionNames.class,
      description =
          "how --mode stream holds the recurrent weights of an RNN, LSTM or GRU:"
              + " ${COMPLETION-CANDIDATES} (a byte per weight and a scale per row; default:"
              + " ${DEFAULT-VALUE})",
      defaultValue = "float32")
  String weights;

  @Option(
      names = "--repeats",
      description = "timed runs, the median is reported (default: ${DEFAULT-VALUE})",
      defaultValue = "9")
  int repeats;

  @Option(
      names = "--warmup",
      description =
          "seconds of untimed runs first, at least three runs; 0: none, every run timed from the"
              + " first, in the order listed in --format json (default: ${DEFAULT-VALUE})",
      defaultValue = "5")
  double warmup;

  @Option(
      names = "--format",
      description = "text or json (default: ${DEFAULT-VALUE})",
      defaultValue = "text")
  Format format;

  @Override
  public Integer call() throws Exception {
    int in = input == null ? hidden : input;
    requireRange("--hidden", hidden, 1, 1 << 16);
    requireRange("--input", in, 1, 1 << 20);
    requireRange("--layers", layers, 1, 64);
    requireRange("--batch", batch, 1, 1 << 20);
    requireRange("--steps", steps, 1, 1 << 20);
    requireRange("--repeats", repeats, 1, 1000);
    if (!(warmup >= 0 && warmup <= 600)) {
      throw new UserError("--warmup must be between 0 and 600 seconds, got " + warmup);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int useThreads = threads == null ? cores : threads;
    requireRange("--threads", useThreads, 1, 4096);
    if (model.equals(PEAK)) return callPeak(useThreads);
    Architecture architecture;
    try {
      architecture = Architecture.fromId(model);
    } catch (IllegalArgumentException e) {
      throw new UserError("--model: " + e.getMessage() + ", " + PEAK);
    }
    return switch (architecture.recurrence()) {
      case MATRIX, SCAN -> callRecurrent(architecture, in, useThreads);
      case NONE -> callTransformer(useThreads);
    };
  }

  /** A recurrent row of the table: its training step, inference pass or stream. */
  private int callRecurrent(Architecture architecture, int in, int useThreads) throws Exception {
    WeightPrecision precision = PrecisionNames.parse(weights);
    LayerBenchmark.Config config;
    try {
      config =
          new LayerBenchmark.Config(
              architecture,
              in,
              hidden,
              layers,
              batch,
              steps,
              switch (mode) {
                case train -> LayerBenchmark.Mode.TRAIN;
                case infer -> LayerBenchmark.Mode.INFER;
                case stream -> LayerBenchmark.Mode.STREAM;
              },
              repeats,
              precision);
    } catch (IllegalArgumentException e) {
      // Which layers take reduced weights is the configuration's rule, checked there only.
      if (precision == WeightPrecision.FLOAT32) throw e;
      throw new UserError("--weights: " + e.getMessage(), e);
    }
    requireMemory(config.estimatedBytes());
    LayerBenchmark.Result result =
        onThreads(useThreads, () -> LayerBenchmark.run(config, 42, warmup));
    // A streamed step at a small batch uses each weight once: reading them is its floor.
    ReadBandwidth.Result floor =
        mode == Mode.stream
            ? ReadBandwidth.measure(config.weightBytes(), useThreads, 0.2, 5)
            : null;
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("model", architecture.id());
      doc.put("mode", mode.name());
      doc.put("input", in);
      doc.put("hidden", hidden);
      doc.put("layers", layers);
      doc.put("batch", batch);
      doc.put("steps", steps);
      putTimings(doc, useThreads, result);
      if (mode == Mode.stream) {
        doc.put("weights", precision.id());
        doc.put("microseconds_per_time_step", result.secondsPerTimeStep() * 1e6);
        doc.put("time_steps_per_second", 1 / result.secondsPerTimeStep());
        doc.put("weight_bytes", config.weightBytes());
        doc.put("weight_read_microseconds", floor.secondsPerPass() * 1e6);
      }
      printJson(out, doc);
    } else {
      out.printf(
          Locale.ROOT,
          "%s %s: input %d, hidden %d, %d layer(s), batch %d, %d steps, %d thread(s)%s%n",
          model,
          mode,
          in,
          hidden,
          layers,
          batch,
          steps,
          useThreads,
          mode == Mode.stream ? ", " + precision.id() + " weights" : "");
      out.printf(
          Locale.ROOT,
          "  %.3f ms per %s (median of %d; fastest %.3f ms, slowest %.3f ms)%n",
          result.secondsPerStep() * 1e3,
          mode == Mode.stream ? "run of " + steps + " time steps" : "step",
          repeats,
          result.fastest() * 1e3,
          result.slowest() * 1e3);
      out.printf(
          Locale.ROOT,
          "  %,.0f tokens/s, %.2f GFLOP/s in the matrix products%n",
          result.tokensPerSecond(),
          result.gflops());
      if (mode == Mode.stream) {
        out.printf(
            Locale.ROOT,
            "  %.3f µs per time step, %,.0f time steps/s (batch %d each)%n",
            result.secondsPerTimeStep() * 1e6,
            1 / result.secondsPerTimeStep(),
            batch);
        out.printf(
            Locale.ROOT,
            "  reading the weights alone (%,d KiB, each of %d thread(s) its share from its own"
                + " cache) takes %.3f µs at %.0f GB/s: the floor of a time step%n",
            config.weightBytes() / 1024,
            useThreads,
            floor.secondsPerPass() * 1e6,
            floor.gigabytesPerSecond());
      }
    }
    out.flush();
    return 0;
  }

  /**
   * {@code --model transformer}: causal pre-norm blocks, timed and reported like the recurrent
   * layers.
   */
  private int callTransformer(int useThreads) throws Exception {
    int width = ff == null ? 4 * hidden : ff;
    requireRange("--heads", heads, 1, hidden);
    requireRange("--ff", width, 1, 1 << 20);
    if (hidden % heads != 0) {
      throw new UserError(
          "--heads " + heads + " must divide --hidden " + hidden + " (each head gets D/H columns)");
    }
    if (input != null && input != hidden) {
      throw new UserError(
          "--input must equal --hidden for a transformer block (its input is [T, B, D])");
    }
    if (mode == Mode.stream)
      throw new UserError("--mode stream is for the recurrent models, not --model transformer");
    if (PrecisionNames.parse(weights) != WeightPrecision.FLOAT32)
      throw new UserError(
          "--weights "
              + weights
              + " is for --mode stream of rnn, lstm or gru, not --model transformer");
    LayerBenchmark.BlockConfig config =
        new LayerBenchmark.BlockConfig(
            hidden,
            heads,
            width,
            layers,
            batch,
            steps,
            mode == Mode.train ? LayerBenchmark.Mode.TRAIN : LayerBenchmark.Mode.INFER,
            repeats);
    requireMemory(config.estimatedBytes());
    LayerBenchmark.Result result =
        onThreads(useThreads, () -> LayerBenchmark.run(config, 42, warmup));
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("model", Architecture.TRANSFORMER.id());
      doc.put("mode", mode.name());
      doc.put("d_model", hidden);
      doc.put("heads", heads);
      doc.put("dim_feedforward", width);
      doc.put("causal", true);
      doc.put("layers", layers);
      doc.put("batch", batch);
      doc.put("steps", steps);
      putTimings(doc, useThreads, result);
      printJson(out, doc);
    } else {
      out.printf(
          Locale.ROOT,
          "transformer %s: d %d, %d heads, ff %d, causal, %d block(s), batch %d, %d steps, %d thread(s)%n",
          mode,
          hidden,
          heads,
          width,
          layers,
          batch,
          steps,
          useThreads);
      out.printf(
          Locale.ROOT,
          "  %.3f ms per step (median of %d; fastest %.3f ms, slowest %.3f ms)%n",
          result.secondsPerStep() * 1e3,
          repeats,
          result.fastest() * 1e3,
          result.slowest() * 1e3);
      out.printf(
          Locale.ROOT,
          "  %,.0f tokens/s, %.2f GFLOP/s in the matrix products (causal half of the attention)%n",
          result.tokensPerSecond(),
          result.gflops());
    }
    out.flush();
    return 0;
  }

  /** {@code --model peak}: the vector FMA rate of {@code threads} threads, best of the repeats. */
  private int callPeak(int useThreads) throws Exception {
    double gflops = FmaPeak.measure(useThreads, 0.2, repeats);
    PrintWriter out = spec.commandLine().getOut();
    if (format == Format.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("model", PEAK);
      doc.put("threads", useThreads);
      doc.put("lanes", FmaPeak.lanes());
      doc.put("repeats", repeats);
      doc.put("gflops", gflops);
      doc.put("gflops_per_thread", gflops / useThreads);
      printJson(out, doc);
    } else {
      out.printf(
          Locale.ROOT,
          "peak: independent %d-lane float FMAs in registers on %d thread(s), best of %d runs of 0.2 s%n",
          FmaPeak.lanes(),
          useThreads,
          repeats);
      out.printf(Locale.ROOT, "  %.1f GFLOP/s (%.1f per thread)%n", gflops, gflops / useThreads);
    }
    out.flush();
    return 0;
  }

  /** Writes a report as indented JSON. */
  private static void printJson(PrintWriter out, Map<String, Object> doc) throws Exception {
    out.println(
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
  }

  private static void requireRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new UserError(option + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  /** Refuses a run whose buffers would not fit, before allocating them. */
  private void requireMemory(double bytes) {
    double have = Runtime.getRuntime().maxMemory();
    if (bytes > have / 2) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--batch %d × --steps %d with --hidden %d needs about %.1f GiB; this JVM may use %.1f GiB (raise it with SEQLAB_JAVA_OPTS=-Xmx...)",
              batch,
              steps,
              hidden,
              bytes / (1L << 30),
              have / (1L << 30)));
    }
  }

  /**
   * Runs {@code benchmark} with the kernels on {@code threads} threads, then restores the count.
   */
  private static LayerBenchmark.Result onThreads(
      int threads, java.util.function.Supplier<LayerBenchmark.Result> benchmark) {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(threads);
      return benchmark.get();
    } finally {
      Parallel.setThreads(saved);
    }
  }

  /** The keys every JSON report shares. */
  private void putTimings(Map<String, Object> doc, int threads, LayerBenchmark.Result result) {
    doc.put("threads", threads);
    doc.put("repeats", repeats);
    doc.put("tokens_per_second", result.tokensPerSecond());
    doc.put("seconds_per_step", result.secondsPerStep());
    doc.put("gflops", result.gflops());
    doc.put("all_seconds", result.allSeconds());
  }
}
