package org.seqlab.nn;

import java.util.Arrays;
import java.util.stream.Collectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.tensor.Elementwise;

/**
 * The minimal recurrent cells of Feng et al. 2024 ("Were RNNs All We Needed?"), whose gates read
 * the input only, so that every step is the linear recurrence
 *
 * <pre>
 *   h_t = a_t ⊙ h_{t-1} + b_t          a_t ∈ (0, 1), b_t > 0, both from x_t alone
 * </pre>
 *
 * with, from the pre-activations {@code k = W_ih x_t + b_ih} split into {@code G} blocks of {@code
 * H}:
 *
 * <pre>
 *   MIN_GRU  (z, h̃):     z = σ(k_z),  h̃ = g(k_h),  a = 1 - z,  b = z ⊙ h̃
 *   MIN_LSTM (f, i, h̃):  f = σ(k_f),  i = σ(k_i),  h̃ = g(k_h),
 *                        a = f' = f / (f + i),  b = i' ⊙ h̃,  i' = i / (f + i) = 1 - f'
 *   g(x) = x + 0.5 (x ≥ 0),  σ(x) (x < 0)          continuous, increasing, always > 0
 * </pre>
 *
 * <p>The scan ({@link ChunkedScan}) takes {@code a} and {@code b} of whole rows at once in float
 * ({@link #coefficients}): the minGRU's from vector sigmoids, {@code a = σ(-k_z)} rather than
 * {@code 1 - z} so that a small {@code a} keeps its digits; the minLSTM's in double through {@code
 * f' = σ(u)}, {@code u = log f - log i = log σ(k_f) - log σ(k_i)}, which stays exact where {@code
 * f} and {@code i} are both far below float's range.
 *
 * <p>Every method reads one unit {@code j} of one row of a pre-activation array laid out {@code
 * [rows, G*H]}, the row starting at {@code row}; the arithmetic is in double.
 */
public enum MinRecurrentKind {
  MIN_GRU("min_gru", 2) {
    @Override
    double decay(float[] p, int row, int j, int h) {
      return sigmoid(-(double) p[row + j]);
    }

    @Override
    void coefficients(float[] p, int from, int to, int h, float[] decay, float[] input) {
      float[] scratch = new float[h];
      for (int r = from; r < to; r++) {
        int row = r * 2 * h, out = r * h;
        // b = σ(k_z) g(k_h), a = σ(-k_z) (not 1 - z, which loses a's digits as z nears 1)
        for (int j = 0; j < h; j++) decay[out + j] = -p[row + j];
        Elementwise.sigmoid(decay, out, decay, out, h);
        if (input == null) continue;
        Elementwise.sigmoid(p, row, input, out, h);
        Elementwise.sigmoid(p, row + h, scratch, 0, h);
        // g(k_h) lane by lane: a branch per unit on the sign of k_h mispredicts half the time
        int j = 0;
        for (; j < ROWS.loopBound(h); j += ROWS.length()) {
          FloatVector kh = FloatVector.fromArray(ROWS, p, row + h + j);
          FloatVector candidate =
              FloatVector.fromArray(ROWS, scratch, j)
                  .blend(kh.add(0.5f), kh.compare(VectorOperators.GE, 0f));
          FloatVector.fromArray(ROWS, input, out + j).mul(candidate).intoArray(input, out + j);
        }
        for (; j < h; j++) {
          float kh = p[row + h + j];
          input[out + j] *= kh >= 0 ? kh + 0.5f : scratch[j];
        }
      }
    }

    @Override
    double input(float[] p, int row, int j, int h) {
      return sigmoid(p[row + j]) * candidate(p[row + h + j]);
    }

    @Override
    void gateGradients(float[] p, int row, int j, int h, double dh, double hPrev, float[] dp) {
      double kz = p[row + j], kh = p[row + h + j];
      double z = sigmoid(kz), candidate = candidate(kh);
      // h = (1 - z) h_prev + z h̃
      dp[row + j] = (float) (dh * (candidate - hPrev) * z * (1 - z));
      dp[row + h + j] = (float) (dh * z * candidateSlope(kh));
    }

    /**
     * {@link #gateGradients} for whole rows in float vectors: the sigmoids of a row by {@link
     * Elementwise#sigmoid}, then {@code dk_z = dh (h̃ - h_prev) z (1 - z)} and {@code dk_h = dh z
     * g'(k_h)}, the branch of {@code g} chosen lane by lane. The backward pass's elementwise part
     * was a sixth of a training step unit by unit in double; float keeps the float32 gradient's
     * digits (the tests hold it to the double reference at 2e-6).
     */
    @Override
    void gateGradientsRows(
        float[] p, int from, int to, int h, float[] g, float[] hPrev, float[] dp) {
      float[] z = new float[h], sig = new float[h];
      int lanes = ROWS.length(), whole = ROWS.loopBound(h);
      FloatVector one = FloatVector.broadcast(ROWS, 1f), half = FloatVector.broadcast(ROWS, 0.5f);
      for (int r = from; r < to; r++) {
        int row = r * 2 * h, at = r * h;
        Elementwise.sigmoid(p, row, z, 0, h);
        Elementwise.sigmoid(p, row + h, sig, 0, h);
        int j = 0;
        for (; j < whole; j += lanes) {
          FloatVector zj = FloatVector.fromArray(ROWS, z, j);
          FloatVector sj = FloatVector.fromArray(ROWS, sig, j);
          FloatVector kh = FloatVector.fromArray(ROWS, p, row + h + j);
          FloatVector dh = FloatVector.fromArray(ROWS, g, at + j);
          VectorMask<Float> linear = kh.compare(VectorOperators.GE, 0f);
          FloatVector candidate = sj.blend(kh.add(half), linear);
          FloatVector slope = sj.mul(one.sub(sj)).blend(one, linear);
          FloatVector dz = dh.mul(zj);
          dz.mul(candidate.sub(FloatVector.fromArray(ROWS, hPrev, at + j)))
              .mul(one.sub(zj))
              .intoArray(dp, row + j);
          dz.mul(slope).intoArray(dp, row + h + j);
        }
        for (; j < h; j++) {
          float kh = p[row + h + j], s = sig[j], zj = z[j];
          float candidate = kh >= 0 ? kh + 0.5f : s;
          float slope = kh >= 0 ? 1f : s * (1 - s);
          float dz = g[at + j] * zj;
          dp[row + j] = dz * (candidate - hPrev[at + j]) * (1 - zj);
          dp[row + h + j] = dz * slope;
        }
      }
    }

    @Override
    void activations(float[] p, int row, int h, float[] out, int outRow) {
      for (int j = 0; j < h; j++) {
        out[outRow + j] = (float) sigmoid(p[row + j]);
        out[outRow + h + j] = (float) candidate(p[row + h + j]);
      }
    }
  },

  MIN_LSTM("min_lstm", 3) {
    @Override
    double decay(float[] p, int row, int j, int h) {
      return sigmoid(normalizedForgetLogit(p, row, j, h));
    }

    @Override
    void coefficients(float[] p, int from, int to, int h, float[] decay, float[] input) {
      // In double, through u = log f - log i: f and i may both be far below float's range.
      for (int r = from; r < to; r++) {
        int row = r * 3 * h, out = r * h;
        for (int j = 0; j < h; j++) {
          decay[out + j] = (float) decay(p, row, j, h);
          if (input != null) input[out + j] = (float) input(p, row, j, h);
        }
      }
    }

    @Override
    double input(float[] p, int row, int j, int h) {
      return sigmoid(-normalizedForgetLogit(p, row, j, h)) * candidate(p[row + 2 * h + j]);
    }

    @Override
    void gateGradients(float[] p, int row, int j, int h, double dh, double hPrev, float[] dp) {
      double kf = p[row + j], ki = p[row + h + j], kh = p[row + 2 * h + j];
      double s = sigmoid(logSigmoid(kf) - logSigmoid(ki)), candidate = candidate(kh);
      // h = s h_prev + (1 - s) h̃, s = σ(u), u = log σ(k_f) - log σ(k_i),
      // d log σ(k)/dk = 1 - σ(k)
      double du = dh * (hPrev - candidate) * s * (1 - s);
      dp[row + j] = (float) (du * (1 - sigmoid(kf)));
      dp[row + h + j] = (float) (-du * (1 - sigmoid(ki)));
      dp[row + 2 * h + j] = (float) (dh * (1 - s) * candidateSlope(kh));
    }

    @Override
    void activations(float[] p, int row, int h, float[] out, int outRow) {
      for (int j = 0; j < h; j++) {
        out[outRow + j] = (float) sigmoid(p[row + j]);
        out[outRow + h + j] = (float) sigmoid(p[row + h + j]);
        out[outRow + 2 * h + j] = (float) candidate(p[row + 2 * h + j]);
      }
    }
  };

  private final String metadataName;
  private final int gateCount;

  MinRecurrentKind(String metadataName, int gateCount) {
    this.metadataName = metadataName;
    this.gateCount = gateCount;
  }

  public String metadataName() {
    return metadataName;
  }

  /** {@code G}, the gate blocks per weight matrix: 2 (minGRU: z, h̃), 3 (minLSTM: f, i, h̃). */
  public int gateCount() {
    return gateCount;
  }

  public static MinRecurrentKind fromMetadataName(String name) {
    for (MinRecurrentKind k : values()) {
      if (k.metadataName.equals(name)) return k;
    }
    throw new IllegalArgumentException(
        "unknown model '"
            + name
            + "'; allowed: "
            + Arrays.stream(values())
                .map(MinRecurrentKind::metadataName)
                .collect(Collectors.joining(", ")));
  }

  /**
   * {@code a} and {@code b} of every unit of rows {@code [from, to)} of {@code p [rows, G*H]}, in
   * float: {@code decay[r*H + j] = a}, {@code input[r*H + j] = b}; only {@code a} where {@code
   * input} is null (the backward pass needs no {@code b}).
   */
  abstract void coefficients(float[] p, int from, int to, int h, float[] decay, float[] input);

  /** {@code a} of unit {@code j}: the weight of {@code h_{t-1}}. */
  abstract double decay(float[] p, int row, int j, int h);

  /** {@code b} of unit {@code j}: what the step adds. */
  abstract double input(float[] p, int row, int j, int h);

  /**
   * From {@code dh = dL/dh_t} and {@code h_{t-1}}, writes {@code dL/dk} of unit {@code j} of every
   * gate block into {@code dp}, laid out as {@code p}.
   */
  abstract void gateGradients(
      float[] p, int row, int j, int h, double dh, double hPrev, float[] dp);

  /**
   * {@link #gateGradients} of every unit of rows {@code [from, to)}: {@code dh} from {@code g[r*H +
   * j]}, {@code h_{t-1}} from {@code hPrev[r*H + j]}. Unit by unit unless a kind does better.
   */
  void gateGradientsRows(float[] p, int from, int to, int h, float[] g, float[] hPrev, float[] dp) {
    for (int r = from; r < to; r++) {
      for (int j = 0; j < h; j++) {
        gateGradients(p, r * gateCount * h, j, h, g[r * h + j], hPrev[r * h + j], dp);
      }
    }
  }

  /** The vectors {@link #gateGradientsRows} works in, where a kind does it in vectors. */
  private static final VectorSpecies<Float> ROWS = FloatVector.SPECIES_PREFERRED;

  /** The post-activation gates of a row, {@code [G*H]}: {@code z, h̃} or {@code f, i, h̃}. */
  abstract void activations(float[] p, int row, int h, float[] out, int outRow);

  /** {@code u = log f - log i}, so that {@code f' = f / (f + i) = σ(u)}. */
  private static double normalizedForgetLogit(float[] p, int row, int j, int h) {
    return logSigmoid(p[row + j]) - logSigmoid(p[row + h + j]);
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** {@code log σ(x) = -softplus(-x)}, without overflow for either sign. */
  static double logSigmoid(double x) {
    return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
  }

  /** {@code g(x)}: {@code x + 0.5} for {@code x ≥ 0}, {@code σ(x)} below; always positive. */
  static double candidate(double x) {
    return x >= 0 ? x + 0.5 : sigmoid(x);
  }

  /** {@code g'(x)}: 1 for {@code x ≥ 0}, {@code σ(x)(1 - σ(x))} below. */
  static double candidateSlope(double x) {
    if (x >= 0) return 1;
    double s = sigmoid(x);
    return s * (1 - s);
  }
}
