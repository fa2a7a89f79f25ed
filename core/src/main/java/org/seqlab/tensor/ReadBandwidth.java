package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How long the machine takes to read a block of floats that is already in the caches: the floor of
 * any kernel that must read that much per call. A streamed recurrent step at batch 1 uses each
 * weight once, so it can go no faster than reading all its weights; {@code seqlab bench --mode
 * stream} prints this floor beside the step.
 *
 * <p>Each of the threads reads its own share of the block (an array of its own, so from its own
 * core's caches, as the threads of {@code RecurrentStream} each read the weights of their share of
 * the units), again and again, summing whole vectors into eight independent chains so that the
 * additions never wait for each other; the threads start together and the time of a pass is the
 * wall time from the first thread's start to the last one's end, over the passes. The best of the
 * rounds is kept, as for {@link FmaPeak}.
 */
public final class ReadBandwidth {
  private ReadBandwidth() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** The time of one pass and the rate it reads at. */
  public record Result(long bytes, int threads, double secondsPerPass) {
    /** Bytes read per second by all threads together, in GB/s (10^9 bytes). */
    public double gigabytesPerSecond() {
      return bytes / secondsPerPass / 1e9;
    }
  }

  /**
   * Measures reading {@code bytes} bytes shared between {@code threads} threads, for about {@code
   * seconds} per round, best of {@code rounds} rounds.
   *
   * @throws IllegalArgumentException if an argument is not positive, or {@code bytes} is over 1 GiB
   */
  public static Result measure(long bytes, int threads, double seconds, int rounds) {
    if (bytes < 1 || bytes > (1L << 30) || threads < 1 || rounds < 1 || !(seconds > 0)) {
      throw new IllegalArgumentException(
          "bytes must be in [1, 2^30] and threads, seconds and rounds positive, got "
              + bytes
              + ", "
              + threads
              + ", "
              + seconds
              + ", "
              + rounds);
    }
    // Each thread's share, in whole floats.
    int floats = (int) Math.max(1, (bytes + 4L * threads - 1) / (4L * threads));
    float[] probe = new float[floats];
    for (int i = 0; i < 40; i++) sum(probe, floats); // until the optimising compiler has it
    long start = System.nanoTime();
    for (int i = 0; i < 10; i++) sum(probe, floats);
    double perPass = Math.max(1e-9, (System.nanoTime() - start) / 1e9 / 10);
    int passes = (int) Math.max(1, Math.min(1 << 24, seconds / perPass));
    double best = Double.MAX_VALUE;
    for (int round = 0; round < rounds; round++) {
      best = Math.min(best, runTogether(threads, floats, passes) / passes);
    }
    return new Result(4L * floats * threads, threads, best);
  }

  /** Seconds for every thread to read its own {@code floats} floats {@code passes} times. */
  private static double runTogether(int threads, int floats, int passes) {
    return StartTogether.seconds(
        threads,
        "seqlab-read-bandwidth",
        () -> {
          float[] own = new float[floats];
          for (int i = 0; i < 10; i++) sum(own, floats); // into this core's caches
          return () -> {
            float sink = 0;
            for (int i = 0; i < passes; i++) sink += sum(own, floats);
            if (sink == 1) System.out.print(""); // keeps the sums alive
          };
        });
  }

  /** The sum of {@code a[0 ..< n]}: eight vectors at a time in eight chains, then the rest. */
  static float sum(float[] a, int n) {
    FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
    FloatVector s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int i = 0;
    for (; i + 8 * LANES <= n; i += 8 * LANES) {
      s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
      s1 = s1.add(FloatVector.fromArray(SPECIES, a, i + LANES));
      s2 = s2.add(FloatVector.fromArray(SPECIES, a, i + 2 * LANES));
      s3 = s3.add(FloatVector.fromArray(SPECIES, a, i + 3 * LANES));
      s4 = s4.add(FloatVector.fromArray(SPECIES, a, i + 4 * LANES));
      s5 = s5.add(FloatVector.fromArray(SPECIES, a, i + 5 * LANES));
      s6 = s6.add(FloatVector.fromArray(SPECIES, a, i + 6 * LANES));
      s7 = s7.add(FloatVector.fromArray(SPECIES, a, i + 7 * LANES));
    }
    for (; i + LANES <= n; i += LANES) s0 = s0.add(FloatVector.fromArray(SPECIES, a, i));
    float rest = 0;
    for (; i < n; i++) rest += a[i];
    FloatVector all = s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7);
    return all.reduceLanes(VectorOperators.ADD) + rest;
  }
}
