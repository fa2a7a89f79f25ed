package org.seqlab.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.random.RandomGenerator;

/**
 * numpy's legacy random stream ({@code np.random.seed(s)}, {@code np.random.RandomState(s)})
 * reproduced bit for bit, so an experiment written against numpy draws the same weights here.
 *
 * <p>The bit generator is MT19937 seeded with Matsumoto and Nishimura's {@code init_genrand}: for a
 * 32-bit seed {@code s}, {@code key[0] = s} and {@code key[i] = 1812433253 · (key[i-1] ⊕ (key[i-1]
 * >>> 30)) + i (mod 2³²)}. On top of it:
 *
 * <ul>
 *   <li>{@link #randomSample()} ({@code rand}): {@code (a·2²⁶ + b) / 2⁵³} with {@code a} the top 27
 *       bits and {@code b} the top 26 bits of two successive words, a double in [0, 1).
 *   <li>{@link #gauss()} ({@code randn}): the polar Box–Muller method. Draw {@code x₁, x₂} uniform
 *       in (-1, 1) until {@code 0 < r² = x₁² + x₂² < 1}, let {@code f = √(-2 ln r² / r²)}, return
 *       {@code f·x₂} and keep {@code f·x₁} for the next call.
 *   <li>{@link #randint(long, long)}: masked rejection sampling on {@code [low, high)}. With {@code
 *       r = high - 1 - low}, draw words, keep the bits under the smallest all-ones mask {@code ≥
 *       r}, and retry while the result exceeds {@code r}. Ranges with {@code r < 2³²} use one
 *       32-bit word per try, wider ones a 64-bit word made of two ({@code hi << 32 | lo}).
 *   <li>{@link #uniform(double, double)}: {@code low + (high - low) · rand()}.
 * </ul>
 *
 * <p>numpy computes {@code ln r²} with the C library's {@code log}. Neither Java log rounds like
 * glibc's in every case: on a million polar draws {@code Math.log} differed from it in the last bit
 * 820 times and {@code StrictMath.log} 72 413 times, and one differing bit changes a Gaussian. So
 * this class calls the C library's {@code log} itself (through the foreign function API, which
 * needs {@code --enable-native-access=ALL-UNNAMED} to run without a warning) and falls back to
 * {@code Math.log} where native calls are not allowed. Like numpy's own stream, the Gaussians then
 * depend on the platform's C library; the golden tests pin glibc's.
 *
 * <p>Not thread-safe: each thread or experiment owns its generator, as a {@code RandomState}.
 */
public final class NumpyRandom implements RandomGenerator {

  private static final int STATE_LENGTH = 624;
  private static final int SHIFT = 397;
  private static final int MATRIX_A = 0x9908b0df;
  private static final int UPPER_MASK = 0x80000000;
  private static final int LOWER_MASK = 0x7fffffff;

  /** Largest seed numpy's legacy integer seeding accepts. */
  public static final long MAX_SEED = 0xFFFF_FFFFL;

  private final int[] key = new int[STATE_LENGTH];
  private int position;
  private boolean hasCachedGaussian;
  private double cachedGaussian;

  /**
   * A generator in the state {@code np.random.seed(seed)} leaves.
   *
   * @throws IllegalArgumentException unless {@code 0 ≤ seed ≤ 2³² - 1}, the range numpy accepts
   */
  public NumpyRandom(long seed) {
    if (seed < 0 || seed > MAX_SEED) {
      throw new IllegalArgumentException(
          "seed must be between 0 and 2**32 - 1 (" + MAX_SEED + "), got " + seed);
    }
    int s = (int) seed;
    for (int i = 0; i < STATE_LENGTH; i++) {
      key[i] = s;
      s = 1812433253 * (s ^ (s >>> 30)) + i + 1; // int arithmetic wraps mod 2^32, as uint32_t does
    }
    position = STATE_LENGTH;
  }

  /** The next raw 32-bit word of MT19937, as an unsigned value in {@code [0, 2³²)}. */
  public long nextUint32() {
    return Integer.toUnsignedLong(nextWord());
  }

  private int nextWord() {
    if (position == STATE_LENGTH) regenerate();
    int y = key[position++];
    // Tempering.
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y;
  }

  /** Refills all 624 words at once, the twist of the reference implementation. */
  private void regenerate() {
    int i = 0;
    for (; i < STATE_LENGTH - SHIFT; i++) {
      int y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + SHIFT] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; i < STATE_LENGTH - 1; i++) {
      int y = (key[i] & UPPER_MASK) | (key[i + 1] & LOWER_MASK);
      key[i] = key[i + (SHIFT - STATE_LENGTH)] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    int y = (key[STATE_LENGTH - 1] & UPPER_MASK) | (key[0] & LOWER_MASK);
    key[STATE_LENGTH - 1] = key[SHIFT - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    position = 0;
  }

  /** Two words as one 64-bit value, the first word in the high half (numpy's {@code next64}). */
  private long nextWord64() {
    long high = nextUint32();
    return (high << 32) | nextUint32();
  }

  /** {@code np.random.random_sample()}: a double in {@code [0, 1)} with 53 random bits. */
  public double randomSample() {
    long a = nextUint32() >>> 5; // 27 bits
    long b = nextUint32() >>> 6; // 26 bits
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /**
   * {@code np.random.standard_normal()} as the legacy {@code RandomState} computes it: polar
   * Box–Muller, returning {@code f·x₂} and caching {@code f·x₁} for the next call.
   */
  public double gauss() {
    if (hasCachedGaussian) {
      hasCachedGaussian = false;
      double cached = cachedGaussian;
      cachedGaussian = 0.0;
      return cached;
    }
    double x1;
    double x2;
    double r2;
    do {
      x1 = 2.0 * randomSample() - 1.0;
      x2 = 2.0 * randomSample() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = Math.sqrt(-2.0 * CLibraryLog.log(r2) / r2);
    cachedGaussian = f * x1;
    hasCachedGaussian = true;
    return f * x2;
  }

  /** {@code np.random.randn(shape...)}: standard normal draws, row-major, in numpy's order. */
  public double[] randn(int... shape) {
    double[] out = new double[sizeOf(shape)];
    for (int i = 0; i < out.length; i++) out[i] = gauss();
    return out;
  }

  /** {@code np.random.rand(shape...)}: uniform draws in {@code [0, 1)}, row-major. */
  public double[] rand(int... shape) {
    double[] out = new double[sizeOf(shape)];
    for (int i = 0; i < out.length; i++) out[i] = randomSample();
    return out;
  }

  /** {@code np.random.uniform(low, high)}: {@code low + (high - low) · random_sample()}. */
  public double uniform(double low, double high) {
    double range = high - low;
    if (!Double.isFinite(range)) {
      throw new IllegalArgumentException("uniform range high - low is not finite: " + range);
    }
    return low + range * randomSample();
  }

  /**
   * {@code np.random.randint(low, high)} with the default int64 dtype: one integer in {@code [low,
   * high)}.
   *
   * @throws IllegalArgumentException if {@code low >= high}
   */
  public long randint(long low, long high) {
    long range = closedRange(low, high);
    return low + boundedMasked(range, mask(range));
  }

  /** {@code np.random.randint(low, high, size=n)}: {@code n} integers in {@code [low, high)}. */
  public long[] randint(long low, long high, int n) {
    if (n < 0) throw new IllegalArgumentException("negative size " + n);
    long range = closedRange(low, high);
    long mask = mask(range);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) out[i] = low + boundedMasked(range, mask);
    return out;
  }

  /** {@code high - 1 - low}, the width of the closed range, as an unsigned 64-bit value. */
  private static long closedRange(long low, long high) {
    if (low >= high) {
      throw new IllegalArgumentException(
          "randint needs low < high, got low=" + low + " high=" + high);
    }
    return high - 1 - low; // may exceed Long.MAX_VALUE: read as unsigned from here on
  }

  /** The smallest mask of the form {@code 2^k - 1} that is at least {@code range} (unsigned). */
  private static long mask(long range) {
    long m = range;
    m |= m >>> 1;
    m |= m >>> 2;
    m |= m >>> 4;
    m |= m >>> 8;
    m |= m >>> 16;
    m |= m >>> 32;
    return m;
  }

  /** A uniform value in the closed range {@code [0, range]} (unsigned), as numpy draws it. */
  private long boundedMasked(long range, long mask) {
    if (range == 0) return 0; // a single value: numpy draws nothing
    if (Long.compareUnsigned(range, MAX_SEED) <= 0) {
      // A 32-bit range takes one word per try; the full 2^32 range takes the word itself.
      if (range == MAX_SEED) return nextUint32();
      long value;
      do {
        value = nextUint32() & mask;
      } while (value > range);
      return value;
    }
    if (range == -1L) return nextWord64(); // all 2^64 values
    long value;
    do {
      value = nextWord64() & mask;
    } while (Long.compareUnsigned(value, range) > 0);
    return value;
  }

  private static int sizeOf(int... shape) {
    return Math.toIntExact(Tensor.checkedSize(shape));
  }

  /** 64 random bits: two words, the first in the high half, as numpy's {@code next_uint64}. */
  @Override
  public long nextLong() {
    return nextWord64();
  }

  /** 32 random bits: one word (the default would spend two). */
  @Override
  public int nextInt() {
    return nextWord();
  }

  /** The same as {@link #randomSample()}, so code written against RandomGenerator matches numpy. */
  @Override
  public double nextDouble() {
    return randomSample();
  }

  /** The same as {@link #gauss()}: numpy's legacy standard normal, with its cached second value. */
  @Override
  public double nextGaussian() {
    return gauss();
  }

  /**
   * The C library's {@code log}, which numpy's polar method calls, or {@code Math.log} without it.
   */
  private static final class CLibraryLog {
    private static final MethodHandle LOG = lookUp();

    private static MethodHandle lookUp() {
      try {
        Linker linker = Linker.nativeLinker();
        return linker
            .defaultLookup()
            .find("log")
            .map(
                symbol ->
                    linker.downcallHandle(
                        symbol,
                        FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, ValueLayout.JAVA_DOUBLE),
                        Linker.Option.critical(false)))
            .orElse(null);
      } catch (RuntimeException | LinkageError nativeAccessRefused) {
        return null;
      }
    }

    static double log(double x) {
      if (LOG == null) return Math.log(x);
      try {
        return (double) LOG.invokeExact(x);
      } catch (Throwable t) {
        throw new IllegalStateException("calling the C library's log failed", t);
      }
    }
  }
}
