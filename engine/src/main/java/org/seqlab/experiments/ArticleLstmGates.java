package org.seqlab.experiments;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.seqlab.tensor.NumpyRandom;

/**
 * The article's second program: one LSTM cell with small random weights run over random inputs,
 * reporting the forget gate and the cell state as it goes.
 *
 * <p>Symbols: {@code I} input size, {@code H} hidden size, {@code T} steps. The article's cell
 * keeps one matrix {@code W} of shape {@code [4H, I + H]} over the concatenation {@code [x, h]},
 * with gate rows in the order input, forget, output, candidate (PyTorch orders them i, f, g, o).
 * From numpy's legacy stream: first {@code W = s·randn(4H, I + H)}, {@code b = 0}, then one {@code
 * x_t = randn(I)} per step. Steps are counted from 0, as the article counts them; from {@code
 * h_{-1} = c_{-1} = 0}, step {@code t = 0 … T-1} computes:
 *
 * <pre>
 *   [a_i, a_f, a_o, a_g] = W [x_t, h_{t-1}] + b
 *   i_t = σ(a_i),  f_t = σ(a_f),  o_t = σ(a_o),  g_t = tanh(a_g),   σ(a) = 1 / (1 + e^{-clip(a, -20, 20)})
 *   c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t          (the cell path: ∂c_t/∂c_{t-1} = diag(f_t))
 *   h_t = o_t ⊙ tanh(c_t)
 * </pre>
 *
 * The article sets no seed, so its printed numbers differ run to run; here the seed is a parameter.
 */
public final class ArticleLstmGates {

  private ArticleLstmGates() {}

  /** The seed used when none is given (the article's own program sets none). */
  public static final long DEFAULT_SEED = 42;

  /** The article prints every {@code PRINT_EVERY}-th step, starting at step 0. */
  public static final int PRINT_EVERY = 5;

  /**
   * What to run.
   *
   * @param seed numpy seed, 0 to 2³² - 1
   * @param inputSize {@code I}
   * @param hiddenSize {@code H}
   * @param steps {@code T}
   * @param weightScale {@code s}, the factor on the standard normal weights
   */
  public record Config(long seed, int inputSize, int hiddenSize, int steps, double weightScale) {
    public Config {
      if (seed < 0 || seed > NumpyRandom.MAX_SEED) {
        throw new IllegalArgumentException("seed must be between 0 and 2^32 - 1, got " + seed);
      }
      if (inputSize < 1 || hiddenSize < 1) {
        throw new IllegalArgumentException(
            "sizes must be positive: input " + inputSize + ", hidden " + hiddenSize);
      }
      if (steps < 1) throw new IllegalArgumentException("need at least 1 step, got " + steps);
      if (!(weightScale > 0) || Double.isInfinite(weightScale)) {
        throw new IllegalArgumentException(
            "weight scale must be positive and finite, got " + weightScale);
      }
    }

    /** The article's sizes (I = 10, H = 32, T = 20, s = 0.1) with the given seed. */
    public static Config article(long seed) {
      return new Config(seed, 10, 32, 20, 0.1);
    }
  }

  /**
   * The gates and cell at one step.
   *
   * @param step {@code t}, counted from 0 as the article does
   * @param forgetGateMean {@code mean_j f_t[j]}
   * @param cellNorm {@code ‖c_t‖}
   */
  public record StepGates(int step, double forgetGateMean, double cellNorm) {

    /** Whether the article's program prints this step. */
    public boolean printedByArticle() {
      return step % PRINT_EVERY == 0;
    }

    /** The line the article's code prints for this step. */
    public String articleLine() {
      return String.format(
          Locale.ROOT,
          "Step %2d | forget gate mean: %s | cell norm: %s",
          step,
          PythonFormat.fixed(forgetGateMean, 3),
          PythonFormat.fixed(cellNorm, 3));
    }
  }

  /**
   * What the program found.
   *
   * @param config what ran
   * @param steps every step, step 0 first (the article prints every fifth)
   * @param meanForgetGate the forget gate averaged over units and steps
   * @param cellPathGains per unit {@code j}, {@code ∂c_{T-1}[j]/∂c_0[j]} along the cell path,
   *     {@code ∏_{t=1}^{T-1} f_t[j]}: how much of the first cell, or of a gradient on the last one,
   *     survives the whole run
   * @param interpretation what the numbers mean, one sentence a line
   */
  public record Result(
      Config config,
      List<StepGates> steps,
      double meanForgetGate,
      double[] cellPathGains,
      List<String> interpretation) {
    public Result {
      steps = List.copyOf(steps);
      interpretation = List.copyOf(interpretation);
    }

    /** The steps the article's program prints. */
    public List<StepGates> printedSteps() {
      return steps.stream().filter(StepGates::printedByArticle).toList();
    }
  }

  /** Runs the program with the article's sizes and the given seed. */
  public static Result run(long seed) {
    return run(Config.article(seed));
  }

  /** Runs the program with the given settings. */
  public static Result run(Config config) {
    int inputs = config.inputSize();
    int hidden = config.hiddenSize();
    int width = inputs + hidden;

    NumpyRandom random = new NumpyRandom(config.seed());
    double[] weights = random.randn(4 * hidden, width); // [4H, I + H], drawn before any input
    for (int k = 0; k < weights.length; k++) weights[k] *= config.weightScale();
    double[] bias = new double[4 * hidden]; // [4H], zero as in the article

    double[] h = new double[hidden];
    double[] c = new double[hidden];
    double[] concatenated = new double[width]; // [x, h]
    double[] cellPathGains = new double[hidden];
    Arrays.fill(cellPathGains, 1.0);
    double forgetSum = 0;
    List<StepGates> steps = new ArrayList<>(config.steps());
    for (int t = 0; t < config.steps(); t++) {
      double[] x = random.randn(inputs);
      System.arraycopy(x, 0, concatenated, 0, inputs);
      System.arraycopy(h, 0, concatenated, inputs, hidden);
      double[] preActivation = new double[4 * hidden]; // rows: i | f | o | g
      for (int row = 0; row < 4 * hidden; row++) {
        double sum = 0;
        for (int k = 0; k < width; k++) sum += weights[row * width + k] * concatenated[k];
        preActivation[row] = sum + bias[row];
      }
      double forgetMean = 0;
      double[] nextH = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double inputGate = sigmoid(preActivation[j]);
        double forgetGate = sigmoid(preActivation[hidden + j]);
        double outputGate = sigmoid(preActivation[2 * hidden + j]);
        double candidate = Math.tanh(preActivation[3 * hidden + j]);
        c[j] = forgetGate * c[j] + inputGate * candidate;
        nextH[j] = outputGate * Math.tanh(c[j]);
        forgetMean += forgetGate;
        // c_0 is the first non-zero cell; from it to c_{T-1} the cell path multiplies by f_1 …
        // f_{T-1}.
        if (t > 0) cellPathGains[j] *= forgetGate;
      }
      h = nextH;
      forgetMean /= hidden;
      forgetSum += forgetMean;
      steps.add(new StepGates(t, forgetMean, norm(c)));
    }
    double meanForget = forgetSum / config.steps();
    return new Result(
        config,
        steps,
        meanForget,
        cellPathGains,
        interpret(config, steps, meanForget, cellPathGains));
  }

  /** {@code 1 / (1 + e^{-clip(a, -20, 20)})}, clipped as in the article so exp never overflows. */
  static double sigmoid(double a) {
    return 1.0 / (1.0 + Math.exp(-Math.clamp(a, -20.0, 20.0)));
  }

  private static List<String> interpret(
      Config config, List<StepGates> steps, double meanForget, double[] cellPathGains) {
    double lowest = Double.POSITIVE_INFINITY;
    double highest = Double.NEGATIVE_INFINITY;
    for (StepGates step : steps) {
      lowest = Math.min(lowest, step.forgetGateMean());
      highest = Math.max(highest, step.forgetGateMean());
    }
    double[] sortedGains = cellPathGains.clone();
    Arrays.sort(sortedGains);
    double medianGain = median(sortedGains);
    double largestGain = sortedGains[sortedGains.length - 1];
    int hops = config.steps() - 1;
    List<String> lines = new ArrayList<>();
    lines.add(
        format(
            "Forget gates average %.3f over the %d steps (per-step means %.3f to %.3f): with"
                + " weights %s·N(0,1) and zero bias the gate inputs stay near 0, and σ(0) = 0.5.",
            meanForget,
            config.steps(),
            lowest,
            highest,
            BigDecimal.valueOf(config.weightScale()).stripTrailingZeros().toPlainString()));
    lines.add(
        format(
            "So the highway c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t keeps about %.0f%% of the cell per step;"
                + " along it ∂c_t/∂c_{t-1} = diag(f_t).",
            100 * meanForget));
    if (hops > 0) {
      lines.add(
          format(
              "Across the %d steps from c_0 to c_%d the cell path keeps ∏ f: %.2g for the median"
                  + " unit, %.2g for the best (%.3f^%d = %.2g).",
              hops, hops, medianGain, largestGain, meanForget, hops, Math.pow(meanForget, hops)));
      double biasedGate = sigmoid(1.0);
      lines.add(
          format(
              "A forget-gate bias of +1 (the usual initialisation) would start the gates near"
                  + " σ(1) = %.3f and keep %.2g over the same %d steps.",
              biasedGate, Math.pow(biasedGate, hops), hops));
    }
    return lines;
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  }

  private static double norm(double[] v) {
    double sum = 0;
    for (double x : v) sum += x * x;
    return Math.sqrt(sum);
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
