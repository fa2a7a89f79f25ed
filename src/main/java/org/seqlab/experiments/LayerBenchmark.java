package org.seqlab.experiments;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.nn.RecurrentStream;
import org.seqlab.tensor.Tensor;

/**
 * Times whole layers the way a user runs them: one training step (forward and backward through
 * time), one inference pass over a {@code [T, B, I]} batch, or T steps of a {@link RecurrentStream}
 * fed one {@code [B, I]} sample at a time, reporting the median of several
 * runs as tokens per second ({@code B*T / seconds}) and achieved GFLOP/s.
 *
 * <p>FLOPs count only the matrix products, 2 per multiply-add: a recurrent layer's forward is
 * {@code 2 G H (I + H)} per token (input and recurrent products, {@code G} gate blocks); training
 * adds the input-gradient and weight-gradient products, three times the forward in all.
 */
public final class LayerBenchmark {
  private LayerBenchmark() {}

  public enum Mode {
    TRAIN,
    INFER,
    /** T steps of a {@link RecurrentStream}, one {@code [B, I]} input at a time. */
    STREAM
  }

  /**
   * One configuration.
   *
   * @param repeats timed runs; the median is reported
   */
  public record Config(RecurrentKind kind, int inputSize, int hiddenSize, int layers, int batch, int steps, Mode mode, int repeats) {
    public Config {
      if (inputSize < 1 || hiddenSize < 1 || layers < 1 || batch < 1 || steps < 1 || repeats < 1) {
        throw new IllegalArgumentException("sizes and repeats must be positive");
      }
    }

    public long tokens() {
      return (long) batch * steps;
    }

    /** Matrix-product FLOPs of one run. */
    public double flops() {
      double g = kind.gateCount(), h = hiddenSize;
      double forward = 0;
      for (int k = 0; k < layers; k++) {
        double in = k == 0 ? inputSize : hiddenSize;
        forward += 2 * g * h * (in + h) * tokens();
      }
      return mode == Mode.TRAIN ? 3 * forward : forward;
    }

    /** Bytes the run will hold (activations, gates, gradients), to refuse absurd sizes first. */
    public double estimatedBytes() {
      double perLayer = 4.0 * tokens() * hiddenSize * (kind.gateCount() + 6) + 4.0 * tokens() * inputSize * 2;
      double params = 4.0 * 3 * kind.gateCount() * hiddenSize * ((double) inputSize + hiddenSize * layers + 2);
      return perLayer * layers + params;
    }
  }

  /**
   * @param secondsPerStep median seconds of one run
   * @param allSeconds every timed run, sorted
   */
  public record Result(Config config, double secondsPerStep, double[] allSeconds) {
    public double tokensPerSecond() {
      return config.tokens() / secondsPerStep;
    }

    public double gflops() {
      return config.flops() / secondsPerStep / 1e9;
    }

    /** Seconds per time step: of one run over T steps, the T-th part (what a stream pays per sample). */
    public double secondsPerTimeStep() {
      return secondsPerStep / config.steps();
    }
  }

  public static Result run(Config config, long seed) {
    Recurrent net = Recurrent.create(config.kind(), config.inputSize(), config.hiddenSize(), config.layers());
    net.initialize(new java.util.Random(seed));
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = Parallelism.gaussian(r, config.steps(), config.batch(), config.inputSize());
    Tensor dOutput = Parallelism.gaussian(r, config.steps(), config.batch(), config.hiddenSize());
    Runnable step =
        switch (config.mode()) {
          case TRAIN -> () -> {
            net.zeroGrad();
            RecurrentOutput out = net.forward(x, null, null);
            net.backward(out, dOutput, null, null);
          };
          case INFER -> () -> net.forward(x, null, null);
          case STREAM -> {
            RecurrentStream stream = new RecurrentStream(net, config.batch());
            float[] out = new float[config.batch() * config.hiddenSize()];
            int stride = config.batch() * config.inputSize();
            yield () -> {
              stream.reset();
              for (int t = 0; t < config.steps(); t++) stream.step(x.data(), t * stride, out, 0);
            };
          }
        };
    // Warm up until the compiler has settled: at least two runs and half a second.
    long warmStart = System.nanoTime();
    for (int i = 0; i < 2 || System.nanoTime() - warmStart < 500_000_000L; i++) step.run();
    double[] times = new double[config.repeats()];
    for (int i = 0; i < times.length; i++) {
      long start = System.nanoTime();
      step.run();
      times[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(times);
    return new Result(config, times[times.length / 2], times);
  }
}
