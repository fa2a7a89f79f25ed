package org.seqlab.experiments;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
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

  /** The median of {@code repeats} timings of {@code step} in seconds, after one warm-up run. */
  public static double medianSeconds(Runnable step, int repeats) {
    step.run();
    double[] times = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      step.run();
      times[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(times);
    return times[repeats / 2];
  }

  /**
   * tau: the median time, in seconds, for all of {@code threads} threads to run one empty chunk
   * of a parallel loop and meet again — the least a dependent step spread over cores can cost.
   */
  public static double meetingLatencySeconds(int threads) {
    int saved = Parallel.threads();
    try {
      Parallel.setThreads(threads);
      int rounds = 2000;
      Runnable meet = () -> {
        for (int i = 0; i < rounds; i++) Parallel.forRange(threads, Parallel.MIN_PARALLEL_WORK, (from, to) -> {});
      };
      return medianSeconds(meet, 5) / rounds;
    } finally {
      Parallel.setThreads(saved);
    }
  }

  /** Brent's bound: the speed-up {@code T_1 / (T_1/P + criticalPath * tau)} on {@code p} cores. */
  public static double projectedSpeedup(double oneThreadSeconds, long criticalPath, double tau, int p) {
    return oneThreadSeconds / (oneThreadSeconds / p + criticalPath * tau);
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

  static Tensor gaussian(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }
}
