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
 * I_k]}, {@code weight_hh_lk [G*H, H]}, {@code bias_ih_lk [G*H]}, {@code bias_hh_lk [G*H]}, and for
 * a bidirectional model the same four with the suffix {@code _reverse} right after them, where
 * {@code G} is the gate count, {@code D} the number of directions (1 or 2), {@code I_0 = I} and
 * {@code I_k = D*H} above. The step equations are PyTorch's:
 *
 * <pre>
 * RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)                   act = tanh or relu
 * LSTM  i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh), split in 4 blocks of H
 *       c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
 * GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *       n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
 * </pre>
 *
 * <p>The forward direction runs {@code t = 0 .. T-1}, the reverse direction {@code t = T-1 .. 0}; a
 * layer's output at {@code t} is the two states side by side, {@code [h_fwd_t, h_rev_t]}.
 *
 * <p>A batch of sequences of different lengths {@code len_b} (PyTorch's packed sequences) is
 * written with a mask {@code m_t[b] = 1 if t < len_b else 0}, which makes each step
 *
 * <pre>
 *   h_t = m_t ⊙ cell(x_t, h_prev) + (1 - m_t) ⊙ h_prev        (the same for c)
 *   output_t = m_t ⊙ h_t
 * </pre>
 *
 * so a state is held where a sequence has ended: the forward direction ends at {@code len_b - 1}
 * with the state that {@code h_n} reports, and the reverse direction, still at its initial state
 * over the padding, starts at {@code len_b - 1}. With {@code m ∈ {0, 1}} the mixing is exact.
 *
 * <p>Dropout between layers multiplies the output of every layer but the last by a given mask
 * ({@code 0} or {@code 1/(1-p)} per element) before the next layer reads it.
 */
public final class ReferenceRecurrent {
  private final RecurrentKind kind;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final int directions;
  private final Map<String, double[]> parameters = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();

  /** A unidirectional model with every parameter zero; fill them through {@link #parameter}. */
  public ReferenceRecurrent(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers) {
    this(kind, inputSize, hiddenSize, numLayers, false);
  }

  /** A model with every parameter zero; fill them through {@link #parameter(String)}. */
  public ReferenceRecurrent(
      RecurrentKind kind, int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
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
    this.directions = bidirectional ? 2 : 1;
    int rows = kind.gateCount() * hiddenSize;
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : directions * hiddenSize;
      for (int d = 0; d < directions; d++) {
        String suffix = k + (d == 0 ? "" : "_reverse");
        declare("weight_ih_l" + suffix, rows, in);
        declare("weight_hh_l" + suffix, rows, hiddenSize);
        declare("bias_ih_l" + suffix, rows);
        declare("bias_hh_l" + suffix, rows);
      }
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

  /** 1, or 2 for a bidirectional model. */
  public int directions() {
    return directions;
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
   * The graph of one run and the handles to everything in it. States are indexed by layer and
   * direction, {@code k*D + d}, as PyTorch orders {@code h_n}, and by time position {@code t}
   * whatever the direction's order of steps.
   *
   * @param hidden {@code hidden[k*D+d][t]}: the hidden state {@code [B, H]} of layer k, direction
   *     d, after it has read step t; a row past its sequence's end holds the held state (forward:
   *     the last valid one; reverse: the initial one, not yet started)
   * @param cell {@code cell[k*D+d][t]}: the LSTM cell state likewise (null for other kinds)
   * @param parameters the parameter leaves by name; their gradients fill on backward
   * @param inputs the input leaves, one {@code [B, I]} per step
   * @param h0 initial hidden state leaves, one {@code [B, H]} per layer and direction
   * @param c0 initial cell state leaves (LSTM), one per layer and direction, else null
   * @param outputs the model's output per step, {@code [B, D*H]}, zero past a sequence's end
   * @param hN the final hidden state per layer and direction, {@code [B, H]}
   * @param cN the final cell state per layer and direction (LSTM), else null
   */
  public record Unrolled(
      Graph graph,
      Var[][] hidden,
      Var[][] cell,
      Map<String, Var> parameters,
      Var[] inputs,
      Var[] h0,
      Var[] c0,
      Var[] outputs,
      Var[] hN,
      Var[] cN) {

    public int steps() {
      return inputs.length;
    }

    /** The model's output at step {@code t}, {@code [B, D*H]}. */
    public Var output(int t) {
      return outputs[t];
    }

    /**
     * Builds the loss {@code L = Σ_t Σ output_t ⊙ dOutput_t + Σ Σ h_n[i] ⊙ dhN[i] + Σ Σ c_n[i] ⊙
     * dcN[i]}, whose gradients with respect to the outputs and final states are exactly the given
     * upstream gradients, and back-propagates it. Null arrays mean zero. Returns L.
     *
     * @param dOutput {@code [T, B, D*H]} flattened
     * @param dhN {@code [L*D, B, H]} flattened
     * @param dcN {@code [L*D, B, H]} flattened (LSTM only)
     */
    public double backward(double[] dOutput, double[] dhN, double[] dcN) {
      return backward(dOutput, dhN, dcN, null);
    }

    /** As {@link #backward(double[], double[], double[])}, reporting the fraction done. */
    public double backward(double[] dOutput, double[] dhN, double[] dcN, DoubleConsumer progress) {
      int steps = steps();
      int perStep = output(0).value.length;
      int perState = hN[0].value.length;
      Var loss = graph.leaf(new double[1], 1, 1);
      if (dOutput != null) {
        for (int t = 0; t < steps; t++) {
          loss = graph.add(loss, graph.weightedSum(output(t), slice(dOutput, t, perStep)));
        }
      }
      for (int i = 0; i < hN.length; i++) {
        if (dhN != null) loss = graph.add(loss, graph.weightedSum(hN[i], slice(dhN, i, perState)));
        if (dcN != null) loss = graph.add(loss, graph.weightedSum(cN[i], slice(dcN, i, perState)));
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
   * and {@code c0} ({@code [L*D, B, H]} flattened; null means zeros), every sequence {@code T}
   * steps long, without dropout.
   */
  public Unrolled unroll(double[] input, int steps, int batch, double[] h0, double[] c0) {
    return unroll(input, steps, batch, h0, c0, null, null, null);
  }

  /**
   * As {@link #unroll(double[], int, int, double[], double[])}, reporting the fraction of steps
   * done.
   */
  public Unrolled unroll(
      double[] input, int steps, int batch, double[] h0, double[] c0, DoubleConsumer progress) {
    return unroll(input, steps, batch, h0, c0, null, null, progress);
  }

  /**
   * As {@link #unroll(double[], int, int, double[], double[])}, for sequences of {@code lengths}
   * steps and with dropout between layers.
   *
   * @param lengths each sequence's length in {@code [1, T]}, or null for {@code T} each
   * @param dropoutMasks null for no dropout, or one mask {@code [T, B, D*H]} (flattened) for each
   *     layer but the last, by which that layer's output is multiplied; an entry may be null
   */
  public Unrolled unroll(
      double[] input,
      int steps,
      int batch,
      double[] h0,
      double[] c0,
      int[] lengths,
      double[][] dropoutMasks) {
    return unroll(input, steps, batch, h0, c0, lengths, dropoutMasks, null);
  }

  private Unrolled unroll(
      double[] input,
      int steps,
      int batch,
      double[] h0,
      double[] c0,
      int[] lengths,
      double[][] dropoutMasks,
      DoubleConsumer progress) {
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
    int width = directions * hiddenSize;
    checkLengths(lengths, steps, batch);
    if (dropoutMasks != null) {
      if (dropoutMasks.length != numLayers - 1) {
        throw new IllegalArgumentException(
            "need one dropout mask per layer but the last, "
                + (numLayers - 1)
                + ", got "
                + dropoutMasks.length);
      }
      for (double[] mask : dropoutMasks) {
        if (mask != null && mask.length != steps * batch * width) {
          throw new IllegalArgumentException(
              "a dropout mask has " + mask.length + " values, expected [T, B, D*H]");
        }
      }
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

    // Constant masks: valid[t][b, :] = 1 while t < len_b, ended = 1 - valid.
    Var[] valid = null, ended = null;
    if (lengths != null) {
      valid = new Var[steps];
      ended = new Var[steps];
      for (int t = 0; t < steps; t++) {
        double[] v = new double[batch * hiddenSize], e = new double[batch * hiddenSize];
        for (int b = 0; b < batch; b++) {
          java.util.Arrays.fill(v, b * hiddenSize, (b + 1) * hiddenSize, t < lengths[b] ? 1 : 0);
          java.util.Arrays.fill(e, b * hiddenSize, (b + 1) * hiddenSize, t < lengths[b] ? 0 : 1);
        }
        valid[t] = g.leaf(v, batch, hiddenSize);
        ended[t] = g.leaf(e, batch, hiddenSize);
      }
    }

    int states = numLayers * directions;
    Var[][] hidden = new Var[states][steps];
    Var[][] cell = kind == RecurrentKind.LSTM ? new Var[states][steps] : null;
    Var[] hN = new Var[states];
    Var[] cN = kind == RecurrentKind.LSTM ? new Var[states] : null;
    Var[] layerInput = inputs;
    for (int k = 0; k < numLayers; k++) {
      for (int d = 0; d < directions; d++) {
        int index = k * directions + d;
        String suffix = k + (d == 0 ? "" : "_reverse");
        Var wIh = leaves.get("weight_ih_l" + suffix), wHh = leaves.get("weight_hh_l" + suffix);
        Var bIh = leaves.get("bias_ih_l" + suffix), bHh = leaves.get("bias_hh_l" + suffix);
        Var h = h0Leaves[index];
        Var c = c0Leaves == null ? null : c0Leaves[index];
        for (int s = 0; s < steps; s++) {
          int t = d == 0 ? s : steps - 1 - s;
          Var x = layerInput[t];
          Var fromInput = g.addBias(g.matmulTransposed(x, wIh), bIh);
          Var fromHidden = g.addBias(g.matmulTransposed(h, wHh), bHh);
          Var hNext = null, cNext = null;
          switch (kind) {
            case RNN_TANH -> hNext = g.tanh(g.add(fromInput, fromHidden));
            case RNN_RELU -> hNext = g.relu(g.add(fromInput, fromHidden));
            case LSTM -> {
              Var gates = g.add(fromInput, fromHidden);
              int n = hiddenSize;
              Var i = g.sigmoid(g.columns(gates, 0, n));
              Var f = g.sigmoid(g.columns(gates, n, 2 * n));
              Var cand = g.tanh(g.columns(gates, 2 * n, 3 * n));
              Var o = g.sigmoid(g.columns(gates, 3 * n, 4 * n));
              cNext = g.add(g.mul(f, c), g.mul(i, cand));
              // Held before h reads it, so that the gradient of the held c_t includes the path
              // through h_t = o ⊙ tanh(c_t): the total dL/dc_t, as the fast layers report it.
              if (valid != null) cNext = g.add(g.mul(valid[t], cNext), g.mul(ended[t], c));
              hNext = g.mul(o, g.tanh(cNext));
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
              hNext = g.add(g.mul(g.oneMinus(z), cand), g.mul(z, h));
            }
          }
          if (valid != null) {
            // past a sequence's end the state is held
            hNext = g.add(g.mul(valid[t], hNext), g.mul(ended[t], h));
          }
          h = hNext;
          c = cNext;
          hidden[index][t] = h;
          if (cell != null) cell[index][t] = c;
          if (progress != null)
            progress.accept((index * (double) steps + s + 1) / ((double) states * steps));
        }
        hN[index] = h;
        if (cN != null) cN[index] = c;
      }

      Var[] layerOutput = new Var[steps];
      for (int t = 0; t < steps; t++) {
        Var[] parts = new Var[directions];
        for (int d = 0; d < directions; d++) {
          Var state = hidden[k * directions + d][t];
          parts[d] = valid == null ? state : g.mul(valid[t], state); // zero past the end
        }
        Var out = directions == 1 ? parts[0] : g.concatColumns(parts);
        if (dropoutMasks != null && k < numLayers - 1 && dropoutMasks[k] != null) {
          double[] mask = new double[batch * width];
          System.arraycopy(dropoutMasks[k], t * batch * width, mask, 0, mask.length);
          out = g.mul(g.leaf(mask, batch, width), out);
        }
        layerOutput[t] = out;
      }
      layerInput = layerOutput;
    }
    return new Unrolled(g, hidden, cell, leaves, inputs, h0Leaves, c0Leaves, layerInput, hN, cN);
  }

  private static void checkLengths(int[] lengths, int steps, int batch) {
    if (lengths == null) return;
    if (lengths.length != batch) {
      throw new IllegalArgumentException(
          "lengths has " + lengths.length + " entries, expected one per sequence, " + batch);
    }
    for (int len : lengths) {
      if (len < 1 || len > steps) {
        throw new IllegalArgumentException(
            "lengths must be in [1, " + steps + "], got " + java.util.Arrays.toString(lengths));
      }
    }
  }

  private Var[] initialState(Graph g, double[] state, int batch, String name) {
    int perLayer = batch * hiddenSize;
    int states = numLayers * directions;
    if (state != null && state.length != states * perLayer) {
      throw new IllegalArgumentException(
          name
              + " has "
              + state.length
              + " values, expected ["
              + states
              + ", "
              + batch
              + ", "
              + hiddenSize
              + "]");
    }
    Var[] leaves = new Var[states];
    for (int i = 0; i < states; i++) {
      double[] v = new double[perLayer];
      if (state != null) System.arraycopy(state, i * perLayer, v, 0, perLayer);
      leaves[i] = g.leaf(v, batch, hiddenSize);
    }
    return leaves;
  }
}
