package org.seqlab.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.TrainingRun;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.MinRecurrentLanguageModel;
import org.seqlab.nn.RecurrentGradients;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentLanguageModel;
import org.seqlab.nn.RecurrentTrace;
import org.seqlab.probe.GradientFlow;
import org.seqlab.probe.Spectral;
import org.seqlab.tasks.Agreement;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.MultiQueryRecall;
import org.seqlab.tensor.NumpyRandom;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.Trainer;
import org.seqlab.view.GradientVerdict;

/**
 * What the lab shows of a model's inside: the gradient at every time step while it trains, its
 * gates and cell state over one example, its attention maps, and the gradient-flow measurement of
 * {@code seqlab gradients} for every architecture at once. Each reads the engine's own passes; none
 * computes anything a second way.
 */
final class LabProbes {
  private LabProbes() {}

  /** At most this many units of a hidden state are sent to the page: a heat map has rows enough. */
  static final int MAX_UNITS = 64;

  /**
   * {@code ‖∂L/∂h_t‖} of the first layer at every step of the batch the model just trained on (the
   * norm over the batch and the units), {@code ‖∂L/∂c_t‖} for the LSTM, the spectral radius ρ of
   * {@code W_hh} now, and the decay it predicts: {@code ‖∂L/∂h_T‖ ρ^(T−t)} from the last step the
   * loss reaches.
   */
  static Map<String, Object> timeGradients(LanguageModel model, long step) {
    // What the last backward pass found, and the radius of W_hh where a matrix carries the state.
    RecurrentGradients g;
    double radius;
    switch (model) {
      case RecurrentLanguageModel r -> {
        g = r.lastGradients();
        radius = spectralRadius(r);
      }
      case MinRecurrentLanguageModel m -> {
        g = m.lastGradients();
        radius = Double.NaN;
      }
      default -> {
        return null;
      }
    }
    if (g == null) return null;
    double[] hidden = normsPerStep(g.hiddenGradient(0));
    double[] cell = g.cellGradients() == null ? null : normsPerStep(g.cellGradient(0));
    int last = hidden.length - 1;
    while (last > 0 && hidden[last] == 0) last--;
    Double[] predicted = null;
    if (!Double.isNaN(radius)) {
      predicted = new Double[hidden.length];
      for (int t = 0; t <= last; t++) predicted[t] = hidden[last] * Math.pow(radius, last - t);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("norms", floats(hidden));
    m.put("cell_norms", cell == null ? null : floats(cell));
    m.put("radius", Double.isNaN(radius) ? null : radius);
    m.put("predicted", predicted);
    return m;
  }

  /** The largest spectral radius over the gate blocks of the first layer's {@code W_hh}. */
  static double spectralRadius(RecurrentLanguageModel model) {
    float[] w = model.recurrent().weightHh(0).value().data();
    int h = model.recurrent().hiddenSize();
    double radius = 0;
    for (int b = 0; b < model.recurrent().kind().gateCount(); b++) {
      double[] block = new double[h * h];
      for (int i = 0; i < h * h; i++) block[i] = w[b * h * h + i];
      radius = Math.max(radius, Spectral.spectralRadius(block, h));
    }
    return radius;
  }

  private static double[] normsPerStep(Tensor perStep) {
    int steps = perStep.dim(0), width = perStep.dim(1) * perStep.dim(2);
    float[] d = perStep.data();
    double[] norms = new double[steps];
    for (int t = 0; t < steps; t++) {
      double s = 0;
      for (int i = t * width; i < (t + 1) * width; i++) s += (double) d[i] * d[i];
      norms[t] = Math.sqrt(s);
    }
    return norms;
  }

  /**
   * The first validation sequence through the model, without dropout: a recurrent model's gates,
   * hidden and cell states ({@code gates} event), or a Transformer's attention maps ({@code
   * attention} event); the type and its data.
   */
  static Map.Entry<String, Map<String, Object>> inside(TrainingRun run, long step) {
    Batch batch = run.task().validationBatches().getFirst();
    LanguageModel.Pass pass = Trainer.forward(run.model(), batch, null, null);
    int length = exampleLength(batch);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    List<String> tokens = tokens(run, batch, length);
    m.put("tokens", tokens);
    RecurrentTrace trace = pass.recurrentTrace();
    if (trace != null) {
      RecurrentKind kind = trace.kind();
      int h = trace.hiddenSize(), units = Math.min(h, MAX_UNITS), batchSize = batch.size();
      List<String> labels = Architecture.of(kind).gateNames();
      float[] gates = trace.gates(0).data();
      int width = kind.gateCount() * h;
      List<float[][]> perGate = new ArrayList<>();
      for (int g = 0; g < labels.size(); g++) {
        float[][] map = new float[length][units];
        for (int t = 0; t < length; t++) {
          for (int j = 0; j < units; j++) map[t][j] = gates[t * batchSize * width + g * h + j];
        }
        perGate.add(map);
      }
      m.put("labels", labels);
      m.put("gates", perGate);
      m.put("hidden", states(trace.hiddenStates(0), length, batchSize, h, units));
      m.put(
          "cell",
          Architecture.of(kind).hasCellState()
              ? states(trace.cellStates(0), length, batchSize, h, units)
              : null);
      m.put("units_shown", units);
      m.put("units", h);
      return Map.entry("gates", m);
    }
    List<Tensor> weights = pass.attentionWeights();
    if (weights.isEmpty()) return null;
    List<List<float[][]>> maps = new ArrayList<>();
    for (Tensor w : weights) {
      int heads = w.dim(1), steps = w.dim(2);
      float[] d = w.data();
      List<float[][]> perHead = new ArrayList<>();
      for (int head = 0; head < heads; head++) {
        float[][] map = new float[length][length];
        for (int q = 0; q < length; q++) {
          for (int k = 0; k < length; k++) map[q][k] = d[((head) * steps + q) * steps + k];
        }
        perHead.add(map);
      }
      maps.add(perHead);
    }
    m.put("maps", maps);
    m.put("reach", reach(maps, tokens));
    return Map.entry("attention", m);
  }

  /**
   * Where the last position looks: its strongest link over every layer and head, in one sentence
   * ("The last position ('the', 22) attends most to 'man' at position 2, 20 steps back, with weight
   * 0.91 (layer 1, head 2).").
   */
  static String reach(List<List<float[][]>> maps, List<String> tokens) {
    int last = maps.getFirst().getFirst().length - 1;
    int bestLayer = 0, bestHead = 0, bestKey = last;
    float bestWeight = -1;
    for (int l = 0; l < maps.size(); l++) {
      for (int h = 0; h < maps.get(l).size(); h++) {
        float[] row = maps.get(l).get(h)[last];
        int key = 0;
        for (int k = 1; k <= last; k++) if (row[k] > row[key]) key = k;
        if (row[key] > bestWeight) {
          bestLayer = l;
          bestHead = h;
          bestKey = key;
          bestWeight = row[key];
        }
      }
    }
    String at = tokens == null ? "" : "'" + tokens.get(last) + "', ";
    String to = tokens == null ? "" : "'" + tokens.get(bestKey) + "' at ";
    return String.format(
        Locale.ROOT,
        "The last position (%s%d) attends most to %sposition %d, %d steps back, with weight %.2f"
            + " (layer %d, head %d).",
        at,
        last + 1,
        to,
        bestKey + 1,
        last - bestKey,
        bestWeight,
        bestLayer + 1,
        bestHead + 1);
  }

  private static float[][] states(Tensor s, int length, int batch, int h, int units) {
    float[] d = s.data();
    float[][] map = new float[length][units];
    for (int t = 0; t < length; t++) {
      for (int j = 0; j < units; j++) map[t][j] = d[t * batch * h + j];
    }
    return map;
  }

  /** The first sequence's length: through its last asked step (later steps are padding). */
  static int exampleLength(Batch batch) {
    for (int t = batch.steps() - 1; t > 0; t--) {
      int at = t * batch.size();
      boolean asked =
          batch.isRegression()
              ? !Double.isNaN(batch.values()[at])
              : batch.targets()[at] != CrossEntropyLoss.IGNORE_INDEX;
      if (asked) return t + 1;
    }
    return batch.steps();
  }

  /**
   * The first sequence's tokens as words (agreement), characters (char-lm), keys and values (mqar:
   * {@code K7}, {@code V2}) or ids; null for a task that reads feature vectors.
   */
  private static List<String> tokens(TrainingRun run, Batch batch, int length) {
    if (batch.inputs() == null) return null;
    List<String> words = new ArrayList<>();
    for (int t = 0; t < length; t++) {
      int id = batch.inputs()[t * batch.size()];
      words.add(
          switch (run.config().taskRow()) {
            case AGREEMENT -> Agreement.word(id);
            case CHAR_LM -> run.vocabulary().character(id);
            case MQAR -> {
              int keys = ((MultiQueryRecall) run.task()).keys();
              yield id < keys ? "K" + id : "V" + (id - keys);
            }
            case ADDING, COPY, RECALL -> Integer.toString(id);
          });
    }
    return words;
  }

  private static float[] floats(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
    return f;
  }

  /** The longest sequence the gradient-flow probe measures in one request. */
  static final int MAX_FLOW_STEPS = 400;

  /**
   * {@code seqlab gradients} for the configured model and, overlaid, every other architecture at
   * the same size and initialisation, over {@code steps} steps: each curve, the spectral radius,
   * the verdict and its sentences, and the command that prints the same numbers.
   */
  static Map<String, Object> gradientFlow(LabConfig c, int steps) {
    List<Map<String, Object>> series = new ArrayList<>();
    List<String> order = new ArrayList<>(LabConfig.MODELS);
    order.remove(c.model());
    order.addFirst(c.model());
    for (String model : order) {
      // The lab's RNN is the table's ReLU RNN when its activation says so.
      Architecture architecture =
          model.equals("rnn") && c.activation().equals("relu")
              ? Architecture.RNN_RELU
              : Architecture.fromId(model);
      Measured measured =
          switch (architecture.recurrence()) {
            case NONE -> attentionFlow(c, steps);
            case SCAN -> scanFlow(architecture, model, c, steps);
            case MATRIX -> matrixFlow(architecture, model, c, steps);
          };
      GradientFlow.Result r = measured.result();
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("model", model);
      s.put("label", label(architecture, c));
      s.put("hidden", r.hiddenGradientNorm());
      s.put("cell", r.cellGradientNorm());
      s.put("radius", Double.isNaN(r.spectralRadius()) ? null : r.spectralRadius());
      s.put("verdict", r.verdict().name());
      s.put("factor_per_step", r.factorPerStep());
      s.put("trend", r.trend());
      s.put("first_below_millionth", r.firstStepBelowMillionth());
      s.put("sentences", GradientVerdict.sentences(r, architecture.isRecurrent() ? "h" : "x"));
      s.put("command", measured.command());
      series.add(s);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("steps", steps);
    out.put("series", series);
    out.put("rule", GradientVerdict.rule());
    return out;
  }

  /** One architecture's measurement and the command that prints the same numbers. */
  private record Measured(GradientFlow.Result result, String command) {}

  /** ‖∂L/∂x_t‖ at the input of every position of a Transformer stack of the lab's size. */
  private static Measured attentionFlow(LabConfig c, int steps) {
    int heads = c.hidden() % c.heads() == 0 ? c.heads() : 1;
    GradientFlow.Result r =
        GradientFlow.measureTransformer(
            new GradientFlow.TransformerConfig(
                c.hidden(),
                heads,
                4 * c.hidden(),
                c.layers(),
                steps,
                new GradientFlow.WeightInit.PyTorchDefault(),
                c.seed()),
            new NumpyRandom(c.seed()),
            null);
    return new Measured(
        r,
        String.format(
            Locale.ROOT,
            "seqlab gradients --model transformer --hidden %d --heads %d --layers %d --steps %d"
                + " --seed %d",
            c.hidden(),
            heads,
            c.layers(),
            steps,
            c.seed()));
  }

  /** ‖∂L/∂h_t‖ of a recurrence linear in h (minGRU, minLSTM). */
  private static Measured scanFlow(Architecture a, String model, LabConfig c, int steps) {
    GradientFlow.Result r =
        GradientFlow.measureMinRecurrent(
            a.minRecurrentKind().orElseThrow(),
            10,
            c.hidden(),
            steps,
            new GradientFlow.WeightInit.PyTorchDefault(),
            new NumpyRandom(c.seed()));
    return new Measured(
        r,
        String.format(
            Locale.ROOT,
            "seqlab gradients --model %s --hidden %d --steps %d --seed %d",
            model,
            c.hidden(),
            steps,
            c.seed()));
  }

  /** ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) of a recurrence through W_hh, with the lab's knobs. */
  private static Measured matrixFlow(Architecture a, String model, LabConfig c, int steps) {
    RecurrentKind kind = a.recurrentKind().orElseThrow();
    double spectral = c.init().equals("spectral") ? c.spectralRadius() : Double.NaN;
    double forget = a.hasForgetGate() && c.forgetBias() != null ? c.forgetBias() : Double.NaN;
    GradientFlow.Result r =
        GradientFlow.measure(
            new GradientFlow.Config(
                kind,
                10,
                c.hidden(),
                steps,
                new GradientFlow.WeightInit.PyTorchDefault(),
                spectral,
                forget,
                c.seed()),
            new NumpyRandom(c.seed()));
    StringBuilder command =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "seqlab gradients --model %s --hidden %d --steps %d --seed %d",
                model,
                c.hidden(),
                steps,
                c.seed()));
    if (kind == RecurrentKind.RNN_RELU) command.append(" --activation relu");
    if (!Double.isNaN(spectral)) command.append(" --spectral-radius ").append(spectral);
    if (!Double.isNaN(forget)) command.append(" --forget-bias ").append(forget);
    return new Measured(r, command.toString());
  }

  private static String label(Architecture architecture, LabConfig c) {
    return architecture.hasForgetGate() && c.forgetBias() != null
        ? architecture.label() + " (forget bias " + c.forgetBias() + ")"
        : architecture.label();
  }
}
