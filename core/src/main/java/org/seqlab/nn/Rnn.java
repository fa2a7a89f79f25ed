package org.seqlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.nn.RecurrentBackward.BackwardBuffers;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.Elementwise;

/**
 * A multi-layer Elman RNN, as {@code torch.nn.RNN}:
 *
 * <pre>
 *   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   act = tanh or relu
 * </pre>
 *
 * <p>Shapes and parameters as in {@link Recurrent} with {@code G = 1}: {@code weight_ih_l{k} [H,
 * in_k]}, {@code weight_hh_l{k} [H, H]}, {@code bias_ih_l{k} [H]}, {@code bias_hh_l{k} [H]}. The
 * "gates" of the trace are the new hidden states themselves.
 *
 * <p>Backward multiplies the gradient by {@code diag(act') W_hh} once per step, which is why it
 * vanishes or explodes over long sequences.
 */
public final class Rnn extends Recurrent {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private final boolean relu;

  /**
   * @param kind {@link RecurrentKind#RNN_TANH} or {@link RecurrentKind#RNN_RELU}
   */
  public Rnn(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers) {
    this(kind, inputSize, hiddenSize, numLayers, false);
  }

  /**
   * @param kind {@link RecurrentKind#RNN_TANH} or {@link RecurrentKind#RNN_RELU}
   */
  public Rnn(
      RecurrentKind kind, int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    super(requireRnn(kind), inputSize, hiddenSize, numLayers, bidirectional);
    this.relu = kind == RecurrentKind.RNN_RELU;
  }

  private static RecurrentKind requireRnn(RecurrentKind kind) {
    if (kind != RecurrentKind.RNN_TANH && kind != RecurrentKind.RNN_RELU) {
      throw new IllegalArgumentException("Rnn is rnn_tanh or rnn_relu, not " + kind);
    }
    return kind;
  }

  @Override
  void forwardStepTile(
      LayerTrace layer, int t, int batch, int rowFrom, int rowTo, int unitFrom, int unitTo) {
    int h = hiddenSize();
    for (int b = rowFrom; b < rowTo; b++) {
      int row = t * batch + b;
      cellForwardUnits(
          unitFrom, unitTo, relu, layer.gates, row * h, layer.hidden, (row + batch) * h);
    }
  }

  /**
   * {@code h_t = act(pre)} of one batch row for hidden units {@code [from, to)}: the
   * pre-activations at {@code gates[row + from ..< row + to]} are replaced by {@code h_t}, which is
   * also written to {@code hiddenNext[next + from ..< next + to]}.
   */
  static void cellForwardUnits(
      int from, int to, boolean relu, float[] gates, int row, float[] hiddenNext, int next) {
    int pre = row + from;
    int units = to - from;
    if (relu) {
      for (int j = pre; j < pre + units; j++) gates[j] = Math.max(gates[j], 0f);
    } else {
      Elementwise.tanh(gates, pre, gates, pre, units);
    }
    System.arraycopy(gates, pre, hiddenNext, next + from, units);
  }

  /**
   * {@code h_t = act(pre)} for {@code rows} consecutive batch rows: {@code gates [rows, H]} holds
   * the pre-activations and is overwritten with {@code h_t}, which is also written to {@code
   * hiddenNext}.
   */
  static void cellForward(
      int rows,
      int h,
      boolean relu,
      float[] gates,
      int gatesOffset,
      float[] hiddenNext,
      int hiddenNextOffset) {
    int n = rows * h;
    if (relu) {
      for (int j = 0; j < n; j++) gates[gatesOffset + j] = Math.max(gates[gatesOffset + j], 0f);
    } else {
      Elementwise.tanh(gates, gatesOffset, gates, gatesOffset, n);
    }
    System.arraycopy(gates, gatesOffset, hiddenNext, hiddenNextOffset, n);
  }

  @Override
  int inferenceBlocks() {
    return 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>RNN: one block of pre-activations; {@code h_t = act(pre)} as in {@link #cellForwardUnits},
   * so the result is bit-identical to the traced forward's. The cell arguments are unused.
   */
  @Override
  void inferenceCell(
      int rows,
      int width,
      float[] gates,
      float[] hiddenPrevious,
      int hiddenPreviousOffset,
      float[] cellPrevious,
      int cellPreviousOffset,
      float[] cellNext,
      int cellNextOffset,
      float[] hiddenNext,
      int hiddenNextOffset) {
    int n = rows * width;
    if (relu) {
      for (int j = 0; j < n; j++) gates[j] = Math.max(gates[j], 0f);
    } else {
      Elementwise.tanh(gates, 0, gates, 0, n);
    }
    for (int r = 0; r < rows; r++) {
      System.arraycopy(gates, r * width, hiddenNext, hiddenNextOffset + r * hiddenSize(), width);
    }
  }

  boolean relu() {
    return relu;
  }

  @Override
  void backwardStep(
      LayerTrace layer,
      int t,
      int batch,
      int rowFrom,
      int rowTo,
      int gradientOffset,
      BackwardBuffers work) {
    int h = hiddenSize();
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    FloatVector zero = FloatVector.zero(SPECIES);
    for (int b = rowFrom; b < rowTo; b++) {
      int a = (t * batch + b) * h;
      int carry = b * h;
      for (int j = 0; j < h; j += LANES) {
        VectorMask<Float> m = SPECIES.indexInRange(j, h);
        FloatVector next = FloatVector.fromArray(SPECIES, layer.gates, a + j, m);
        FloatVector dh =
            FloatVector.fromArray(SPECIES, work.hiddenGradients, gradientOffset + carry + j, m);
        // act' from the output: tanh' = 1 - h^2; relu' = 1 where h > 0 (0 at 0, as PyTorch)
        FloatVector slope =
            relu ? zero.blend(one, next.compare(VectorOperators.GT, 0f)) : one.sub(next.mul(next));
        dh.mul(slope).intoArray(work.dInputProjection, a + j, m);
        zero.intoArray(work.dhCarry, carry + j, m); // h_{t-1} reaches step t only through W_hh
      }
    }
  }
}
