package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The per-pair attention kernels against plain double loops over the whole {@code T × T} square, on
 * random shapes (odd steps and head widths, fewer and more steps than a query block, padded keys),
 * with Q, K, V and the context read through the strides of a {@code [T, B, ·]} layout.
 */
class AttentionHeadsTest {

  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({
    "1,1,1",
    "3,5,7",
    "8,32,1",
    "9,33,17",
    "16,64,100",
    "17,70,3",
    "5,31,64",
    "3,8,24",
    "11,13,9",
    "9,16,30",
    "5,24,7",
    "10,45,5",
    "13,96,20",
    "7,131,9"
  })
  void productTransposedAMatchesPlainLoops(int m, int n, int k) {
    Random r = new Random(m * 1000 + n * 10 + k);
    int lda = m + 3, ldb = n + 2, ldc = n + 5;
    float[] a = random(r, k * lda), b = random(r, k * ldb), c = random(r, m * ldc + 4);
    float[] expected = c.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) sum += (double) a[1 + p * lda + i] * b[2 + p * ldb + j];
        expected[4 + i * ldc + j] += (float) sum;
      }
    }
    AttentionHeads.productTransposedA(m, n, k, a, 1, lda, b, 2, ldb, c, 4, ldc);
    for (int i = 0; i < c.length; i++)
      assertEquals(expected[i], c[i], 1e-5 * (1 + Math.sqrt(k)), "element " + i);
  }

  @ParameterizedTest(name = "T={0} dh={1} causal={2} validKeys={3}")
  @CsvSource({
    "1,1,true,1",
    "5,3,true,5",
    "17,7,true,17",
    "17,7,false,17",
    "33,16,true,20",
    "33,16,false,9",
    "40,64,true,40",
    "100,64,true,100",
    "31,33,false,31",
    "16,5,true,16"
  })
  void forwardAndBackwardMatchTheDefinition(int steps, int headDim, boolean causal, int validKeys) {
    Random r = new Random(steps * 100 + headDim + (causal ? 7 : 0));
    int batch = 3, heads = 2, dModel = heads * headDim, qkvWidth = 3 * dModel;
    int b = 1, h = 1;
    float scale = (float) (1 / Math.sqrt(headDim));
    float[] q = random(r, steps * batch * qkvWidth);
    float[] g = random(r, steps * batch * dModel);
    int qkvStride = batch * qkvWidth, contextStride = batch * dModel;
    int qOff = b * qkvWidth + h * headDim, kOff = qOff + dModel, vOff = qOff + 2 * dModel;
    int cOff = b * dModel + h * headDim;

    // The definition, in double, over the full square.
    double[][] p = new double[steps][steps];
    double[][] context = new double[steps][headDim];
    for (int t = 0; t < steps; t++) {
      int keys = causal ? Math.min(t + 1, validKeys) : validKeys;
      double max = Double.NEGATIVE_INFINITY;
      double[] s = new double[keys];
      for (int k = 0; k < keys; k++) {
        for (int j = 0; j < headDim; j++)
          s[k] += (double) q[qOff + t * qkvStride + j] * q[kOff + k * qkvStride + j];
        s[k] *= scale;
        max = Math.max(max, s[k]);
      }
      double sum = 0;
      for (int k = 0; k < keys; k++) sum += Math.exp(s[k] - max);
      for (int k = 0; k < keys; k++) p[t][k] = Math.exp(s[k] - max) / sum;
      for (int j = 0; j < headDim; j++) {
        for (int k = 0; k < keys; k++) context[t][j] += p[t][k] * q[vOff + k * qkvStride + j];
      }
    }
    double[][] dQ = new double[steps][headDim],
        dK = new double[steps][headDim],
        dV = new double[steps][headDim];
    for (int t = 0; t < steps; t++) {
      double[] dp = new double[steps];
      double dot = 0;
      for (int k = 0; k < steps; k++) {
        for (int j = 0; j < headDim; j++)
          dp[k] += (double) g[cOff + t * contextStride + j] * q[vOff + k * qkvStride + j];
        dot += dp[k] * p[t][k];
      }
      for (int k = 0; k < steps; k++) {
        double ds = p[t][k] * (dp[k] - dot) * scale;
        for (int j = 0; j < headDim; j++) {
          dV[k][j] += p[t][k] * g[cOff + t * contextStride + j];
          dQ[t][j] += ds * q[kOff + k * qkvStride + j];
          dK[k][j] += ds * q[qOff + t * qkvStride + j];
        }
      }
    }

    AttentionHeads kernels = new AttentionHeads(steps, headDim);
    float[] probs = new float[steps * steps + 3];
    float[] ctx = new float[steps * contextStride];
    float[] dq = new float[q.length];
    // Run twice on the same scratch: what one pair leaves behind must not leak into the next.
    for (int run = 0; run < 2; run++) {
      java.util.Arrays.fill(probs, 0f);
      java.util.Arrays.fill(ctx, 0f);
      java.util.Arrays.fill(dq, 0f);
      kernels.forward(
          q,
          qOff,
          kOff,
          vOff,
          qkvStride,
          probs,
          3,
          ctx,
          cOff,
          contextStride,
          causal,
          validKeys,
          scale);
      kernels.backward(
          q,
          qOff,
          kOff,
          vOff,
          qkvStride,
          probs,
          3,
          g,
          cOff,
          contextStride,
          dq,
          causal,
          validKeys,
          scale);
    }
    double tol = 2e-5 * (1 + Math.sqrt(steps));
    for (int t = 0; t < steps; t++) {
      for (int k = 0; k < steps; k++)
        assertEquals(p[t][k], probs[3 + t * steps + k], 1e-6, "P[" + t + "," + k + "]");
      for (int j = 0; j < headDim; j++) {
        assertEquals(
            context[t][j], ctx[cOff + t * contextStride + j], tol, "C[" + t + "," + j + "]");
        assertEquals(dQ[t][j], dq[qOff + t * qkvStride + j], tol, "dQ[" + t + "," + j + "]");
        assertEquals(dK[t][j], dq[kOff + t * qkvStride + j], tol, "dK[" + t + "," + j + "]");
        assertEquals(dV[t][j], dq[vOff + t * qkvStride + j], tol, "dV[" + t + "," + j + "]");
      }
    }
    // Nothing outside this pair's columns was touched.
    for (int t = 0; t < steps; t++) {
      for (int col = 0; col < qkvWidth * batch; col++) {
        int at = t * qkvStride + col;
        boolean mine =
            col >= qOff && col < qOff + headDim
                || col >= kOff && col < kOff + headDim
                || col >= vOff && col < vOff + headDim;
        if (!mine) assertEquals(0f, dq[at], 0f, "dq outside the pair at " + at);
      }
    }
    for (int i = 0; i < 3; i++) assertEquals(0f, probs[i], 0f);
  }

  private static float[] random(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
    return x;
  }
}
