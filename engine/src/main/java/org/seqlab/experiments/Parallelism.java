package org.seqlab.experiments;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.nn.TransformerBlock;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * Measures what the article's first argument is about: a recurrence cannot spread the time axis
 * over cores, attention can.
 *
 * <p>One training step (forward and backward) of a model is timed with one thread and with all
 * cores. Its <em>critical path</em> is the number of operations that must run one after another, as
 * the table of architectures gives it ({@link Architecture#criticalPath}): {@code 2T} per LSTM
 * layer (each step needs the previous one, forward and again backward), {@code O(log T)} per minGRU
 * layer (a scan), a constant per Transformer block (its matrix products cover all {@code T*B} rows
 * at once). Any row of the table can be timed ({@link #model}), sized to a matched parameter count
 * ({@link #widthFor}).
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
    /** The row of the table this model is. */
    Architecture architecture();

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

  /**
   * The parameters of one layer of {@code architecture} at width {@code width} (hidden size = input
   * size of a recurrent layer; a block's model width, feed-forward {@code 4D}): {@code G (2H² +
   * 2H)} with a recurrent matrix ({@code W_ih}, {@code W_hh} and both biases), {@code G (H² + H)}
   * without ({@code W_ih}, {@code b_ih}), {@code 12 D² + 13 D} for a pre-norm block.
   */
  public static long layerParameters(Architecture architecture, int width) {
    long w = width;
    return switch (architecture.recurrence()) {
      case MATRIX -> architecture.recurrentKind().orElseThrow().gateCount() * (2 * w * w + 2 * w);
      case SCAN -> architecture.minRecurrentKind().orElseThrow().gateCount() * (w * w + w);
      case NONE -> 12 * w * w + 13 * w;
    };
  }

  /**
   * The width whose layer of {@code architecture} has the parameter count closest to {@code target}
   * ({@link #layerParameters}): a multiple of {@code numHeads} for attention.
   */
  public static int widthFor(Architecture architecture, long target, int numHeads) {
    int step = architecture.hasAttention() ? numHeads : 1;
    int best = step;
    for (int w = step; w <= 1 << 14; w += step) {
      long params = layerParameters(architecture, w);
      if (Math.abs(params - target) < Math.abs(layerParameters(architecture, best) - target)) {
        best = w;
      }
      if (params > target) break;
    }
    return best;
  }

  /**
   * A model of {@code architecture}, {@code layers} layers of width {@code width} (input size =
   * hidden size; a Transformer block has {@code numHeads} heads and feed-forward width {@code 4D}),
   * over a random {@code [T, B, width]} batch; its critical path is the table's ({@link
   * Architecture#criticalPath}).
   */
  public static Model model(
      Architecture architecture,
      int width,
      int numHeads,
      int layers,
      int steps,
      int batch,
      long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    java.util.Random init = new java.util.Random(seed);
    Tensor x = gaussian(r, steps, batch, width), dOutput = gaussian(r, steps, batch, width);
    long path = architecture.criticalPath(steps, layers);
    return switch (architecture.recurrence()) {
      case MATRIX -> {
        Recurrent net =
            Recurrent.create(architecture.recurrentKind().orElseThrow(), width, width, layers);
        net.initialize(init);
        yield new Timed(
            architecture,
            net.parameterCount(),
            path,
            () -> {
              net.zeroGrad();
              RecurrentOutput out = net.forward(x, null, null);
              // As the training engine does: the next step reuses the activations and gradients.
              net.backward(out, dOutput, null, null).release();
              out.release();
            });
      }
      case SCAN -> {
        MinRecurrent net =
            new MinRecurrent(architecture.minRecurrentKind().orElseThrow(), width, width, layers);
        net.initialize(init);
        yield new Timed(
            architecture,
            net.parameterCount(),
            path,
            () -> {
              net.zeroGrad();
              MinRecurrent.Output out = net.forward(x, null);
              net.backward(out, dOutput, null).release();
              out.release();
            });
      }
      case NONE -> {
        TransformerBlock[] blocks = new TransformerBlock[layers];
        long count = 0;
        for (int i = 0; i < layers; i++) {
          blocks[i] = new TransformerBlock(width, numHeads, 4 * width);
          blocks[i].initialize(init);
          count += blocks[i].parameterCount();
        }
        TransformerBlock.Output[] outputs = new TransformerBlock.Output[layers];
        yield new Timed(
            architecture,
            count,
            path,
            () -> {
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
            });
      }
    };
  }

  /** A model of the table, its size, its critical path, and its training step. */
  private record Timed(
      Architecture architecture, long parameterCount, long criticalPath, Runnable step)
      implements Model {
    @Override
    public String name() {
      return architecture.label();
    }

    @Override
    public void trainStep() {
      step.run();
    }
  }

  /**
   * Why {@code recurrence}'s critical path is what {@link Architecture#criticalPath} says, in a
   * sentence for a report.
   */
  public static String criticalPathReason(Architecture.Recurrence recurrence) {
    return switch (recurrence) {
      case MATRIX ->
          "a recurrence through W_hh needs 2T per layer (each step waits for the previous one,"
              + " forward and again backward)";
      case SCAN ->
          "a linear recurrence 2(2⌈log₂ T⌉ + 2) per layer (a two-level scan over time, forward and"
              + " backward)";
      case NONE ->
          "attention a constant "
              + Architecture.ATTENTION_BLOCK_CRITICAL_PATH
              + " per block (every operation covers all T·B positions at once)";
    };
  }

  static Tensor gaussian(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }
}
