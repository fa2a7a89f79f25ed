package org.seqlab.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.SpinBarrier;
import org.seqlab.tensor.Tensor;

/**
 * The training forward pass of a {@link Recurrent} ({@link Recurrent#forward}): every layer {@code
 * k} and direction, last step of one layer before the first of the next,
 *
 * <pre>
 *   a_t = W_ih x_t + b_ih,   u_t = W_hh h_prev + b_hh,   h_t (and c_t) = cell(a_t, u_t, h_prev, c_prev)
 *   y_t = [h_t^fwd, h_t^rev],   x_t of layer k+1 = m ⊙ y_t   (m: the dropout mask, or 1)
 * </pre>
 *
 * keeping in a {@link RecurrentTrace} what {@link RecurrentBackward} reads back in reverse: each
 * direction's input, its states {@code [T+1, B, H]} and activated gates {@code [T, B, G*H]}, and
 * the dropout masks. The pointwise cell is the subclass's {@link Recurrent#forwardStepTile}; this
 * class does the products, the biases, the held states past a sequence's end, the reversal and the
 * threading of the time loop, with the per-step products of {@link RecurrentStepProduct}. {@link
 * RecurrentInference} computes the same numbers without a trace.
 */
final class RecurrentForward {

  private final Recurrent model;
  private final int steps;
  private final int batch;
  private final int hiddenSize;
  private final int gateRows;

  /** {@code B*H}: one step's states. */
  private final int block;

  /** Each sequence's length, or null when every one has all {@code T} steps. */
  private final int[] lengths;

  private final SequenceLengths sequences;
  private final Workspace workspace;

  /** Every buffer the trace will own and hand back to the workspace when released. */
  private final List<float[]> owned = new ArrayList<>();

  private RecurrentForward(Recurrent model, int steps, int batch, int[] lengths) {
    this.model = model;
    this.steps = steps;
    this.batch = batch;
    this.hiddenSize = model.hiddenSize();
    this.gateRows = model.gateRows;
    this.block = batch * hiddenSize;
    this.lengths = lengths;
    this.sequences = new SequenceLengths(steps, batch, lengths);
    this.workspace = model.workspace();
  }

  /**
   * {@link Recurrent#forward} with its arguments checked: {@code lengths} null when every sequence
   * has all T steps, {@code dropoutRandom} null unless something is to be dropped.
   */
  static RecurrentOutput run(
      Recurrent model,
      Tensor input,
      Tensor h0,
      Tensor c0,
      int[] lengths,
      RandomGenerator dropoutRandom) {
    return new RecurrentForward(model, input.dim(0), input.dim(1), lengths)
        .run(input, h0, c0, dropoutRandom);
  }

  private RecurrentOutput run(Tensor input, Tensor h0, Tensor c0, RandomGenerator dropoutRandom) {
    int numLayers = model.numLayers();
    int directions = model.directions();
    float[] layerInput = ownedCopyOfInput(input);
    int layerInputOffset = 0;
    LayerTrace[] layers = new LayerTrace[numLayers * directions];
    float[][] dropoutMasks = dropoutRandom != null ? new float[numLayers - 1][] : null;
    for (int k = 0; k < numLayers; k++) {
      for (int d = 0; d < directions; d++) {
        int i = k * directions + d;
        layers[i] = traceDirection(k, d, layerInput, layerInputOffset, h0, c0);
      }
      boolean dropAfter = dropoutRandom != null && k < numLayers - 1;
      if (directions == 1 && lengths == null && !dropAfter) {
        // The next layer reads h_0 .. h_{T-1} in place: they start after the initial state.
        layerInput = layers[k].hidden;
        layerInputOffset = block;
      } else {
        layerInput = assembleLayerOutput(k, layers);
        if (dropAfter) dropoutMasks[k] = dropOut(layerInput, dropoutRandom);
        layerInputOffset = 0;
      }
    }
    return result(layerInput, layerInputOffset, layers, dropoutMasks);
  }

  /**
   * The trace's own copy of the input, so that changing the caller's tensor cannot corrupt
   * backward; its padding zeroed, so that whatever the caller put there never reaches a gradient.
   */
  private float[] ownedCopyOfInput(Tensor input) {
    float[] copy = workspace.overwritten(input.size());
    System.arraycopy(input.data(), 0, copy, 0, copy.length);
    owned.add(copy);
    if (lengths != null) sequences.zeroPadding(copy, model.inputSize());
    return copy;
  }

  /**
   * Direction {@code d} of layer {@code k} over all steps, from its slices of {@code h0} and {@code
   * c0} (null: zeros), traced. The reverse direction is the forward recurrence over each sequence
   * read backwards, so its input is first copied into its own order of steps.
   */
  private LayerTrace traceDirection(
      int k, int d, float[] layerInput, int layerInputOffset, Tensor h0, Tensor c0) {
    int i = k * model.directions() + d;
    int in = model.layerInputSize(k);
    float[] directionInput = layerInput;
    if (d == 1) {
      directionInput = workspace.zeroed(steps * batch * in);
      owned.add(directionInput);
      sequences.toSteps(layerInput, layerInputOffset, in, d, in, directionInput);
    }
    LayerTrace layer =
        new LayerTrace(
            in,
            directionInput,
            d == 0 ? layerInputOffset : 0,
            steps,
            batch,
            hiddenSize,
            model.kind(),
            workspace);
    owned.add(layer.hidden);
    owned.add(layer.cell);
    owned.add(layer.gates);
    owned.add(layer.hiddenNewProjection);
    if (h0 != null) System.arraycopy(h0.data(), i * block, layer.hidden, 0, block);
    if (c0 != null) System.arraycopy(c0.data(), i * block, layer.cell, 0, block);
    runLayer(k, d, layer);
    return layer;
  }

  /**
   * Layer {@code k}'s output {@code y_t = [h_t^fwd, h_t^rev]} by position, {@code [T, B, D*H]},
   * zero past a sequence's end (the states after step {@code s} are block {@code s+1} of the
   * trace's). The last layer's goes to the caller; the others stay in the trace.
   */
  private float[] assembleLayerOutput(int k, LayerTrace[] layers) {
    int outputSize = model.outputSize();
    int assembled = Math.toIntExact((long) steps * batch * outputSize);
    boolean last = k == model.numLayers() - 1;
    float[] output = workspace.zeroed(assembled);
    if (!last) owned.add(output);
    for (int d = 0; d < model.directions(); d++) {
      float[] hidden = layers[k * model.directions() + d].hidden;
      sequences.toPositions(hidden, block, d, hiddenSize, output, d * hiddenSize, outputSize);
    }
    return output;
  }

  /**
   * Inverted dropout on a layer's output, {@code x = m ⊙ y} in place, with a mask {@code m} drawn
   * in {@code [T, B, D*H]} order: each element 0 with probability {@code p} and {@code 1/(1-p)}
   * otherwise, so that the expected value is kept. Returns the mask, which backward reads.
   */
  private float[] dropOut(float[] layerOutput, RandomGenerator random) {
    float[] into = workspace.overwritten(layerOutput.length);
    float[] mask = Dropout.drawMask(into, into.length, model.dropout(), random);
    owned.add(mask);
    for (int j = 0; j < layerOutput.length; j++) layerOutput[j] *= mask[j];
    return mask;
  }

  /**
   * The pass's result: the last layer's output (assembled, at offset 0, when no trace reads it and
   * it can be handed out as it is; else the states of its trace, which must be copied), the final
   * states, and the trace.
   */
  private RecurrentOutput result(
      float[] lastOutput, int lastOutputOffset, LayerTrace[] layers, float[][] dropoutMasks) {
    int outputSize = model.outputSize();
    float[] outputData = lastOutput;
    if (lastOutputOffset != 0) {
      outputData = workspace.overwritten(steps * batch * outputSize);
      System.arraycopy(lastOutput, lastOutputOffset, outputData, 0, outputData.length);
    }
    Tensor output = Tensor.wrap(outputData, steps, batch, outputSize);
    // Past its end a sequence's state is held, so block T is every sequence's final state; each
    // of hN's (and cN's) blocks is copied below.
    int states = layers.length;
    Tensor hN = Tensor.wrap(workspace.overwritten(states * block), states, batch, hiddenSize);
    Tensor cN =
        model.kind() == RecurrentKind.LSTM
            ? Tensor.wrap(workspace.overwritten(states * block), states, batch, hiddenSize)
            : null;
    for (int i = 0; i < states; i++) {
      System.arraycopy(layers[i].hidden, steps * block, hN.data(), i * block, block);
      if (cN != null) System.arraycopy(layers[i].cell, steps * block, cN.data(), i * block, block);
    }
    RecurrentTrace trace =
        new RecurrentTrace(
            model,
            sequences,
            layers,
            dropoutMasks,
            owned.stream().filter(Objects::nonNull).toArray(float[][]::new));
    return new RecurrentOutput(output, hN, cN, trace);
  }

  // ----------------------------------------------------------------------------------------------
  // The time loop of one layer's direction

  /**
   * One direction {@code d} of layer {@code k} over all steps: the input {@code layer.input}
   * already in the direction's order of steps; {@code layer.hidden} (and {@code cell}) hold the
   * initial state. Past a sequence's end ({@code t >= lengths[b]}) the state is held, {@code h_t =
   * h_{t-1}}, {@code c_t = c_{t-1}} ({@link #holdEnded}): the products and the cell still run on
   * the (zero) padding, which keeps every step's rows contiguous, and the held state overwrites
   * their result.
   *
   * <p>The input projection {@code W_ih x_t} does not depend on h, so all steps are one {@code
   * [T*B, in]} product, which is parallel inside {@link MatMul}. It is written straight into {@code
   * layer.gates}, where each step then adds the biases and {@code u_t} and replaces the sum by the
   * activated gates: no separate projection buffers, no pass over all T*B rows just for the biases,
   * and the gate rows are still in cache when the cell update reads them.
   *
   * <p>{@code W_hh^T} is packed once per pass into panels ({@link
   * Recurrent#packTransposedGateBlocks}), which every step then reads as contiguous streams.
   *
   * <p>The time loop is parallel over the batch ({@link #timeLoopSplitRows}), or for a batch
   * smaller than the threads over the hidden units ({@link #timeLoopSplitUnits}); either way the
   * result is bit-identical for any number of threads.
   */
  private void runLayer(int k, int d, LayerTrace layer) {
    int i = k * model.directions() + d;
    // The biases are added step by step, while a step's rows are in cache, not in a pass of their
    // own over all T*B rows.
    float[] bias = model.foldedBias(i);
    float[] hiddenNewBias = model.biasHh(k, d).value().data(); // GRU: b_hn, its last block
    projectInputs(layer, model.weightIh(k, d).value().data());
    float[] stepWeights =
        Recurrent.packTransposedGateBlocks(
            model.weightHh(k, d).value().data(),
            gateRows,
            hiddenSize,
            hiddenSize,
            workspace.overwritten(gateRows * hiddenSize));
    int parties = Math.min(Parallel.threads(), RecurrentStepProduct.panelCount(hiddenSize));
    if (batch < parties && (long) batch * gateRows * hiddenSize >= Recurrent.unitSplitMinWork) {
      timeLoopSplitUnits(layer, parties, stepWeights, bias, hiddenNewBias);
    } else {
      timeLoopSplitRows(layer, stepWeights, bias, hiddenNewBias);
    }
    workspace.giveBack(stepWeights);
  }

  /** {@code a_t = W_ih x_t} of all steps at once, into {@code layer.gates [T*B, G*H]}. */
  private void projectInputs(LayerTrace layer, float[] inputWeight) {
    int in = layer.inputSize;
    MatMul.gemmNT(
        steps * batch,
        gateRows,
        in,
        layer.input,
        layer.inputOffset,
        in,
        inputWeight,
        0,
        in,
        layer.gates,
        0,
        gateRows);
  }

  /**
   * The time loop parallel over the batch: rows of the batch never interact, so each thread runs
   * all T steps for its block of rows, with no synchronisation between steps. Every product inside
   * is {@link MatMul#gemmNNSingleThread}, whose rows do not depend on how the batch was split, so
   * the result is bit-identical for any number of threads.
   */
  private void timeLoopSplitRows(
      LayerTrace layer, float[] stepWeights, float[] bias, float[] hiddenNewBias) {
    Parallel.forRange(
        batch,
        (long) steps * gateRows * hiddenSize,
        (rowFrom, rowTo) -> {
          for (int t = 0; t < steps; t++) {
            int row = t * batch + rowFrom; // first row of this slice at step t
            addBias(layer, row, rowTo - rowFrom, 0, hiddenSize, bias, hiddenNewBias);
            stepRows(layer, t, rowFrom, rowTo, stepWeights);
            if (lengths != null) holdEnded(layer, t, rowFrom, rowTo, 0, hiddenSize);
          }
        });
  }

  /**
   * Step {@code t} for batch rows {@code [rowFrom, rowTo)}, biases already added: {@code u_t =
   * h_{t-1} W_hh^T} ({@code h_{t-1}} being block {@code t} of the {@code [T+1, B, H]} states) and
   * the cell update. One panel of hidden units at a time, over the rows a tile of up to 8 at a
   * time: the G gate columns of those units, and at once the cell update of the tile ({@link
   * Recurrent#forwardStepTile}), while its gates are still in the L1 cache instead of after the
   * whole step's product has pushed them out. Panel by panel, so that the panel's weights are read
   * from memory once per step and serve every tile from the cache; each element's chain of
   * operations is the same in any order of tiles.
   */
  private void stepRows(LayerTrace layer, int t, int rowFrom, int rowTo, float[] stepWeights) {
    int summed = model.summedGateRows();
    for (int q0 = 0; q0 < hiddenSize; q0 += PanelMatVec.PANEL) {
      int q1 = Math.min(hiddenSize, q0 + PanelMatVec.PANEL);
      for (int r0 = rowFrom; r0 < rowTo; r0 += Recurrent.PANEL_BATCH) {
        int r1 = Math.min(rowTo, r0 + Recurrent.PANEL_BATCH);
        int tileRow = t * batch + r0;
        RecurrentStepProduct.stepProduct(
            r1 - r0,
            summed,
            hiddenSize,
            hiddenSize,
            q0,
            q1,
            layer.hidden,
            tileRow * hiddenSize,
            stepWeights,
            0,
            layer.gates,
            tileRow * gateRows,
            gateRows);
        if (summed < gateRows) {
          // GRU: u_n apart, for the reset gate to scale
          RecurrentStepProduct.stepProduct(
              r1 - r0,
              gateRows - summed,
              hiddenSize,
              hiddenSize,
              q0,
              q1,
              layer.hidden,
              tileRow * hiddenSize,
              stepWeights,
              summed,
              layer.hiddenNewProjection,
              tileRow * hiddenSize,
              hiddenSize);
        }
        model.forwardStepTile(layer, t, batch, r0, r1, q0, q1);
      }
    }
  }

  /**
   * The time loop for a batch too small to give every thread rows: the hidden units are split
   * instead, in whole panels of {@link PanelMatVec#PANEL} ({@link
   * RecurrentStepProduct#firstUnitOf}), between {@code parties} threads that stay alive for the
   * whole sequence. At every step each thread computes, for all batch rows, the columns of {@code
   * u_t} that belong to its units in every gate block (all G gates of a unit on the same thread),
   * runs the cell update of those units right away, and then meets the others on a {@link
   * SpinBarrier}: step {@code t+1} needs all of {@code h_t}. One barrier per step suffices because
   * {@code h_t} and the gates of each step have their own blocks in the trace, so nothing is
   * overwritten that another thread may still read.
   *
   * <p>Every element is computed by the same chain of multiply-adds as on one thread, and the
   * nonlinearities are lane by lane, so the result is bit-identical to {@link
   * #timeLoopSplitRows}'s.
   */
  private void timeLoopSplitUnits(
      LayerTrace layer,
      int parties,
      float[] packedRecurrentWeightT,
      float[] bias,
      float[] hiddenNewBias) {
    int h = hiddenSize;
    SpinBarrier barrier = new SpinBarrier(parties);
    Parallel.forRange(
        parties,
        (long) steps * batch * gateRows * h,
        (partyFrom, partyTo) -> {
          // A chunk that holds several parties (fewer threads than planned) does all their units
          // and arrives for all of them.
          int unitFrom = RecurrentStepProduct.firstUnitOf(partyFrom, parties, h);
          int unitTo = RecurrentStepProduct.firstUnitOf(partyTo, parties, h);
          try {
            for (int t = 0; t < steps; t++) {
              addBias(layer, t * batch, batch, unitFrom, unitTo, bias, hiddenNewBias);
              stepUnits(layer, t, unitFrom, unitTo, packedRecurrentWeightT);
              model.forwardStepTile(layer, t, batch, 0, batch, unitFrom, unitTo);
              if (lengths != null) holdEnded(layer, t, 0, batch, unitFrom, unitTo);
              barrier.await(partyTo - partyFrom);
            }
          } catch (RuntimeException | Error e) {
            barrier.breakBarrier();
            throw e;
          }
        });
  }

  /**
   * {@code u_t = h_{t-1} W_hh^T} of step {@code t} for all batch rows, only the columns of hidden
   * units {@code [unitFrom, unitTo)} in every gate block (GRU: {@code u_n} into {@code
   * layer.hiddenNewProjection}).
   */
  private void stepUnits(
      LayerTrace layer, int t, int unitFrom, int unitTo, float[] packedRecurrentWeightT) {
    int h = hiddenSize;
    int summedBlocks = model.summedGateRows() / h;
    for (int b = 0; b < batch; b++) {
      int row = t * batch + b;
      for (int g = 0; g < summedBlocks; g++) {
        PanelMatVec.multiplyAdd(
            h,
            h,
            unitFrom,
            unitTo,
            layer.hidden,
            row * h,
            packedRecurrentWeightT,
            g * h * h,
            layer.gates,
            row * gateRows + g * h);
      }
      if (summedBlocks * h < gateRows) {
        PanelMatVec.multiplyAdd(
            h,
            h,
            unitFrom,
            unitTo,
            layer.hidden,
            row * h,
            packedRecurrentWeightT,
            summedBlocks * h * h,
            layer.hiddenNewProjection,
            row * h);
      }
    }
  }

  /**
   * Adds the biases to {@code rows} rows of {@code layer.gates} from row {@code firstRow}, for
   * hidden units {@code [unitFrom, unitTo)} of every gate block: {@code bias} ({@link
   * Recurrent#foldedBias}) to the gates, and for the GRU {@code b_hn} (the last block of {@code
   * hiddenNewBias}) to {@code layer.hiddenNewProjection}. Each element gets one addition, so the
   * order in which rows or units are done does not matter.
   */
  private void addBias(
      LayerTrace layer,
      int firstRow,
      int rows,
      int unitFrom,
      int unitTo,
      float[] bias,
      float[] hiddenNewBias) {
    int h = hiddenSize;
    int units = unitTo - unitFrom;
    int summed = model.summedGateRows();
    float[] gates = layer.gates;
    for (int row = firstRow; row < firstRow + rows; row++) {
      for (int g = 0; g < gateRows; g += h) {
        Elementwise.addInPlace(gates, row * gateRows + g + unitFrom, bias, g + unitFrom, units);
      }
      if (summed < gateRows) {
        Elementwise.addInPlace(
            layer.hiddenNewProjection, row * h + unitFrom, hiddenNewBias, summed + unitFrom, units);
      }
    }
  }

  /**
   * For the rows {@code [rowFrom, rowTo)} whose sequence has ended before step {@code t}, holds the
   * state of hidden units {@code [unitFrom, unitTo)}: {@code h_t = h_{t-1}} and {@code c_t =
   * c_{t-1}}, over what the step computed. Rows and units are disjoint between threads. Its reverse
   * is {@link RecurrentBackward}'s step over ended rows.
   */
  private void holdEnded(
      LayerTrace layer, int t, int rowFrom, int rowTo, int unitFrom, int unitTo) {
    int h = hiddenSize;
    for (int b = rowFrom; b < rowTo; b++) {
      if (t < lengths[b]) continue;
      int previous = (t * batch + b) * h + unitFrom;
      int next = previous + batch * h;
      System.arraycopy(layer.hidden, previous, layer.hidden, next, unitTo - unitFrom);
      if (layer.cell != null) {
        System.arraycopy(layer.cell, previous, layer.cell, next, unitTo - unitFrom);
      }
    }
  }
}
