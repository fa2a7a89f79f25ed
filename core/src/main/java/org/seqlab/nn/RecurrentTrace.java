package org.seqlab.nn;

import java.util.Arrays;
import org.seqlab.tensor.Tensor;

/**
 * What a {@link Recurrent} forward pass keeps for its backward pass, per layer and direction, and
 * read-only views of it for probes. Shapes use {@code T} steps, batch {@code B}, hidden size {@code
 * H}, {@code D} directions and {@code G} gate blocks ({@link RecurrentKind#gateCount()}).
 *
 * <p>Internally the hidden and cell states of a layer's direction are stored as {@code [T+1, B, H]}
 * in the direction's order of steps (the reverse direction's input is stored reversed within each
 * sequence's length), step 0 holding the initial state, so that {@code h_{t-1}} of every step is
 * one contiguous block and the weight gradient {@code dW_hh += Σ_t dgates_t^T h_{t-1}} over any run
 * of steps is a single matrix product. The accessors return fresh {@code [T, B, ...]} copies by
 * position in the sequence, zero past a sequence's end.
 */
public final class RecurrentTrace {

  final Recurrent owner;

  /** {@code T}, {@code B} and each sequence's length (null lengths: all {@code T}). */
  final SequenceLengths sequences;

  /** Per layer and direction, index {@code k*D + d}. */
  final LayerTrace[] layers;

  /**
   * The dropout masks applied to the output of layers {@code 0 .. L-2}, each {@code [T, B, D*H]}
   * with values 0 or {@code 1/(1-p)}; null when nothing was dropped.
   */
  final float[][] dropoutMasks;

  /** One layer's cached tensors; arrays are row-major with the shapes given per field. */
  static final class LayerTrace {
    /** Width of this layer's input: the model's input size for layer 0, else {@code D*H}. */
    final int inputSize;

    /**
     * The layer input {@code [T, B, inputSize]} in the direction's order of steps, starting at
     * {@link #inputOffset}; zero past a sequence's end.
     */
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
        RecurrentKind kind,
        Workspace workspace) {
      this.inputSize = inputSize;
      this.input = input;
      this.inputOffset = inputOffset;
      int states = Math.toIntExact(Tensor.checkedSize(steps + 1, batch, hidden));
      // Every step writes its block of the states, and block 0, the initial state, is cleared
      // here (the forward pass then copies h0 and c0 over it where they are given); the products
      // add into the gates and the GRU's projection, which are therefore cleared whole.
      int block = Math.toIntExact(Tensor.checkedSize(batch, hidden));
      this.hidden = workspace.overwritten(states);
      Arrays.fill(this.hidden, 0, block, 0f);
      this.cell = kind == RecurrentKind.LSTM ? workspace.overwritten(states) : null;
      if (this.cell != null) Arrays.fill(this.cell, 0, block, 0f);
      this.gates =
          workspace.zeroed(
              Math.toIntExact(Tensor.checkedSize(steps, batch, kind.gateCount(), hidden)));
      this.hiddenNewProjection =
          kind == RecurrentKind.GRU
              ? workspace.zeroed(Math.toIntExact(Tensor.checkedSize(steps, batch, hidden)))
              : null;
    }
  }

  /**
   * Every array of this trace that no one else holds (the layers' states and gates, the copy of the
   * input, the inputs assembled between layers, the dropout masks), each once: what {@link
   * #release} hands back to the layer.
   */
  private final float[][] owned;

  private volatile boolean released;

  /** Whether {@link #releaseWith} has handed back the pass's results. */
  private volatile boolean resultsReleased;

  RecurrentTrace(
      Recurrent owner,
      SequenceLengths sequences,
      LayerTrace[] layers,
      float[][] dropoutMasks,
      float[][] owned) {
    this.owner = owner;
    this.sequences = sequences;
    this.layers = layers;
    this.dropoutMasks = dropoutMasks;
    this.owned = owned;
  }

  /**
   * Hands this trace's buffers back to its layer, whose next forward pass reuses them instead of
   * allocating its activations afresh; call it once the backward pass (and any probe) is done with
   * the trace. Afterwards the trace refuses every use, {@link Recurrent#backward} included. The
   * forward pass's output, final states and the backward pass's gradients are not part of the trace
   * and stay valid ({@link RecurrentOutput#release} and {@link RecurrentGradients#release} hand
   * those back too). Calling it again does nothing.
   */
  public void release() {
    synchronized (this) {
      if (released) return;
      released = true;
    }
    owner.workspace().giveBack(owned);
  }

  /**
   * {@link #release}, and the pass's results ({@code output}, {@code hN}, {@code cN}: what {@link
   * RecurrentOutput#release} hands back) with it, the results only once however often it is called.
   */
  void releaseWith(float[]... results) {
    release();
    synchronized (this) {
      if (resultsReleased) return;
      resultsReleased = true;
    }
    owner.workspace().giveBack(results);
  }

  /** Throws once {@link #releaseWith} has handed the pass's results back. */
  void requireResultsHeld() {
    if (resultsReleased) {
      throw new IllegalStateException(
          "this output was released (RecurrentOutput.release) and its arrays reused by a later"
              + " pass; release it only once nothing reads its output or final states");
    }
  }

  /** Whether {@link #release} has been called. */
  public boolean isReleased() {
    return released;
  }

  /** Throws unless the trace still holds its buffers. */
  void requireHeld() {
    if (released) {
      throw new IllegalStateException(
          "this trace was released (RecurrentTrace.release) and its buffers reused by a later"
              + " pass; keep the trace until the backward pass and every probe are done with it");
    }
  }

  public RecurrentKind kind() {
    return owner.kind();
  }

  public int steps() {
    return sequences.steps();
  }

  public int batchSize() {
    return sequences.batch();
  }

  public int hiddenSize() {
    return owner.hiddenSize();
  }

  public int numLayers() {
    return owner.numLayers();
  }

  /** {@code D}: 1, or 2 for a bidirectional model. */
  public int directions() {
    return owner.directions();
  }

  /** Each sequence's length (a copy), {@code T} for all when the forward pass was given none. */
  public int[] lengths() {
    int[] all = new int[batchSize()];
    for (int b = 0; b < all.length; b++) all[b] = sequences.length(b);
    return all;
  }

  /**
   * The dropout mask that multiplied the output of {@code layer} ({@code 0 .. L-2}), {@code [T, B,
   * D*H]} with values 0 or {@code 1/(1-p)}, or null if this pass dropped nothing. A copy.
   */
  public Tensor dropoutMask(int layer) {
    if (layer < 0 || layer >= numLayers() - 1) {
      throw new IndexOutOfBoundsException(
          "layer " + layer + " outside [0, " + (numLayers() - 1) + "): no dropout after the last");
    }
    requireHeld();
    if (dropoutMasks == null) return null;
    return Tensor.wrap(
        dropoutMasks[layer].clone(), steps(), batchSize(), directions() * hiddenSize());
  }

  /** {@link #gates(int, int)} of the forward direction. */
  public Tensor gates(int layer) {
    return gates(layer, 0);
  }

  /**
   * The post-activation gates of {@code layer}'s {@code direction}, {@code [T, B, G*H]}, blocks in
   * PyTorch's order (LSTM i, f, g, o; GRU r, z, n; RNN the new hidden state itself), by position in
   * the sequence, zero past a sequence's end. A copy.
   */
  public Tensor gates(int layer, int direction) {
    int width = kind().gateCount() * hiddenSize();
    return byPosition(layer(layer, direction).gates, 0, direction, width);
  }

  /** {@link #hiddenStates(int, int)} of the forward direction. */
  public Tensor hiddenStates(int layer) {
    return hiddenStates(layer, 0);
  }

  /**
   * The hidden state of {@code layer}'s {@code direction} after it has read each position {@code
   * t}, {@code [T, B, H]}, zero past a sequence's end. A copy.
   */
  public Tensor hiddenStates(int layer, int direction) {
    return byPosition(
        layer(layer, direction).hidden, batchSize() * hiddenSize(), direction, hiddenSize());
  }

  /** {@link #cellStates(int, int)} of the forward direction. */
  public Tensor cellStates(int layer) {
    return cellStates(layer, 0);
  }

  /**
   * LSTM only: the cell state of {@code layer}'s {@code direction} after each position, {@code [T,
   * B, H]}, zero past a sequence's end. A copy.
   */
  public Tensor cellStates(int layer, int direction) {
    LayerTrace l = layer(layer, direction);
    if (l.cell == null) {
      throw new IllegalStateException("cell states exist only for LSTM, this trace is " + kind());
    }
    return byPosition(l.cell, batchSize() * hiddenSize(), direction, hiddenSize());
  }

  /**
   * Rows {@code [T, B, width]} stored from {@code offset} in direction {@code d}'s order of steps,
   * copied into positions, zero past each sequence's end.
   */
  private Tensor byPosition(float[] stored, int offset, int d, int width) {
    float[] out = new float[steps() * batchSize() * width];
    sequences.toPositions(stored, offset, d, width, out, 0, width);
    return Tensor.wrap(out, steps(), batchSize(), width);
  }

  LayerTrace layer(int layer, int direction) {
    requireHeld();
    if (layer < 0 || layer >= numLayers()) {
      throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + numLayers() + ")");
    }
    if (direction < 0 || direction >= directions()) {
      throw new IndexOutOfBoundsException(
          "direction " + direction + " outside [0, " + directions() + ")");
    }
    return layers[layer * directions() + direction];
  }
}
