package org.seqlab.experiments;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.seqlab.probe.Spectral;
import org.seqlab.tensor.NumpyRandom;

/**
 * The article's first program: a vanilla tanh RNN run forward over random inputs, then a simplified
 * backpropagation through time that records how the gradient norm shrinks.
 *
 * <p>Symbols: {@code I} input size, {@code H} hidden size, {@code T} steps. With numpy's legacy
 * stream seeded once, the draws are, in this order: {@code W_x = s·randn(H, I)}, {@code W_h =
 * s·randn(H, H)} and {@code T} inputs {@code x_t = randn(I)}; {@code b = 0}. Forward:
 *
 * <pre>  h_0 = 0,   h_t = tanh(W_x x_t + W_h h_{t-1} + b),   t = 1 … T</pre>
 *
 * Backward, from an upstream gradient of ones (not a loss; the article's simplification):
 *
 * <pre>  g_T = 1,   g_{t-1} = W_hᵀ (tanh'(z_t) ⊙ g_t),   tanh'(z_t) = 1 - h_t²</pre>
 *
 * and the program reports {@code ‖g_{t-1}‖} labelled "step t", step T first, so the first printed
 * norm has already been multiplied once by {@code W_hᵀ}. Everything runs in double precision, as
 * numpy does.
 */
public final class ArticleRnnVanishing {

  private ArticleRnnVanishing() {}

  /** The article's seed. */
  public static final long ARTICLE_SEED = 42;

  /** The norm the article's prose gives for the last step ("~1.0"). */
  public static final double PROSE_NORM_AT_LAST_STEP = 1.0;

  /** The norm the article's prose gives for step 30 ("~0.0001"). */
  public static final double PROSE_NORM_AT_STEP_30 = 1e-4;

  /** The step the prose's second figure refers to. */
  public static final int PROSE_STEP = 30;

  /**
   * What to run.
   *
   * @param seed numpy seed, 0 to 2³² - 1
   * @param inputSize {@code I}, the length of each input
   * @param hiddenSize {@code H}, the length of the hidden state
   * @param steps {@code T}, the sequence length, at least 2 so that there is a decay to measure
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
      if (steps < 2) throw new IllegalArgumentException("need at least 2 steps, got " + steps);
      if (!(weightScale > 0) || Double.isInfinite(weightScale)) {
        throw new IllegalArgumentException(
            "weight scale must be positive and finite, got " + weightScale);
      }
    }

    /** The article's settings: seed 42, I = 10, H = 32, T = 50, s = 0.1. */
    public static Config article() {
      return withSeed(ARTICLE_SEED);
    }

    /** The article's settings with another seed. */
    public static Config withSeed(long seed) {
      return new Config(seed, 10, 32, 50, 0.1);
    }

    public boolean isArticle() {
      return equals(article());
    }
  }

  /**
   * One printed line of the program.
   *
   * @param step the article's label {@code t}, from {@code T} down to 1
   * @param norm {@code ‖g_{t-1}‖}, the gradient norm after passing back through step {@code t}
   * @param maxTanhSlope {@code max_i tanh'(z_t)_i}, the largest slope the step let through
   */
  public record StepGradient(int step, double norm, double maxTanhSlope) {

    /** The line the article's code prints: {@code f" step {t:3d}: {norm:.6f} {bar}"}. */
    public String articleLine() {
      return String.format(
          Locale.ROOT, " step %3d: %s %s", step, PythonFormat.fixed(norm, 6), bar());
    }

    /** {@code "█" * min(40, int(norm * 200))}: one block per 0.005 of norm, at most 40. */
    public String bar() {
      int blocks = (int) Math.min(40, Math.floor(norm * 200));
      return "█".repeat(Math.max(0, blocks));
    }
  }

  /**
   * What the program found.
   *
   * @param config what ran
   * @param initialGradientNorm {@code ‖g_T‖ = ‖1‖ = √H}, before any step back
   * @param gradientNorms one entry per step, step {@code T} first, as the article prints them
   * @param recurrentWeights {@code W_h}, {@code H × H} row-major (not copied)
   * @param spectralRadius {@code ρ(W_h)}
   * @param spectralNorm {@code ‖W_h‖₂}
   * @param meanDecayPerStep geometric mean of the {@code T - 1} ratios between successive printed
   *     norms, {@code (‖g_0‖ / ‖g_{T-1}‖)^{1/(T-1)}}
   * @param explanation what the numbers mean, one sentence a line
   * @param proseComparison where the article's prose and its code's output disagree (empty unless
   *     the article's configuration ran)
   */
  public record Result(
      Config config,
      double initialGradientNorm,
      List<StepGradient> gradientNorms,
      double[] recurrentWeights,
      double spectralRadius,
      double spectralNorm,
      double meanDecayPerStep,
      List<String> explanation,
      List<String> proseComparison) {
    public Result {
      gradientNorms = List.copyOf(gradientNorms);
      explanation = List.copyOf(explanation);
      proseComparison = List.copyOf(proseComparison);
    }

    /** The printed norm labelled {@code step}. */
    public double normAtStep(int step) {
      int index = config.steps() - step;
      if (index < 0 || index >= gradientNorms.size()) {
        throw new IllegalArgumentException("no step " + step + " in 1.." + config.steps());
      }
      return gradientNorms.get(index).norm();
    }
  }

  /** Runs the article's program as printed: {@code run(Config.article())}. */
  public static Result run() {
    return run(Config.article());
  }

  /** Runs the program with the given settings. */
  public static Result run(Config config) {
    int inputs = config.inputSize();
    int hidden = config.hiddenSize();
    int steps = config.steps();

    // Draw order matters: it is what makes the weights equal numpy's.
    NumpyRandom random = new NumpyRandom(config.seed());
    double[] inputWeights = scaled(random.randn(hidden, inputs), config.weightScale()); // [H, I]
    double[] recurrentWeights =
        scaled(random.randn(hidden, hidden), config.weightScale()); // [H, H]
    double[] bias = new double[hidden]; // [H], zero as in the article
    double[][] sequence = new double[steps][];
    for (int t = 0; t < steps; t++) sequence[t] = random.randn(inputs); // [T][I]

    // Forward: states[t] = h_{t+1}; backward needs only the states (tanh' = 1 - h²).
    double[][] states = new double[steps][];
    double[] state = new double[hidden];
    for (int t = 0; t < steps; t++) {
      double[] next = new double[hidden];
      for (int i = 0; i < hidden; i++) {
        double z = 0;
        for (int j = 0; j < inputs; j++) z += inputWeights[i * inputs + j] * sequence[t][j];
        double recurrent = 0;
        for (int j = 0; j < hidden; j++) recurrent += recurrentWeights[i * hidden + j] * state[j];
        next[i] = Math.tanh(z + recurrent + bias[i]);
      }
      states[t] = next;
      state = next;
    }

    // Backward: g ← W_hᵀ (tanh' ⊙ g), from the last step to the first.
    double[] gradient = new double[hidden];
    Arrays.fill(gradient, 1.0);
    double initialNorm = norm(gradient);
    List<StepGradient> norms = new ArrayList<>(steps);
    for (int t = steps - 1; t >= 0; t--) {
      double[] local = new double[hidden]; // tanh'(z_t) ⊙ g
      double maxSlope = 0;
      for (int i = 0; i < hidden; i++) {
        double slope = 1 - states[t][i] * states[t][i];
        maxSlope = Math.max(maxSlope, slope);
        local[i] = slope * gradient[i];
      }
      double[] previous = new double[hidden];
      for (int i = 0; i < hidden; i++) {
        for (int j = 0; j < hidden; j++) previous[j] += recurrentWeights[i * hidden + j] * local[i];
      }
      gradient = previous;
      norms.add(new StepGradient(t + 1, norm(gradient), maxSlope));
    }

    double radius = Spectral.spectralRadius(recurrentWeights, hidden);
    double spectralNorm = Spectral.spectralNorm(recurrentWeights, hidden);
    double decay = geometricMeanRatio(norms);
    return new Result(
        config,
        initialNorm,
        norms,
        recurrentWeights,
        radius,
        spectralNorm,
        decay,
        explain(config, initialNorm, norms, radius, spectralNorm, decay),
        config.isArticle() ? compareWithProse(initialNorm, norms, steps, hidden) : List.of());
  }

  /** {@code (last / first)^{1/(n-1)}}, through logs so that tiny norms do not underflow. */
  private static double geometricMeanRatio(List<StepGradient> norms) {
    double first = norms.getFirst().norm();
    double last = norms.getLast().norm();
    if (first == 0) return 0;
    return Math.exp((Math.log(last) - Math.log(first)) / (norms.size() - 1));
  }

  private static List<String> explain(
      Config config,
      double initialNorm,
      List<StepGradient> norms,
      double radius,
      double spectralNorm,
      double decay) {
    int hidden = config.hiddenSize();
    List<String> lines = new ArrayList<>();
    int ratios = norms.size() - 1;
    StepGradient first = norms.getFirst();
    StepGradient last = norms.getLast();
    lines.add(
        format(
            "Measured decay: the norm shrinks by a factor of %.3f per step (geometric mean of the %d"
                + " ratios between successive steps), from %.6f at step %d to %.3g at step %d.",
            decay, ratios, first.norm(), first.step(), last.norm(), last.step()));

    lines.add(
        format(
            "W_h (%d×%d, entries %s·N(0,1)): spectral radius ρ(W_h) = %.4f, spectral norm ‖W_h‖₂ ="
                + " %.4f (always ρ ≤ ‖W_h‖₂).",
            hidden,
            hidden,
            BigDecimal.valueOf(config.weightScale()).stripTrailingZeros().toPlainString(),
            radius,
            spectralNorm));

    // Per-step bound: the largest measured one-step ratio against ‖W_h‖₂·max tanh' at that step.
    double worstRatio = 0;
    double boundAtWorst = 0;
    int worstStep = 0;
    double previousNorm = initialNorm;
    boolean boundHolds = true;
    for (StepGradient step : norms) {
      double ratio = previousNorm == 0 ? 0 : step.norm() / previousNorm;
      double bound = spectralNorm * step.maxTanhSlope();
      boundHolds &= ratio <= bound * (1 + 1e-12);
      if (ratio > worstRatio) {
        worstRatio = ratio;
        boundAtWorst = bound;
        worstStep = step.step();
      }
      previousNorm = step.norm();
    }
    lines.add(
        "One step back: ‖∂L/∂h_{t-1}‖ ≤ ‖W_h‖₂ · max|tanh'| · ‖∂L/∂h_t‖ ≤ ‖W_h‖₂ ‖∂L/∂h_t‖,"
            + " because 0 < tanh' ≤ 1.");
    lines.add(
        format(
            "  No single step can grow the norm by more than ‖W_h‖₂ = %.4f; the largest measured"
                + " one-step ratio is %.4f (step %d, where ‖W_h‖₂ · max|tanh'| = %.4f)%s.",
            spectralNorm,
            worstRatio,
            worstStep,
            boundAtWorst,
            boundHolds
                ? "; the bound holds at every step"
                : "; the bound fails at some step, which only rounding error could cause"));
    lines.add(
        format(
            "Over many steps: ‖(W_hᵀ)^k‖^{1/k} → ρ(W_h), so with tanh' = 1 the norm would change by"
                + " about ρ = %.4f per step; %s %.4f.",
            radius,
            decay <= radius
                ? "the slopes tanh' < 1 damp it further, to the measured"
                : "the measured rate, over a finite run, is",
            decay));
    String verdict =
        decay < 1
            ? format(
                "The gradient vanishes geometrically (ρ(W_h) %s 1, measured decay %.3f < 1)",
                radius < 1 ? "<" : "≥", decay)
            : format(
                "The gradient does not vanish (ρ(W_h) = %.4f, measured decay %.3f ≥ 1)",
                radius, decay);
    int stepsToOnePercent = -1;
    for (StepGradient step : norms) {
      if (step.norm() <= 0.01 * first.norm()) {
        stepsToOnePercent = first.step() - step.step();
        break;
      }
    }
    lines.add(
        verdict
            + (stepsToOnePercent >= 0
                ? format(
                    "; it falls below 1%% of its step-%d value after %d more steps (step %d).",
                    first.step(), stepsToOnePercent, first.step() - stepsToOnePercent)
                : format("; it never falls below 1%% of its step-%d value.", first.step())));
    return lines;
  }

  private static List<String> compareWithProse(
      double initialNorm, List<StepGradient> norms, int steps, int hidden) {
    List<String> lines = new ArrayList<>();
    StepGradient lastStep = norms.getFirst();
    lines.add(
        format(
            "The prose says about %.1f at the last step; the code prints %s at step %d, %.2f times"
                + " that.",
            PROSE_NORM_AT_LAST_STEP,
            PythonFormat.fixed(lastStep.norm(), 6),
            lastStep.step(),
            lastStep.norm() / PROSE_NORM_AT_LAST_STEP));
    lines.add(
        format(
            "  The backward pass starts from ∂L/∂h_%d = ones(%d), of norm √%d = %.4f, and the code's"
                + " first printed norm is already one multiplication by W_hᵀ diag(tanh'):"
                + " %.4f → %.4f.",
            steps, hidden, hidden, initialNorm, initialNorm, lastStep.norm()));
    double atProseStep = norms.get(steps - PROSE_STEP).norm();
    int firstBelow = -1;
    for (StepGradient step : norms) {
      if (step.norm() <= PROSE_NORM_AT_STEP_30) {
        firstBelow = step.step();
        break;
      }
    }
    lines.add(
        format(
            "The prose says about %s by step %d; the code prints %s there, %.1f times smaller%s.",
            PythonFormat.fixed(PROSE_NORM_AT_STEP_30, 4),
            PROSE_STEP,
            PythonFormat.fixed(atProseStep, 6),
            PROSE_NORM_AT_STEP_30 / atProseStep,
            firstBelow > 0
                ? format(
                    " (the norm first drops below %s at step %d)",
                    PythonFormat.fixed(PROSE_NORM_AT_STEP_30, 4), firstBelow)
                : ""));
    return lines;
  }

  private static double[] scaled(double[] values, double factor) {
    for (int i = 0; i < values.length; i++) values[i] *= factor;
    return values;
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
