package org.seqlab.experiments;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.nn.TransformerBlock;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * Measures what the article's first argument is about: a recurrence cannot spread the time axis
 * over cores, attention can.
 *
 * <p>One training step (forward and backward) of a model is timed with one thread and with all
 * cores. Its <em>critical path</em> is the number of operations that must run one after another:
 * {@code 2T} per LSTM layer (each step needs the previous one, forward and again backward), a
 * constant per Transformer block (its matrix products cover all {@code T*B} rows at once).
 *
 * <p>The projection to a machine with {@code P} cores uses Brent's bound {@code T_P <= T_1/P +
 * T_inf}, with the work {@code T_1} measured here on one thread and the span {@code T_inf}
 * estimated as critical path × {@code tau}, the measured time for the cores to meet once (a
 * parallel loop with no work). It is a projection, not a measurement: it ignores memory bandwidth
 * and assumes each dependent operation can itself be spread perfectly.
 */
public final class Parallelism {
  private Parallelism() {}

  /** A model whose training step can be timed. */
  public interface Model {
    String name();

    long parameterCount();

    /** One forward and backward pass over the model's fixed batch. */
    void trainStep();

    /** Operations that must run one after another in {@link #trainStep()}. */
    long criticalPath();
  }

  /**
   * The median of {@code repeats} timings of {@code step} in seconds, after warming up (at least
   * two runs and 0.3 s) so that the compiled code, not the interpreter, is timed.
   */
  public static double medianSeconds(Runnable step, int repeats) {
    long warmStart = System.nanoTime();
    for (int i = 0; i < 2 || System.nanoTime() - warmStart < 300_000_000L; i++) step.run();
    double[] times = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      step.run();
      times[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(times);
    return times[repeats / 2];
  }

  /** Runs {@code model}'s training step for about {@code seconds}, on one thread and on all. */
  public static void warmUp(Model model, double seconds) {
    int saved = Parallel.threads();
    try {
      for (int threads : new int[] {1, Runtime.getRuntime().availableProcessors()}) {
        Parallel.setThreads(threads);
        long start = System.nanoTime();
        while (System.nanoTime() - start < seconds / 2 * 1e9) model.trainStep();
      }
    } finally {
      Parallel.setThreads(saved);
    }
  }

  /**
   * tau: the median time, in seconds, for all of {@code threads} threads to run one empty chunk of
   * a parallel loop and meet again — the least a dependent step spread over cores can cost.
   */
  public static double meetingLatencySeconds(int threads) {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(threads);
      int rounds = 2000;
      Runnable meet =
          () -> {
            for (int i = 0; i < rounds; i++)
              Parallel.forRange(threads, Parallel.MIN_PARALLEL_WORK, (from, to) -> {});
          };
      return medianSeconds(meet, 5) / rounds;
    } finally {
      Parallel.setThreads(saved);
    }
  }

  /**
   * Brent's bound: the speed-up {@code T_1 / (T_1/P + criticalPath * tau)} on {@code p} cores, and
   * never below 1: when meeting once per dependent step costs more than spreading the work gains,
   * the step is best run on one core.
   */
  public static double projectedSpeedup(
      double oneThreadSeconds, long criticalPath, double tau, int p) {
    double spread = oneThreadSeconds / p + criticalPath * tau;
    return oneThreadSeconds / Math.min(oneThreadSeconds, spread);
  }

  /** An LSTM with input size = hidden size, {@code layers} layers, over a random batch. */
  public static Model lstm(int hidden, int layers, int steps, int batch, long seed) {
    Recurrent net = Recurrent.create(RecurrentKind.LSTM, hidden, hidden, layers);
    SplittableRandom r = new SplittableRandom(seed);
    net.initialize(new java.util.Random(seed));
    Tensor x = gaussian(r, steps, batch, hidden), dOutput = gaussian(r, steps, batch, hidden);
    return new Model() {
      @Override
      public String name() {
        return "LSTM";
      }

      @Override
      public long parameterCount() {
        return net.parameterCount();
      }

      @Override
      public void trainStep() {
        net.zeroGrad();
        RecurrentOutput out = net.forward(x, null, null);
        net.backward(out, dOutput, null, null);
      }

      @Override
      public long criticalPath() {
        return 2L * steps * layers;
      }
    };
  }

  /**
   * Dependent operations in one pre-norm block's training step, counted from its implementation:
   * forward LayerNorm, QKV product, scores, softmax, weighted sum of values, out-projection,
   * residual, LayerNorm, first product, GELU, second product, residual (12); backward the same in
   * reverse with the weight-gradient products alongside (12 more, 24 in all). Each runs over all
   * {@code T*B} rows (or all batch-and-head pairs) at once, so the count does not grow with T.
   */
  public static final int TRANSFORMER_BLOCK_CRITICAL_PATH = 24;

  /**
   * A stack of {@code layers} causal pre-norm blocks of width {@code dModel}, {@code numHeads}
   * heads and feed-forward width {@code 4*dModel}, over a random {@code [T, B, D]} batch.
   */
  public static Model transformer(
      int dModel, int numHeads, int layers, int steps, int batch, long seed) {
    TransformerBlock[] blocks = new TransformerBlock[layers];
    java.util.Random init = new java.util.Random(seed);
    long count = 0;
    for (int i = 0; i < layers; i++) {
      blocks[i] = new TransformerBlock(dModel, numHeads, 4 * dModel);
      blocks[i].initialize(init);
      count += blocks[i].parameterCount();
    }
    long parameters = count;
    SplittableRandom r = new SplittableRandom(seed);
    Tensor x = gaussian(r, steps, batch, dModel), dOutput = gaussian(r, steps, batch, dModel);
    TransformerBlock.Output[] outputs = new TransformerBlock.Output[layers];
    return new Model() {
      @Override
      public String name() {
        return "Transformer";
      }

      @Override
      public long parameterCount() {
        return parameters;
      }

      @Override
      public void trainStep() {
        Tensor h = x;
        for (int i = 0; i < layers; i++) {
          blocks[i].zeroGrad();
          outputs[i] = blocks[i].forward(h, true, null);
          h = outputs[i].output();
        }
        Tensor grad = dOutput;
        for (int i = layers - 1; i >= 0; i--) {
          grad = blocks[i].backward(outputs[i], grad);
          // Its arrays serve the next step.
          outputs[i].release();
        }
      }

      @Override
      public long criticalPath() {
        return (long) TRANSFORMER_BLOCK_CRITICAL_PATH * layers;
      }
    };
  }

  /**
   * The width (a multiple of {@code numHeads}) whose pre-norm block, with feed-forward width 4D,
   * has the parameter count closest to {@code target}: {@code 12 D^2 + 13 D}.
   */
  public static int transformerWidthFor(long target, int numHeads) {
    int best = numHeads;
    for (int d = numHeads; d <= 1 << 14; d += numHeads) {
      long params = 12L * d * d + 13L * d;
      if (Math.abs(params - target) < Math.abs(12L * best * best + 13L * best - target)) best = d;
      if (params > target) break;
    }
    return best;
  }

  static Tensor gaussian(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }
}
