package org.seqlab.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PanelMatVec} over 8-bit weights: {@code c[j] += s[j] · Σ_p a[p] · Q[p, j]}, where {@code Q
 * [k, n]} holds integers in {@code [-127, 127]} and {@code s[j]} is column {@code j}'s scale, so
 * that {@code s[j] · Q[p, j]} stands for the float32 weight {@code B[p, j]}.
 *
 * <p>Why: at batch 1 a recurrent step uses every weight once, so its time is the time to read the
 * weights ({@code bench --mode stream} prints that floor). A byte per weight instead of four reads
 * a quarter of the bytes; each loaded byte vector is widened to floats in registers, and the
 * products are summed in float32 as before. The scale multiplies a column's sum once, after the
 * {@code k} multiply-adds, not every weight.
 *
 * <p>Layout: exactly {@link PanelMatVec}'s, a byte per element: panels of {@link PanelMatVec#PANEL}
 * columns (the last one maybe narrower, of width {@code w}), each holding its {@code k} rows one
 * after the other, {@code w} bytes each. A packed array must have {@link #PADDING} bytes after its
 * last element: the widest load of a narrow panel's row may reach past it (the bytes read there are
 * never used).
 *
 * <p>Every column is one chain, {@code t = fma(a[p], Q[p, j], t)} for {@code p = 0 .. k-1} from
 * {@code t = 0}, then {@code c[j] = fma(s[j], t, c[j])}, whether it runs in a vector lane or in the
 * scalar tail, and whichever columns are computed with it: a product split by panels between
 * threads, or a batch row computed alone, gives the same bits.
 */
public final class Int8PanelMatVec {
  private Int8PanelMatVec() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Bytes loaded per float vector: at least 64 bits, the narrowest byte vector there is. */
  private static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));

  /** Bytes a packed array needs after its last element (see the class comment). */
  public static final int PADDING = BYTES.length();

  /** Columns per panel: the same as {@link PanelMatVec#PANEL}. */
  public static final int PANEL = PanelMatVec.PANEL;

  static {
    if (PANEL != 4 * LANES) throw new AssertionError("a panel is four float vectors");
  }

  /** The {@code LANES} bytes at {@code q[at]}, as floats. */
  private static FloatVector widen(byte[] q, int at) {
    return (FloatVector)
        ByteVector.fromArray(BYTES, q, at).convertShape(VectorOperators.B2F, SPECIES, 0);
  }

  /**
   * One full panel: {@code c[cOff + j] += s[sOff + j] · Σ_p a[aOff + p] · Q[p, j]} for {@code j <
   * PANEL}, the panel's {@code k} rows of {@code PANEL} bytes from {@code q[panel]}.
   */
  public static void fullPanel(
      int k, float[] a, int aOff, byte[] q, int panel, float[] s, int sOff, float[] c, int cOff) {
    FloatVector t0 = FloatVector.zero(SPECIES), t1 = t0, t2 = t0, t3 = t0;
    int row = panel;
    for (int p = 0; p < k; p++, row += PANEL) {
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + p]);
      t0 = x.fma(widen(q, row), t0);
      t1 = x.fma(widen(q, row + LANES), t1);
      t2 = x.fma(widen(q, row + 2 * LANES), t2);
      t3 = x.fma(widen(q, row + 3 * LANES), t3);
    }
    scaleInto(t0, s, sOff, c, cOff);
    scaleInto(t1, s, sOff + LANES, c, cOff + LANES);
    scaleInto(t2, s, sOff + 2 * LANES, c, cOff + 2 * LANES);
    scaleInto(t3, s, sOff + 3 * LANES, c, cOff + 3 * LANES);
  }

  /**
   * Two full panels, from {@code q[first]} and {@code q[second]}, into {@code c[c1 ..]} and {@code
   * c[c2 ..]} with the scales from {@code s[s1 ..]} and {@code s[s2 ..]}: each as {@link
   * #fullPanel}, eight sums in flight instead of four.
   */
  public static void fullPanelPair(
      int k,
      float[] a,
      int aOff,
      byte[] q,
      int first,
      int second,
      float[] s,
      int s1,
      int s2,
      float[] c,
      int c1,
      int c2) {
    FloatVector t0 = FloatVector.zero(SPECIES), t1 = t0, t2 = t0, t3 = t0;
    FloatVector t4 = t0, t5 = t0, t6 = t0, t7 = t0;
    int row = first, other = second;
    for (int p = 0; p < k; p++, row += PANEL, other += PANEL) {
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + p]);
      t0 = x.fma(widen(q, row), t0);
      t1 = x.fma(widen(q, row + LANES), t1);
      t2 = x.fma(widen(q, row + 2 * LANES), t2);
      t3 = x.fma(widen(q, row + 3 * LANES), t3);
      t4 = x.fma(widen(q, other), t4);
      t5 = x.fma(widen(q, other + LANES), t5);
      t6 = x.fma(widen(q, other + 2 * LANES), t6);
      t7 = x.fma(widen(q, other + 3 * LANES), t7);
    }
    scaleInto(t0, s, s1, c, c1);
    scaleInto(t1, s, s1 + LANES, c, c1 + LANES);
    scaleInto(t2, s, s1 + 2 * LANES, c, c1 + 2 * LANES);
    scaleInto(t3, s, s1 + 3 * LANES, c, c1 + 3 * LANES);
    scaleInto(t4, s, s2, c, c2);
    scaleInto(t5, s, s2 + LANES, c, c2 + LANES);
    scaleInto(t6, s, s2 + 2 * LANES, c, c2 + 2 * LANES);
    scaleInto(t7, s, s2 + 3 * LANES, c, c2 + 3 * LANES);
  }

  /**
   * A panel of {@code width < PANEL} columns, its rows {@code width} bytes each: a vector of
   * columns at a time, then one column at a time, every column by the same chain.
   */
  public static void narrowPanel(
      int k,
      int width,
      float[] a,
      int aOff,
      byte[] q,
      int panel,
      float[] s,
      int sOff,
      float[] c,
      int cOff) {
    int j = 0;
    for (; j + LANES <= width; j += LANES) {
      FloatVector t = FloatVector.zero(SPECIES);
      for (int p = 0; p < k; p++) {
        t = FloatVector.broadcast(SPECIES, a[aOff + p]).fma(widen(q, panel + p * width + j), t);
      }
      scaleInto(t, s, sOff + j, c, cOff + j);
    }
    for (; j < width; j++) {
      float t = 0;
      for (int p = 0; p < k; p++) t = Math.fma(a[aOff + p], (float) q[panel + p * width + j], t);
      c[cOff + j] = Math.fma(s[sOff + j], t, c[cOff + j]);
    }
  }

  /** {@code c[cOff + i] = fma(s[sOff + i], t[i], c[cOff + i])} for one vector. */
  private static void scaleInto(FloatVector t, float[] s, int sOff, float[] c, int cOff) {
    FloatVector.fromArray(SPECIES, s, sOff)
        .fma(t, FloatVector.fromArray(SPECIES, c, cOff))
        .intoArray(c, cOff);
  }
}
