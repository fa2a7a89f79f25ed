package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The read-bandwidth probe reads what it says it reads, on any length and thread count. */
class ReadBandwidthTest {

  @Test
  void theSumReadsEveryElementOfAnyLength() {
    SplittableRandom random = new SplittableRandom(5);
    int lanes = FmaPeak.lanes();
    for (int n :
        new int[] {1, 3, lanes - 1, lanes, 8 * lanes - 1, 8 * lanes, 8 * lanes + 5, 1001}) {
      float[] a = new float[n + 7];
      double exact = 0;
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) random.nextDouble(-1, 1);
        if (i < n) exact += a[i];
      }
      // Float sums in another order: within a few roundings of each partial sum's size.
      assertEquals(exact, ReadBandwidth.sum(a, n), 1e-6 * n, "n = " + n);
    }
  }

  @Test
  void eachThreadReadsItsShareOfTheBytesAsked() {
    for (int threads : new int[] {1, 2, 3}) {
      ReadBandwidth.Result r = ReadBandwidth.measure(393_216 + 2, threads, 0.01, 1);
      // Whole floats per thread: at most 4 bytes per thread over what was asked.
      assertTrue(r.bytes() >= 393_218 && r.bytes() <= 393_218 + 4L * threads, "bytes " + r.bytes());
      assertEquals(threads, r.threads());
      assertTrue(r.secondsPerPass() > 0 && Double.isFinite(r.gigabytesPerSecond()));
      assertEquals(r.bytes() / r.secondsPerPass() / 1e9, r.gigabytesPerSecond(), 1e-9);
    }
  }

  @Test
  void refusesWhatItCannotMeasure() {
    assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(0, 1, 0.1, 1));
    assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(1L << 31, 1, 0.1, 1));
    assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(1024, 0, 0.1, 1));
    assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(1024, 1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> ReadBandwidth.measure(1024, 1, 0.1, 0));
  }
}
