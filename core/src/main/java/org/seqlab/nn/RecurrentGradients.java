package org.seqlab.nn;

import java.util.Arrays;
import java.util.Objects;
import org.seqlab.tensor.Tensor;

/**
 * The gradients that {@link Recurrent#backward} (and {@link MinRecurrent#backward}) returns;
 * parameter gradients are accumulated into the parameters instead.
 *
 * <p>States are indexed by layer and direction, {@code k*D + d}, as in {@code h0} and {@code hN}
 * ({@code D} = 1, or 2 for a bidirectional model), and by position {@code t} in the sequence
 * whatever the direction's order of steps.
 *
 * <p>The arrays come from the layer's workspace: {@link #release} hands them back, so that a
 * training loop, whose every step has the same shapes, stops allocating them afresh (at a hidden
 * size of 256, 64 sequences of 128 steps and two layers, the state gradients alone are 34 MB per
 * step).
 */
public final class RecurrentGradients {
  private final Tensor dInput;
  private final Tensor dh0;
  private final Tensor dc0;
  private final Tensor hiddenGradients;
  private final Tensor cellGradients;

  /** Where {@link #release} hands the arrays; null: nowhere, they are left to the collector. */
  private final Workspace workspace;

  private volatile boolean released;

  /**
   * @param dInput {@code dL/dinput}, {@code [T, B, I]}; zero past a sequence's end
   * @param dh0 {@code dL/dh0}, {@code [L*D, B, H]}
   * @param dc0 LSTM: {@code dL/dc0}, {@code [L*D, B, H]}; otherwise null
   * @param hiddenGradients the total {@code dL/dh_t} of every layer, direction and position, {@code
   *     [L*D, T, B, H]}: what reaches {@code h_t} from the layer's output (the loss or the layer
   *     above) plus what flows back from the direction's next step; zero past a sequence's end,
   *     where it has no state
   * @param cellGradients LSTM: the total {@code dL/dc_t}, {@code [L*D, T, B, H]}; otherwise null
   * @param workspace where {@link #release} hands the arrays back; null for none
   */
  RecurrentGradients(
      Tensor dInput,
      Tensor dh0,
      Tensor dc0,
      Tensor hiddenGradients,
      Tensor cellGradients,
      Workspace workspace) {
    Objects.requireNonNull(dInput, "dInput");
    Objects.requireNonNull(dh0, "dh0");
    Objects.requireNonNull(hiddenGradients, "hiddenGradients");
    if (hiddenGradients.rank() != 4) {
      throw new IllegalArgumentException(
          "hiddenGradients must be [L, T, B, H], got " + Arrays.toString(hiddenGradients.shape()));
    }
    if ((dc0 == null) != (cellGradients == null)) {
      throw new IllegalArgumentException(
          "dc0 and cellGradients come together (LSTM) or not at all");
    }
    if (cellGradients != null && !cellGradients.sameShape(hiddenGradients)) {
      throw new IllegalArgumentException("cellGradients must have the shape of hiddenGradients");
    }
    this.dInput = dInput;
    this.dh0 = dh0;
    this.dc0 = dc0;
    this.hiddenGradients = hiddenGradients;
    this.cellGradients = cellGradients;
    this.workspace = workspace;
  }

  /** {@code dL/dinput}, {@code [T, B, I]}; zero past a sequence's end. */
  public Tensor dInput() {
    requireHeld();
    return dInput;
  }

  /** {@code dL/dh0}, {@code [L*D, B, H]}. */
  public Tensor dh0() {
    requireHeld();
    return dh0;
  }

  /** LSTM: {@code dL/dc0}, {@code [L*D, B, H]}; otherwise null. */
  public Tensor dc0() {
    requireHeld();
    return dc0;
  }

  /**
   * The total {@code dL/dh_t} of every layer, direction and position, {@code [L*D, T, B, H]}: what
   * reaches {@code h_t} from the layer's output (the loss or the layer above) plus what flows back
   * from the direction's next step; zero past a sequence's end, where it has no state.
   */
  public Tensor hiddenGradients() {
    requireHeld();
    return hiddenGradients;
  }

  /** LSTM: the total {@code dL/dc_t}, {@code [L*D, T, B, H]}; otherwise null. */
  public Tensor cellGradients() {
    requireHeld();
    return cellGradients;
  }

  /**
   * Hands every array of these gradients back to the layer, whose next backward pass of the same
   * shapes reuses them; call it once nothing reads them any more (tensors taken from them before
   * included). Afterwards every accessor refuses. Calling it again does nothing.
   */
  public void release() {
    synchronized (this) {
      if (released) return;
      released = true;
    }
    if (workspace == null) return;
    workspace.giveBack(
        dInput.data(),
        dh0.data(),
        dc0 == null ? null : dc0.data(),
        hiddenGradients.data(),
        cellGradients == null ? null : cellGradients.data());
  }

  /** Whether {@link #release} has been called. */
  public boolean isReleased() {
    return released;
  }

  private void requireHeld() {
    if (released) {
      throw new IllegalStateException(
          "these gradients were released (RecurrentGradients.release) and their arrays reused by a"
              + " later pass; release them only once nothing reads them");
    }
  }

  /**
   * The total {@code dL/dh_t} of state {@code layer} ({@code k*D + d}: the layer itself for a
   * unidirectional model) at every position, {@code [T, B, H]}. A copy.
   */
  public Tensor hiddenGradient(int layer) {
    return layerSlice(hiddenGradients(), layer);
  }

  /**
   * LSTM only: the total {@code dL/dc_t} of state {@code layer} ({@code k*D + d}) at every
   * position, {@code [T, B, H]}. A copy.
   */
  public Tensor cellGradient(int layer) {
    if (cellGradients() == null)
      throw new IllegalStateException("cell gradients exist only for LSTM");
    return layerSlice(cellGradients, layer);
  }

  private static Tensor layerSlice(Tensor perLayer, int layer) {
    int layers = perLayer.dim(0);
    if (layer < 0 || layer >= layers) {
      throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + layers + ")");
    }
    int block = perLayer.size() / layers;
    float[] slice = Arrays.copyOfRange(perLayer.data(), layer * block, (layer + 1) * block);
    return Tensor.wrap(slice, perLayer.dim(1), perLayer.dim(2), perLayer.dim(3));
  }
}
