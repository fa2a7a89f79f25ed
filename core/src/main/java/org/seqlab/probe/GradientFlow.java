package org.seqlab.probe;

import java.util.random.RandomGenerator;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.reference.ReferenceMinRecurrent;
import org.seqlab.nn.reference.ReferenceRecurrent;
import org.seqlab.nn.reference.ReferenceTransformer;

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
     * of the unrolled graph (about 24 vectors of width G*H... per step, generously) plus
     * parameters.
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
   * @param spectralRadius {@code ρ} of {@code W_hh} (the largest over gate blocks) as used; NaN for
   *     the Transformer, which has no recurrent matrix
   */
  public record Result(
      double[] hiddenGradientNorm, double[] cellGradientNorm, double spectralRadius) {

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
     * The factor by which the norm changes per step back, fitted by least squares to {@code ln
     * ‖∂L/∂h_t‖} over the measurable steps before the last ({@code t = k .. T-1}). The last step is
     * left out because the loss lands on it directly (for the Transformer through the residual
     * path), a jump that says nothing about how the gradient travels through time. With fewer than
     * two such steps it is the plain ratio per step.
     */
    public double factorPerStep() {
      int last = steps();
      int k = earliestMeasurableStep();
      if (last - k < 2) {
        if (last < 2) return 1;
        if (k == last) return hiddenGradientNorm[last - 2] > 1 ? Double.POSITIVE_INFINITY : 0;
        return Math.pow(hiddenGradientNorm[k - 1] / hiddenGradientNorm[last - 1], 1.0 / (last - k));
      }
      // Regress y = ln g_t on t for t in [k, last - 1]; one step back multiplies g by exp(-slope).
      double n = 0, sumT = 0, sumY = 0, sumTT = 0, sumTY = 0;
      for (int t = k; t <= last - 1; t++) {
        double y = Math.log(hiddenGradientNorm[t - 1]);
        n++;
        sumT += t;
        sumY += y;
        sumTT += (double) t * t;
        sumTY += t * y;
      }
      double slope = (n * sumTY - sumT * sumY) / (n * sumTT - sumT * sumT);
      return Math.exp(-slope);
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

    /**
     * The fitted trend over the whole sequence: {@link #factorPerStep()} raised to the {@code T−1}
     * steps back from the last step to the first. It is what of the gradient reaches the first
     * step, with the jump at the last step (where the loss lands) left out.
     */
    public double trend() {
      return Math.pow(factorPerStep(), Math.max(1, steps() - 1));
    }

    /**
     * One rule for every architecture, on {@link #trend()}: vanishing below {@link
     * #VANISHING_RATIO} (less than a tenth of the gradient reaches the first step), exploding above
     * {@link #EXPLODING_RATIO}, stable between. The trend, not the two end points, decides: a flat
     * profile with one large value at the last step (where the loss lands) is stable.
     */
    public Verdict verdict() {
      double trend = trend();
      if (!(trend > 0) || trend < VANISHING_RATIO) return Verdict.VANISHING;
      if (trend > EXPLODING_RATIO) return Verdict.EXPLODING;
      return Verdict.STABLE;
    }
  }

  /** A trend over the sequence below this factor is called vanishing. */
  public static final double VANISHING_RATIO = 1e-1;

  /** A trend over the sequence above this factor is called exploding. */
  public static final double EXPLODING_RATIO = 1e1;

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
        model.unroll(
            input,
            config.steps(),
            1,
            null,
            null,
            progress == null ? null : f -> progress.update("forward", f));
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
    return new Result(hidden, cell, radius);
  }

  /**
   * The same measurement for a recurrence that is linear in {@code h} (minGRU, minLSTM), on the
   * double-precision reference: {@code h_t = a_t ⊙ h_{t-1} + b_t} with {@code a_t} from {@code x_t}
   * alone, so {@code ∂L/∂h_t} is the product of the {@code a} of every later step. One layer,
   * weights drawn as {@link WeightInit} says ({@code U(±1/√H)} for PyTorch's default), the input
   * {@code N(0, 1)}; there is no {@code W_hh}, so the spectral radius is NaN.
   */
  public static Result measureMinRecurrent(
      MinRecurrentKind kind,
      int inputSize,
      int hiddenSize,
      int steps,
      WeightInit init,
      RandomGenerator rng) {
    if (inputSize <= 0 || hiddenSize <= 0 || steps <= 0) {
      throw new IllegalArgumentException("sizes must be positive");
    }
    ReferenceMinRecurrent model = new ReferenceMinRecurrent(kind, inputSize, hiddenSize, 1);
    double bound = 1 / Math.sqrt(hiddenSize);
    for (String name : model.parameters().keySet()) {
      double[] p = model.parameter(name);
      boolean matrix = name.startsWith("weight");
      for (int i = 0; i < p.length; i++) {
        p[i] =
            switch (init) {
              case WeightInit.PyTorchDefault d -> (rng.nextDouble() * 2 - 1) * bound;
              case WeightInit.GaussianScaled g -> matrix ? g.scale() * rng.nextGaussian() : 0;
            };
      }
    }
    double[] input = new double[steps * inputSize];
    for (int i = 0; i < input.length; i++) input[i] = rng.nextGaussian();
    double[] ones = new double[hiddenSize];
    java.util.Arrays.fill(ones, 1);
    double[] dh = model.run(input, steps, 1, null).backward(null, ones).hidden();
    double[] norms = new double[steps];
    for (int t = 0; t < steps; t++) {
      double sum = 0;
      for (int j = 0; j < hiddenSize; j++) sum += dh[t * hiddenSize + j] * dh[t * hiddenSize + j];
      norms[t] = Math.sqrt(sum);
    }
    return new Result(norms, null, Double.NaN);
  }

  /**
   * A stack of causal pre-norm Transformer blocks, for the same measurement: the loss on the last
   * position, {@code L = Σ_j z_T[j]}, and {@code ‖∂L/∂x_t‖} at the input of every position.
   *
   * @param width model width D (the input at each position is a D-vector)
   * @param feedForward the feed-forward width, 4D by convention
   * @param init PyTorch's initialisation of {@code nn.TransformerEncoderLayer}, or the article's
   *     {@code randn * scale} for every weight matrix (biases 0, LayerNorm 1 and 0)
   */
  public record TransformerConfig(
      int width, int heads, int feedForward, int layers, int steps, WeightInit init, long seed) {
    public TransformerConfig {
      if (width <= 0 || heads <= 0 || feedForward <= 0 || layers <= 0 || steps <= 0) {
        throw new IllegalArgumentException("sizes must be positive");
      }
      if (width % heads != 0) {
        throw new IllegalArgumentException(heads + " heads do not divide the width " + width);
      }
    }

    /** Bytes of the unrolled graph, estimated before allocating: attention is T×T per head. */
    public long estimatedBytes() {
      long perLayer =
          2L
              * 8
              * ((long) heads * steps * steps * 4
                  + (long) steps * (20L * width + 4L * feedForward));
      long params = 2L * 8 * layers * (4L * width * width + 2L * width * feedForward);
      return perLayer * layers + params;
    }
  }

  /** Measures {@code ‖∂L/∂x_t‖} for every position of a Transformer stack. */
  public static Result measureTransformer(
      TransformerConfig config, RandomGenerator rng, Progress progress) {
    ReferenceTransformer model =
        ReferenceTransformer.blocks(
            config.width(), config.heads(), config.feedForward(), config.layers());
    for (String name : model.parameters().keySet()) {
      double[] p = model.parameter(name);
      int[] shape = model.shape(name);
      boolean norm = name.contains("norm");
      boolean matrix = shape.length == 2;
      for (int i = 0; i < p.length; i++) {
        if (norm) continue; // LayerNorm: weight 1, bias 0, as created
        p[i] =
            switch (config.init()) {
              case WeightInit.GaussianScaled g -> matrix ? g.scale() * rng.nextGaussian() : 0;
              case WeightInit.PyTorchDefault d -> pytorchInit(name, shape, config, rng);
            };
      }
    }
    int steps = config.steps(), width = config.width();
    double[] input = new double[steps * width];
    for (int i = 0; i < input.length; i++) input[i] = rng.nextGaussian();
    if (progress != null) progress.update("forward", 0);
    ReferenceTransformer.Unrolled run = model.unrollBlocks(input, steps, 1, null, true);
    if (progress != null) progress.update("backward", 0);
    double[] dOutput = new double[steps * width];
    java.util.Arrays.fill(dOutput, (steps - 1) * width, steps * width, 1);
    run.backward(dOutput);
    double[] norms = new double[steps];
    for (int t = 0; t < steps; t++) norms[t] = run.inputs()[t].gradNorm();
    return new Result(norms, null, Double.NaN);
  }

  /**
   * One draw of PyTorch's initialisation for {@code nn.TransformerEncoderLayer}: Xavier-uniform for
   * the attention in-projection, zero attention biases, and Linear's U(±1/sqrt(fan_in)) for the
   * out-projection weight and both feed-forward layers.
   */
  private static double pytorchInit(
      String name, int[] shape, TransformerConfig config, RandomGenerator rng) {
    double bound;
    if (name.endsWith("in_proj_weight")) {
      bound = Math.sqrt(6.0 / (shape[0] + shape[1]));
    } else if (name.endsWith("in_proj_bias") || name.endsWith("out_proj.bias")) {
      return 0;
    } else if (name.contains("linear2")) {
      bound = 1 / Math.sqrt(config.feedForward());
    } else {
      bound = 1 / Math.sqrt(config.width());
    }
    return -bound + 2 * bound * rng.nextDouble();
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
