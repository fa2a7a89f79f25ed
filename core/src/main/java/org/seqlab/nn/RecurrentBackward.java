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
 * and, as each chunk of a few steps is done (about {@link MatMul#DEPTH_BLOCK} rows of {@code
 * [T*B]}, last chunk first), over the chunk's steps at once
 *
 * <pre>
 *   dW_ih += Σ_t da_t^T x_t     db_ih += Σ_t da_t
 *   dW_hh += Σ_t du_t^T h_{t-1} db_hh += Σ_t du_t
 * </pre>
 *
 * and at the end, over all steps, {@code dx_t += da_t W_ih} and {@code dy_t} of layer {@code k-1}
 * {@code = m ⊙ dx_t} ({@code m}: the dropout mask, or 1).
 *
 * <p>Why in chunks: the step gradients of all steps ({@code [T, B, G*H]}, 19.7 MB for a GRU at H
 * 256, B 64, T 100) outgrow the caches, and the weight gradients read them across, {@code G*H}
 * columns at a time (copied into strips for the kernel): by the end of the loop they come from
 * memory, a chunk's are still in the cache. The products over a chunk are as deep as the packed
 * kernel's depth blocks, so they run as fast as one product over all steps.
 *
 * <p>Parameter gradients are accumulated ({@code +=}); the trace's buffers are only read. No
 * gradient flows through the padding past a sequence's end.
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
   * dL/dc0}) a chunk of steps at a time, last chunk first, each followed by its steps' weight
   * gradients; then {@code dx_t += da_t W_ih} over all steps at once.
   */
  private void backwardDirection(
      int k, int d, float[] dStates, float[] dLayerInput, Tensor dhN, Tensor dcN) {
    int i = k * directions + d;
    LayerTrace layer = trace.layers[i];
    startCarries(i, dhN, dcN);
    float[] sharedBiasGradient = sharesBiasGradient() ? workspace.zeroed(gateRows) : null;
    int chunkSteps = Math.max(1, MatMul.DEPTH_BLOCK / batch);
    float[] packedWeight = packRecurrentWeight(k, d);
    for (int first = (steps - 1) / chunkSteps * chunkSteps; first >= 0; first -= chunkSteps) {
      int end = Math.min(steps, first + chunkSteps);
      backwardThroughTime(i, layer, dStates, first, end, packedWeight);
      accumulateWeightGradients(k, d, layer, first, end, sharedBiasGradient);
    }
    workspace.giveBack(packedWeight);
    if (sharedBiasGradient != null) {
      Elementwise.addInPlace(model.biasIh(k, d).grad().data(), 0, sharedBiasGradient, 0, gateRows);
      Elementwise.addInPlace(model.biasHh(k, d).grad().data(), 0, sharedBiasGradient, 0, gateRows);
      workspace.giveBack(sharedBiasGradient);
    }
    System.arraycopy(work.dhCarry, 0, dh0.data(), i * block, block);
    if (dc0 != null) System.arraycopy(work.dcCarry, 0, dc0.data(), i * block, block);
    if (work.directionGradients != null) stateGradientsByPosition(i, d, dStates);
    addInputGradient(k, d, dLayerInput);
  }

  /**
   * Whether {@code b_ih} and {@code b_hh} enter only as a sum ({@code a_t + u_t}), so that their
   * gradients are one sum over the rows: all but the GRU, whose n gate sees {@code u_t} scaled.
   */
  private boolean sharesBiasGradient() {
    return work.dHiddenProjection == work.dInputProjection;
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
   * The weight and bias gradients of direction {@code d} of layer {@code k} from the steps {@code
   * [first, end)} (the direction's order), each a sum over their rows of the step gradients (zero
   * past a sequence's end, so padding adds nothing):
   *
   * <pre>
   *   a_t = W_ih x_t + b_ih      =>  dW_ih += Σ_t da_t^T x_t,      db_ih += Σ_t da_t
   *   u_t = W_hh h_{t-1} + b_hh  =>  dW_hh += Σ_t du_t^T h_{t-1},  db_hh += Σ_t du_t
   * </pre>
   *
   * Where the two biases share one gradient ({@link #sharesBiasGradient}) it is summed into {@code
   * sharedBiasGradient}, added to both once every chunk is done.
   */
  private void accumulateWeightGradients(
      int k, int d, LayerTrace layer, int first, int end, float[] sharedBiasGradient) {
    int in = layer.inputSize;
    int row = first * batch, rows = (end - first) * batch;
    MatMul.gemmTN(
        gateRows,
        in,
        rows,
        work.dInputProjection,
        row * gateRows,
        gateRows,
        layer.input,
        layer.inputOffset + row * in,
        in,
        model.weightIh(k, d).grad().data(),
        0,
        in);
    if (sharedBiasGradient != null) {
      Elementwise.sumRowsInto(
          work.dInputProjection, row * gateRows, rows, gateRows, sharedBiasGradient, 0);
    } else {
      Elementwise.sumRowsInto(
          work.dInputProjection,
          row * gateRows,
          rows,
          gateRows,
          model.biasIh(k, d).grad().data(),
          0);
      Elementwise.sumRowsInto(
          work.dHiddenProjection,
          row * gateRows,
          rows,
          gateRows,
          model.biasHh(k, d).grad().data(),
          0);
    }
    // h_{t-1} of every step: blocks 0 .. T-1 of the states
    MatMul.gemmTN(
        gateRows,
        hiddenSize,
        rows,
        work.dHiddenProjection,
        row * gateRows,
        gateRows,
        layer.hidden,
        row * hiddenSize,
        hiddenSize,
        model.weightHh(k, d).grad().data(),
        0,
        hiddenSize);
  }

  /**
   * {@code dx_t += da_t W_ih} of direction {@code d} of layer {@code k} into {@code dLayerInput [T,
   * B, in]}, once all steps are done (one product, so that {@code W_ih} is packed once; its rows of
   * {@code da_t} are read in order, which the caches stream well, unlike the transposed reads of
   * the weight gradients). The reverse direction's steps read the positions backwards, so its part
   * is computed in its own order and then added at the positions it came from.
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
   * {@code W_hh [G*H, H]} of direction {@code d} of layer {@code k} in panels of columns, each
   * contiguous over all {@code G*H} rows (see {@link RecurrentStepProduct}), in a workspace array.
   */
  private float[] packRecurrentWeight(int k, int d) {
    return PanelMatVec.pack(
        gateRows,
        hiddenSize,
        model.weightHh(k, d).value().data(),
        0,
        hiddenSize,
        workspace.overwritten(gateRows * hiddenSize));
  }

  /**
   * The reverse of {@link RecurrentForward}'s time loop for the steps {@code [first, end)} of state
   * index {@code i}: from what reaches {@code h_t} from the layer's output ({@code dStates [T, B,
   * H]}, in the direction's order of steps) and the carries (holding {@code dL/dh_end}, {@code
   * dL/dc_end}), fills the step gradients {@code dL/da_t}, {@code dL/du_t} of those steps and
   * leaves {@code dL/dh_{first-1}} (and {@code dL/dc_{first-1}}) in the carries. Only the gate
   * gradients and {@code dh} are computed per step; the weight gradients are left to one product
   * over the chunk's steps.
   *
   * <p>Parallel over the batch as the forward is: each thread walks the steps back for its rows,
   * and {@code dh_{t-1} += du_t W_hh} on a row slice involves no other rows.
   */
  private void backwardThroughTime(
      int i, LayerTrace layer, float[] dStates, int first, int end, float[] packedWeight) {
    int h = hiddenSize;
    Parallel.forRange(
        batch,
        (long) (end - first) * gateRows * h,
        (rowFrom, rowTo) -> {
          for (int t = end - 1; t >= first; t--) {
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
