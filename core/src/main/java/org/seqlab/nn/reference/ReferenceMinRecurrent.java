package org.seqlab.nn.reference;

import java.util.LinkedHashMap;
import java.util.Map;
import org.seqlab.nn.MinRecurrentKind;

/**
 * A stack of minGRU or minLSTM layers in double precision, step after step, with the backward pass
 * written out by hand beside each step: the definition of what {@link org.seqlab.nn.MinRecurrent}
 * computes with its log-space scan. Every formula is the paper's, taken literally:
 *
 * <pre>
 * minGRU   z = σ(k_z),  h̃ = g(k_h),  h' = (1 - z) ⊙ h + z ⊙ h̃
 * minLSTM  f = σ(k_f),  i = σ(k_i),  h̃ = g(k_h),  S = f + i
 *          h' = (f/S) ⊙ h + (i/S) ⊙ h̃
 * g(x) = x + 0.5 (x ≥ 0), σ(x) (x < 0);   k = W_ih x + b_ih, split in G blocks of H
 * </pre>
 *
 * <p>Parameters have the fast layer's names and layouts: for layer {@code k}, {@code weight_ih_lk
 * [G*H, I_k]} and {@code bias_ih_lk [G*H]}, {@code I_0 = I}, {@code I_k = H} above. Arrays are
 * row-major: input {@code [T, B, I]}, output {@code [T, B, H]}, states {@code [L, B, H]}.
 */
public final class ReferenceMinRecurrent {
  private final MinRecurrentKind kind;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final Map<String, double[]> parameters = new LinkedHashMap<>();

  /** A model with every parameter zero; fill them through {@link #parameter}. */
  public ReferenceMinRecurrent(MinRecurrentKind kind, int inputSize, int hiddenSize, int layers) {
    if (inputSize <= 0 || hiddenSize <= 0 || layers <= 0) {
      throw new IllegalArgumentException(
          "sizes must be positive: input " + inputSize + ", hidden " + hiddenSize + ", " + layers);
    }
    this.kind = kind;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = layers;
    int rows = kind.gateCount() * hiddenSize;
    for (int k = 0; k < layers; k++) {
      parameters.put("weight_ih_l" + k, new double[rows * layerInputSize(k)]);
      parameters.put("bias_ih_l" + k, new double[rows]);
    }
  }

  private int layerInputSize(int k) {
    return k == 0 ? inputSize : hiddenSize;
  }

  /** The parameter arrays by name, in {@code state_dict} order (live, not copies). */
  public Map<String, double[]> parameters() {
    return parameters;
  }

  /** The live array of one parameter. */
  public double[] parameter(String name) {
    double[] p = parameters.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "no parameter '" + name + "'; have " + parameters.keySet());
    }
    return p;
  }

  /**
   * Gradients of {@code L = Σ output ⊙ dOutput + Σ hN ⊙ dhN}.
   *
   * @param parameters by name, shaped as the parameters
   * @param input {@code [T, B, I]}
   * @param h0 {@code [L, B, H]}
   * @param hidden the total {@code dL/dh_t} of every layer, {@code [L, T, B, H]}
   */
  public record Gradients(
      Map<String, double[]> parameters, double[] input, double[] h0, double[] hidden) {}

  /** One forward pass; {@link #backward} runs its reverse. */
  public final class Run {
    private final int steps;
    private final int batch;

    /** Per layer: its input {@code [T, B, I_k]}. */
    private final double[][] inputs;

    /** Per layer: pre-activations {@code [T, B, G*H]}. */
    private final double[][] preActivations;

    /** Per layer: {@code [T+1, B, H]}, h0 first. */
    private final double[][] states;

    private Run(double[] input, int steps, int batch, double[] h0) {
      this.steps = steps;
      this.batch = batch;
      int h = hiddenSize, g = kind.gateCount() * h, block = batch * h;
      inputs = new double[numLayers][];
      preActivations = new double[numLayers][];
      states = new double[numLayers][];
      double[] x = input;
      for (int k = 0; k < numLayers; k++) {
        int in = layerInputSize(k);
        double[] w = parameter("weight_ih_l" + k), bias = parameter("bias_ih_l" + k);
        double[] pre = new double[steps * batch * g];
        double[] s = new double[(steps + 1) * block];
        if (h0 != null) System.arraycopy(h0, k * block, s, 0, block);
        for (int t = 0; t < steps; t++) {
          for (int b = 0; b < batch; b++) {
            int row = (t * batch + b) * g;
            for (int r = 0; r < g; r++) {
              double sum = bias[r];
              for (int p = 0; p < in; p++) sum += w[r * in + p] * x[(t * batch + b) * in + p];
              pre[row + r] = sum;
            }
            for (int j = 0; j < h; j++) {
              double previous = s[t * block + b * h + j];
              s[(t + 1) * block + b * h + j] = cell(pre, row, j, previous);
            }
          }
        }
        inputs[k] = x;
        preActivations[k] = pre;
        states[k] = s;
        x = java.util.Arrays.copyOfRange(s, block, s.length);
      }
    }

    private double cell(double[] pre, int row, int j, double previous) {
      int h = hiddenSize;
      if (kind == MinRecurrentKind.MIN_GRU) {
        double z = sigmoid(pre[row + j]), candidate = g(pre[row + h + j]);
        return (1 - z) * previous + z * candidate;
      }
      double f = sigmoid(pre[row + j]), i = sigmoid(pre[row + h + j]);
      double candidate = g(pre[row + 2 * h + j]);
      return f / (f + i) * previous + i / (f + i) * candidate;
    }

    /** The last layer's output {@code [T, B, H]}. */
    public double[] output() {
      double[] s = states[numLayers - 1];
      int block = batch * hiddenSize;
      return java.util.Arrays.copyOfRange(s, block, s.length);
    }

    /** The final states {@code [L, B, H]}. */
    public double[] hN() {
      int block = batch * hiddenSize;
      double[] out = new double[numLayers * block];
      for (int k = 0; k < numLayers; k++) {
        System.arraycopy(states[k], steps * block, out, k * block, block);
      }
      return out;
    }

    /** {@code L = Σ output ⊙ dOutput + Σ hN ⊙ dhN}; null arrays count as zero. */
    public double loss(double[] dOutput, double[] dhN) {
      double loss = 0;
      if (dOutput != null) loss += dot(output(), dOutput);
      if (dhN != null) loss += dot(hN(), dhN);
      return loss;
    }

    /** The gradients of {@link #loss}, step by step back through every layer. */
    public Gradients backward(double[] dOutput, double[] dhN) {
      int h = hiddenSize, g = kind.gateCount() * h, block = batch * h;
      Map<String, double[]> grads = new LinkedHashMap<>();
      for (Map.Entry<String, double[]> p : parameters.entrySet()) {
        grads.put(p.getKey(), new double[p.getValue().length]);
      }
      double[] dh0 = new double[numLayers * block];
      double[] hidden = new double[numLayers * steps * block];
      double[] dy = dOutput == null ? new double[steps * block] : dOutput.clone();
      double[] dInput = null;
      for (int k = numLayers - 1; k >= 0; k--) {
        int in = layerInputSize(k);
        double[] w = parameter("weight_ih_l" + k);
        double[] dw = grads.get("weight_ih_l" + k), db = grads.get("bias_ih_l" + k);
        double[] pre = preActivations[k], s = states[k], x = inputs[k];
        double[] dx = new double[steps * batch * in];
        double[] carry = new double[block];
        if (dhN != null) System.arraycopy(dhN, k * block, carry, 0, block);
        double[] dk = new double[g];
        for (int t = steps - 1; t >= 0; t--) {
          for (int b = 0; b < batch; b++) {
            int row = (t * batch + b) * g;
            for (int j = 0; j < h; j++) {
              int c = b * h + j;
              double dh = dy[t * block + c] + carry[c];
              hidden[(k * steps + t) * block + c] = dh;
              carry[c] = cellBackward(pre, row, j, s[t * block + c], dh, dk);
            }
            for (int r = 0; r < g; r++) {
              db[r] += dk[r];
              for (int p = 0; p < in; p++) {
                dw[r * in + p] += dk[r] * x[(t * batch + b) * in + p];
                dx[(t * batch + b) * in + p] += w[r * in + p] * dk[r];
              }
            }
          }
        }
        System.arraycopy(carry, 0, dh0, k * block, block);
        dy = dx;
        dInput = dx;
      }
      return new Gradients(grads, dInput, dh0, hidden);
    }

    /**
     * The reverse of {@link #cell} for unit {@code j}: writes {@code dL/dk} of the unit into the
     * gate blocks of {@code dk [G*H]} and returns {@code dL/dh_{t-1}}.
     */
    private double cellBackward(
        double[] pre, int row, int j, double previous, double dh, double[] dk) {
      int h = hiddenSize;
      if (kind == MinRecurrentKind.MIN_GRU) {
        double kz = pre[row + j], kh = pre[row + h + j];
        double z = sigmoid(kz), candidate = g(kh);
        dk[j] = dh * (candidate - previous) * z * (1 - z);
        dk[h + j] = dh * z * gSlope(kh);
        return dh * (1 - z);
      }
      double kf = pre[row + j], ki = pre[row + h + j], kh = pre[row + 2 * h + j];
      double f = sigmoid(kf), i = sigmoid(ki), candidate = g(kh), sum = f + i;
      double dForget = dh * previous, dInputGate = dh * candidate; // dL/d(f/S), dL/d(i/S)
      double df = (dForget * i - dInputGate * i) / (sum * sum);
      double di = (-dForget * f + dInputGate * f) / (sum * sum);
      dk[j] = df * f * (1 - f);
      dk[h + j] = di * i * (1 - i);
      dk[2 * h + j] = dh * i / sum * gSlope(kh);
      return dh * f / sum;
    }
  }

  /** Runs the stack over {@code input [T, B, I]} from {@code h0 [L, B, H]} (null: zeros). */
  public Run run(double[] input, int steps, int batch, double[] h0) {
    if (input.length != steps * batch * inputSize) {
      throw new IllegalArgumentException("input has " + input.length + " values, expected T*B*I");
    }
    if (h0 != null && h0.length != numLayers * batch * hiddenSize) {
      throw new IllegalArgumentException("h0 has " + h0.length + " values, expected L*B*H");
    }
    return new Run(input, steps, batch, h0);
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  static double g(double x) {
    return x >= 0 ? x + 0.5 : sigmoid(x);
  }

  static double gSlope(double x) {
    return x >= 0 ? 1 : sigmoid(x) * (1 - sigmoid(x));
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
