package org.seqlab.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.ScalarMatMul;

/**
 * The three matrix-product forms on one thread, plain loops ({@link ScalarMatMul}) against the
 * vector kernels ({@link MatMul}), at the shapes of an LSTM with 256 inputs and 256 hidden units (4
 * gates: 1024 outputs): one step of a batch of 64, a whole sequence of 100 steps at once (6400
 * rows), and a weight gradient. Time per call; GFLOP/s = 2 m n k / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xss16m"})
public class MatMulBenchmark {

  /** {@code m x n x k}: C is m x n, the sum runs over k. */
  @Param({"64x1024x256", "6400x1024x256", "1024x256x64"})
  public String shape;

  @Param({"NN", "NT", "TN"})
  public String form;

  private int m, n, k;
  private float[] a, b, c;

  @Setup
  public void setUp() {
    Parallel.setThreads(1);
    String[] sizes = shape.split("x");
    m = Integer.parseInt(sizes[0]);
    n = Integer.parseInt(sizes[1]);
    k = Integer.parseInt(sizes[2]);
    SplittableRandom random = new SplittableRandom(1);
    a = new float[m * k];
    b = new float[k * n];
    c = new float[m * n];
    for (int i = 0; i < a.length; i++) a[i] = (float) random.nextDouble(-1, 1);
    for (int i = 0; i < b.length; i++) b[i] = (float) random.nextDouble(-1, 1);
  }

  @Benchmark
  public float[] vector() {
    switch (form) {
      case "NN" -> MatMul.gemmNN(m, n, k, a, 0, k, b, 0, n, c, 0, n);
      case "NT" -> MatMul.gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n);
      default -> MatMul.gemmTN(m, n, k, a, 0, m, b, 0, n, c, 0, n);
    }
    return c;
  }

  @Benchmark
  public float[] scalar() {
    switch (form) {
      case "NN" -> ScalarMatMul.gemmNN(m, n, k, a, 0, k, b, 0, n, c, 0, n);
      case "NT" -> ScalarMatMul.gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n);
      default -> ScalarMatMul.gemmTN(m, n, k, a, 0, m, b, 0, n, c, 0, n);
    }
    return c;
  }
}
