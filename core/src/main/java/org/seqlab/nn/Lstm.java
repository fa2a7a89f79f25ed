package org.seqlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.nn.RecurrentBackward.BackwardBuffers;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.Elementwise;

/**
 * A multi-layer LSTM, as {@code torch.nn.LSTM}. With {@code a_t = W_ih x_t + b_ih} and {@code u_t =
 * W_hh h_{t-1} + b_hh} split into four blocks of {@code H} in the order i, f, g, o:
 *
 * <pre>
 *   i_t = σ(a_i + u_i)                input gate
 *   f_t = σ(a_f + u_f)                forget gate
 *   g_t = tanh(a_g + u_g)             candidate cell
 *   o_t = σ(a_o + u_o)                output gate
 *   c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
 *   h_t = o_t ⊙ tanh(c_t)
 * </pre>
 *
 * <p>Shapes and parameters as in {@link Recurrent} with {@code G = 4}: {@code weight_ih_l{k} [4H,
 * in_k]}, {@code weight_hh_l{k} [4H, H]}, {@code bias_ih_l{k} [4H]}, {@code bias_hh_l{k} [4H]},
 * rows {@code 0..H} for i, {@code H..2H} for f, {@code 2H..3H} for g, {@code 3H..4H} for o.
 *
 * <p>The cell state is the gradient highway: along it {@code dL/dc_{t-1} = f_t ⊙ dL/dc_t}, scaled
 * by the forget gate and squashed by nothing, so the forget gate decides what survives a step.
 */
public final class Lstm extends Recurrent {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  public Lstm(int inputSize, int hiddenSize, int numLayers) {
    this(inputSize, hiddenSize, numLayers, false);
  }

  public Lstm(int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    super(RecurrentKind.LSTM, inputSize, hiddenSize, numLayers, bidirectional);
  }

  /**
   * Makes the effective forget-gate bias {@code b_if + b_hf} exactly {@code forgetGateBias} in
   * every layer and direction: rows {@code H..2H} of {@code bias_ih} are set to {@code
   * forgetGateBias} and the same rows of {@code bias_hh} to zero (PyTorch has two biases; setting
   * one of them alone would add to whatever the other holds). A bias of 1 keeps the forget gate
   * open early in training.
   */
  public void setForgetGateBias(double forgetGateBias) {
    int h = hiddenSize();
    for (int k = 0; k < numLayers(); k++) {
      for (int d = 0; d < directions(); d++) {
        float[] ih = biasIh(k, d).value().data();
        float[] hh = biasHh(k, d).value().data();
        for (int j = h; j < 2 * h; j++) {
          ih[j] = (float) forgetGateBias;
          hh[j] = 0f;
        }
      }
    }
  }

  /**
   * The cell update of {@code rows} consecutive batch rows: {@code gates [rows, 4H]} holds the
   * pre-activations {@code a + u} and is overwritten with {@code i, f, g, o}; {@code c_t} and
   * {@code h_t} {@code [rows, H]} are written from {@code c_{t-1} [rows, H]}. The new cell may
   * overwrite the previous one (same array and offset): each element is read before it is written.
   */
  static void cellForward(
      int rows,
      int h,
      float[] gates,
      int gatesOffset,
      float[] cellPrevious,
      int cellPreviousOffset,
      float[] cellNext,
      int cellNextOffset,
      float[] hiddenNext,
      int hiddenNextOffset) {
    for (int b = 0; b < rows; b++) {
      cellForwardUnits(
          h,
          0,
          h,
          gates,
          gatesOffset + b * 4 * h,
          cellPrevious,
          cellPreviousOffset + b * h,
          cellNext,
          cellNextOffset + b * h,
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
          layer.cell,
          row * h,
          layer.cell,
          (row + batch) * h,
          layer.hidden,
          (row + batch) * h);
    }
  }

  /**
   * {@link #cellForward} of one batch row, for hidden units {@code [from, to)} only: it reads and
   * writes nothing outside those units' columns of each gate block and of the states. Every
   * nonlinearity is computed lane by lane, so a unit's result does not depend on the range it is
   * computed in.
   */
  static void cellForwardUnits(
      int h,
      int from,
      int to,
      float[] gates,
      int a,
      float[] cellPrevious,
      int prev,
      float[] cellNext,
      int cellAt,
      float[] hiddenNext,
      int hiddenAt) {
    int units = to - from;
    Elementwise.sigmoid(gates, a + from, gates, a + from, units);
    Elementwise.sigmoid(gates, a + h + from, gates, a + h + from, units);
    Elementwise.tanh(gates, a + 2 * h + from, gates, a + 2 * h + from, units);
    Elementwise.sigmoid(gates, a + 3 * h + from, gates, a + 3 * h + from, units);
    for (int j = from; j < to; j++) {
      cellNext[cellAt + j] =
          gates[a + h + j] * cellPrevious[prev + j] + gates[a + j] * gates[a + 2 * h + j];
    }
    // h_t = o ⊙ tanh(c_t): tanh straight into h_t, then scaled by o in place.
    Elementwise.tanh(cellNext, cellAt + from, hiddenNext, hiddenAt + from, units);
    for (int j = from; j < to; j++) hiddenNext[hiddenAt + j] *= gates[a + 3 * h + j];
  }

  @Override
  int inferenceBlocks() {
    return 4;
  }

  /**
   * {@inheritDoc}
   *
   * <p>LSTM: blocks i, f, g, o of pre-activations {@code a + u}; then {@code c_t = f ⊙ c_{t-1} + i
   * ⊙ g} and {@code h_t = o ⊙ tanh(c_t)}, each element by the same operations, in the same order,
   * as {@link #cellForwardUnits}, so the result is bit-identical to the traced forward's. The block
   * of i, spent once {@code c_t} is known, holds {@code c_t} and then {@code tanh(c_t)}, so that
   * each nonlinearity is one call over the whole tile.
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
    int input = 0, forget = n, candidate = 2 * n, output = 3 * n;
    Elementwise.sigmoid(gates, input, gates, input, 2 * n);
    Elementwise.tanh(gates, candidate, gates, candidate, n);
    Elementwise.sigmoid(gates, output, gates, output, n);
    for (int r = 0; r < rows; r++) {
      int tile = r * width, prev = cellPreviousOffset + r * h, next = cellNextOffset + r * h;
      int j = 0;
      for (int end = SPECIES.loopBound(width); j < end; j += LANES) {
        FloatVector c =
            FloatVector.fromArray(SPECIES, gates, forget + tile + j)
                .mul(FloatVector.fromArray(SPECIES, cellPrevious, prev + j))
                .add(
                    FloatVector.fromArray(SPECIES, gates, input + tile + j)
                        .mul(FloatVector.fromArray(SPECIES, gates, candidate + tile + j)));
        c.intoArray(cellNext, next + j);
        c.intoArray(gates, input + tile + j);
      }
      for (; j < width; j++) {
        float c =
            gates[forget + tile + j] * cellPrevious[prev + j]
                + gates[input + tile + j] * gates[candidate + tile + j];
        cellNext[next + j] = c;
        gates[input + tile + j] = c;
      }
    }
    Elementwise.tanh(gates, input, gates, input, n);
    for (int r = 0; r < rows; r++) {
      int tile = r * width, next = hiddenNextOffset + r * h;
      int j = 0;
      for (int end = SPECIES.loopBound(width); j < end; j += LANES) {
        FloatVector.fromArray(SPECIES, gates, input + tile + j)
            .mul(FloatVector.fromArray(SPECIES, gates, output + tile + j))
            .intoArray(hiddenNext, next + j);
      }
      for (; j < width; j++) {
        hiddenNext[next + j] = gates[input + tile + j] * gates[output + tile + j];
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
    float[] cell = layer.cell;
    float[] dPre = work.dInputProjection; // da_t = du_t: both enter the gates as a sum
    float[] tanhCell = work.rowScratch; // this thread's rows of a [B, H] buffer
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    for (int b = rowFrom; b < rowTo; b++) {
      int a = (t * batch + b) * gateRows;
      int prev = (t * batch + b) * h;
      int cur = prev + batch * h;
      int carry = b * h;
      int grad = gradientOffset + carry;
      Elementwise.tanh(cell, cur, tanhCell, carry, h);
      // Lane by lane the same multiplications and subtractions as the equations, so a vector
      // computes exactly what a scalar loop would. Two passes, each with few live vectors: one
      // loop with all of them is more than the JIT's first tier can compile, and would run
      // interpreted until the second tier takes it.
      backwardThroughOutput(gates, a, tanhCell, carry, grad, dPre, work, one);
      backwardThroughCell(gates, a, cell, prev, carry, grad, dPre, work, one);
    }
  }

  /**
   * {@code h_t = o ⊙ tanh(c_t)}: the output gate's pre-activation gradient, and the total {@code
   * dL/dc_t} (what the next step carried plus what comes through {@code h_t}), stored for the
   * second pass and for probes.
   */
  private void backwardThroughOutput(
      float[] gates,
      int a,
      float[] tanhCell,
      int carry,
      int grad,
      float[] dPre,
      BackwardBuffers work,
      FloatVector one) {
    int h = hiddenSize();
    for (int j = 0; j < h; j += LANES) {
      VectorMask<Float> m = SPECIES.indexInRange(j, h);
      FloatVector o = FloatVector.fromArray(SPECIES, gates, a + 3 * h + j, m);
      FloatVector tanhC = FloatVector.fromArray(SPECIES, tanhCell, carry + j, m);
      FloatVector dh = FloatVector.fromArray(SPECIES, work.hiddenGradients, grad + j, m);
      FloatVector dO = dh.mul(tanhC);
      FloatVector dc =
          FloatVector.fromArray(SPECIES, work.dcCarry, carry + j, m)
              .add(dh.mul(o).mul(one.sub(tanhC.mul(tanhC))));
      dc.intoArray(work.cellGradients, grad + j, m);
      // h_{t-1} reaches step t only through W_hh, which the caller adds.
      FloatVector.zero(SPECIES).intoArray(work.dhCarry, carry + j, m);
      dO.mul(o).mul(one.sub(o)).intoArray(dPre, a + 3 * h + j, m);
    }
  }

  /**
   * {@code c_t = f ⊙ c_{t-1} + i ⊙ g}: the input, forget and candidate pre-activation gradients
   * from {@code dL/dc_t}, and {@code dL/dc_{t-1} = dL/dc_t ⊙ f} carried to the step before.
   */
  private void backwardThroughCell(
      float[] gates,
      int a,
      float[] cell,
      int prev,
      int carry,
      int grad,
      float[] dPre,
      BackwardBuffers work,
      FloatVector one) {
    int h = hiddenSize();
    for (int j = 0; j < h; j += LANES) {
      VectorMask<Float> m = SPECIES.indexInRange(j, h);
      FloatVector i = FloatVector.fromArray(SPECIES, gates, a + j, m);
      FloatVector f = FloatVector.fromArray(SPECIES, gates, a + h + j, m);
      FloatVector g = FloatVector.fromArray(SPECIES, gates, a + 2 * h + j, m);
      FloatVector dc = FloatVector.fromArray(SPECIES, work.cellGradients, grad + j, m);
      FloatVector dI = dc.mul(g);
      FloatVector dF = dc.mul(FloatVector.fromArray(SPECIES, cell, prev + j, m));
      FloatVector dG = dc.mul(i);
      dc.mul(f).intoArray(work.dcCarry, carry + j, m);
      dI.mul(i).mul(one.sub(i)).intoArray(dPre, a + j, m);
      dF.mul(f).mul(one.sub(f)).intoArray(dPre, a + h + j, m);
      dG.mul(one.sub(g.mul(g))).intoArray(dPre, a + 2 * h + j, m);
    }
  }
}
