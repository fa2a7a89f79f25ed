package org.seqlab.experiments;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.FrozenRecurrent;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.nn.RecurrentStream;
import org.seqlab.nn.TransformerBlock;
import org.seqlab.nn.WeightPrecision;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * Times whole layers the way a user runs them: one training step (forward and backward through
 * time), one inference pass over a {@code [T, B, I]} batch, or T steps of a {@link RecurrentStream}
 * fed one {@code [B, I]} sample at a time, reporting the median of several runs as tokens per
 * second ({@code B*T / seconds}) and achieved GFLOP/s.
 *
 * <p>Any recurrent row of the table of architectures ({@link Architecture}) runs here: a {@link
 * Recurrent} stack (RNN, LSTM, GRU) or a {@link MinRecurrent} one (minGRU, minLSTM), whose training
 * step is its forward scan and backward, whose inference is {@link MinRecurrent#infer} and whose
 * stream is {@link MinRecurrent#step} once per token.
 *
 * <p>FLOPs count only the matrix products, 2 per multiply-add: a recurrent layer's forward is
 * {@code 2 G H (I + H)} per token (input and recurrent products, {@code G} gate blocks), a minimal
 * layer's {@code 2 G H I} (it has no {@code W_hh}); training adds the input-gradient and
 * weight-gradient products, three times the forward in all.
 *
 * <p>A stack of causal pre-norm {@link TransformerBlock}s ({@link BlockConfig}) counts, per token
 * and block, {@code 2 (3D² + D² + 2 D F)} for the QKV, output and feed-forward projections plus
 * {@code 2 · 2 · D · (T+1)/2} for {@code Q K^T} and {@code P V} over the keys a causal query
 * actually sees: {@code s ≤ t}, {@code T(T+1)/2} (query, key) pairs per sequence and head, not the
 * full {@code T²}. Training is again three times the forward.
 */
public final class LayerBenchmark {
  private LayerBenchmark() {}

  public enum Mode {
    TRAIN,
    /**
     * One {@link Recurrent#infer} or {@link MinRecurrent#infer} pass (no trace kept) or, for
     * blocks, a forward pass.
     */
    INFER,
    /**
     * T steps of a {@link RecurrentStream} (or of {@link MinRecurrent#step}), one {@code [B, I]}
     * input at a time, shared by {@link org.seqlab.tensor.Parallel#threads()} threads.
     */
    STREAM
  }

  /** What the timing loop needs to know of a configuration. */
  public sealed interface Workload permits Config, BlockConfig {
    int steps();

    Mode mode();

    int repeats();

    /** Tokens of one run, {@code B*T}. */
    long tokens();

    /** Matrix-product FLOPs of one run. */
    double flops();

    /** Bytes the run will hold, to refuse absurd sizes first. */
    double estimatedBytes();
  }

  /**
   * One configuration of a recurrent row of the table.
   *
   * @param architecture a row that carries a state ({@link Architecture#isRecurrent()})
   * @param repeats timed runs; the median is reported
   * @param precision how a stream holds its weights ({@link WeightPrecision#INT8}: a stream of an
   *     RNN, LSTM or GRU only)
   */
  public record Config(
      Architecture architecture,
      int inputSize,
      int hiddenSize,
      int layers,
      int batch,
      int steps,
      Mode mode,
      int repeats,
      WeightPrecision precision)
      implements Workload {

    /** A configuration whose weights are float32, as trained. */
    public Config(
        Architecture architecture,
        int inputSize,
        int hiddenSize,
        int layers,
        int batch,
        int steps,
        Mode mode,
        int repeats) {
      this(
          architecture,
          inputSize,
          hiddenSize,
          layers,
          batch,
          steps,
          mode,
          repeats,
          WeightPrecision.FLOAT32);
    }

    public Config {
      Objects.requireNonNull(precision, "precision");
      if (precision != WeightPrecision.FLOAT32
          && (mode != Mode.STREAM || !architecture.hasRecurrentMatrix())) {
        throw new IllegalArgumentException(
            precision.id()
                + " weights are for streaming an RNN, LSTM or GRU (--mode stream); "
                + architecture.label()
                + " "
                + mode.name().toLowerCase(Locale.ROOT)
                + " runs in float32");
      }
      if (!architecture.isRecurrent()) {
        throw new IllegalArgumentException(
            architecture.label() + " is not recurrent; time its blocks with a BlockConfig");
      }
      if (inputSize < 1 || hiddenSize < 1 || layers < 1 || batch < 1 || steps < 1 || repeats < 1) {
        throw new IllegalArgumentException("sizes and repeats must be positive");
      }
    }

    public long tokens() {
      return (long) batch * steps;
    }

    /** {@code G}, the gate blocks of every weight matrix. */
    public int gateCount() {
      return switch (architecture.recurrence()) {
        case MATRIX -> architecture.recurrentKind().orElseThrow().gateCount();
        case SCAN -> architecture.minRecurrentKind().orElseThrow().gateCount();
        case NONE -> throw new IllegalStateException("not recurrent");
      };
    }

    /**
     * The columns of layer {@code k}'s weight matrices: its input, plus {@code H} for {@code W_hh}
     * when the state recurs through a matrix.
     */
    private double weightColumns(int k) {
      double in = k == 0 ? inputSize : hiddenSize;
      return architecture.hasRecurrentMatrix() ? in + hiddenSize : in;
    }

    /** Matrix-product FLOPs of one run. */
    public double flops() {
      double g = gateCount(), h = hiddenSize;
      double forward = 0;
      for (int k = 0; k < layers; k++) forward += 2 * g * h * weightColumns(k) * tokens();
      return mode == Mode.TRAIN ? 3 * forward : forward;
    }

    /**
     * The bytes of the weight matrices of every layer ({@code W_ih}, and {@code W_hh} where there
     * is one) at the configuration's precision, with a float32 scale per row of each matrix below
     * float32: what a streamed step at a small batch must read at least once.
     */
    public long weightBytes() {
      long weights = 0, rows = 0;
      for (int k = 0; k < layers; k++) {
        weights += (long) (gateCount() * (double) hiddenSize * weightColumns(k));
        rows += (long) gateCount() * hiddenSize * (architecture.hasRecurrentMatrix() ? 2 : 1);
      }
      long scales = precision == WeightPrecision.FLOAT32 ? 0 : 4 * rows;
      return precision.bytesPerWeight() * weights + scales;
    }

    /** Bytes the run will hold (activations, gates, gradients), to refuse absurd sizes first. */
    public double estimatedBytes() {
      double perLayer =
          4.0 * tokens() * hiddenSize * (gateCount() + 6) + 4.0 * tokens() * inputSize * 2;
      double params =
          4.0 * 3 * gateCount() * hiddenSize * ((double) inputSize + hiddenSize * layers + 2);
      return perLayer * layers + params;
    }
  }

  /**
   * A stack of {@code layers} causal pre-norm Transformer blocks over {@code [T, B, D]}.
   *
   * @param dModel {@code D}
   * @param heads attention heads per block, dividing {@code D}
   * @param dFF {@code F}, the feed-forward width
   * @param repeats timed runs; the median is reported
   */
  public record BlockConfig(
      int dModel, int heads, int dFF, int layers, int batch, int steps, Mode mode, int repeats)
      implements Workload {
    public BlockConfig {
      if (dModel < 1
          || heads < 1
          || dFF < 1
          || layers < 1
          || batch < 1
          || steps < 1
          || repeats < 1) {
        throw new IllegalArgumentException("sizes and repeats must be positive");
      }
      if (dModel % heads != 0) {
        throw new IllegalArgumentException("heads=" + heads + " must divide dModel=" + dModel);
      }
      if (mode == Mode.STREAM)
        throw new IllegalArgumentException("a Transformer block has no streaming mode");
    }

    @Override
    public long tokens() {
      return (long) batch * steps;
    }

    /** Projections plus causal attention (keys {@code s ≤ t} only), see the class comment. */
    @Override
    public double flops() {
      double d = dModel, f = dFF;
      double perToken = 2 * (3 * d * d + d * d + 2 * d * f) + 2 * 2 * d * (steps + 1) / 2.0;
      double forward = perToken * tokens() * layers;
      return mode == Mode.TRAIN ? 3 * forward : forward;
    }

    /**
     * Per block: about 12 D + 2 F floats per token of activations, the attention maps, twice for
     * training.
     */
    @Override
    public double estimatedBytes() {
      double perBlock =
          4.0 * tokens() * (12.0 * dModel + 2.0 * dFF)
              + 4.0 * batch * heads * (double) steps * steps;
      double params = 4.0 * 2 * (4.0 * dModel * dModel + 2.0 * dModel * dFF) * layers;
      return perBlock * layers * (mode == Mode.TRAIN ? 2 : 1) + params;
    }
  }

  /**
   * @param secondsPerStep median seconds of one run
   * @param allSeconds every timed run, in the order they ran (how the speed changes as the JIT
   *     compiles shows in it)
   */
  public record Result(Workload config, double secondsPerStep, double[] allSeconds) {
    /** The fastest timed run, in seconds. */
    public double fastest() {
      return Arrays.stream(allSeconds).min().orElseThrow();
    }

    /** The slowest timed run, in seconds. */
    public double slowest() {
      return Arrays.stream(allSeconds).max().orElseThrow();
    }

    public double tokensPerSecond() {
      return config.tokens() / secondsPerStep;
    }

    public double gflops() {
      return config.flops() / secondsPerStep / 1e9;
    }

    /**
     * Seconds per time step: of one run over T steps, the T-th part (what a stream pays per
     * sample).
     */
    public double secondsPerTimeStep() {
      return secondsPerStep / config.steps();
    }
  }

  public static Result run(Config config, long seed) {
    return run(config, seed, DEFAULT_WARM_UP_SECONDS);
  }

  /**
   * {@link #run(Config, long)} after {@code warmUpSeconds} of untimed runs (at least three; none
   * for 0).
   */
  public static Result run(Config config, long seed, double warmUpSeconds) {
    return switch (config.architecture().recurrence()) {
      case MATRIX ->
          runRecurrent(
              config, config.architecture().recurrentKind().orElseThrow(), seed, warmUpSeconds);
      case SCAN ->
          runMinRecurrent(
              config, config.architecture().minRecurrentKind().orElseThrow(), seed, warmUpSeconds);
      case NONE -> throw new IllegalStateException("refused by Config");
    };
  }

  /** A {@link Recurrent} stack: its traced forward and backward, its infer, its stream. */
  private static Result runRecurrent(
      Config config, RecurrentKind kind, long seed, double warmUpSeconds) {
    Recurrent net =
        Recurrent.create(kind, config.inputSize(), config.hiddenSize(), config.layers());
    net.initialize(new java.util.Random(seed));
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Parallelism.gaussian(r, config.steps(), config.batch(), config.inputSize());
    Tensor dOutput = Parallelism.gaussian(r, config.steps(), config.batch(), config.hiddenSize());
    // A stream's helper threads are stopped once the timing is done.
    RecurrentStream stream =
        config.mode() == Mode.STREAM
            ? new RecurrentStream(net, config.batch(), Parallel.threads(), config.precision())
            : null;
    Runnable step =
        switch (config.mode()) {
          case TRAIN ->
              () -> {
                net.zeroGrad();
                RecurrentOutput out = net.forward(x, null, null);
                // As the training engine does: the next step reuses the activations and the
                // gradients.
                net.backward(out, dOutput, null, null).release();
                out.release();
              };
          case INFER -> {
            // As a service runs it: the weights laid out once, then pass after pass.
            FrozenRecurrent frozen = net.freeze();
            yield () -> frozen.infer(x, null, null);
          }
          case STREAM -> {
            float[] out = new float[config.batch() * config.hiddenSize()];
            int stride = config.batch() * config.inputSize();
            yield () -> {
              stream.reset();
              for (int t = 0; t < config.steps(); t++) stream.step(x.data(), t * stride, out, 0);
            };
          }
        };
    try {
      return time(config, step, warmUpSeconds);
    } finally {
      if (stream != null) stream.close();
    }
  }

  /**
   * A {@link MinRecurrent} stack: training is its chunked scan forward and its backward, inference
   * {@link MinRecurrent#infer}, streaming {@link MinRecurrent#step} once per token from a zero
   * state.
   */
  private static Result runMinRecurrent(
      Config config, MinRecurrentKind kind, long seed, double warmUpSeconds) {
    MinRecurrent net =
        new MinRecurrent(kind, config.inputSize(), config.hiddenSize(), config.layers());
    net.initialize(new java.util.Random(seed));
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Parallelism.gaussian(r, config.steps(), config.batch(), config.inputSize());
    Tensor dOutput = Parallelism.gaussian(r, config.steps(), config.batch(), config.hiddenSize());
    Runnable step =
        switch (config.mode()) {
          case TRAIN ->
              () -> {
                net.zeroGrad();
                MinRecurrent.Output out = net.forward(x, null);
                net.backward(out, dOutput, null).release();
                out.release();
              };
          case INFER -> () -> net.infer(x, null);
          case STREAM -> {
            // The T inputs [B, I] are cut out before timing, as a stream receives them.
            int stride = config.batch() * config.inputSize();
            Tensor[] inputs = new Tensor[config.steps()];
            for (int t = 0; t < inputs.length; t++) {
              inputs[t] =
                  Tensor.wrap(
                      Arrays.copyOfRange(x.data(), t * stride, (t + 1) * stride),
                      config.batch(),
                      config.inputSize());
            }
            Tensor state = Tensor.zeros(config.layers(), config.batch(), config.hiddenSize());
            yield () -> {
              Arrays.fill(state.data(), 0);
              for (Tensor input : inputs) net.step(input, state);
            };
          }
        };
    return time(config, step, warmUpSeconds);
  }

  /**
   * Times {@code layers} causal pre-norm Transformer blocks: a training step (forward through the
   * stack, backward in reverse, gradients zeroed first) or an inference pass.
   */
  public static Result run(BlockConfig config, long seed) {
    return run(config, seed, DEFAULT_WARM_UP_SECONDS);
  }

  /**
   * {@link #run(BlockConfig, long)} after {@code warmUpSeconds} of untimed runs (at least three;
   * none for 0).
   */
  public static Result run(BlockConfig config, long seed, double warmUpSeconds) {
    java.util.Random init = new java.util.Random(seed);
    TransformerBlock[] blocks = new TransformerBlock[config.layers()];
    for (int k = 0; k < blocks.length; k++) {
      blocks[k] = new TransformerBlock(config.dModel(), config.heads(), config.dFF());
      blocks[k].initialize(init);
    }
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Parallelism.gaussian(r, config.steps(), config.batch(), config.dModel());
    Tensor dOutput = Parallelism.gaussian(r, config.steps(), config.batch(), config.dModel());
    TransformerBlock.Output[] outputs = new TransformerBlock.Output[blocks.length];
    Runnable forward =
        () -> {
          Tensor h = x;
          for (int k = 0; k < blocks.length; k++) {
            outputs[k] = blocks[k].forward(h, true, null);
            h = outputs[k].output();
          }
        };
    // Each block's result is released once nothing reads it, as the training engine does, so that
    // the next step reuses its arrays; its output stays valid, for the next block.
    Runnable step =
        config.mode() == Mode.TRAIN
            ? () -> {
              for (TransformerBlock block : blocks) block.zeroGrad();
              forward.run();
              Tensor d = dOutput;
              for (int k = blocks.length - 1; k >= 0; k--) {
                d = blocks[k].backward(outputs[k], d);
                outputs[k].release();
              }
            }
            : () -> {
              Tensor h = x;
              for (TransformerBlock block : blocks) {
                TransformerBlock.Output out = block.forward(h, true, null);
                out.release();
                h = out.output();
              }
            };
    return time(config, step, warmUpSeconds);
  }

  /**
   * Seconds of untimed runs before timing: the vector kernels reach full speed only once the
   * optimising compiler has compiled them. Measured here, an LSTM inference pass (H 256, B 64, T
   * 100) took 1.5 s for its first run and settled at its final speed only after about 3.5 s.
   */
  public static final double DEFAULT_WARM_UP_SECONDS = 5;

  /** The median of {@code repeats} timed runs of {@code step}, after warming up. */
  private static Result time(Workload config, Runnable step, double warmUpSeconds) {
    long warmStart = System.nanoTime();
    long warmNanos = (long) (warmUpSeconds * 1e9);
    // No warm-up at all when none is asked for: then every run is timed, from the first, which is
    // how the time to full speed is measured.
    for (int i = 0; warmNanos > 0 && (i < 3 || System.nanoTime() - warmStart < warmNanos); i++) {
      step.run();
    }
    double[] times = new double[config.repeats()];
    for (int i = 0; i < times.length; i++) {
      long start = System.nanoTime();
      step.run();
      times[i] = (System.nanoTime() - start) / 1e9;
    }
    double[] sorted = times.clone();
    Arrays.sort(sorted);
    return new Result(config, sorted[sorted.length / 2], times);
  }
}
