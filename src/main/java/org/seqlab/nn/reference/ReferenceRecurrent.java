package org.seqlab.nn.reference;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleConsumer;
import org.seqlab.nn.RecurrentKind;

/**
 * A multi-layer RNN, LSTM or GRU in double precision, written as a plain composition of {@link
 * Graph} operations: the definition of what the fast layers compute, and the engine of the
 * gradient-flow probes.
 *
 * <p>Parameters have PyTorch's names and layout: for layer {@code k}, {@code weight_ih_lk [G*H,
 * I_k]}, {@code weight_hh_lk [G*H, H]}, {@code bias_ih_lk [G*H]}, {@code bias_hh_lk [G*H]}, where
 * {@code G} is the gate count and {@code I_0 = I}, {@code I_k = H} above. The step equations are
 * PyTorch's:
 *
 * <pre>
 * RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                   act = tanh or relu
 * LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh), split in 4 blocks of H
 *       c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
 * GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *       n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
 * </pre>
 */
public final class ReferenceRecurrent {
  private final RecurrentKind kind;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final Map<String, double[]> parameters = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();

  /** A model with every parameter zero; fill them through {@link #parameter(String)}. */
  public ReferenceRecurrent(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers) {
    if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
      throw new IllegalArgumentException(
          "sizes must be positive: input "
              + inputSize
              + ", hidden "
              + hiddenSize
              + ", layers "
              + numLayers);
    }
    this.kind = kind;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    int rows = kind.gateCount() * hiddenSize;
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : hiddenSize;
      declare("weight_ih_l" + k, rows, in);
      declare("weight_hh_l" + k, rows, hiddenSize);
      declare("bias_ih_l" + k, rows);
      declare("bias_hh_l" + k, rows);
    }
  }

  private void declare(String name, int... shape) {
    long size = 1;
    for (int d : shape) size *= d;
    parameters.put(name, new double[Math.toIntExact(size)]);
    shapes.put(name, shape);
  }

  public RecurrentKind kind() {
    return kind;
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int numLayers() {
    return numLayers;
  }

  /** The parameter arrays by PyTorch name, in {@code state_dict} order (live, not copies). */
  public Map<String, double[]> parameters() {
    return parameters;
  }

  /** The live array of one parameter. */
  public double[] parameter(String name) {
    double[] p = parameters.get(name);
    if (p == null)
      throw new IllegalArgumentException(
          "no parameter '" + name + "'; have " + parameters.keySet());
    return p;
  }

  public int[] shape(String name) {
    return shapes.get(name).clone();
  }

  /**
   * The graph of one run and the handles to everything in it.
   *
   * @param hidden {@code hidden[k][t]}: the hidden state {@code [B, H]} of layer k after step t
   * @param cell {@code cell[k][t]}: the LSTM cell state after step t (null for other kinds)
   * @param parameters the parameter leaves by name; their gradients fill on backward
   * @param inputs the input leaves, one {@code [B, I]} per step
   * @param h0 initial hidden state leaves, one {@code [B, H]} per layer
   * @param c0 initial cell state leaves (LSTM), one per layer, else null
   */
  public record Unrolled(
      Graph graph,
      Var[][] hidden,
      Var[][] cell,
      Map<String, Var> parameters,
      Var[] inputs,
      Var[] h0,
      Var[] c0) {

    public int steps() {
      return inputs.length;
    }

    /** The last layer's hidden state after step {@code t}: the model's output at {@code t}. */
    public Var output(int t) {
      return hidden[hidden.length - 1][t];
    }

    /**
     * Builds the loss {@code L = Σ_t Σ output_t ⊙ dOutput_t + Σ_k Σ h_n[k] ⊙ dhN[k] + Σ_k Σ c_n[k]
     * ⊙ dcN[k]}, whose gradients with respect to the outputs and final states are exactly the given
     * upstream gradients, and back-propagates it. Null arrays mean zero. Returns L.
     *
     * @param dOutput {@code [T, B, H]} flattened
     * @param dhN {@code [L, B, H]} flattened
     * @param dcN {@code [L, B, H]} flattened (LSTM only)
     */
    public double backward(double[] dOutput, double[] dhN, double[] dcN) {
      return backward(dOutput, dhN, dcN, null);
    }

    /** As {@link #backward(double[], double[], double[])}, reporting the fraction done. */
    public double backward(double[] dOutput, double[] dhN, double[] dcN, DoubleConsumer progress) {
      int steps = steps();
      int perStep = output(0).value.length;
      Var loss = graph.leaf(new double[1], 1, 1);
      if (dOutput != null) {
        for (int t = 0; t < steps; t++) {
          loss = graph.add(loss, graph.weightedSum(output(t), slice(dOutput, t, perStep)));
        }
      }
      for (int k = 0; k < hidden.length; k++) {
        if (dhN != null)
          loss = graph.add(loss, graph.weightedSum(hidden[k][steps - 1], slice(dhN, k, perStep)));
        if (dcN != null)
          loss = graph.add(loss, graph.weightedSum(cell[k][steps - 1], slice(dcN, k, perStep)));
      }
      graph.backward(loss, progress);
      return loss.value[0];
    }

    private static double[] slice(double[] a, int index, int length) {
      double[] s = new double[length];
      System.arraycopy(a, index * length, s, 0, length);
      return s;
    }
  }

  /**
   * Unrolls the model over {@code input} ({@code [T, B, I]} flattened, time-major) from {@code h0}
   * and {@code c0} ({@code [L, B, H]} flattened; null means zeros).
   */
  public Unrolled unroll(double[] input, int steps, int batch, double[] h0, double[] c0) {
    return unroll(input, steps, batch, h0, c0, null);
  }

  /**
   * As {@link #unroll(double[], int, int, double[], double[])}, reporting the fraction of steps
   * done.
   */
  public Unrolled unroll(
      double[] input, int steps, int batch, double[] h0, double[] c0, DoubleConsumer progress) {
    if ((long) steps * batch * inputSize != input.length) {
      throw new IllegalArgumentException(
          "input has "
              + input.length
              + " values, expected ["
              + steps
              + ", "
              + batch
              + ", "
              + inputSize
              + "]");
    }
    Graph g = new Graph();
    Map<String, Var> leaves = new LinkedHashMap<>();
    for (var e : parameters.entrySet()) {
      int[] s = shapes.get(e.getKey());
      leaves.put(
          e.getKey(),
          s.length == 2 ? g.leaf(e.getValue(), s[0], s[1]) : g.leaf(e.getValue(), 1, s[0]));
    }
    Var[] inputs = new Var[steps];
    for (int t = 0; t < steps; t++) {
      double[] x = new double[batch * inputSize];
      System.arraycopy(input, t * batch * inputSize, x, 0, x.length);
      inputs[t] = g.leaf(x, batch, inputSize);
    }
    Var[] h0Leaves = initialState(g, h0, batch, "h0");
    Var[] c0Leaves = kind == RecurrentKind.LSTM ? initialState(g, c0, batch, "c0") : null;
    if (kind != RecurrentKind.LSTM && c0 != null)
      throw new IllegalArgumentException("c0 is only for the LSTM");

    Var[][] hidden = new Var[numLayers][steps];
    Var[][] cell = kind == RecurrentKind.LSTM ? new Var[numLayers][steps] : null;
    for (int k = 0; k < numLayers; k++) {
      Var wIh = leaves.get("weight_ih_l" + k), wHh = leaves.get("weight_hh_l" + k);
      Var bIh = leaves.get("bias_ih_l" + k), bHh = leaves.get("bias_hh_l" + k);
      Var h = h0Leaves[k];
      Var c = c0Leaves == null ? null : c0Leaves[k];
      for (int t = 0; t < steps; t++) {
        Var x = k == 0 ? inputs[t] : hidden[k - 1][t];
        Var fromInput = g.addBias(g.matmulTransposed(x, wIh), bIh);
        Var fromHidden = g.addBias(g.matmulTransposed(h, wHh), bHh);
        switch (kind) {
          case RNN_TANH -> h = g.tanh(g.add(fromInput, fromHidden));
          case RNN_RELU -> h = g.relu(g.add(fromInput, fromHidden));
          case LSTM -> {
            Var gates = g.add(fromInput, fromHidden);
            int n = hiddenSize;
            Var i = g.sigmoid(g.columns(gates, 0, n));
            Var f = g.sigmoid(g.columns(gates, n, 2 * n));
            Var cand = g.tanh(g.columns(gates, 2 * n, 3 * n));
            Var o = g.sigmoid(g.columns(gates, 3 * n, 4 * n));
            c = g.add(g.mul(f, c), g.mul(i, cand));
            h = g.mul(o, g.tanh(c));
            cell[k][t] = c;
          }
          case GRU -> {
            int n = hiddenSize;
            Var r = g.sigmoid(g.add(g.columns(fromInput, 0, n), g.columns(fromHidden, 0, n)));
            Var z =
                g.sigmoid(g.add(g.columns(fromInput, n, 2 * n), g.columns(fromHidden, n, 2 * n)));
            Var cand =
                g.tanh(
                    g.add(
                        g.columns(fromInput, 2 * n, 3 * n),
                        g.mul(r, g.columns(fromHidden, 2 * n, 3 * n))));
            h = g.add(g.mul(g.oneMinus(z), cand), g.mul(z, h));
          }
        }
        hidden[k][t] = h;
        if (progress != null)
          progress.accept((k * (double) steps + t + 1) / ((double) numLayers * steps));
      }
    }
    return new Unrolled(g, hidden, cell, leaves, inputs, h0Leaves, c0Leaves);
  }

  private Var[] initialState(Graph g, double[] state, int batch, String name) {
    int perLayer = batch * hiddenSize;
    if (state != null && state.length != numLayers * perLayer) {
      throw new IllegalArgumentException(
          name
              + " has "
              + state.length
              + " values, expected ["
              + numLayers
              + ", "
              + batch
              + ", "
              + hiddenSize
              + "]");
    }
    Var[] leaves = new Var[numLayers];
    for (int k = 0; k < numLayers; k++) {
      double[] v = new double[perLayer];
      if (state != null) System.arraycopy(state, k * perLayer, v, 0, perLayer);
      leaves[k] = g.leaf(v, batch, hiddenSize);
    }
    return leaves;
  }
}
