package org.seqlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.nn.RecurrentBackward.BackwardBuffers;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.Elementwise;

/**
 * A multi-layer GRU, as {@code torch.nn.GRU}. With {@code a_t = W_ih x_t + b_ih} and {@code u_t =
 * W_hh h_{t-1} + b_hh} split into three blocks of {@code H} in the order r, z, n:
 *
 * <pre>
 *   r_t = σ(a_r + u_r)                reset gate
 *   z_t = σ(a_z + u_z)                update gate
 *   n_t = tanh(a_n + r_t ⊙ u_n)       candidate, u_n = W_hn h_{t-1} + b_hn
 *   h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 * </pre>
 *
 * <p>Shapes and parameters as in {@link Recurrent} with {@code G = 3}: {@code weight_ih_l{k} [3H,
 * in_k]}, {@code weight_hh_l{k} [3H, H]}, {@code bias_ih_l{k} [3H]}, {@code bias_hh_l{k} [3H]},
 * rows {@code 0..H} for r, {@code H..2H} for z, {@code 2H..3H} for n. Because {@code b_hn} sits
 * inside the reset gate's product, the two biases of the n block are not interchangeable.
 */
public final class Gru extends Recurrent {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  public Gru(int inputSize, int hiddenSize, int numLayers) {
    this(inputSize, hiddenSize, numLayers, false);
  }

  public Gru(int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    super(RecurrentKind.GRU, inputSize, hiddenSize, numLayers, bidirectional);
  }

  /**
   * The update of {@code rows} consecutive batch rows: {@code gates [rows, 3H]} holds {@code a_r +
   * u_r}, {@code a_z + u_z} and {@code a_n} and is overwritten with {@code r, z, n}; {@code
   * hiddenNew [rows, H]} holds {@code u_n = W_hn h_{t-1} + b_hn}; {@code h_t [rows, H]} is written
   * from {@code h_{t-1}}, possibly over it (each element is read before it is written).
   */
  static void cellForward(
      int rows,
      int h,
      float[] gates,
      int gatesOffset,
      float[] hiddenNew,
      int hiddenNewOffset,
      float[] hiddenPrevious,
      int hiddenPreviousOffset,
      float[] hiddenNext,
      int hiddenNextOffset) {
    for (int b = 0; b < rows; b++) {
      cellForwardUnits(
          h,
          0,
          h,
          gates,
          gatesOffset + b * 3 * h,
          hiddenNew,
          hiddenNewOffset + b * h,
          hiddenPrevious,
          hiddenPreviousOffset + b * h,
          hiddenNext,
          hiddenNextOffset + b * h);
    }
  }

  @Override
  void forwardStepTile(
      LayerTrace layer, int t, int batch, int rowFrom, int rowTo, int unitFrom, int unitTo) {
    int h = hiddenSize();
    for (int b = rowFrom; b < rowTo; b++) {
      int row = t * batch + b;
      cellForwardUnits(
          h,
          unitFrom,
          unitTo,
          layer.gates,
          row * gateRows,
          layer.hiddenNewProjection,
          row * h,
          layer.hidden,
          row * h,
          layer.hidden,
          (row + batch) * h);
    }
  }

  /**
   * {@link #cellForward} of one batch row, for hidden units {@code [from, to)} only; every
   * nonlinearity is lane by lane, so a unit's result does not depend on the range.
   */
  static void cellForwardUnits(
      int h,
      int from,
      int to,
      float[] gates,
      int a,
      float[] hiddenNew,
      int u,
      float[] hiddenPrevious,
      int prev,
      float[] hiddenNext,
      int next) {
    int units = to - from;
    int n = a + 2 * h;
    Elementwise.sigmoid(gates, a + from, gates, a + from, units);
    Elementwise.sigmoid(gates, a + h + from, gates, a + h + from, units);
    for (int j = from; j < to; j++) gates[n + j] += gates[a + j] * hiddenNew[u + j];
    Elementwise.tanh(gates, n + from, gates, n + from, units);
    for (int j = from; j < to; j++) {
      float update = gates[a + h + j];
      hiddenNext[next + j] = (1f - update) * gates[n + j] + update * hiddenPrevious[prev + j];
    }
  }

  /** r, z, {@code a_n} and {@code u_n}: the n gate's two projections are kept apart. */
  @Override
  int inferenceBlocks() {
    return 4;
  }

  @Override
  int inferenceTarget(int weightBlock) {
    return weightBlock == 2 ? 3 : weightBlock;
  }

  /**
   * {@inheritDoc}
   *
   * <p>GRU: blocks r, z (pre-activations {@code a + u}), {@code a_n} and {@code u_n = W_hn h_{t-1}
   * + b_hn}; then {@code n = tanh(a_n + r ⊙ u_n)} and {@code h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}}, each
   * element by the same operations, in the same order, as {@link #cellForwardUnits}, so the result
   * is bit-identical to the traced forward's. The cell arguments are unused.
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
    int h = hiddenSize();
    int n = rows * width;
    int reset = 0, update = n, candidate = 2 * n, hiddenNew = 3 * n;
    Elementwise.sigmoid(gates, reset, gates, reset, 2 * n);
    int j = 0;
    for (int end = SPECIES.loopBound(n); j < end; j += LANES) {
      FloatVector.fromArray(SPECIES, gates, candidate + j)
          .add(
              FloatVector.fromArray(SPECIES, gates, reset + j)
                  .mul(FloatVector.fromArray(SPECIES, gates, hiddenNew + j)))
          .intoArray(gates, candidate + j);
    }
    for (; j < n; j++) gates[candidate + j] += gates[reset + j] * gates[hiddenNew + j];
    Elementwise.tanh(gates, candidate, gates, candidate, n);
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    for (int r = 0; r < rows; r++) {
      int tile = r * width, prev = hiddenPreviousOffset + r * h, next = hiddenNextOffset + r * h;
      int i = 0;
      for (int end = SPECIES.loopBound(width); i < end; i += LANES) {
        FloatVector z = FloatVector.fromArray(SPECIES, gates, update + tile + i);
        one.sub(z)
            .mul(FloatVector.fromArray(SPECIES, gates, candidate + tile + i))
            .add(z.mul(FloatVector.fromArray(SPECIES, hiddenPrevious, prev + i)))
            .intoArray(hiddenNext, next + i);
      }
      for (; i < width; i++) {
        float z = gates[update + tile + i];
        hiddenNext[next + i] =
            (1f - z) * gates[candidate + tile + i] + z * hiddenPrevious[prev + i];
      }
    }
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
    float[] gates = layer.gates;
    float[] hidden = layer.hidden;
    float[] dInputPre = work.dInputProjection;
    float[] dHiddenPre = work.dHiddenProjection;
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    for (int b = rowFrom; b < rowTo; b++) {
      int a = (t * batch + b) * gateRows;
      int prev = (t * batch + b) * h;
      int carry = b * h;
      // Lane by lane the same operations as the equations: a vector computes exactly what a
      // scalar loop would.
      for (int j = 0; j < h; j += LANES) {
        VectorMask<Float> m = SPECIES.indexInRange(j, h);
        FloatVector reset = FloatVector.fromArray(SPECIES, gates, a + j, m);
        FloatVector update = FloatVector.fromArray(SPECIES, gates, a + h + j, m);
        FloatVector n = FloatVector.fromArray(SPECIES, gates, a + 2 * h + j, m);
        FloatVector hiddenNew =
            FloatVector.fromArray(SPECIES, layer.hiddenNewProjection, prev + j, m);
        FloatVector dh =
            FloatVector.fromArray(SPECIES, work.hiddenGradients, gradientOffset + carry + j, m);
        // h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
        FloatVector dN = dh.mul(one.sub(update));
        FloatVector dUpdate = dh.mul(FloatVector.fromArray(SPECIES, hidden, prev + j, m).sub(n));
        // the direct path; W_hh's part is added by the caller
        dh.mul(update).intoArray(work.dhCarry, carry + j, m);
        // n = tanh(a_n + r ⊙ u_n)
        FloatVector dNPre = dN.mul(one.sub(n.mul(n)));
        FloatVector dReset = dNPre.mul(hiddenNew);
        dNPre.intoArray(dInputPre, a + 2 * h + j, m);
        dNPre.mul(reset).intoArray(dHiddenPre, a + 2 * h + j, m);
        // r = σ(a_r + u_r), z = σ(a_z + u_z): both projections see the same gradient
        FloatVector dResetPre = dReset.mul(reset).mul(one.sub(reset));
        FloatVector dUpdatePre = dUpdate.mul(update).mul(one.sub(update));
        dResetPre.intoArray(dInputPre, a + j, m);
        dResetPre.intoArray(dHiddenPre, a + j, m);
        dUpdatePre.intoArray(dInputPre, a + h + j, m);
        dUpdatePre.intoArray(dHiddenPre, a + h + j, m);
      }
    }
  }
}
