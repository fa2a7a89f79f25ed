package org.seqlab.nn;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;

/**
 * The attention of one (sequence, head) pair of {@link MultiHeadSelfAttention}, forward and
 * backward, computing only what the masks let through. Symbols as there: {@code T} steps, {@code
 * dh} the head width, {@code keys(t)} the number of keys query {@code t} sees ({@code min(t+1,
 * length)} when causal, else {@code length}).
 *
 * <pre>
 *   forward:   S[t, s] = Q[t] · K[s]                    s &lt; keys(t)
 *              P[t, ·] = softmax(S[t, ·] / √dh)         over s &lt; keys(t), 0 beyond
 *              C[t]    = Σ_{s &lt; keys(t)} P[t, s] V[s]
 *   backward:  dV[s]   = Σ_t P[t, s] G[t]               dP[t, s] = G[t] · V[s]
 *              dS[t, s] = P[t, s] (dP[t, s] - Σ_s' dP[t, s'] P[t, s']) / √dh
 *              dQ[t]   = Σ_s dS[t, s] K[s]              dK[s] = Σ_t dS[t, s] Q[t]
 * </pre>
 *
 * <h2>Skipping the masked triangle</h2>
 *
 * Queries are taken in blocks of {@link #QUERY_BLOCK} rows, and each block's products run over only
 * the keys its last row sees, rounded up to a whole vector: for causal attention that is about half
 * of the {@code T × T} square, in every one of the four products. Inside a block, the few scores
 * beyond a row's own {@code keys(t)} are computed and then ignored by the softmax (its
 * probabilities there are exactly 0), so no product needs a per-element mask. In the backward pass
 * the products over keys ({@code dV}, {@code dK}) take key blocks and, when causal, start at the
 * block's first key: {@code P} and {@code dS} are zero above the diagonal.
 *
 * <h2>Layout</h2>
 *
 * Q, K, V, the context and their gradients are read and written in place in the {@code [T, B, ·]}
 * arrays through row strides. Only the operands that a product needs the other way round are
 * transposed into scratch ({@code K^T} and {@code V^T}, {@code [dh, T]}), so that the products over
 * queries are {@code C += A B} with B read a row at a time, on {@link MatMul#gemmNNSingleThread}:
 * the pairs are already spread over the cores, and that kernel neither allocates nor hands work to
 * other threads. The products over keys ({@code dV += P^T G}, {@code dK += dS^T Q}) run on {@link
 * #productTransposedA}, the same register tile reading A down its columns, so neither {@code T × T}
 * matrix is transposed. Score rows are computed a whole number of tile widths (two vectors) wide:
 * the few extra columns cost less than a narrower kernel. One {@link AttentionHeads} is a thread's
 * scratch, allocated once per parallel chunk, never per pair.
 *
 * <h2>Fused softmax</h2>
 *
 * One row's softmax is three vector passes over a row that stays in the L1 cache: the maximum;
 * {@code exp((S - max)/√dh)} (the scaling in a single rounding, by fused multiply-add) summed as it
 * is written; the normalisation into P. Masked lanes enter as {@code -∞} and 0, so no pass needs a
 * per-element branch. The lane sums are added in lane order, so the result does not depend on the
 * thread.
 */
final class AttentionHeads {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Query rows per block: two register tiles of the product kernel. */
  static final int QUERY_BLOCK = 16;

  private final int steps;
  private final int headDim;

  /**
   * Row length of the {@code [T, ·]} scratch: T rounded up to whole vectors, so blocks never spill.
   */
  private final int paddedSteps;

  private final float[] transposedKeys; // [dh, paddedSteps]: K^T, later V^T
  private final float[] scores; // [T, paddedSteps]: S, later dP and dS
  private final float[] laneSums = new float[LANES];

  /** Floats in one vector: the length of the {@code laneSums} scratch of {@link #softmaxRow}. */
  static final int VECTOR_LENGTH = LANES;

  /**
   * The length a scores row must have for {@link #softmaxRow} over {@code keys} keys: whole
   * vectors.
   */
  static int scoreRowLength(int keys) {
    return roundUp(keys, LANES);
  }

  AttentionHeads(int steps, int headDim) {
    this.steps = steps;
    this.headDim = headDim;
    this.paddedSteps = roundUp(steps, Math.max(2 * LANES, QUERY_BLOCK));
    this.transposedKeys = new float[headDim * paddedSteps];
    this.scores = new float[steps * paddedSteps];
  }

  /** Keys query {@code t} sees. */
  private static int keys(int t, boolean causal, int validKeys) {
    return causal ? Math.min(validKeys, t + 1) : validKeys;
  }

  /** Keys the last query of the block starting at {@code t0} sees: the block's product width. */
  private int blockKeys(int t0, boolean causal, int validKeys) {
    return keys(Math.min(steps, t0 + QUERY_BLOCK) - 1, causal, validKeys);
  }

  /**
   * The forward pass of one pair: writes {@code P [T, T]} at {@code p[pOff..]} (which must hold
   * zeros, as a fresh tensor does: only the entries a query sees are written) and adds {@code C}
   * into {@code context} (zeros on entry).
   *
   * @param q the {@code [T, B, 3D]} projections; Q, K and V of this pair start at {@code qOff},
   *     {@code kOff}, {@code vOff}, rows {@code qkvStride} apart
   * @param context {@code [T, B, D]}; this pair's columns start at {@code cOff}, rows {@code
   *     contextStride} apart
   */
  void forward(
      float[] q,
      int qOff,
      int kOff,
      int vOff,
      int qkvStride,
      float[] p,
      int pOff,
      float[] context,
      int cOff,
      int contextStride,
      boolean causal,
      int validKeys,
      float scale) {
    transposeRows(q, kOff, qkvStride, transposedKeys);
    for (int t0 = 0; t0 < steps; t0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, steps - t0);
      int width = roundUp(blockKeys(t0, causal, validKeys), 2 * LANES);
      int sBlock = t0 * paddedSteps;
      for (int r = 0; r < rows; r++)
        Arrays.fill(scores, sBlock + r * paddedSteps, sBlock + r * paddedSteps + width, 0f);
      // S[t0.., 0..width) = Q[t0..] K^T
      MatMul.gemmNNSingleThread(
          rows,
          width,
          headDim,
          q,
          qOff + t0 * qkvStride,
          qkvStride,
          transposedKeys,
          0,
          paddedSteps,
          scores,
          sBlock,
          paddedSteps);
      for (int r = 0; r < rows; r++) {
        int t = t0 + r;
        softmaxRow(
            scores,
            sBlock + r * paddedSteps,
            keys(t, causal, validKeys),
            scale,
            p,
            pOff + t * steps,
            laneSums);
      }
      // C[t0..] += P[t0.., 0..keys) V[0..keys)
      MatMul.gemmNNSingleThread(
          rows,
          headDim,
          blockKeys(t0, causal, validKeys),
          p,
          pOff + t0 * steps,
          steps,
          q,
          vOff,
          qkvStride,
          context,
          cOff + t0 * contextStride,
          contextStride);
    }
  }

  /**
   * The backward pass of one pair: given {@code P} (as the forward pass wrote it) and {@code G =
   * dL/dC}, adds {@code dQ}, {@code dK}, {@code dV} into {@code dq} (laid out as {@code q}).
   */
  void backward(
      float[] q,
      int qOff,
      int kOff,
      int vOff,
      int qkvStride,
      float[] p,
      int pOff,
      float[] g,
      int gOff,
      int contextStride,
      float[] dq,
      boolean causal,
      int validKeys,
      float scale) {
    // dV[s0..] += P[t, s0..]^T G[t] over the queries t that see key block s0.. (t ≥ s0 if causal).
    for (int s0 = 0; s0 < validKeys; s0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, validKeys - s0);
      int tFrom = causal ? s0 : 0;
      productTransposedA(
          rows,
          headDim,
          steps - tFrom,
          p,
          pOff + tFrom * steps + s0,
          steps,
          g,
          gOff + tFrom * contextStride,
          contextStride,
          dq,
          vOff + s0 * qkvStride,
          qkvStride);
    }
    // dP = G V^T, then dS, block by block of queries, as the scores were computed.
    transposeRows(q, vOff, qkvStride, transposedKeys);
    Arrays.fill(scores, 0f);
    for (int t0 = 0; t0 < steps; t0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, steps - t0);
      int blockKeys = blockKeys(t0, causal, validKeys);
      int width = roundUp(blockKeys, 2 * LANES);
      int sBlock = t0 * paddedSteps;
      MatMul.gemmNNSingleThread(
          rows,
          width,
          headDim,
          g,
          gOff + t0 * contextStride,
          contextStride,
          transposedKeys,
          0,
          paddedSteps,
          scores,
          sBlock,
          paddedSteps);
      for (int r = 0; r < rows; r++) {
        int t = t0 + r;
        int keys = keys(t, causal, validKeys);
        int row = sBlock + r * paddedSteps;
        softmaxBackwardRow(scores, row, p, pOff + t * steps, keys, scale);
        // What lies beyond this row's keys (inside the block's width) is no gradient: clear it.
        Arrays.fill(scores, row + keys, row + width, 0f);
      }
      // dQ[t0..] += dS[t0.., 0..keys) K[0..keys)
      MatMul.gemmNNSingleThread(
          rows,
          headDim,
          blockKeys,
          scores,
          sBlock,
          paddedSteps,
          q,
          kOff,
          qkvStride,
          dq,
          qOff + t0 * qkvStride,
          qkvStride);
    }
    // dK[s0..] += dS[t, s0..]^T Q[t], over the queries that see the key block.
    for (int s0 = 0; s0 < validKeys; s0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, validKeys - s0);
      int tFrom = causal ? s0 : 0;
      productTransposedA(
          rows,
          headDim,
          steps - tFrom,
          scores,
          tFrom * paddedSteps + s0,
          paddedSteps,
          q,
          qOff + tFrom * qkvStride,
          qkvStride,
          dq,
          kOff + s0 * qkvStride,
          qkvStride);
    }
  }

  /**
   * {@code out[j, s] = x[s, j]} for the {@code T} rows of width {@code dh} at {@code x[off + s *
   * stride]}: K or V of one head as {@code [dh, paddedSteps]}, padding columns zero.
   */
  private void transposeRows(float[] x, int off, int stride, float[] out) {
    for (int s = 0; s < steps; s++) {
      int from = off + s * stride;
      for (int j = 0; j < headDim; j++) out[j * paddedSteps + s] = x[from + j];
    }
    for (int j = 0; j < headDim; j++)
      Arrays.fill(out, j * paddedSteps + steps, (j + 1) * paddedSteps, 0f);
  }

  private static final float LOG2_E = 1.44269504088896341f;
  // ln 2 split in two (Cody and Waite): n * LN2_HIGH is exact for |n| < 2^9.
  private static final float LN2_HIGH = 0.693359375f;
  private static final float LN2_LOW = -2.12194440e-4f;
  // 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in its low bits.
  private static final float ROUND_TO_INTEGER = 12582912f;
  // e^x for x below this is under 1e-38: the probability is 0 in float for all purposes.
  private static final float EXP_MIN_ARGUMENT = -87f;

  /**
   * {@code p[pRow + s] = softmax(scale · row[0, keys))_s} for {@code s < keys}, from the raw scores
   * at {@code scores[row..]}, whose row is padded to whole vectors; {@code p} beyond {@code keys}
   * is left as it is (zero). The exponentials are kept in the scores row, lanes beyond {@code keys}
   * set to 0, so the sum runs over whole vectors and no memory access needs a mask.
   *
   * <p>The exponential is the Cephes expf scheme (as {@link Elementwise#exp}: {@code n ln2 + r}, a
   * degree-6 polynomial in {@code r}, relative error below 2 units in the last place), written
   * inline: the arguments here are never positive, and below -87 the probability is 0.
   *
   * <p>{@code p} may be {@code scores} itself with {@code pRow == row} (each probability is written
   * over its own exponential); {@code laneSums} is scratch of one vector's length. Shared with the
   * single-query attention of {@link MultiHeadSelfAttention#step}, so that decoding normalises
   * exactly as the whole-sequence pass does.
   */
  static void softmaxRow(
      float[] scores, int row, int keys, float scale, float[] p, int pRow, float[] laneSums) {
    int vectorKeys = roundUp(keys, LANES);
    FloatVector minusInfinity = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector max = minusInfinity;
    for (int s = 0; s < vectorKeys; s += LANES) {
      FloatVector x = FloatVector.fromArray(SPECIES, scores, row + s);
      max = max.max(minusInfinity.blend(x, SPECIES.indexInRange(s, keys)));
    }
    max.intoArray(laneSums, 0);
    float rowMax = Float.NEGATIVE_INFINITY;
    for (float lane : laneSums) rowMax = Math.max(rowMax, lane);

    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector scaleVector = FloatVector.broadcast(SPECIES, scale);
    FloatVector shift = FloatVector.broadcast(SPECIES, -rowMax * scale);
    FloatVector minusLn2High = FloatVector.broadcast(SPECIES, -LN2_HIGH);
    FloatVector minusLn2Low = FloatVector.broadcast(SPECIES, -LN2_LOW);
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    FloatVector sum = zero;
    for (int s = 0; s < vectorKeys; s += LANES) {
      // (S - max) · scale in one rounding: S·scale - max·scale with the product kept exact.
      FloatVector x =
          FloatVector.fromArray(SPECIES, scores, row + s)
              .fma(scaleVector, shift)
              .max(EXP_MIN_ARGUMENT);
      FloatVector shifted = x.fma(LOG2_E, ROUND_TO_INTEGER);
      FloatVector whole = shifted.sub(ROUND_TO_INTEGER);
      FloatVector r = whole.fma(minusLn2High, x);
      r = whole.fma(minusLn2Low, r);
      FloatVector e = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
      e = e.fma(r, FloatVector.broadcast(SPECIES, 8.3334519073e-3f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 4.1665795894e-2f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 1.6666665459e-1f));
      e = e.fma(r, FloatVector.broadcast(SPECIES, 5.0000001201e-1f));
      e = e.fma(r.mul(r), r).add(one);
      FloatVector scaleBits =
          shifted
              .reinterpretAsInts()
              .sub(Float.floatToRawIntBits(ROUND_TO_INTEGER) - 127)
              .lanewise(VectorOperators.LSHL, 23)
              .reinterpretAsFloats();
      e = zero.blend(e.mul(scaleBits), SPECIES.indexInRange(s, keys));
      e.intoArray(scores, row + s);
      sum = sum.add(e);
    }
    sum.intoArray(laneSums, 0);
    float total = 0f;
    for (float lane : laneSums) total += lane;

    FloatVector inverse = FloatVector.broadcast(SPECIES, 1f / total);
    int s = 0;
    for (int end = SPECIES.loopBound(keys); s < end; s += LANES) {
      FloatVector.fromArray(SPECIES, scores, row + s).mul(inverse).intoArray(p, pRow + s);
    }
    float inv = 1f / total;
    for (; s < keys; s++) p[pRow + s] = scores[row + s] * inv;
  }

  /**
   * Over {@code dP} at {@code grad[row..row+keys)}: {@code dS = P ⊙ (dP - Σ dP ⊙ P) · scale}, in
   * place.
   */
  private void softmaxBackwardRow(
      float[] grad, int row, float[] p, int pRow, int keys, float scale) {
    FloatVector dot = FloatVector.zero(SPECIES);
    int end = SPECIES.loopBound(keys);
    int s = 0;
    for (; s < end; s += LANES) {
      dot =
          FloatVector.fromArray(SPECIES, grad, row + s)
              .fma(FloatVector.fromArray(SPECIES, p, pRow + s), dot);
    }
    dot.intoArray(laneSums, 0);
    float total = 0f;
    for (float lane : laneSums) total += lane;
    for (; s < keys; s++) total = Math.fma(grad[row + s], p[pRow + s], total);
    FloatVector shift = FloatVector.broadcast(SPECIES, -total);
    FloatVector scaleVector = FloatVector.broadcast(SPECIES, scale);
    for (s = 0; s < end; s += LANES) {
      FloatVector dp = FloatVector.fromArray(SPECIES, grad, row + s);
      FloatVector prob = FloatVector.fromArray(SPECIES, p, pRow + s);
      prob.mul(dp.add(shift)).mul(scaleVector).intoArray(grad, row + s);
    }
    for (; s < keys; s++) grad[row + s] = p[pRow + s] * (grad[row + s] - total) * scale;
  }

  /** Rows of C in a tile: the machine's ({@link MatMul#TILE_ROWS}). */
  private static final int TILE_ROWS = MatMul.TILE_ROWS;

  /** Vectors of columns in a tile: the machine's ({@link MatMul#TILE_VECTORS}, 2 or 4). */
  private static final int TILE_VECTORS = MatMul.TILE_VECTORS;

  /**
   * {@code C[m,n] += A[k,m]^T · B[k,n]}, row {@code p} of A at {@code aOff + p*lda}, of B at {@code
   * bOff + p*ldb}, row {@code i} of C at {@code cOff + i*ldc}. Tiles of {@link #TILE_ROWS} rows of
   * C × 2 vectors keep their sums in registers; for each {@code p} the tile's elements of A are
   * contiguous (a piece of one row of A) and are broadcast, B's two vectors loaded once. Each
   * element of C is one sequence of fused multiply-adds over {@code p} in order, started from zero
   * and added to C at the end, whichever path (tile or edge) computes it.
   */
  static void productTransposedA(
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    int i = 0;
    int vectorColumns = n / (2 * LANES) * (2 * LANES);
    for (; i + TILE_ROWS <= m; i += TILE_ROWS) {
      int j = 0;
      if (TILE_VECTORS == 4) { // a constant: where 24 sums fit in the registers, 4 vectors first
        for (; j + 4 * LANES <= n; j += 4 * LANES) {
          sixRowsWide(i, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        }
      }
      for (; j < vectorColumns; j += 2 * LANES) {
        if (TILE_ROWS == 6) { // a constant: the compiled loop keeps one of the two
          sixRows(i, j, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
          continue;
        }
        FloatVector s00 = FloatVector.zero(SPECIES),
            s01 = s00,
            s10 = s00,
            s11 = s00,
            s20 = s00,
            s21 = s00;
        FloatVector s30 = s00, s31 = s00, s40 = s00, s41 = s00, s50 = s00, s51 = s00;
        FloatVector s60 = s00, s61 = s00, s70 = s00, s71 = s00;
        for (int p = 0; p < k; p++) {
          int bp = bOff + p * ldb + j;
          int ap = aOff + p * lda + i;
          FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
          FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
          FloatVector x = FloatVector.broadcast(SPECIES, a[ap]);
          s00 = x.fma(b0, s00);
          s01 = x.fma(b1, s01);
          x = FloatVector.broadcast(SPECIES, a[ap + 1]);
          s10 = x.fma(b0, s10);
          s11 = x.fma(b1, s11);
          x = FloatVector.broadcast(SPECIES, a[ap + 2]);
          s20 = x.fma(b0, s20);
          s21 = x.fma(b1, s21);
          x = FloatVector.broadcast(SPECIES, a[ap + 3]);
          s30 = x.fma(b0, s30);
          s31 = x.fma(b1, s31);
          x = FloatVector.broadcast(SPECIES, a[ap + 4]);
          s40 = x.fma(b0, s40);
          s41 = x.fma(b1, s41);
          x = FloatVector.broadcast(SPECIES, a[ap + 5]);
          s50 = x.fma(b0, s50);
          s51 = x.fma(b1, s51);
          x = FloatVector.broadcast(SPECIES, a[ap + 6]);
          s60 = x.fma(b0, s60);
          s61 = x.fma(b1, s61);
          x = FloatVector.broadcast(SPECIES, a[ap + 7]);
          s70 = x.fma(b0, s70);
          s71 = x.fma(b1, s71);
        }
        int c0 = cOff + i * ldc + j;
        int c1 = c0 + ldc,
            c2 = c1 + ldc,
            c3 = c2 + ldc,
            c4 = c3 + ldc,
            c5 = c4 + ldc,
            c6 = c5 + ldc,
            c7 = c6 + ldc;
        s00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
        s01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
        s10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
        s11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
        s20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
        s21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
        s30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
        s31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
        s40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
        s41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
        s50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
        s51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
        s60.add(FloatVector.fromArray(SPECIES, c, c6)).intoArray(c, c6);
        s61.add(FloatVector.fromArray(SPECIES, c, c6 + LANES)).intoArray(c, c6 + LANES);
        s70.add(FloatVector.fromArray(SPECIES, c, c7)).intoArray(c, c7);
        s71.add(FloatVector.fromArray(SPECIES, c, c7 + LANES)).intoArray(c, c7 + LANES);
      }
      edge(i, i + TILE_ROWS, vectorColumns, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
    edge(i, m, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  }

  /**
   * The tile of rows {@code [i, i+6)} × columns {@code [j, j + 2*LANES)} of {@link
   * #productTransposedA}, for a machine with 16 vector registers: the same sums, twelve of them.
   */
  private static void sixRows(
      int i,
      int j,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    FloatVector s00 = FloatVector.zero(SPECIES), s01 = s00, s10 = s00, s11 = s00;
    FloatVector s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00;
    FloatVector s50 = s00, s51 = s00;
    for (int p = 0; p < k; p++) {
      int bp = bOff + p * ldb + j;
      int ap = aOff + p * lda + i;
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[ap]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      x = FloatVector.broadcast(SPECIES, a[ap + 1]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      x = FloatVector.broadcast(SPECIES, a[ap + 2]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      x = FloatVector.broadcast(SPECIES, a[ap + 3]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
      x = FloatVector.broadcast(SPECIES, a[ap + 4]);
      s40 = x.fma(b0, s40);
      s41 = x.fma(b1, s41);
      x = FloatVector.broadcast(SPECIES, a[ap + 5]);
      s50 = x.fma(b0, s50);
      s51 = x.fma(b1, s51);
    }
    int c0 = cOff + i * ldc + j;
    int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
    s00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
    s01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
    s10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
    s11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
    s20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
    s21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
    s30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
    s31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
    s40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
    s41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
    s50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
    s51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
  }

  /**
   * The tile of rows {@code [i, i+6)} × columns {@code [j, j + 4*LANES)} of {@link
   * #productTransposedA}, for a machine with 32 vector registers: the same sums, 24 of them.
   */
  private static void sixRowsWide(
      int i,
      int j,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector s00 = zero, s01 = zero, s02 = zero, s03 = zero;
    FloatVector s10 = zero, s11 = zero, s12 = zero, s13 = zero;
    FloatVector s20 = zero, s21 = zero, s22 = zero, s23 = zero;
    FloatVector s30 = zero, s31 = zero, s32 = zero, s33 = zero;
    FloatVector s40 = zero, s41 = zero, s42 = zero, s43 = zero;
    FloatVector s50 = zero, s51 = zero, s52 = zero, s53 = zero;
    for (int p = 0; p < k; p++) {
      int bp = bOff + p * ldb + j;
      int ap = aOff + p * lda + i;
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bp + 2 * LANES);
      FloatVector b3 = FloatVector.fromArray(SPECIES, b, bp + 3 * LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[ap]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      s02 = x.fma(b2, s02);
      s03 = x.fma(b3, s03);
      x = FloatVector.broadcast(SPECIES, a[ap + 1]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      s12 = x.fma(b2, s12);
      s13 = x.fma(b3, s13);
      x = FloatVector.broadcast(SPECIES, a[ap + 2]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      s22 = x.fma(b2, s22);
      s23 = x.fma(b3, s23);
      x = FloatVector.broadcast(SPECIES, a[ap + 3]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
      s32 = x.fma(b2, s32);
      s33 = x.fma(b3, s33);
      x = FloatVector.broadcast(SPECIES, a[ap + 4]);
      s40 = x.fma(b0, s40);
      s41 = x.fma(b1, s41);
      s42 = x.fma(b2, s42);
      s43 = x.fma(b3, s43);
      x = FloatVector.broadcast(SPECIES, a[ap + 5]);
      s50 = x.fma(b0, s50);
      s51 = x.fma(b1, s51);
      s52 = x.fma(b2, s52);
      s53 = x.fma(b3, s53);
    }
    int c0 = cOff + i * ldc + j;
    int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
    s00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
    s01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
    s02.add(FloatVector.fromArray(SPECIES, c, c0 + 2 * LANES)).intoArray(c, c0 + 2 * LANES);
    s03.add(FloatVector.fromArray(SPECIES, c, c0 + 3 * LANES)).intoArray(c, c0 + 3 * LANES);
    s10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
    s11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
    s12.add(FloatVector.fromArray(SPECIES, c, c1 + 2 * LANES)).intoArray(c, c1 + 2 * LANES);
    s13.add(FloatVector.fromArray(SPECIES, c, c1 + 3 * LANES)).intoArray(c, c1 + 3 * LANES);
    s20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
    s21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
    s22.add(FloatVector.fromArray(SPECIES, c, c2 + 2 * LANES)).intoArray(c, c2 + 2 * LANES);
    s23.add(FloatVector.fromArray(SPECIES, c, c2 + 3 * LANES)).intoArray(c, c2 + 3 * LANES);
    s30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
    s31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
    s32.add(FloatVector.fromArray(SPECIES, c, c3 + 2 * LANES)).intoArray(c, c3 + 2 * LANES);
    s33.add(FloatVector.fromArray(SPECIES, c, c3 + 3 * LANES)).intoArray(c, c3 + 3 * LANES);
    s40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
    s41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
    s42.add(FloatVector.fromArray(SPECIES, c, c4 + 2 * LANES)).intoArray(c, c4 + 2 * LANES);
    s43.add(FloatVector.fromArray(SPECIES, c, c4 + 3 * LANES)).intoArray(c, c4 + 3 * LANES);
    s50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
    s51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
    s52.add(FloatVector.fromArray(SPECIES, c, c5 + 2 * LANES)).intoArray(c, c5 + 2 * LANES);
    s53.add(FloatVector.fromArray(SPECIES, c, c5 + 3 * LANES)).intoArray(c, c5 + 3 * LANES);
  }

  /**
   * Rows {@code [i0, i1)} × columns {@code [j0, n)} of {@link #productTransposedA}, element by
   * element.
   */
  private static void edge(
      int i0,
      int i1,
      int j0,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    // Each element's sum runs over p in order from 0, as the tile's do, across the row at once: B
    // is read contiguously (a head narrower than two vectors, 8 or 16 wide, has no tile columns at
    // all, so this is its whole product).
    int width = n - j0;
    if (width <= 0) return;
    // Eight columns at a time in 256-bit vectors (every x86-64 vector unit since AVX2 has them,
    // whatever its preferred width): a head of 8 is one of them.
    int eights = width / EDGE_LANES * EDGE_LANES;
    float[] sums = new float[width - eights];
    for (int i = i0; i < i1; i++) {
      int ci = cOff + i * ldc + j0;
      for (int j = 0; j < eights; j += EDGE_LANES) {
        FloatVector sum = FloatVector.zero(EDGE_SPECIES);
        for (int p = 0; p < k; p++) {
          sum =
              FloatVector.broadcast(EDGE_SPECIES, a[aOff + p * lda + i])
                  .fma(FloatVector.fromArray(EDGE_SPECIES, b, bOff + p * ldb + j0 + j), sum);
        }
        sum.add(FloatVector.fromArray(EDGE_SPECIES, c, ci + j)).intoArray(c, ci + j);
      }
      if (sums.length == 0) continue;
      Arrays.fill(sums, 0f);
      for (int p = 0; p < k; p++) {
        float x = a[aOff + p * lda + i];
        int bp = bOff + p * ldb + j0 + eights;
        for (int j = 0; j < sums.length; j++) sums[j] = Math.fma(x, b[bp + j], sums[j]);
      }
      for (int j = 0; j < sums.length; j++) c[ci + eights + j] += sums[j];
    }
  }

  private static final VectorSpecies<Float> EDGE_SPECIES = FloatVector.SPECIES_256;
  private static final int EDGE_LANES = EDGE_SPECIES.length();

  private static int roundUp(int a, int b) {
    return (a + b - 1) / b * b;
  }
}
