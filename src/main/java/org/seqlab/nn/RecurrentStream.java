package org.seqlab.nn;

import java.util.Arrays;
import java.util.Objects;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Tensor;

/**
 * A {@link Recurrent} model run one step at a time, for the embedded case: a sample arrives, the
 * state advances, an output leaves, and nothing is allocated in between. Every layer {@code k}
 * computes, exactly as {@link Recurrent#forward} does for one step,
 *
 * <pre>
 *   a = W_ih x + b_ih,   u = W_hh h + b_hh,   (h, c) = cell(a, u, h, c)
 * </pre>
 *
 * with {@code x} the step's input for layer 0 and the new {@code h} of layer {@code k-1} above
 * that. Symbols as in {@link Recurrent}: batch {@code B}, input size {@code I}, hidden size {@code
 * H}, {@code L} layers, {@code G} gate blocks. The state is {@code h [L, B, H]} (and, for the LSTM,
 * {@code c [L, B, H]}); it starts at zero.
 *
 * <p>The weights are copied at construction, transposed to {@code W^T [in, G*H]} so that each
 * step's products read them a contiguous row at a time (at batch 1 a step is two matrix-vector
 * products, bound by reading the weights once), and with {@code b_ih + b_hh} added once wherever
 * the two biases only appear as a sum (not inside the GRU's {@code r ⊙ (W_hn h + b_hn)}). Changing
 * the model's weights afterwards does not affect the stream: make a new one.
 *
 * <p>The transposed weights are packed once, one gate block at a time: each block {@code [in, H]}
 * of {@code W^T} is cut into panels of columns that lie contiguous over {@code in}, so a step reads
 * the weights as one sequential stream instead of walking down strided columns. Below {@link
 * Recurrent#PANEL_BATCH} sequences a step is a few matrix-vector products ({@link PanelMatVec})
 * that use every weight once, bound by reading the weights; from {@link Recurrent#PANEL_BATCH}
 * sequences up, {@link MatMul#gemmNNSingleThread} reuses each weight for 8 rows of the batch. Both
 * compute every element by the same chain of fused multiply-adds, so the batch size does not change
 * a bit of a sequence's result (see {@link Recurrent#stepProduct}).
 *
 * <p>A step runs on the caller's thread: at the sizes streamed one sample at a time, waking other
 * threads would cost more than the step. A stream is not safe for use by several threads at once.
 */
public final class RecurrentStream {

  private final RecurrentKind kind;
  private final int batch;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final int gateRows;

  /** Columns of {@code u} summed straight into the pre-activations ({@code 2H} for the GRU). */
  private final int summedGateRows;

  /**
   * Per layer {@code W_ih^T [in_k, G*H]} as {@code G} packed gate blocks of {@code [in_k, H]},
   * block {@code g} from {@code g*in_k*H} ({@link Recurrent#packGateBlocks}).
   */
  private final float[][] inputWeightT;

  /** Per layer {@code W_hh^T [H, G*H]}, laid out as {@link #inputWeightT}. */
  private final float[][] recurrentWeightT;

  /**
   * Per layer the bias of the pre-activations, {@code [G*H]} (see {@link Recurrent#foldedBias}).
   */
  private final float[][] foldedBias;

  /** GRU: per layer {@code b_hn [H]}, which stays inside the reset gate's product. */
  private final float[][] hiddenNewBias;

  /** {@code h [L, B, H]}. */
  private final float[] hidden;

  /** LSTM: {@code c [L, B, H]}; else null. */
  private final float[] cell;

  /** One layer's pre-activations, then gates, {@code [B, G*H]}. */
  private final float[] gates;

  /** GRU: one layer's {@code u_n = W_hn h + b_hn}, {@code [B, H]}; else null. */
  private final float[] hiddenNew;

  /**
   * A stream over {@code model}'s current weights, for {@code batch} independent sequences.
   *
   * @throws IllegalArgumentException if {@code batch < 1}
   */
  public RecurrentStream(Recurrent model, int batch) {
    Objects.requireNonNull(model, "model");
    if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    this.kind = model.kind();
    this.batch = batch;
    this.inputSize = model.inputSize();
    this.hiddenSize = model.hiddenSize();
    this.numLayers = model.numLayers();
    this.gateRows = model.gateRows;
    this.summedGateRows = model.summedGateRows();
    int state = Math.toIntExact(Tensor.checkedSize(numLayers, batch, hiddenSize));
    Tensor.checkedSize(batch, gateRows);
    inputWeightT = new float[numLayers][];
    recurrentWeightT = new float[numLayers][];
    foldedBias = new float[numLayers][];
    hiddenNewBias = new float[numLayers][];
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : hiddenSize;
      inputWeightT[k] =
          Recurrent.packGateBlocks(
              Recurrent.transpose(model.weightIh(k).value().data(), gateRows, in),
              in,
              gateRows,
              hiddenSize);
      recurrentWeightT[k] =
          Recurrent.packGateBlocks(
              Recurrent.transpose(model.weightHh(k).value().data(), gateRows, hiddenSize),
              hiddenSize,
              gateRows,
              hiddenSize);
      foldedBias[k] = model.foldedBias(k);
      hiddenNewBias[k] =
          summedGateRows < gateRows
              ? Arrays.copyOfRange(model.biasHh(k).value().data(), summedGateRows, gateRows)
              : null;
    }
    hidden = new float[state];
    cell = kind == RecurrentKind.LSTM ? new float[state] : null;
    gates = new float[batch * gateRows];
    hiddenNew = kind == RecurrentKind.GRU ? new float[batch * hiddenSize] : null;
  }

  public RecurrentKind kind() {
    return kind;
  }

  public int batchSize() {
    return batch;
  }

  /**
   * Advances every sequence of the batch by one step.
   *
   * @param x this step's input {@code [B, I]}, read from {@code x[xOff ..< xOff + B*I]}
   * @param out receives the last layer's new hidden state {@code [B, H]} at {@code out[outOff ..<
   *     outOff + B*H]}; may be the same array as {@code x}, but not an overlapping range
   * @throws IndexOutOfBoundsException if either range does not fit its array
   */
  public void step(float[] x, int xOff, float[] out, int outOff) {
    int block = batch * hiddenSize;
    checkRange("x", x, xOff, inputSize);
    checkRange("out", out, outOff, hiddenSize);
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : hiddenSize;
      float[] layerInput = k == 0 ? x : hidden;
      int layerInputOffset = k == 0 ? xOff : (k - 1) * block;
      int state = k * block;
      // pre = b + x W_ih^T + h W_hh^T (summed columns); GRU: u_n = b_hn + h W_hn^T apart.
      for (int b = 0; b < batch; b++) {
        System.arraycopy(foldedBias[k], 0, gates, b * gateRows, gateRows);
      }
      product(gateRows, in, layerInput, layerInputOffset, inputWeightT[k], 0, gates, gateRows);
      product(summedGateRows, hiddenSize, hidden, state, recurrentWeightT[k], 0, gates, gateRows);
      switch (kind) {
        case LSTM ->
            Lstm.cellForward(batch, hiddenSize, gates, 0, cell, state, cell, state, hidden, state);
        case GRU -> {
          for (int b = 0; b < batch; b++) {
            System.arraycopy(hiddenNewBias[k], 0, hiddenNew, b * hiddenSize, hiddenSize);
          }
          product(
              hiddenSize,
              hiddenSize,
              hidden,
              state,
              recurrentWeightT[k],
              summedGateRows,
              hiddenNew,
              hiddenSize);
          Gru.cellForward(batch, hiddenSize, gates, 0, hiddenNew, 0, hidden, state, hidden, state);
        }
        case RNN_TANH, RNN_RELU ->
            Rnn.cellForward(
                batch, hiddenSize, kind == RecurrentKind.RNN_RELU, gates, 0, hidden, state);
      }
    }
    System.arraycopy(hidden, (numLayers - 1) * block, out, outOff, block);
  }

  /** {@link Recurrent#stepProduct} over the whole batch, in this stream's layout. */
  private void product(
      int columns,
      int in,
      float[] v,
      int vOff,
      float[] weightT,
      int first,
      float[] out,
      int ldOut) {
    Recurrent.stepProduct(batch, columns, in, hiddenSize, v, vOff, weightT, first, out, 0, ldOut);
  }

  /** Sets every state to zero, as at construction. */
  public void reset() {
    Arrays.fill(hidden, 0f);
    if (cell != null) Arrays.fill(cell, 0f);
  }

  /**
   * Sets the state, as {@code h0} and {@code c0} of {@link Recurrent#forward}.
   *
   * @param h0 {@code [L, B, H]}, or null for zeros
   * @param c0 LSTM: {@code [L, B, H]}, or null for zeros; must be null otherwise
   */
  public void setState(Tensor h0, Tensor c0) {
    if (kind != RecurrentKind.LSTM && c0 != null) {
      throw new IllegalArgumentException(
          "c0 is only for LSTM, this stream is " + kind.metadataName());
    }
    if (h0 != null) h0.requireShape("h0", numLayers, batch, hiddenSize);
    if (c0 != null) c0.requireShape("c0", numLayers, batch, hiddenSize);
    reset();
    if (h0 != null) System.arraycopy(h0.data(), 0, hidden, 0, hidden.length);
    if (c0 != null) System.arraycopy(c0.data(), 0, cell, 0, cell.length);
  }

  /** Every layer's hidden state, {@code [L, B, H]}. A copy. */
  public Tensor hiddenState() {
    return Tensor.wrap(hidden.clone(), numLayers, batch, hiddenSize);
  }

  /** LSTM only: every layer's cell state, {@code [L, B, H]}. A copy. */
  public Tensor cellState() {
    if (cell == null) {
      throw new IllegalStateException("cell states exist only for LSTM, this stream is " + kind);
    }
    return Tensor.wrap(cell.clone(), numLayers, batch, hiddenSize);
  }

  /** Checks that {@code [B, width]} floats fit {@code array} from {@code offset}. */
  private void checkRange(String name, float[] array, int offset, int width) {
    Objects.requireNonNull(array, name);
    int length = batch * width;
    if (offset < 0 || offset > array.length - length) {
      throw new IndexOutOfBoundsException(
          name
              + " must hold [B, "
              + (name.equals("x") ? "I" : "H")
              + "] = ["
              + batch
              + ", "
              + width
              + "] floats from offset "
              + offset
              + ", but has length "
              + array.length);
    }
  }
}
