package org.seqlab.nn;

import java.util.Arrays;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The backward pass of a {@link Recurrent} ({@link Recurrent#backward}): {@link RecurrentForward}
 * in reverse, last layer first, and within a layer's direction last step first. From {@code
 * dL/dy_t} of a layer and {@code dL/dh_{T-1}} (and {@code dL/dc_{T-1}}), for every step
 *
 * <pre>
 *   dh_t = dy_t (this direction's columns) + dh carried from step t+1
 *   da_t, du_t, dc_{t-1} = the cell's backward (the subclass's {@link Recurrent#backwardStep})
 *   dh_{t-1} += du_t W_hh
 * </pre>
 *
 * and then, once per layer and direction, over all steps at once:
 *
 * <pre>
 *   dW_ih += Σ_t da_t^T x_t     db_ih += Σ_t da_t
 *   dW_hh += Σ_t du_t^T h_{t-1} db_hh += Σ_t du_t
 *   dx_t  += da_t W_ih          dy_t of layer k-1 = m ⊙ dx_t   (m: the dropout mask, or 1)
 * </pre>
 *
 * Parameter gradients are accumulated ({@code +=}); the trace's buffers are only read. No gradient
 * flows through the padding past a sequence's end.
 */
final class RecurrentBackward {

  private final Recurrent model;
  private final RecurrentTrace trace;
  private final int steps;
  private final int batch;
  private final int hiddenSize;
  private final int directions;
  private final int gateRows;

  /** {@code B*H}: one step's states. */
  private final int block;

  private final SequenceLengths sequences;

  /** Each sequence's length, or null when every one has all {@code T} steps. */
  private final int[] lengths;

  private final Workspace workspace;
  private final BackwardBuffers work;

  // The results besides work's hiddenGradients and cellGradients.
  private final Tensor dInput;
  private final Tensor dh0;
  private final Tensor dc0;

  private RecurrentBackward(Recurrent model, RecurrentTrace trace) {
    this.model = model;
    this.trace = trace;
    this.steps = trace.steps();
    this.batch = trace.batchSize();
    this.hiddenSize = model.hiddenSize();
    this.directions = model.directions();
    this.gateRows = model.gateRows;
    this.block = batch * hiddenSize;
    this.sequences = trace.sequences;
    this.lengths = sequences.lengths();
    this.workspace = model.workspace();
    int states = model.numLayers() * directions;
    this.work =
        new BackwardBuffers(
            model.kind(),
            states,
            steps,
            batch,
            hiddenSize,
            directions,
            Math.max(model.inputSize(), model.outputSize()),
            lengths != null,
            workspace);
    this.dInput = zeros(steps, batch, model.inputSize());
    this.dh0 = zeros(states, batch, hiddenSize);
    this.dc0 = model.kind() == RecurrentKind.LSTM ? zeros(states, batch, hiddenSize) : null;
  }

  /**
   * A result tensor of zeros, its array from the workspace ({@link RecurrentGradients#release}).
   */
  private Tensor zeros(int... shape) {
    return Tensor.wrap(workspace.zeroed(Math.toIntExact(Tensor.checkedSize(shape))), shape);
  }

  /**
   * {@link Recurrent#backward} of a trace of {@code model}'s, still held, with gradients of the
   * shapes it documents (checked).
   */
  static RecurrentGradients run(
      Recurrent model, RecurrentTrace trace, Tensor dOutput, Tensor dhN, Tensor dcN) {
    return new RecurrentBackward(model, trace).run(dOutput, dhN, dcN);
  }

  private RecurrentGradients run(Tensor dOutput, Tensor dhN, Tensor dcN) {
    float[] dLayerOutput = copyOfOutputGradient(dOutput);
    for (int k = model.numLayers() - 1; k >= 0; k--) {
      // Gathered for both directions before dLayerOutput is overwritten with the layer's input
      // gradient below.
      float[][] dStates = gradientsReachingStates(dLayerOutput);
      // dx_t: the model's input gradient, or the output gradient of the layer below (then the same
      // array as dLayerOutput, so it is cleared only once direction 0 has read dLayerOutput).
      float[] dLayerInput = k == 0 ? dInput.data() : dLayerOutput;
      for (int d = 0; d < directions; d++) {
        backwardDirection(k, d, dStates[d], dLayerInput, dhN, dcN);
      }
      if (k > 0 && trace.dropoutMasks != null) backwardThroughDropout(k, dLayerOutput);
    }
    work.giveBack(workspace);
    workspace.giveBack(dLayerOutput);
    return result();
  }

  /**
   * {@code dL/dy} of the current layer, {@code [T, B, D*H]}: the loss's for the last layer (zeros
   * for a null {@code dOutput}), then the input gradient of the layer above. A copy, because the
   * caller's {@code dOutput} must not change.
   */
  private float[] copyOfOutputGradient(Tensor dOutput) {
    int outputs = steps * batch * model.outputSize();
    float[] dLayerOutput =
        dOutput == null ? workspace.zeroed(outputs) : workspace.overwritten(outputs);
    if (dOutput != null) System.arraycopy(dOutput.data(), 0, dLayerOutput, 0, outputs);
    return dLayerOutput;
  }

  /**
   * What reaches each direction's states from the layer's output, {@code [T, B, H]} per direction
   * in that direction's order of steps, zero past a sequence's end: the output gradient itself when
   * it can be read in place (one direction, full lengths).
   */
  private float[][] gradientsReachingStates(float[] dLayerOutput) {
    if (work.directionGradients == null) return new float[][] {dLayerOutput};
    float[][] dStates = work.directionGradients;
    for (int d = 0; d < directions; d++) {
      sequences.toSteps(
          dLayerOutput, d * hiddenSize, model.outputSize(), d, hiddenSize, dStates[d]);
    }
    return dStates;
  }

  /**
   * The reverse of {@link RecurrentForward}'s pass over direction {@code d} of layer {@code k}:
   * back through time from {@code dL/dhN} (and {@code dL/dcN}) to {@code dL/dh0} (and {@code
   * dL/dc0}), then the weight gradients and {@code dx_t += da_t W_ih} over all steps at once.
   */
  private void backwardDirection(
      int k, int d, float[] dStates, float[] dLayerInput, Tensor dhN, Tensor dcN) {
    int i = k * directions + d;
    LayerTrace layer = trace.layers[i];
    startCarries(i, dhN, dcN);
    backwardThroughTime(k, d, layer, dStates);
    System.arraycopy(work.dhCarry, 0, dh0.data(), i * block, block);
    if (dc0 != null) System.arraycopy(work.dcCarry, 0, dc0.data(), i * block, block);
    if (work.directionGradients != null) stateGradientsByPosition(i, d, dStates);
    accumulateWeightGradients(k, d, layer);
    addInputGradient(k, d, dLayerInput);
  }

  /** The carries before the last step: {@code dL/dhN}, {@code dL/dcN} of index {@code i}, or 0. */
  private void startCarries(int i, Tensor dhN, Tensor dcN) {
    if (dhN != null) System.arraycopy(dhN.data(), i * block, work.dhCarry, 0, block);
    else Arrays.fill(work.dhCarry, 0f);
    if (work.dcCarry != null) {
      if (dcN != null) System.arraycopy(dcN.data(), i * block, work.dcCarry, 0, block);
      else Arrays.fill(work.dcCarry, 0f);
    }
  }

  /**
   * Puts the reported {@code dL/dh_t} (and {@code dL/dc_t}) of index {@code i}, computed in the
   * direction's order of steps, by position, zero past the end, where there is no state; {@code
   * dStates} has been read and serves as scratch.
   */
  private void stateGradientsByPosition(int i, int d, float[] dStates) {
    int slice = i * steps * block;
    for (float[] perStep : new float[][] {work.hiddenGradients, work.cellGradients}) {
      if (perStep == null) continue;
      System.arraycopy(perStep, slice, dStates, 0, steps * block);
      sequences.toPositions(dStates, 0, d, hiddenSize, perStep, slice, hiddenSize);
    }
  }

  /**
   * The weight and bias gradients of direction {@code d} of layer {@code k}, each a sum over the
   * T*B rows of the step gradients (zero past a sequence's end, so padding adds nothing):
   *
   * <pre>
   *   a_t = W_ih x_t + b_ih      =>  dW_ih += Σ_t da_t^T x_t,      db_ih += Σ_t da_t
   *   u_t = W_hh h_{t-1} + b_hh  =>  dW_hh += Σ_t du_t^T h_{t-1},  db_hh += Σ_t du_t
   * </pre>
   */
  private void accumulateWeightGradients(int k, int d, LayerTrace layer) {
    int in = layer.inputSize;
    int rows = steps * batch;
    MatMul.gemmTN(
        gateRows,
        in,
        rows,
        work.dInputProjection,
        0,
        gateRows,
        layer.input,
        layer.inputOffset,
        in,
        model.weightIh(k, d).grad().data(),
        0,
        in);
    float[] biasIhGradient = model.biasIh(k, d).grad().data();
    float[] biasHhGradient = model.biasHh(k, d).grad().data();
    if (work.dHiddenProjection == work.dInputProjection) {
      // b_ih and b_hh enter only as a sum, so their gradients are one sum over all rows.
      float[] biasGradient = new float[gateRows];
      Elementwise.sumRowsInto(work.dInputProjection, 0, rows, gateRows, biasGradient, 0);
      Elementwise.addInPlace(biasIhGradient, 0, biasGradient, 0, gateRows);
      Elementwise.addInPlace(biasHhGradient, 0, biasGradient, 0, gateRows);
    } else {
      Elementwise.sumRowsInto(work.dInputProjection, 0, rows, gateRows, biasIhGradient, 0);
      Elementwise.sumRowsInto(work.dHiddenProjection, 0, rows, gateRows, biasHhGradient, 0);
    }
    // h_{t-1} of every step: blocks 0 .. T-1 of the states
    MatMul.gemmTN(
        gateRows,
        hiddenSize,
        rows,
        work.dHiddenProjection,
        0,
        gateRows,
        layer.hidden,
        0,
        hiddenSize,
        model.weightHh(k, d).grad().data(),
        0,
        hiddenSize);
  }

  /**
   * {@code dx_t += da_t W_ih} of direction {@code d} of layer {@code k} into {@code dLayerInput [T,
   * B, in]}. The reverse direction's steps read the positions backwards, so its part is computed in
   * its own order and then added at the positions it came from.
   */
  private void addInputGradient(int k, int d, float[] dLayerInput) {
    int in = model.layerInputSize(k);
    int rows = steps * batch;
    float[] dx = d == 0 ? dLayerInput : work.reversedInputGradient;
    Arrays.fill(dx, 0, rows * in, 0f);
    MatMul.gemmNN(
        rows,
        in,
        gateRows,
        work.dInputProjection,
        0,
        gateRows,
        model.weightIh(k, d).value().data(),
        0,
        in,
        dx,
        0,
        in);
    if (d == 1) sequences.addToPositions(dx, d, in, dLayerInput);
  }

  /**
   * x of layer {@code k} = {@code m ⊙ y} of layer {@code k-1} ⇒ {@code dy = m ⊙ dx}, in place, with
   * the forward pass's mask.
   */
  private void backwardThroughDropout(int k, float[] dLayerOutput) {
    float[] mask = trace.dropoutMasks[k - 1];
    for (int j = 0; j < dLayerOutput.length; j++) dLayerOutput[j] *= mask[j];
  }

  private RecurrentGradients result() {
    int states = model.numLayers() * directions;
    Tensor hiddenGradients = Tensor.wrap(work.hiddenGradients, states, steps, batch, hiddenSize);
    Tensor cellGradients =
        work.cellGradients == null
            ? null
            : Tensor.wrap(work.cellGradients, states, steps, batch, hiddenSize);
    return new RecurrentGradients(dInput, dh0, dc0, hiddenGradients, cellGradients, workspace);
  }

  // ----------------------------------------------------------------------------------------------
  // Back through time

  /**
   * The reverse of {@link RecurrentForward}'s time loop for direction {@code d} of layer {@code k}:
   * from what reaches {@code h_t} from the layer's output ({@code dStates [T, B, H]}, in the
   * direction's order of steps) and the carries (holding {@code dL/dhN}, {@code dL/dcN}), fills the
   * step gradients {@code dL/da_t}, {@code dL/du_t} of every step and leaves {@code dL/dh_{-1}}
   * (and {@code dL/dc_{-1}}) in the carries. Only the gate gradients and {@code dh} are computed
   * per step; every weight gradient is left to one product over all steps.
   *
   * <p>Parallel over the batch as the forward is: each thread walks all steps back for its rows,
   * and {@code dh_{t-1} += du_t W_hh} on a row slice involves no other rows.
   */
  private void backwardThroughTime(int k, int d, LayerTrace layer, float[] dStates) {
    int i = k * directions + d;
    int h = hiddenSize;
    // W_hh [G*H, H] in panels of columns, each contiguous over all G*H rows (see
    // RecurrentStepProduct).
    float[] packedWeight =
        PanelMatVec.pack(
            gateRows,
            h,
            model.weightHh(k, d).value().data(),
            0,
            h,
            workspace.overwritten(gateRows * h));
    Parallel.forRange(
        batch,
        (long) steps * gateRows * h,
        (rowFrom, rowTo) -> {
          for (int t = steps - 1; t >= 0; t--) {
            int gradientOffset = (i * steps + t) * block;
            // h_t feeds both the layer's output and step t+1.
            Elementwise.add(
                dStates,
                t * block + rowFrom * h,
                work.dhCarry,
                rowFrom * h,
                work.hiddenGradients,
                gradientOffset + rowFrom * h,
                (rowTo - rowFrom) * h);
            if (lengths == null) {
              model.backwardStep(layer, t, batch, rowFrom, rowTo, gradientOffset, work);
            } else {
              backwardStepRagged(layer, t, rowFrom, rowTo, gradientOffset);
            }
            addThroughRecurrentWeight(t, rowFrom, rowTo, packedWeight);
          }
        });
    workspace.giveBack(packedWeight);
  }

  /**
   * {@code u_t = h_{t-1} W_hh^T + b_hh} ⇒ {@code dh_{t-1} += du_t W_hh} for batch rows {@code
   * [rowFrom, rowTo)}, into {@code work.dhCarry}, a panel of columns at a time.
   */
  private void addThroughRecurrentWeight(int t, int rowFrom, int rowTo, float[] packedWeight) {
    int h = hiddenSize;
    for (int q0 = 0; q0 < h; q0 += PanelMatVec.PANEL) {
      int width = Math.min(PanelMatVec.PANEL, h - q0);
      MatMul.gemmNNSingleThread(
          rowTo - rowFrom,
          width,
          gateRows,
          work.dHiddenProjection,
          (t * batch + rowFrom) * gateRows,
          gateRows,
          packedWeight,
          q0 * gateRows,
          width,
          work.dhCarry,
          rowFrom * h + q0,
          h);
    }
  }

  /**
   * {@link Recurrent#backwardStep} for the rows whose sequence is still running at step {@code t},
   * in runs of consecutive rows, and for the others the reverse of {@link RecurrentForward}'s held
   * state: a held step passes {@code dL/dh_t} and {@code dL/dc_t} unchanged to {@code t-1}, and its
   * gate gradients are zero, so neither the weights nor the padded input receive anything from it.
   */
  private void backwardStepRagged(
      LayerTrace layer, int t, int rowFrom, int rowTo, int gradientOffset) {
    int h = hiddenSize;
    int b = rowFrom;
    while (b < rowTo) {
      boolean running = t < lengths[b];
      int end = b + 1;
      while (end < rowTo && (t < lengths[end]) == running) end++;
      if (running) {
        model.backwardStep(layer, t, batch, b, end, gradientOffset, work);
      } else {
        int gates = (t * batch + b) * gateRows, count = (end - b) * gateRows;
        Arrays.fill(work.dInputProjection, gates, gates + count, 0f);
        Arrays.fill(work.dHiddenProjection, gates, gates + count, 0f);
        // h_t = h_{t-1}: the whole dL/dh_t goes on; c_t = c_{t-1}: dcCarry stays as it is.
        System.arraycopy(
            work.hiddenGradients, gradientOffset + b * h, work.dhCarry, b * h, (end - b) * h);
        if (work.cellGradients != null) {
          System.arraycopy(
              work.dcCarry, b * h, work.cellGradients, gradientOffset + b * h, (end - b) * h);
        }
      }
      b = end;
    }
  }

  // ----------------------------------------------------------------------------------------------

  /** Work buffers of one backward call, allocated once and reused by every layer and step. */
  static final class BackwardBuffers {
    /** The result {@code dL/dh_t}, {@code [L*D, T, B, H]}. */
    final float[] hiddenGradients;

    /** LSTM: the result {@code dL/dc_t}, {@code [L*D, T, B, H]}; else null. */
    final float[] cellGradients;

    /** {@code dL/da_t} for all steps, {@code [T, B, G*H]}. */
    final float[] dInputProjection;

    /**
     * {@code dL/du_t} for all steps, {@code [T, B, G*H]}. The same array as {@link
     * #dInputProjection} except for the GRU, whose n gate sees {@code u_t} scaled by the reset
     * gate.
     */
    final float[] dHiddenProjection;

    /** {@code dL/dh_{t-1}} being gathered while stepping back, {@code [B, H]}. */
    final float[] dhCarry;

    /** LSTM: {@code dL/dc_{t-1}} being gathered, {@code [B, H]}; else null. */
    final float[] dcCarry;

    /** {@code [B, H]} for a step's intermediate values; each thread uses its own batch rows. */
    final float[] rowScratch;

    /**
     * Per direction, what reaches its states from the layer's output, {@code [T, B, H]} in the
     * direction's order of steps, zero past a sequence's end; null where the layer's output
     * gradient can be read in place (one direction, full lengths).
     */
    final float[][] directionGradients;

    /**
     * Bidirectional: the reverse direction's input gradient {@code [T, B, in]} in its own order of
     * steps, before it is put back in place; else null.
     */
    final float[] reversedInputGradient;

    BackwardBuffers(
        RecurrentKind kind,
        int states,
        int steps,
        int batch,
        int hidden,
        int directions,
        int widestInput,
        boolean ragged,
        Workspace workspace) {
      int perStep = Math.toIntExact(Tensor.checkedSize(states, steps, batch, hidden));
      int projections = Math.toIntExact(Tensor.checkedSize(steps, batch, kind.gateCount(), hidden));
      boolean lstm = kind == RecurrentKind.LSTM;
      // The two results go to the caller, who hands them back with the rest of the gradients
      // (RecurrentGradients.release); everything else goes back at the end of the pass.
      hiddenGradients = workspace.zeroed(perStep);
      cellGradients = lstm ? workspace.zeroed(perStep) : null;
      // The step gradients are written, every element, step by step (padding included) before
      // anything reads them: no need to clear them first.
      dInputProjection = workspace.overwritten(projections);
      dHiddenProjection =
          kind == RecurrentKind.GRU ? workspace.overwritten(projections) : dInputProjection;
      dhCarry = workspace.zeroed(batch * hidden);
      dcCarry = lstm ? workspace.zeroed(batch * hidden) : null;
      rowScratch = workspace.zeroed(batch * hidden);
      if (directions == 1 && !ragged) {
        directionGradients = null;
      } else {
        directionGradients = new float[directions][];
        for (int d = 0; d < directions; d++) {
          directionGradients[d] = workspace.zeroed(steps * batch * hidden);
        }
      }
      reversedInputGradient =
          directions == 2 ? workspace.zeroed(steps * batch * widestInput) : null;
    }

    /** Hands every buffer but the two results back to {@code workspace}. */
    void giveBack(Workspace workspace) {
      workspace.giveBack(
          dInputProjection,
          dHiddenProjection == dInputProjection ? null : dHiddenProjection,
          dhCarry,
          dcCarry,
          rowScratch,
          reversedInputGradient);
      if (directionGradients != null) workspace.giveBack(directionGradients);
    }
  }
}
