package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix-vector product of a recurrent step at small batch, {@code c[j] += Σ_p a[p] · B[p, j]},
 * over a {@code B [k, n]} that was laid out once in <em>panels</em> so that the product reads it
 * front to back.
 *
 * <p>Why: with {@code B} row-major (as {@code W_hh^T [H, G*H]}), a row of the product walks down
 * each column strip with a stride of {@code n} floats, one cache line per row {@code p}; at batch 1
 * every weight is used once, so the step is bound by memory and the strided walk defeats the
 * prefetcher (about 10 GB/s). Packed, the same loads are one sequential stream.
 *
 * <p>Layout: the columns are cut into panels of {@link #PANEL} columns (the last one may be
 * narrower, of width {@code w = n - q*PANEL}). Panel {@code q} starts at {@code q * PANEL * k} and
 * holds its {@code k} rows one after the other, each {@code w} floats: element {@code B[p, j]} lies
 * at {@code q*PANEL*k + p*w + (j - q*PANEL)}, so the whole packed matrix is exactly {@code k*n}
 * floats. A panel is four vectors wide, and two neighbouring panels are computed together where the
 * range has two: eight independent multiply-add chains hide the latency of each one better than
 * four (an LSTM stream step, I 64, H 128, measured 7% faster; reading the weights from the L2 cache
 * is what bounds it).
 *
 * <p>Each element is the same chain as in {@link MatMul#gemmNNSingleThread}, {@code c = fma(a[p],
 * B[p, j], c)} for {@code p = 0 .. k-1} in order, so the two give the same bits; and a column's
 * result does not depend on which other columns are computed with it, so a product split by panels
 * between threads is bit-identical to one computed whole.
 */
public final class PanelMatVec {
  private PanelMatVec() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Columns per panel: four vectors. */
  public static final int PANEL = 4 * LANES;

  /**
   * {@code B [k, n]} (row {@code p} at {@code bOff + p*ldb}) in the panel layout, a new array of
   * {@code k*n} floats.
   */
  public static float[] pack(int k, int n, float[] b, int bOff, int ldb) {
    return pack(k, n, b, bOff, ldb, new float[Math.toIntExact((long) k * n)]);
  }

  /**
   * {@link #pack} into {@code packed} (at least {@code k*n} floats, each of the first {@code k*n}
   * overwritten), for a caller that reuses one array from pass to pass; returns {@code packed}.
   */
  public static float[] pack(int k, int n, float[] b, int bOff, int ldb, float[] packed) {
    for (int q0 = 0; q0 < n; q0 += PANEL) {
      int width = Math.min(PANEL, n - q0);
      int panel = q0 * k;
      for (int p = 0; p < k; p++) {
        System.arraycopy(b, bOff + p * ldb + q0, packed, panel + p * width, width);
      }
    }
    return packed;
  }

  /**
   * {@code c[cOff + j] += Σ_p a[aOff + p] · B[p, j]} for the columns {@code j} in {@code [from,
   * to)}, with {@code B [k, n]} packed by {@link #pack} at {@code packed[packedOff ..]}.
   *
   * @param from first column, a multiple of {@link #PANEL}
   * @param to end of the columns, a multiple of {@link #PANEL} or {@code n}
   * @throws IllegalArgumentException if the range does not fall on panel boundaries
   */
  public static void multiplyAdd(
      int k,
      int n,
      int from,
      int to,
      float[] a,
      int aOff,
      float[] packed,
      int packedOff,
      float[] c,
      int cOff) {
    if (from < 0 || to > n || from > to || from % PANEL != 0 || (to % PANEL != 0 && to != n)) {
      throw new IllegalArgumentException(
          "columns [" + from + ", " + to + ") of " + n + " do not fall on panels of " + PANEL);
    }
    int q0 = from;
    // Two panels at once where there are two: 8 independent sums instead of 4, enough to keep
    // the multiply-add units busy while each sum waits for its previous multiply-add.
    for (; q0 + 2 * PANEL <= to; q0 += 2 * PANEL) {
      int panel = packedOff + q0 * k;
      fullPanelPair(k, a, aOff, packed, panel, panel + k * PANEL, c, cOff + q0, cOff + q0 + PANEL);
    }
    for (; q0 < to; q0 += PANEL) {
      int width = Math.min(PANEL, n - q0);
      int panel = packedOff + q0 * k;
      if (width == PANEL) {
        fullPanel(k, a, aOff, packed, panel, c, cOff + q0);
      } else {
        narrowPanel(k, width, a, aOff, packed, panel, c, cOff + q0);
      }
    }
  }

  /** One panel of {@link #PANEL} columns: four sums in registers, {@code k} sequential rows. */
  private static void fullPanel(
      int k, float[] a, int aOff, float[] packed, int panel, float[] c, int ci) {
    FloatVector s0 = FloatVector.fromArray(SPECIES, c, ci);
    FloatVector s1 = FloatVector.fromArray(SPECIES, c, ci + LANES);
    FloatVector s2 = FloatVector.fromArray(SPECIES, c, ci + 2 * LANES);
    FloatVector s3 = FloatVector.fromArray(SPECIES, c, ci + 3 * LANES);
    int row = panel;
    for (int p = 0; p < k; p++, row += PANEL) {
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + p]);
      s0 = x.fma(FloatVector.fromArray(SPECIES, packed, row), s0);
      s1 = x.fma(FloatVector.fromArray(SPECIES, packed, row + LANES), s1);
      s2 = x.fma(FloatVector.fromArray(SPECIES, packed, row + 2 * LANES), s2);
      s3 = x.fma(FloatVector.fromArray(SPECIES, packed, row + 3 * LANES), s3);
    }
    s0.intoArray(c, ci);
    s1.intoArray(c, ci + LANES);
    s2.intoArray(c, ci + 2 * LANES);
    s3.intoArray(c, ci + 3 * LANES);
  }

  /**
   * Two full panels, each packed as a {@code [k, PANEL]} block ({@link #pack} of a block of {@code
   * PANEL} columns) anywhere in {@code packed}: {@code c[c1 + j] += Σ_p a[p] · P1[p, j]} and {@code
   * c[c2 + j] += Σ_p a[p] · P2[p, j]} for {@code j < PANEL}, every element by the same chain as
   * {@link #multiplyAdd}. For callers whose ranges hold one panel per block (a thread's share of
   * each gate), so that two blocks' panels can still be computed together.
   */
  public static void multiplyAddTwoPanels(
      int k,
      float[] a,
      int aOff,
      float[] packed,
      int panel1,
      int panel2,
      float[] c,
      int c1,
      int c2) {
    fullPanelPair(k, a, aOff, packed, panel1, panel2, c, c1, c2);
  }

  /**
   * {@link #fullPanel} of two panels, from {@code first} and {@code second} in {@code packed}, into
   * {@code c} from {@code c1} and {@code c2}: every element is the same chain of multiply-adds, two
   * chains' worth of them in flight.
   */
  private static void fullPanelPair(
      int k,
      float[] a,
      int aOff,
      float[] packed,
      int first,
      int second,
      float[] c,
      int c1,
      int c2) {
    FloatVector s0 = FloatVector.fromArray(SPECIES, c, c1);
    FloatVector s1 = FloatVector.fromArray(SPECIES, c, c1 + LANES);
    FloatVector s2 = FloatVector.fromArray(SPECIES, c, c1 + 2 * LANES);
    FloatVector s3 = FloatVector.fromArray(SPECIES, c, c1 + 3 * LANES);
    FloatVector s4 = FloatVector.fromArray(SPECIES, c, c2);
    FloatVector s5 = FloatVector.fromArray(SPECIES, c, c2 + LANES);
    FloatVector s6 = FloatVector.fromArray(SPECIES, c, c2 + 2 * LANES);
    FloatVector s7 = FloatVector.fromArray(SPECIES, c, c2 + 3 * LANES);
    int row = first;
    for (int p = 0; p < k; p++, row += PANEL, second += PANEL) {
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + p]);
      s0 = x.fma(FloatVector.fromArray(SPECIES, packed, row), s0);
      s1 = x.fma(FloatVector.fromArray(SPECIES, packed, row + LANES), s1);
      s2 = x.fma(FloatVector.fromArray(SPECIES, packed, row + 2 * LANES), s2);
      s3 = x.fma(FloatVector.fromArray(SPECIES, packed, row + 3 * LANES), s3);
      s4 = x.fma(FloatVector.fromArray(SPECIES, packed, second), s4);
      s5 = x.fma(FloatVector.fromArray(SPECIES, packed, second + LANES), s5);
      s6 = x.fma(FloatVector.fromArray(SPECIES, packed, second + 2 * LANES), s6);
      s7 = x.fma(FloatVector.fromArray(SPECIES, packed, second + 3 * LANES), s7);
    }
    s0.intoArray(c, c1);
    s1.intoArray(c, c1 + LANES);
    s2.intoArray(c, c1 + 2 * LANES);
    s3.intoArray(c, c1 + 3 * LANES);
    s4.intoArray(c, c2);
    s5.intoArray(c, c2 + LANES);
    s6.intoArray(c, c2 + 2 * LANES);
    s7.intoArray(c, c2 + 3 * LANES);
  }

  /** The last, narrower panel: a vector at a time, then one column at a time. */
  private static void narrowPanel(
      int k, int width, float[] a, int aOff, float[] packed, int panel, float[] c, int ci) {
    int j = 0;
    for (; j + LANES <= width; j += LANES) {
      FloatVector s = FloatVector.fromArray(SPECIES, c, ci + j);
      for (int p = 0; p < k; p++) {
        s =
            FloatVector.broadcast(SPECIES, a[aOff + p])
                .fma(FloatVector.fromArray(SPECIES, packed, panel + p * width + j), s);
      }
      s.intoArray(c, ci + j);
    }
    for (; j < width; j++) {
      float s = c[ci + j];
      for (int p = 0; p < k; p++) s = Math.fma(a[aOff + p], packed[panel + p * width + j], s);
      c[ci + j] = s;
    }
  }
}
