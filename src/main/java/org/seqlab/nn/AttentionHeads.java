package org.seqlab.nn;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
 * Queries are taken in blocks of {@link #QUERY_BLOCK} rows, and each block's products run over
 * only the keys its last row sees, rounded up to a whole vector: for causal attention that is
 * about half of the {@code T × T} square, in every one of the four products. Inside a block, the
 * few scores beyond a row's own {@code keys(t)} are computed and then ignored by the softmax (its
 * probabilities there are exactly 0), so no product needs a per-element mask. In the backward
 * pass the products over keys ({@code dV}, {@code dK}) take key blocks and, when causal, start at
 * the block's first key: {@code P} and {@code dS} are zero above the diagonal.
 *
 * <h2>Layout</h2>
 *
 * Q, K, V, the context and their gradients are read and written in place in the {@code [T, B,
 * ·]} arrays through row strides. Only the operands that a product needs the other way round are
 * transposed into scratch ({@code K^T} and {@code V^T}, {@code [dh, T]}; {@code P^T} and {@code
 * dS^T}), so that every product is {@code C += A B} with B read a row at a time, on {@link
 * MatMul#gemmNNSingleThread}: the pairs are already spread over the cores, and that kernel neither
 * allocates nor hands work to other threads. One {@link AttentionHeads} is a thread's scratch,
 * allocated once per parallel chunk, never per pair.
 *
 * <h2>Fused softmax</h2>
 *
 * One row's softmax is a vector pass for the maximum, one for {@code (S - max)/√dh} (a single
 * rounding, by fused multiply-add), the vector exponential of {@link Elementwise#exp}, and one
 * pass that sums and one that normalises, all on a row that stays in the L1 cache; the lane sums
 * are added in lane order, so the result does not depend on the thread.
 */
final class AttentionHeads {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** Query rows per block: two register tiles of the product kernel. */
  static final int QUERY_BLOCK = 16;

  private final int steps;
  private final int headDim;
  /** Row length of the {@code [T, ·]} scratch: T rounded up to whole vectors, so blocks never spill. */
  private final int paddedSteps;
  private final float[] transposedKeys; // [dh, paddedSteps]: K^T, later V^T
  private final float[] scores; // [T, paddedSteps]: S, later dP and dS
  private final float[] transposed; // [T, paddedSteps]: P^T, later dS^T
  private final float[] laneSums = new float[LANES];

  AttentionHeads(int steps, int headDim) {
    this.steps = steps;
    this.headDim = headDim;
    this.paddedSteps = roundUp(steps, Math.max(LANES, QUERY_BLOCK));
    this.transposedKeys = new float[headDim * paddedSteps];
    this.scores = new float[steps * paddedSteps];
    this.transposed = new float[steps * paddedSteps];
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
      float[] q, int qOff, int kOff, int vOff, int qkvStride,
      float[] p, int pOff,
      float[] context, int cOff, int contextStride,
      boolean causal, int validKeys, float scale) {
    transposeRows(q, kOff, qkvStride, transposedKeys);
    for (int t0 = 0; t0 < steps; t0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, steps - t0);
      int width = roundUp(blockKeys(t0, causal, validKeys), LANES);
      int sBlock = t0 * paddedSteps;
      for (int r = 0; r < rows; r++) Arrays.fill(scores, sBlock + r * paddedSteps, sBlock + r * paddedSteps + width, 0f);
      // S[t0.., 0..width) = Q[t0..] K^T
      MatMul.gemmNNSingleThread(
          rows, width, headDim,
          q, qOff + t0 * qkvStride, qkvStride,
          transposedKeys, 0, paddedSteps,
          scores, sBlock, paddedSteps);
      for (int r = 0; r < rows; r++) {
        int t = t0 + r;
        softmaxRow(scores, sBlock + r * paddedSteps, keys(t, causal, validKeys), scale, p, pOff + t * steps);
      }
      // C[t0..] += P[t0.., 0..keys) V[0..keys)
      MatMul.gemmNNSingleThread(
          rows, headDim, blockKeys(t0, causal, validKeys),
          p, pOff + t0 * steps, steps,
          q, vOff, qkvStride,
          context, cOff + t0 * contextStride, contextStride);
    }
  }

  /**
   * The backward pass of one pair: given {@code P} (as the forward pass wrote it) and {@code G =
   * dL/dC}, adds {@code dQ}, {@code dK}, {@code dV} into {@code dq} (laid out as {@code q}).
   */
  void backward(
      float[] q, int qOff, int kOff, int vOff, int qkvStride,
      float[] p, int pOff,
      float[] g, int gOff, int contextStride,
      float[] dq,
      boolean causal, int validKeys, float scale) {
    // dV[s0..] += P^T[s0.., t] G[t] over the queries t that see key block s0.. (t ≥ s0 if causal).
    transposeSquare(p, pOff, steps, transposed);
    for (int s0 = 0; s0 < validKeys; s0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, validKeys - s0);
      int tFrom = causal ? s0 : 0;
      MatMul.gemmNNSingleThread(
          rows, headDim, steps - tFrom,
          transposed, s0 * paddedSteps + tFrom, paddedSteps,
          g, gOff + tFrom * contextStride, contextStride,
          dq, vOff + s0 * qkvStride, qkvStride);
    }
    // dP = G V^T, then dS, block by block of queries, as the scores were computed.
    transposeRows(q, vOff, qkvStride, transposedKeys);
    Arrays.fill(scores, 0f);
    for (int t0 = 0; t0 < steps; t0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, steps - t0);
      int blockKeys = blockKeys(t0, causal, validKeys);
      int width = roundUp(blockKeys, LANES);
      int sBlock = t0 * paddedSteps;
      MatMul.gemmNNSingleThread(
          rows, width, headDim,
          g, gOff + t0 * contextStride, contextStride,
          transposedKeys, 0, paddedSteps,
          scores, sBlock, paddedSteps);
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
          rows, headDim, blockKeys,
          scores, sBlock, paddedSteps,
          q, kOff, qkvStride,
          dq, qOff + t0 * qkvStride, qkvStride);
    }
    // dK[s0..] += dS^T[s0.., t] Q[t], over the queries that see the key block.
    transposeSquare(scores, 0, paddedSteps, transposed);
    for (int s0 = 0; s0 < validKeys; s0 += QUERY_BLOCK) {
      int rows = Math.min(QUERY_BLOCK, validKeys - s0);
      int tFrom = causal ? s0 : 0;
      MatMul.gemmNNSingleThread(
          rows, headDim, steps - tFrom,
          transposed, s0 * paddedSteps + tFrom, paddedSteps,
          q, qOff + tFrom * qkvStride, qkvStride,
          dq, kOff + s0 * qkvStride, qkvStride);
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
    for (int j = 0; j < headDim; j++) Arrays.fill(out, j * paddedSteps + steps, (j + 1) * paddedSteps, 0f);
  }

  /** {@code out[s, t] = x[off + t * ld + s]} for {@code s, t < T}, rows of {@code out} paddedSteps apart. */
  private void transposeSquare(float[] x, int off, int ld, float[] out) {
    // Blocks of 8 × 8 keep both the rows read and the rows written in the L1 cache.
    for (int t0 = 0; t0 < steps; t0 += 8) {
      int t1 = Math.min(steps, t0 + 8);
      for (int s0 = 0; s0 < steps; s0 += 8) {
        int s1 = Math.min(steps, s0 + 8);
        for (int t = t0; t < t1; t++) {
          int from = off + t * ld;
          for (int s = s0; s < s1; s++) out[s * paddedSteps + t] = x[from + s];
        }
      }
    }
  }

  /**
   * {@code p[pRow + s] = softmax(scale · row[0, keys))_s} for {@code s < keys}, from the raw
   * scores at {@code scores[row..]}; {@code p} beyond {@code keys} is left as it is (zero).
   */
  private void softmaxRow(float[] scores, int row, int keys, float scale, float[] p, int pRow) {
    FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    int s = 0;
    for (int end = SPECIES.loopBound(keys); s < end; s += LANES) {
      max = max.max(FloatVector.fromArray(SPECIES, scores, row + s));
    }
    max.intoArray(laneSums, 0);
    float rowMax = Float.NEGATIVE_INFINITY;
    for (float lane : laneSums) rowMax = Math.max(rowMax, lane);
    for (; s < keys; s++) rowMax = Math.max(rowMax, scores[row + s]);
    // (S - max) · scale in one rounding: S·scale - max·scale with the product kept exact.
    FloatVector scaleVector = FloatVector.broadcast(SPECIES, scale);
    FloatVector shift = FloatVector.broadcast(SPECIES, -rowMax * scale);
    for (s = 0; s < keys; s += LANES) {
      VectorMask<Float> inRange = SPECIES.indexInRange(s, keys);
      FloatVector.fromArray(SPECIES, scores, row + s, inRange).fma(scaleVector, shift).intoArray(p, pRow + s, inRange);
    }
    Elementwise.exp(p, pRow, p, pRow, keys);
    FloatVector sum = FloatVector.zero(SPECIES);
    s = 0;
    for (int end = SPECIES.loopBound(keys); s < end; s += LANES) sum = sum.add(FloatVector.fromArray(SPECIES, p, pRow + s));
    sum.intoArray(laneSums, 0);
    float total = 0f;
    for (float lane : laneSums) total += lane;
    for (; s < keys; s++) total += p[pRow + s];
    FloatVector inverse = FloatVector.broadcast(SPECIES, 1f / total);
    for (s = 0; s < keys; s += LANES) {
      VectorMask<Float> inRange = SPECIES.indexInRange(s, keys);
      FloatVector.fromArray(SPECIES, p, pRow + s, inRange).mul(inverse).intoArray(p, pRow + s, inRange);
    }
  }

  /**
   * Over {@code dP} at {@code grad[row..row+keys)}: {@code dS = P ⊙ (dP - Σ dP ⊙ P) · scale}, in
   * place.
   */
  private void softmaxBackwardRow(float[] grad, int row, float[] p, int pRow, int keys, float scale) {
    FloatVector dot = FloatVector.zero(SPECIES);
    int s = 0;
    for (int end = SPECIES.loopBound(keys); s < end; s += LANES) {
      dot = FloatVector.fromArray(SPECIES, grad, row + s).fma(FloatVector.fromArray(SPECIES, p, pRow + s), dot);
    }
    dot.intoArray(laneSums, 0);
    float total = 0f;
    for (float lane : laneSums) total += lane;
    for (; s < keys; s++) total = Math.fma(grad[row + s], p[pRow + s], total);
    FloatVector shift = FloatVector.broadcast(SPECIES, -total);
    FloatVector scaleVector = FloatVector.broadcast(SPECIES, scale);
    for (s = 0; s < keys; s += LANES) {
      VectorMask<Float> inRange = SPECIES.indexInRange(s, keys);
      FloatVector dp = FloatVector.fromArray(SPECIES, grad, row + s, inRange);
      FloatVector prob = FloatVector.fromArray(SPECIES, p, pRow + s, inRange);
      prob.mul(dp.add(shift)).mul(scaleVector).intoArray(grad, row + s, inRange);
    }
  }

  private static int roundUp(int a, int b) {
    return (a + b - 1) / b * b;
  }
}
