package org.seqlab.nn;

import java.util.Arrays;
import org.seqlab.tensor.Tensor;

/**
 * What a {@link Recurrent} forward pass keeps for its backward pass, per layer, and read-only views
 * of it for probes. Shapes use {@code T} steps, batch {@code B}, hidden size {@code H} and {@code
 * G} gate blocks ({@link RecurrentKind#gateCount()}).
 *
 * <p>Internally the hidden and cell states of a layer are stored as {@code [T+1, B, H]}, step 0
 * holding the initial state, so that {@code h_{t-1}} of every step is one contiguous block and the
 * weight gradient {@code dW_hh += Σ_t dgates_t^T h_{t-1}} is a single matrix product. The accessors
 * return fresh {@code [T, B, H]} copies of the states after each step.
 */
public final class RecurrentTrace {

  final Recurrent owner;
  final int steps;
  final int batchSize;
  final LayerTrace[] layers;

  /** One layer's cached tensors; arrays are row-major with the shapes given per field. */
  static final class LayerTrace {
    /** Width of this layer's input: the model's input size for layer 0, else {@code H}. */
    final int inputSize;

    /** The layer input {@code [T, B, inputSize]}, starting at {@link #inputOffset}. */
    final float[] input;

    final int inputOffset;

    /** {@code [T+1, B, H]}: {@code h_{-1} = h0}, then {@code h_0 .. h_{T-1}}. */
    final float[] hidden;

    /** LSTM only, {@code [T+1, B, H]}: {@code c_{-1} = c0}, then {@code c_0 .. c_{T-1}}. */
    final float[] cell;

    /** {@code [T, B, G*H]}: post-activation gates in PyTorch's order. */
    final float[] gates;

    /** GRU only, {@code [T, B, H]}: {@code W_hn h_{t-1} + b_hn}, which the n gate scales by r. */
    final float[] hiddenNewProjection;

    LayerTrace(
        int inputSize,
        float[] input,
        int inputOffset,
        int steps,
        int batch,
        int hidden,
        RecurrentKind kind) {
      this.inputSize = inputSize;
      this.input = input;
      this.inputOffset = inputOffset;
      int states = Math.toIntExact(Tensor.checkedSize(steps + 1, batch, hidden));
      this.hidden = new float[states];
      this.cell = kind == RecurrentKind.LSTM ? new float[states] : null;
      this.gates =
          new float[Math.toIntExact(Tensor.checkedSize(steps, batch, kind.gateCount(), hidden))];
      this.hiddenNewProjection =
          kind == RecurrentKind.GRU
              ? new float[Math.toIntExact(Tensor.checkedSize(steps, batch, hidden))]
              : null;
    }
  }

  RecurrentTrace(Recurrent owner, int steps, int batchSize, LayerTrace[] layers) {
    this.owner = owner;
    this.steps = steps;
    this.batchSize = batchSize;
    this.layers = layers;
  }

  public RecurrentKind kind() {
    return owner.kind();
  }

  public int steps() {
    return steps;
  }

  public int batchSize() {
    return batchSize;
  }

  public int hiddenSize() {
    return owner.hiddenSize();
  }

  public int numLayers() {
    return layers.length;
  }

  /**
   * The post-activation gates of {@code layer}, {@code [T, B, G*H]}, blocks in PyTorch's order
   * (LSTM i, f, g, o; GRU r, z, n; RNN the new hidden state itself). A copy.
   */
  public Tensor gates(int layer) {
    LayerTrace l = layer(layer);
    return Tensor.wrap(l.gates.clone(), steps, batchSize, kind().gateCount() * hiddenSize());
  }

  /** The hidden states {@code h_0 .. h_{T-1}} of {@code layer}, {@code [T, B, H]}. A copy. */
  public Tensor hiddenStates(int layer) {
    return afterEachStep(layer(layer).hidden);
  }

  /**
   * LSTM only: the cell states {@code c_0 .. c_{T-1}} of {@code layer}, {@code [T, B, H]}. A copy.
   */
  public Tensor cellStates(int layer) {
    LayerTrace l = layer(layer);
    if (l.cell == null) {
      throw new IllegalStateException("cell states exist only for LSTM, this trace is " + kind());
    }
    return afterEachStep(l.cell);
  }

  private Tensor afterEachStep(float[] states) {
    int block = batchSize * hiddenSize();
    return Tensor.wrap(
        Arrays.copyOfRange(states, block, states.length), steps, batchSize, hiddenSize());
  }

  LayerTrace layer(int layer) {
    if (layer < 0 || layer >= layers.length) {
      throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + layers.length + ")");
    }
    return layers[layer];
  }
}
