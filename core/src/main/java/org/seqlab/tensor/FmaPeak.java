package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's limit for float32 arithmetic, measured: how many fused multiply-adds per second the
 * vector units give when nothing else is in the way.
 *
 * <p>Each thread runs {@link #CHAINS} independent chains {@code acc = acc · m + c} of full vectors
 * ({@link FloatVector#SPECIES_PREFERRED}), all in registers: no loads, no stores, enough chains to
 * cover the latency of a fused multiply-add on every current core (latency 4 cycles × 2 pipes needs
 * 8 in flight; 12 leaves margin). One vector FMA counts {@code 2 × lanes} FLOP. The threads start
 * together at a barrier, and the rate is the FLOP of all threads over the wall time from the first
 * one's start to the last one's end ({@link StartTogether}), so a core that is busy with other work
 * lowers the figure, as it lowers every kernel's. That is the figure kernels should be compared
 * with: on a machine shared with other work the quiet-machine number from a data sheet is not what
 * a core gives today.
 */
public final class FmaPeak {
  private FmaPeak() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  /** Independent accumulator chains per thread. */
  static final int CHAINS = 12;

  /**
   * GFLOP/s of {@code threads} threads each running vector FMAs for about {@code seconds}: the best
   * of {@code rounds} rounds, after each thread has run the loop long enough to be compiled.
   *
   * @throws IllegalArgumentException if an argument is not positive
   */
  public static double measure(int threads, double seconds, int rounds) {
    if (threads < 1 || rounds < 1 || !(seconds > 0)) {
      throw new IllegalArgumentException(
          "threads, seconds and rounds must be positive, got "
              + threads
              + ", "
              + seconds
              + ", "
              + rounds);
    }
    // Calibrate on this thread: iterations that take about `seconds` once compiled.
    long iterations = 1 << 16;
    for (int i = 0; i < 40; i++) chains(iterations); // until the optimising compiler has it
    long start = System.nanoTime();
    chains(iterations);
    double perIteration = Math.max(1e-10, (System.nanoTime() - start) / 1e9 / iterations);
    long timed = Math.max(1, (long) (seconds / perIteration));

    double best = 0;
    for (int round = 0; round < rounds; round++) {
      best = Math.max(best, runTogether(threads, timed));
    }
    return best;
  }

  /** One round: every thread runs {@code iterations} at once; GFLOP/s of them all. */
  private static double runTogether(int threads, long iterations) {
    double wall =
        StartTogether.seconds(
            threads,
            "seqlab-fma-peak",
            () -> {
              chains(Math.max(1, iterations / 8)); // compiled on this thread too
              return () -> chains(iterations);
            });
    double flop = 2.0 * SPECIES.length() * CHAINS * iterations * threads;
    return flop / Math.max(wall, 1e-9) / 1e9;
  }

  /**
   * {@code iterations} rounds of one FMA on each of the {@link #CHAINS} chains; returns a value
   * that depends on every chain so that the compiler cannot drop them.
   */
  static float chains(long iterations) {
    FloatVector m = FloatVector.broadcast(SPECIES, 0.999999f);
    FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f);
    FloatVector a0 = FloatVector.broadcast(SPECIES, 1f), a1 = a0.add(1f), a2 = a0.add(2f);
    FloatVector a3 = a0.add(3f), a4 = a0.add(4f), a5 = a0.add(5f), a6 = a0.add(6f);
    FloatVector a7 = a0.add(7f), a8 = a0.add(8f), a9 = a0.add(9f), a10 = a0.add(10f);
    FloatVector a11 = a0.add(11f);
    for (long i = 0; i < iterations; i++) {
      a0 = a0.fma(m, c);
      a1 = a1.fma(m, c);
      a2 = a2.fma(m, c);
      a3 = a3.fma(m, c);
      a4 = a4.fma(m, c);
      a5 = a5.fma(m, c);
      a6 = a6.fma(m, c);
      a7 = a7.fma(m, c);
      a8 = a8.fma(m, c);
      a9 = a9.fma(m, c);
      a10 = a10.fma(m, c);
      a11 = a11.fma(m, c);
    }
    FloatVector sum =
        a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10);
    return sum.add(a11).lane(0);
  }

  /** Floats per vector on this machine. */
  public static int lanes() {
    return SPECIES.length();
  }
}
