package org.seqlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.Limits;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.probe.GradientFlow;
import org.seqlab.probe.GradientFlow.Result;
import org.seqlab.tensor.NumpyRandom;
import org.seqlab.view.Bars;
import org.seqlab.view.Plots;
import org.seqlab.view.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab gradients}: the norm of the gradient at every step, and whether it vanishes. */
@Command(
    name = "gradients",
    mixinStandardHelpOptions = true,
    description = {
      "Puts the loss on the final step (L = sum of h_T) and measures, for every earlier step t, the"
          + " norm of dL/dh_t (and dL/dc_t, the LSTM's cell-state highway), in double precision.",
      "With --model transformer: the loss on the last position's output and the norm of dL/dx_t at the"
          + " input of every position t.",
      "Ends with a verdict: vanishing, stable or exploding."
    })
public final class GradientsCommand implements Callable<Integer> {

  enum Model {
    rnn,
    lstm,
    gru,
    mingru,
    minlstm,
    transformer
  }

  enum Activation {
    tanh,
    relu
  }

  enum Format {
    text,
    csv,
    json
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
      defaultValue = "rnn")
  Model model;

  @Option(
      names = "--hidden",
      description = "hidden units H; the Transformer's width D (default: ${DEFAULT-VALUE})",
      defaultValue = "32")
  int hidden;

  @Option(
      names = "--heads",
      description = "Transformer: attention heads, dividing --hidden (default: ${DEFAULT-VALUE})",
      defaultValue = "4")
  int heads;

  @Option(
      names = "--layers",
      description = "Transformer: blocks (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int layers;

  @Option(
      names = "--steps",
      description = "sequence length T (default: ${DEFAULT-VALUE})",
      defaultValue = "50")
  int steps;

  @Option(
      names = "--input",
      description = "input features per step (default: ${DEFAULT-VALUE})",
      defaultValue = "10")
  int input;

  static final class Init {
    @Option(
        names = "--weight-scale",
        description =
            "draw weights as randn * s, biases zero, as the article does (default: PyTorch's U(±1/sqrt(H)))")
    Double weightScale;

    @Option(
        names = "--spectral-radius",
        description = "rescale each H×H block of W_hh to exactly this spectral radius")
    Double spectralRadius;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Init init = new Init();

  @Option(
      names = "--forget-bias",
      description = "LSTM: the forget gate's bias b_f (PyTorch's default init otherwise)")
  Double forgetBias;

  @Option(
      names = "--activation",
      description = "RNN: tanh or relu (default: ${DEFAULT-VALUE})",
      defaultValue = "tanh")
  Activation activation;

  @Option(
      names = "--seed",
      description = "numpy-compatible seed, 0 to 4294967295 (default: ${DEFAULT-VALUE})",
      defaultValue = "42")
  long seed;

  @Option(
      names = "--format",
      description = "text, csv or json (default: ${DEFAULT-VALUE})",
      defaultValue = "text")
  Format format;

  @Option(names = "--every", description = "text: print every k-th step (default: about 60 lines)")
  Integer every;

  @Option(
      names = "--plot",
      description = "also draw the gradient norms against the step, log scale, as a PNG file")
  Path plot;

  @Override
  public Integer call() throws Exception {
    Result result;
    if (model == Model.transformer) {
      GradientFlow.TransformerConfig config = transformerConfig();
      try (ProgressBar bar =
          new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
        result = GradientFlow.measureTransformer(config, new NumpyRandom(seed), bar::update);
      }
    } else if (model == Model.mingru || model == Model.minlstm) {
      requireCommon();
      if (init.spectralRadius != null)
        throw new UserError("--spectral-radius applies to models with a matrix W_hh, not " + model);
      if (forgetBias != null) throw new UserError("--forget-bias applies to --model lstm only");
      if (activation == Activation.relu)
        throw new UserError("--activation applies to --model rnn only, not " + model);
      GradientFlow.WeightInit weights =
          init.weightScale != null
              ? new GradientFlow.WeightInit.GaussianScaled(init.weightScale)
              : new GradientFlow.WeightInit.PyTorchDefault();
      result =
          GradientFlow.measureMinRecurrent(
              model == Model.mingru ? MinRecurrentKind.MIN_GRU : MinRecurrentKind.MIN_LSTM,
              input,
              hidden,
              steps,
              weights,
              new NumpyRandom(seed));
    } else {
      GradientFlow.Config config = config();
      try (ProgressBar bar =
          new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
        result = GradientFlow.measure(config, new NumpyRandom(seed), bar::update);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (plot != null) writePlot(result);
    switch (format) {
      case text -> printText(out, result);
      case csv -> printCsv(out, result);
      case json -> printJson(out, result);
    }
    out.flush();
    return 0;
  }

  /** The Transformer's options, validated; the recurrent-only ones are refused. */
  GradientFlow.TransformerConfig transformerConfig() {
    requireCommon();
    requireRange(Limits.HEADS.narrowed(1, Math.min(hidden, Limits.HEADS.max())), heads);
    requireRange(Limits.LAYERS.range(), layers);
    if (hidden % heads != 0) {
      throw new UserError(
          "--heads "
              + heads
              + " does not divide --hidden "
              + hidden
              + " (each head takes hidden/heads columns)");
    }
    if (init.spectralRadius != null)
      throw new UserError(
          "--spectral-radius applies to recurrent models only (W_hh), not transformer");
    if (forgetBias != null)
      throw new UserError("--forget-bias applies to --model lstm only, not transformer");
    if (activation == Activation.relu)
      throw new UserError("--activation applies to --model rnn only, not transformer");
    GradientFlow.WeightInit weights =
        init.weightScale != null
            ? new GradientFlow.WeightInit.GaussianScaled(init.weightScale)
            : new GradientFlow.WeightInit.PyTorchDefault();
    GradientFlow.TransformerConfig config =
        new GradientFlow.TransformerConfig(hidden, heads, 4 * hidden, layers, steps, weights, seed);
    requireMemory(config.estimatedBytes());
    return config;
  }

  private void requireCommon() {
    requireRange(Limits.HIDDEN.range(), hidden);
    requireRange(Limits.GRADIENT_FLOW_STEPS.range(), steps);
    requireRange(Limits.GRADIENT_FLOW_INPUT.range(), input);
    if (seed < 0 || seed > 0xFFFF_FFFFL) {
      throw new UserError("--seed must be between 0 and 4294967295, got " + seed);
    }
    if (init.weightScale != null && !(init.weightScale > 0 && Double.isFinite(init.weightScale))) {
      throw new UserError(
          "--weight-scale must be a positive finite number, got " + init.weightScale);
    }
    if (every != null && every < 1) throw new UserError("--every must be at least 1, got " + every);
  }

  private void requireMemory(long need) {
    long have = Runtime.getRuntime().maxMemory();
    if (need > have / 2) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--hidden %d with --steps %d needs about %s of memory; this JVM may use %s (raise it with SEQLAB_JAVA_OPTS=-Xmx...)",
              hidden,
              steps,
              bytes(need),
              bytes(have)));
    }
  }

  /** Validates every option, naming it and what is allowed, before anything is allocated. */
  GradientFlow.Config config() {
    requireCommon();
    if (init.spectralRadius != null
        && !(init.spectralRadius > 0 && Double.isFinite(init.spectralRadius))) {
      throw new UserError(
          "--spectral-radius must be a positive finite number, got " + init.spectralRadius);
    }
    if (forgetBias != null && model != Model.lstm) {
      throw new UserError("--forget-bias applies to --model lstm only, not " + model);
    }
    if (forgetBias != null && !Double.isFinite(forgetBias)) {
      throw new UserError("--forget-bias must be a finite number, got " + forgetBias);
    }
    if (activation == Activation.relu && model != Model.rnn) {
      throw new UserError("--activation applies to --model rnn only, not " + model);
    }
    RecurrentKind kind =
        switch (model) {
          case rnn ->
              activation == Activation.relu ? RecurrentKind.RNN_RELU : RecurrentKind.RNN_TANH;
          case lstm -> RecurrentKind.LSTM;
          case gru -> RecurrentKind.GRU;
          case mingru, minlstm, transformer ->
              throw new IllegalStateException("the transformer has its own configuration");
        };
    GradientFlow.WeightInit weights =
        init.weightScale != null
            ? new GradientFlow.WeightInit.GaussianScaled(init.weightScale)
            : new GradientFlow.WeightInit.PyTorchDefault();
    GradientFlow.Config config =
        new GradientFlow.Config(
            kind,
            input,
            hidden,
            steps,
            weights,
            init.spectralRadius == null ? Double.NaN : init.spectralRadius,
            forgetBias == null ? Double.NaN : forgetBias,
            seed);
    requireMemory(config.estimatedBytes());
    return config;
  }

  /** The table's range check, as a user's mistake. */
  private static void requireRange(Limits.Range range, long value) {
    if (!range.contains(value)) throw new UserError(range.refusal(value));
  }

  static String bytes(long n) {
    if (n >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    if (n >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
    return n + " B";
  }

  private String describe() {
    String weights =
        init.weightScale != null
            ? "weights randn × " + init.weightScale + ", biases 0"
            : model == Model.transformer
                ? "PyTorch's default init"
                : "PyTorch default init U(±1/√H)";
    String what =
        switch (model) {
          case rnn ->
              String.format(
                  Locale.ROOT, "rnn (%s), hidden %d, input %d", activation, hidden, input);
          case lstm -> String.format(Locale.ROOT, "lstm, hidden %d, input %d", hidden, input);
          case gru, mingru, minlstm ->
              String.format(Locale.ROOT, "%s, hidden %d, input %d", model, hidden, input);
          case transformer ->
              String.format(
                  Locale.ROOT,
                  "transformer, %d causal pre-norm block(s), width %d, %d heads, feed-forward %d",
                  layers,
                  hidden,
                  heads,
                  4 * hidden);
        };
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT, "Gradient flow: %s, %d steps, %s, seed %d", what, steps, weights, seed));
    if (forgetBias != null) s.append(String.format(Locale.ROOT, ", forget bias %.3g", forgetBias));
    return s.toString();
  }

  private void printText(PrintWriter out, Result r) {
    int t0 = r.steps();
    out.println(describe());
    if (model == Model.transformer) {
      out.printf(
          Locale.ROOT,
          "Loss on the last position: L = Σ z_%d (the last block's output); shown: ‖dL/dx_t‖ at the input of every position t.%n",
          t0);
    } else {
      out.printf(
          Locale.ROOT,
          "Loss on the final step: L = Σ h_%d, so dL/dh_%d = 1 in every unit (norm √%d = %.4f).%n",
          t0,
          t0,
          hidden,
          Math.sqrt(hidden));
      if (Double.isNaN(r.spectralRadius())) {
        out.println(
            "No W_hh: dh_t/dh_{t-1} is the diagonal a_t, computed from the input x_t alone.");
      } else {
        out.printf(
            Locale.ROOT,
            "Spectral radius of W_hh: %.4f%s%n",
            r.spectralRadius(),
            init.spectralRadius == null ? "" : " (set by --spectral-radius)");
      }
    }
    boolean lstm = r.cellGradientNorm() != null;
    double maxH = 0, maxC = 0;
    for (int t = 0; t < t0; t++) {
      maxH = Math.max(maxH, r.hiddenGradientNorm()[t]);
      if (lstm) maxC = Math.max(maxC, r.cellGradientNorm()[t]);
    }
    int stride = every != null ? every : Math.max(1, (t0 + 59) / 60);
    out.printf(
        Locale.ROOT,
        "Bars: log scale, full = the largest norm, empty = 12 decades below it%s.%n",
        stride > 1
            ? String.format(Locale.ROOT, "; every %d steps shown (--format csv for all)", stride)
            : "");
    int width = lstm ? 24 : 40;
    if (lstm)
      out.printf(
          Locale.ROOT,
          "%-11s %-12s %-" + width + "s   %-12s %s%n",
          "",
          "‖dL/dh_t‖",
          "",
          "‖dL/dc_t‖",
          "");
    for (int t = t0; t >= 1; t--) {
      if ((t0 - t) % stride != 0 && t != 1) continue;
      double g = r.hiddenGradientNorm()[t - 1];
      String line =
          String.format(
              Locale.ROOT,
              "step %5d: %.6e %-" + width + "s",
              t,
              g,
              Bars.logBar(g, maxH, 12, width));
      if (lstm) {
        double c = r.cellGradientNorm()[t - 1];
        line += String.format(Locale.ROOT, " | %.6e %s", c, Bars.logBar(c, maxC, 12, width));
      }
      out.println(line.stripTrailing());
    }
    printVerdict(out, r);
  }

  private void printVerdict(PrintWriter out, Result r) {
    String v = model == Model.transformer ? "x" : "h"; // the vector whose gradient is measured
    for (String sentence : org.seqlab.view.GradientVerdict.sentences(r, v)) out.println(sentence);
  }

  private void writePlot(Result r) {
    int n = r.steps();
    double[] x = new double[n];
    for (int t = 0; t < n; t++) x[t] = t + 1;
    String v = model == Model.transformer ? "x" : "h";
    List<Figure.Series> series = new ArrayList<>();
    series.add(new Figure.Series("‖dL/d" + v + "_t‖", x, r.hiddenGradientNorm()));
    if (r.cellGradientNorm() != null)
      series.add(new Figure.Series("‖dL/dc_t‖", x, r.cellGradientNorm()));
    try {
      Plots.lineChart(
          plot,
          describe(),
          "step t",
          Figure.Scale.LINEAR,
          "gradient norm",
          Figure.Scale.LOG,
          series);
    } catch (java.io.IOException e) {
      throw new UserError("--plot: cannot write " + plot + ": " + e.getMessage(), e);
    }
  }

  private static void printCsv(PrintWriter out, Result r) {
    boolean lstm = r.cellGradientNorm() != null;
    out.println(lstm ? "step,grad_norm,cell_grad_norm" : "step,grad_norm");
    for (int t = 1; t <= r.steps(); t++) {
      if (lstm) {
        out.printf(
            Locale.ROOT,
            "%d,%.17g,%.17g%n",
            t,
            r.hiddenGradientNorm()[t - 1],
            r.cellGradientNorm()[t - 1]);
      } else {
        out.printf(Locale.ROOT, "%d,%.17g%n", t, r.hiddenGradientNorm()[t - 1]);
      }
    }
  }

  private void printJson(PrintWriter out, Result r) throws Exception {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("model", model == Model.rnn ? "rnn_" + activation : model.name());
    config.put("hidden", hidden);
    if (model == Model.transformer) {
      config.put("heads", heads);
      config.put("layers", layers);
      config.put("feed_forward", 4 * hidden);
    } else {
      config.put("input", input);
    }
    config.put("steps", steps);
    config.put("seed", seed);
    if (init.weightScale != null) config.put("weight_scale", init.weightScale);
    else config.put("init", "pytorch_default");
    if (init.spectralRadius != null) config.put("spectral_radius", init.spectralRadius);
    if (forgetBias != null) config.put("forget_bias", forgetBias);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int t = 1; t <= r.steps(); t++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("step", t);
      row.put("grad_norm", r.hiddenGradientNorm()[t - 1]);
      if (r.cellGradientNorm() != null) row.put("cell_grad_norm", r.cellGradientNorm()[t - 1]);
      rows.add(row);
    }
    Map<String, Object> verdict = new LinkedHashMap<>();
    verdict.put("verdict", r.verdict().name().toLowerCase(Locale.ROOT));
    verdict.put("factor_per_step", r.factorPerStep());
    verdict.put("earliest_measurable_step", r.earliestMeasurableStep());
    verdict.put("first_to_last_ratio", r.firstToLastRatio());
    verdict.put(
        "first_step_below_1e-6",
        r.firstStepBelowMillionth() == 0 ? null : r.firstStepBelowMillionth());
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("config", config);
    if (!Double.isNaN(r.spectralRadius())) doc.put("spectral_radius_w_hh", r.spectralRadius());
    doc.put("steps", rows);
    doc.put("summary", verdict);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    out.println(json.writeValueAsString(doc));
  }
}
