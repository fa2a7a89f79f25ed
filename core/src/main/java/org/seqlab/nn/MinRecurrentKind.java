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
 * {@code 1 - z} so that a small {@code a} keeps its digits; the minLSTM's from three vector
 * exponentials whose arguments are at most 0, which stay exact where {@code f} and {@code i} are
 * both far below float's range (the double reference: {@code f' = σ(u)}, {@code u = log f - log i =
 * log σ(k_f) - log σ(k_i)}).
 *
 * <p>The unit methods ({@link #decay}, {@link #input}, {@link #gateGradients}) read one unit {@code
 * j} of one row of a pre-activation array laid out {@code [rows, G*H]}, the row starting at {@code
 * row}, in double: the reference the row methods in float vectors are tested against.
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

    /**
     * {@code a = f'} and {@code b = i' g(k_h)} for whole rows in float vectors, without the
     * logarithms: {@code f' = f / (f + i) = (1 + e^-k_i) / ((1 + e^-k_i) + (1 + e^-k_f))}, both
     * sums multiplied by {@code e^m}, {@code m = min(k_f, k_i, 0)}, so that every exponent is at
     * most 0 (nothing overflows) and one of the three terms is exactly 1 (the sum of all never
     * underflows, however far below float's range f and i are). Each sum adds positive terms, so
     * {@code f'} and {@code i'} are each a ratio of sums without cancellation, a few units in the
     * last place from the exact value; {@code i'} is computed as its own ratio, not {@code 1 - f'},
     * so that a small {@code i'} keeps its digits. Unit by unit in double through logarithms
     * ({@link #decay}, {@link #input}, the reference) it was 70% of a training step.
     */
    @Override
    void coefficients(float[] p, int from, int to, int h, float[] decay, float[] input) {
      LstmRatios ratios = new LstmRatios(h);
      for (int r = from; r < to; r++) {
        int row = r * 3 * h, out = r * h;
        ratios.compute(p, row, h);
        System.arraycopy(ratios.forget, 0, decay, out, h);
        if (input == null) continue;
        // b = i' g(k_h), g chosen lane by lane (a branch on the sign of k_h mispredicts)
        Elementwise.sigmoid(p, row + 2 * h, ratios.scratch, 0, h);
        int j = 0;
        for (; j < ROWS.loopBound(h); j += ROWS.length()) {
          FloatVector kh = FloatVector.fromArray(ROWS, p, row + 2 * h + j);
          FloatVector candidate =
              FloatVector.fromArray(ROWS, ratios.scratch, j)
                  .blend(kh.add(0.5f), kh.compare(VectorOperators.GE, 0f));
          FloatVector.fromArray(ROWS, ratios.input, j).mul(candidate).intoArray(input, out + j);
        }
        for (; j < h; j++) {
          float kh = p[row + 2 * h + j];
          input[out + j] = ratios.input[j] * (kh >= 0 ? kh + 0.5f : ratios.scratch[j]);
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

    /**
     * {@link #gateGradients} for whole rows in float vectors: {@code s = f'} and {@code 1 - s = i'}
     * as in {@link #coefficients}, {@code d log σ(k)/dk = σ(-k)} by {@link Elementwise#sigmoid},
     * then {@code du = dh (h_prev - h̃) s (1 - s)}, {@code dk_f = du σ(-k_f)}, {@code dk_i = -du
     * σ(-k_i)}, {@code dk_h = dh (1 - s) g'(k_h)}.
     */
    @Override
    void gateGradientsRows(
        float[] p, int from, int to, int h, float[] g, float[] hPrev, float[] dp) {
      LstmRatios ratios = new LstmRatios(h);
      float[] notF = new float[h], notI = new float[h], negated = new float[h];
      int lanes = ROWS.length(), whole = ROWS.loopBound(h);
      FloatVector one = FloatVector.broadcast(ROWS, 1f), half = FloatVector.broadcast(ROWS, 0.5f);
      for (int r = from; r < to; r++) {
        int row = r * 3 * h, at = r * h;
        ratios.compute(p, row, h);
        for (int j = 0; j < h; j++) negated[j] = -p[row + j];
        Elementwise.sigmoid(negated, 0, notF, 0, h);
        for (int j = 0; j < h; j++) negated[j] = -p[row + h + j];
        Elementwise.sigmoid(negated, 0, notI, 0, h);
        float[] sig = ratios.scratch;
        Elementwise.sigmoid(p, row + 2 * h, sig, 0, h);
        int j = 0;
        for (; j < whole; j += lanes) {
          FloatVector s = FloatVector.fromArray(ROWS, ratios.forget, j);
          FloatVector notS = FloatVector.fromArray(ROWS, ratios.input, j);
          FloatVector sj = FloatVector.fromArray(ROWS, sig, j);
          FloatVector kh = FloatVector.fromArray(ROWS, p, row + 2 * h + j);
          FloatVector dh = FloatVector.fromArray(ROWS, g, at + j);
          VectorMask<Float> linear = kh.compare(VectorOperators.GE, 0f);
          FloatVector candidate = sj.blend(kh.add(half), linear);
          FloatVector slope = sj.mul(one.sub(sj)).blend(one, linear);
          FloatVector du =
              dh.mul(FloatVector.fromArray(ROWS, hPrev, at + j).sub(candidate)).mul(s).mul(notS);
          du.mul(FloatVector.fromArray(ROWS, notF, j)).intoArray(dp, row + j);
          du.neg().mul(FloatVector.fromArray(ROWS, notI, j)).intoArray(dp, row + h + j);
          dh.mul(notS).mul(slope).intoArray(dp, row + 2 * h + j);
        }
        for (; j < h; j++) {
          float kh = p[row + 2 * h + j], sh = sig[j], sf = ratios.forget[j];
          float notSf = ratios.input[j];
          float candidate = kh >= 0 ? kh + 0.5f : sh;
          float slope = kh >= 0 ? 1f : sh * (1 - sh);
          float du = g[at + j] * (hPrev[at + j] - candidate) * sf * notSf;
          dp[row + j] = du * notF[j];
          dp[row + h + j] = -du * notI[j];
          dp[row + 2 * h + j] = g[at + j] * notSf * slope;
        }
      }
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

  /**
   * The minLSTM's normalised gates of one row in float, {@code f' = f / (f + i)} and {@code i' = i
   * / (f + i)}, from three exponentials of arguments at most 0 (the minLSTM's {@code coefficients}
   * derives them), with scratch arrays of {@code H} floats kept from row to row.
   */
  private static final class LstmRatios {
    final float[] forget, input, scratch;
    private final float[] shift, ofInput, ofForget, inputError, forgetError;

    LstmRatios(int h) {
      forget = new float[h];
      input = new float[h];
      scratch = new float[h];
      shift = new float[h];
      ofInput = new float[h];
      ofForget = new float[h];
      inputError = new float[h];
      forgetError = new float[h];
    }

    /** {@link #forget} and {@link #input} of the row of {@code p [rows, 3H]} at {@code row}. */
    void compute(float[] p, int row, int h) {
      // m = min(k_f, k_i, 0); the arguments m - k_i and m - k_f. k = ±∞ is taken as the largest
      // float of its sign, so that m - k is 0 there and not ∞ - ∞, and e^(m - k) still 0 or 1.
      // A difference such as k_f - k_i = -50.3 is rounded to float's 4e-6 there, which e^x
      // would turn into a relative error of 4e-6: the rounding error of each difference is kept
      // (exactly, by Knuth's two-sum) and applied after the exponential, e^(d + δ) ≈ e^d (1 + δ).
      for (int j = 0; j < h; j++) {
        float kf = Math.clamp(p[row + j], -Float.MAX_VALUE, Float.MAX_VALUE);
        float ki = Math.clamp(p[row + h + j], -Float.MAX_VALUE, Float.MAX_VALUE);
        float m = Math.min(Math.min(kf, ki), 0f);
        shift[j] = m;
        ofInput[j] = m - ki;
        inputError[j] = roundingError(m, ki, ofInput[j]);
        ofForget[j] = m - kf;
        forgetError[j] = roundingError(m, kf, ofForget[j]);
      }
      Elementwise.exp(shift, 0, shift, 0, h);
      Elementwise.exp(ofInput, 0, ofInput, 0, h);
      Elementwise.exp(ofForget, 0, ofForget, 0, h);
      // e^m (1 + e^-k_i) and e^m (1 + e^-k_f): f' = the first over their sum, i' = the second.
      for (int j = 0; j < h; j++) {
        float ofI = ofInput[j] + ofInput[j] * inputError[j];
        float ofF = ofForget[j] + ofForget[j] * forgetError[j];
        float forgetSide = shift[j] + ofI, inputSide = shift[j] + ofF;
        float sum = forgetSide + inputSide;
        forget[j] = forgetSide / sum;
        input[j] = inputSide / sum;
      }
    }
  }

  /**
   * {@code (m - k) - d}, exactly, for {@code d} the float nearest {@code m - k} (Knuth's two-sum);
   * 0 where {@code d} overflowed, whose exponential is 0 then anyway.
   */
  private static float roundingError(float m, float k, float d) {
    float z = d - m;
    float error = (m - (d - z)) + (-k - z);
    return Float.isFinite(error) ? error : 0f;
  }

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
