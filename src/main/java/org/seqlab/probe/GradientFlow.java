package org.seqlab.probe;

import java.util.random.RandomGenerator;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.reference.ReferenceRecurrent;

/**
 * Measures how the gradient of a loss on the last step reaches each earlier step of a recurrent
 * network: {@code ‖∂L/∂h_t‖} for every step {@code t}, and for the LSTM also {@code ‖∂L/∂c_t‖}, the
 * gradient on the cell-state highway.
 *
 * <p>The loss is {@code L = Σ_j h_T[j]}, so {@code ∂L/∂h_T} is all ones, as in the article's first
 * program. Each earlier gradient is the total one, {@code ∂L/∂h_t = (∂h_{t+1}/∂h_t)^T ∂L/∂h_{t+1}}
 * (plus the path through {@code c_t} for the LSTM), computed in double precision on the reference
 * model so that a gradient that vanishes to {@code 1e-200} is still measured rather than flushed to
 * zero as float32 would below {@code 1e-45}.
 */
public final class GradientFlow {
  private GradientFlow() {}

  /** Receives how far a phase ("forward", "backward") is, from 0 to 1. */
  @FunctionalInterface
  public interface Progress {
    void update(String phase, double fraction);
  }

  /** How the recurrent weights are drawn. */
  public sealed interface WeightInit {
    /** PyTorch's default: every parameter uniform in {@code ±1/sqrt(H)}. */
    record PyTorchDefault() implements WeightInit {}

    /** The article's: weights {@code randn * scale}, biases zero. */
    record GaussianScaled(double scale) implements WeightInit {}
  }

  /**
   * One experiment.
   *
   * @param kind the cell
   * @param inputSize features per step
   * @param hiddenSize units in the hidden state
   * @param steps sequence length T
   * @param init how weights are drawn
   * @param spectralRadius if not NaN, each {@code H×H} gate block of {@code W_hh} is rescaled to
   *     exactly this spectral radius after drawing
   * @param forgetBias if not NaN (LSTM only), the effective forget-gate bias {@code b_if + b_hf}
   * @param seed the numpy-compatible seed of the weight and input draws
   */
  public record Config(
      RecurrentKind kind,
      int inputSize,
      int hiddenSize,
      int steps,
      WeightInit init,
      double spectralRadius,
      double forgetBias,
      long seed) {
    public Config {
      if (inputSize <= 0 || hiddenSize <= 0 || steps <= 0) {
        throw new IllegalArgumentException("sizes must be positive");
      }
      if (!Double.isNaN(forgetBias) && kind != RecurrentKind.LSTM) {
        throw new IllegalArgumentException("a forget-gate bias needs the LSTM");
      }
    }

    /**
     * Bytes the measurement needs, estimated before anything is allocated: every value and gradient
     * of the unrolled graph (about 24 vectors of width G*H... per step, generously) plus parameters.
     */
    public long estimatedBytes() {
      long g = kind.gateCount();
      long perStep = (long) 2 * 8 * (10 * g * hiddenSize + 12L * hiddenSize + inputSize);
      long params = (long) 2 * 8 * g * hiddenSize * (inputSize + hiddenSize + 2L);
      return perStep * steps + params;
    }
  }

  /**
   * What was measured.
   *
   * @param hiddenGradientNorm {@code ‖∂L/∂h_t‖} for {@code t = 1..T} at index {@code t-1}
   * @param cellGradientNorm {@code ‖∂L/∂c_t‖} likewise, LSTM only, else null
   * @param spectralRadius {@code ρ} of {@code W_hh} (the largest over gate blocks) as used
   */
  public record Result(Config config, double[] hiddenGradientNorm, double[] cellGradientNorm, double spectralRadius) {

    public int steps() {
      return hiddenGradientNorm.length;
    }

    /** {@code ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖}: how much of the signal reaches the first step. */
    public double firstToLastRatio() {
      return hiddenGradientNorm[0] / hiddenGradientNorm[steps() - 1];
    }

    /**
     * The earliest step whose norm is still a normal double (between 1e-308 and 1e308): before it
     * the gradient has left the range that double precision can represent, so it reads as 0 or
     * infinity. It is 1 unless that happened.
     */
    public int earliestMeasurableStep() {
      int t = steps();
      while (t > 1 && measurable(hiddenGradientNorm[t - 2])) t--;
      return t;
    }

    private static boolean measurable(double norm) {
      return norm >= Double.MIN_NORMAL && norm <= Double.MAX_VALUE;
    }

    /**
     * The geometric-mean factor by which the norm changes per step back, {@code (‖∂L/∂h_k‖ /
     * ‖∂L/∂h_T‖)^(1/(T-k))} with {@code k} the {@linkplain #earliestMeasurableStep() earliest
     * measurable step}, so that a gradient which underflows still gets its true rate.
     */
    public double factorPerStep() {
      int k = earliestMeasurableStep();
      int last = steps();
      if (k == last) return steps() < 2 ? 1 : (hiddenGradientNorm[last - 2] > 1 ? Double.POSITIVE_INFINITY : 0);
      return Math.pow(hiddenGradientNorm[k - 1] / hiddenGradientNorm[last - 1], 1.0 / (last - k));
    }

    /**
     * The latest step {@code t} (walking back from {@code T}) where {@code ‖∂L/∂h_t‖} is below
     * {@code 1e-6 ‖∂L/∂h_T‖}, or 0 if it never gets there.
     */
    public int firstStepBelowMillionth() {
      double threshold = 1e-6 * hiddenGradientNorm[steps() - 1];
      for (int t = steps(); t >= 1; t--) {
        if (hiddenGradientNorm[t - 1] < threshold) return t;
      }
      return 0;
    }

    public Verdict verdict() {
      double ratio = firstToLastRatio();
      if (!(ratio > 0) || ratio < VANISHING_RATIO) return Verdict.VANISHING;
      if (ratio > EXPLODING_RATIO || Double.isInfinite(ratio)) return Verdict.EXPLODING;
      return Verdict.STABLE;
    }
  }

  /** A first-step gradient below this fraction of the last step's is called vanishing. */
  public static final double VANISHING_RATIO = 1e-2;

  /** A first-step gradient above this multiple of the last step's is called exploding. */
  public static final double EXPLODING_RATIO = 1e2;

  public enum Verdict {
    VANISHING,
    STABLE,
    EXPLODING
  }

  /** Builds the model and inputs from {@code config} with the numpy-compatible generator. */
  public static Result measure(Config config, RandomGenerator rng) {
    return measure(config, rng, null);
  }

  /**
   * As {@link #measure(Config, RandomGenerator)}, telling {@code progress} how far the forward and
   * backward passes are.
   */
  public static Result measure(Config config, RandomGenerator rng, Progress progress) {
    ReferenceRecurrent model =
        new ReferenceRecurrent(config.kind(), config.inputSize(), config.hiddenSize(), 1);
    drawWeights(model, config, rng);
    int h = config.hiddenSize();
    int blocks = config.kind().gateCount();
    double[] whh = model.parameter("weight_hh_l0");
    double radius = 0;
    for (int b = 0; b < blocks; b++) {
      double[] block = new double[h * h];
      System.arraycopy(whh, b * h * h, block, 0, h * h);
      if (!Double.isNaN(config.spectralRadius())) {
        block = Spectral.scaleToSpectralRadius(block, h, config.spectralRadius());
        System.arraycopy(block, 0, whh, b * h * h, h * h);
        radius = Math.max(radius, config.spectralRadius());
      } else {
        radius = Math.max(radius, Spectral.spectralRadius(block, h));
      }
    }
    if (!Double.isNaN(config.forgetBias())) {
      double[] bIh = model.parameter("bias_ih_l0"), bHh = model.parameter("bias_hh_l0");
      for (int j = h; j < 2 * h; j++) {
        bIh[j] = config.forgetBias();
        bHh[j] = 0;
      }
    }
    double[] input = new double[config.steps() * config.inputSize()];
    for (int i = 0; i < input.length; i++) input[i] = rng.nextGaussian();

    ReferenceRecurrent.Unrolled run =
        model.unroll(input, config.steps(), 1, null, null, progress == null ? null : f -> progress.update("forward", f));
    double[] ones = new double[h];
    java.util.Arrays.fill(ones, 1);
    run.backward(null, ones, null, progress == null ? null : f -> progress.update("backward", f));

    int steps = config.steps();
    double[] hidden = new double[steps];
    double[] cell = config.kind() == RecurrentKind.LSTM ? new double[steps] : null;
    for (int t = 0; t < steps; t++) {
      hidden[t] = run.hidden()[0][t].gradNorm();
      if (cell != null) cell[t] = run.cell()[0][t].gradNorm();
    }
    return new Result(config, hidden, cell, radius);
  }

  /**
   * Draws {@code weight_ih}, then {@code weight_hh}, then the biases, in that order, as the article
   * draws {@code Wx} before {@code Wh}: with {@code randn * 0.1} and seed 42, the RNN gets the
   * article's exact weights.
   */
  private static void drawWeights(ReferenceRecurrent model, Config config, RandomGenerator rng) {
    double bound = 1 / Math.sqrt(config.hiddenSize());
    for (String name : model.parameters().keySet()) {
      double[] p = model.parameter(name);
      boolean isBias = name.startsWith("bias");
      for (int i = 0; i < p.length; i++) {
        p[i] =
            switch (config.init()) {
              case WeightInit.PyTorchDefault d -> -bound + 2 * bound * rng.nextDouble();
              case WeightInit.GaussianScaled g -> isBias ? 0 : g.scale() * rng.nextGaussian();
            };
      }
    }
  }
}
