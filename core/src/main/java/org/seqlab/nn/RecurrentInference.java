package org.seqlab.nn;

import java.util.Arrays;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.SpinBarrier;
import org.seqlab.tensor.Tensor;

/**
 * The forward-only pass of a unidirectional {@link Recurrent} ({@link Recurrent#infer}): the
 * recurrence of every layer,
 *
 * <pre>
 *   a_t = W_ih x_t + b_ih,   u_t = W_hh h_{t-1} + b_hh,   h_t (and c_t) = cell(a_t, u_t, h_{t-1}, c_{t-1})
 * </pre>
 *
 * computed without a trace: no copy of the input, no {@code [T, B, G*H]} gates, no {@code [T+1, B,
 * H]} states. What it holds per layer: per thread, the input projections {@code a_t} of its batch
 * rows for a few steps at a time ({@link #PROJECTION_ROWS} rows of {@code G*H}), the layer's output
 * {@code [T, B, H]} (which is where {@code h_t} lives: step {@code t} reads {@code h_{t-1}} from
 * it), the cell state {@code [B, H]} (updated in place) and, per thread, one tile of gate
 * pre-activations ({@code G' × TILE_ROWS × PANEL} floats).
 *
 * <p><b>Fusion.</b> For each tile of up to {@link MatMul#TILE_ROWS} batch rows and each panel of
 * {@link PanelMatVec#PANEL} hidden units, the tile's accumulators start at {@code a_t + b} ({@code
 * b_ih + b_hh} folded, as the traced forward adds it), the G gate blocks of {@code h_{t-1} W_hh^T}
 * for those units are added by the same chains of fused multiply-adds as {@link Recurrent}'s step
 * product, and the cell update of those units ({@link Recurrent#inferenceCell}) runs at once, while
 * the tile is in the L1 cache. {@code W_hh^T} is packed as the traced forward packs it ({@link
 * Recurrent#packTransposedGateBlocks}): gate block {@code g}, panel {@code q} is a contiguous
 * {@code [H, width]} stream, so the G gates of a panel of units are G streams.
 *
 * <p><b>Same bits.</b> Every element goes through exactly the operations of the traced forward: the
 * input projection by the same kernel (a {@link MatMul.PackedTransposed} {@code W_ih}, block of
 * steps by block, only where {@link MatMul#gemmNTUsesPackedKernel} says the whole product would use
 * that kernel too; otherwise all steps at once, as the traced forward does), then one addition of
 * the bias, then {@code fma} over the depth in order, then the same lane-wise nonlinearities. So
 * the output, {@code hN} and {@code cN} equal {@link Recurrent#forward}'s ({@link
 * RecurrentForward}) bit for bit, on any number of threads.
 *
 * <p><b>Threads.</b> As in the traced forward: the batch is split between threads, each running all
 * steps for its rows, input projections included, with no synchronisation at all; a batch smaller
 * than the threads (and a step big enough, {@link Recurrent#unitSplitMinWork}) splits the hidden
 * units instead, in whole panels, with a barrier after every step.
 *
 * <p><b>Lengths.</b> Past a sequence's end the state is held and the output is zero, as in the
 * traced forward. Then {@code h} lives in two {@code [B, H]} blocks (step {@code t} reads one and
 * writes the other) and so does {@code c}, so that a held row can take back its previous state
 * after the tile computed over it; the padding of the input is never read into a valid row.
 */
final class RecurrentInference {
  private RecurrentInference() {}

  /** Batch rows of a tile: those of {@link MatMul#gemmNNSingleThread}'s register tile. */
  private static final int TILE_ROWS = MatMul.TILE_ROWS;

  /**
   * Rows (whole steps of a thread's batch rows) of input projections a thread computes at once, at
   * least one step: 1 MiB of projections for an LSTM of {@code H = 256}, few enough to be read back
   * from the L2 cache, enough that the product runs on full tiles. Measured (LSTM, {@code B = 64},
   * {@code H = 256} and 512, one and two threads): 64 to 512 rows ran alike within the noise.
   */
  static final int PROJECTION_ROWS = 256;

  /**
   * One layer's weights as the pass reads them, made from the model once: a model's {@link
   * Recurrent#infer} makes them on every call, a {@link FrozenRecurrent} once for all its calls.
   *
   * @param inputWeight {@code W_ih [G*H, in]}
   * @param packedInputWeight {@code W_ih} packed for the products of many rows ({@link
   *     MatMul#packTransposed}), or null: packed by the pass where it needs it
   * @param recurrentWeight {@code W_hh^T} in gate blocks of panels ({@link
   *     Recurrent#packTransposedGateBlocks})
   * @param bias {@code b_ih + b_hh} folded ({@link Recurrent#foldedBias}), {@code [G*H]}
   * @param hiddenBias {@code b_hh}: the GRU's {@code b_hn} is its last block
   */
  record LayerWeights(
      float[] inputWeight,
      MatMul.PackedTransposed packedInputWeight,
      float[] recurrentWeight,
      float[] bias,
      float[] hiddenBias) {}

  /**
   * Every layer's {@link LayerWeights}, from the model's parameters as they are now.
   *
   * @param snapshot copy {@code W_ih} and {@code b_hh} and pack {@code W_ih} now, so that later
   *     changes to the model's parameters change nothing here (a {@link FrozenRecurrent}); else the
   *     weights are the model's own arrays, for one pass
   */
  static LayerWeights[] weightsOf(Recurrent model, boolean snapshot) {
    int h = model.hiddenSize();
    LayerWeights[] layers = new LayerWeights[model.numLayers()];
    for (int k = 0; k < layers.length; k++) {
      int in = k == 0 ? model.inputSize() : h;
      float[] inputWeight = model.weightIh(k).value().data();
      float[] hiddenBias = model.biasHh(k).value().data();
      if (snapshot) {
        inputWeight = inputWeight.clone();
        hiddenBias = hiddenBias.clone();
      }
      layers[k] =
          new LayerWeights(
              inputWeight,
              snapshot ? MatMul.packTransposed(model.gateRows, in, inputWeight, 0, in) : null,
              Recurrent.packTransposedGateBlocks(
                  model.weightHh(k).value().data(), model.gateRows, h, h),
              model.foldedBias(k),
              hiddenBias);
    }
    return layers;
  }

  /**
   * {@link Recurrent#infer} of a unidirectional model with its weights laid out ({@link
   * #weightsOf}), arguments checked ({@code lengths} null when every sequence has all T steps).
   */
  static RecurrentOutput run(
      Recurrent model, LayerWeights[] weights, Tensor input, Tensor h0, Tensor c0, int[] lengths) {
    int steps = input.dim(0);
    int batch = input.dim(1);
    int h = model.hiddenSize();
    int layers = model.numLayers();
    boolean lstm = model.kind() == RecurrentKind.LSTM;
    Tensor output = Tensor.zeros(steps, batch, h);
    Tensor hN = Tensor.zeros(layers, batch, h);
    Tensor cN = lstm ? Tensor.zeros(layers, batch, h) : null;
    float[] layerInput = input.data();
    // Outputs of the layers below the last, each read by the layer above it only: two suffice.
    float[][] between = new float[2][];
    for (int k = 0; k < layers; k++) {
      float[] layerOutput;
      if (k == layers - 1) {
        layerOutput = output.data();
      } else {
        if (between[k % 2] == null) between[k % 2] = new float[steps * batch * h];
        layerOutput = between[k % 2];
      }
      Layer layer = new Layer(model, weights[k], k, steps, batch, lengths, layerInput, layerOutput);
      layer.start(h0, c0);
      layer.run();
      layer.finish(hN, cN);
      layerInput = layerOutput;
    }
    return new RecurrentOutput(output, hN, cN, null);
  }

  /** One layer's pass: its weights laid out for the products, its states, its time loop. */
  private static final class Layer {
    private final Recurrent model;
    private final int k;
    private final int steps;
    private final int batch;
    private final int h;
    private final int in;
    private final int gateRows;
    private final int gates;
    private final int[] lengths;
    private final float[] input;
    private final float[] output;

    /** {@code b_ih + b_hh} folded ({@link Recurrent#foldedBias}), {@code [G*H]}. */
    private final float[] bias;

    /** {@code b_hh}: the GRU's {@code b_hn} is its last block. */
    private final float[] hiddenBias;

    /** {@code W_hh^T} in gate blocks of panels ({@link Recurrent#packTransposedGateBlocks}). */
    private final float[] recurrentWeight;

    /** {@code W_ih [G*H, in]} as it lies, and packed for the products of many rows. */
    private final float[] inputWeight;

    private final MatMul.PackedTransposed packedInputWeight;

    /** Unragged: the initial {@code h} (h0's slice or zeros), read at step 0. */
    private float[] initialHidden;

    private int initialHiddenOffset;

    /** Ragged: {@code h} in two {@code [B, H]} blocks; step {@code t} reads {@code t % 2}. */
    private float[][] hiddenBlocks;

    /**
     * LSTM: {@code c} in {@code [B, H]} blocks, one updated in place, or two for ragged batches
     * (step {@code t} reads {@code t % 2}); else null.
     */
    private float[][] cellBlocks;

    Layer(
        Recurrent model,
        LayerWeights weights,
        int k,
        int steps,
        int batch,
        int[] lengths,
        float[] input,
        float[] output) {
      this.model = model;
      this.k = k;
      this.steps = steps;
      this.batch = batch;
      this.h = model.hiddenSize();
      this.in = k == 0 ? model.inputSize() : h;
      this.gateRows = model.gateRows;
      this.gates = model.kind().gateCount();
      this.lengths = lengths;
      this.input = input;
      this.output = output;
      this.bias = weights.bias();
      this.hiddenBias = weights.hiddenBias();
      this.recurrentWeight = weights.recurrentWeight();
      this.inputWeight = weights.inputWeight();
      this.packedInputWeight = weights.packedInputWeight();
    }

    /** Sets the initial states from layer {@code k}'s slices of h0 and c0 (null: zeros). */
    void start(Tensor h0, Tensor c0) {
      int block = batch * h;
      if (lengths == null) {
        initialHidden = h0 != null ? h0.data() : new float[block];
        initialHiddenOffset = h0 != null ? k * block : 0;
      } else {
        hiddenBlocks = new float[2][block];
        if (h0 != null) System.arraycopy(h0.data(), k * block, hiddenBlocks[0], 0, block);
      }
      if (model.kind() == RecurrentKind.LSTM) {
        cellBlocks = new float[lengths == null ? 1 : 2][block];
        if (c0 != null) System.arraycopy(c0.data(), k * block, cellBlocks[0], 0, block);
      }
    }

    /** Copies the final states into layer {@code k}'s slices of hN and cN. */
    void finish(Tensor hN, Tensor cN) {
      int block = batch * h;
      if (lengths == null) {
        System.arraycopy(output, (steps - 1) * block, hN.data(), k * block, block);
      } else {
        System.arraycopy(hiddenBlocks[steps % 2], 0, hN.data(), k * block, block);
      }
      if (cN != null) {
        System.arraycopy(cellBlocks[steps % cellBlocks.length], 0, cN.data(), k * block, block);
      }
    }

    // The states of step t: where h_{t-1} is read and h_t, c_t written.

    private float[] hiddenPrevious(int t) {
      if (lengths != null) return hiddenBlocks[t % 2];
      return t == 0 ? initialHidden : output;
    }

    private int hiddenPreviousOffset(int t) {
      if (lengths != null) return 0;
      return t == 0 ? initialHiddenOffset : (t - 1) * batch * h;
    }

    private float[] hiddenNext(int t) {
      return lengths != null ? hiddenBlocks[(t + 1) % 2] : output;
    }

    private int hiddenNextOffset(int t) {
      return lengths != null ? 0 : t * batch * h;
    }

    private float[] cellPrevious(int t) {
      return cellBlocks == null ? null : cellBlocks[t % cellBlocks.length];
    }

    private float[] cellNext(int t) {
      return cellBlocks == null ? null : cellBlocks[(t + 1) % cellBlocks.length];
    }

    /** The time loop, split over the batch or, for a small batch, over the hidden units. */
    void run() {
      int panelCount = ceilDiv(h, PanelMatVec.PANEL);
      int parties = Math.min(Parallel.threads(), panelCount);
      if (batch < parties && (long) batch * gateRows * h >= Recurrent.unitSplitMinWork) {
        runSplitUnits(parties);
      } else {
        runSplitRows();
      }
    }

    /**
     * Threads take blocks of batch rows and run every step for them, with no synchronisation
     * between steps, as in the traced forward. Each computes the input projections of its own rows,
     * {@link #PROJECTION_ROWS} rows (whole steps) at a time, with a {@code W_ih} packed once for
     * all, where that gives the bits of one product over all steps ({@link
     * MatMul#gemmNTUsesPackedKernel}); otherwise (a few rows in all, or a tiny product) the
     * projections of all steps are one product first, exactly as in the traced forward.
     */
    private void runSplitRows() {
      int rows = steps * batch;
      boolean inBlocks = MatMul.gemmNTUsesPackedKernel(rows, gateRows, in);
      MatMul.PackedTransposed packedInputWeight =
          inBlocks && this.packedInputWeight == null
              ? MatMul.packTransposed(gateRows, in, inputWeight, 0, in) // packed for this pass
              : this.packedInputWeight;
      float[] allProjections = null;
      if (!inBlocks) {
        allProjections = new float[rows * gateRows];
        MatMul.gemmNT(
            rows, gateRows, in, input, 0, in, inputWeight, 0, in, allProjections, 0, gateRows);
      }
      float[] everyStep = allProjections;
      Parallel.forRange(
          batch,
          (long) steps * gateRows * (h + in),
          (rowFrom, rowTo) -> {
            float[] tile = newTile();
            if (everyStep != null) {
              for (int t = 0; t < steps; t++) step(t, everyStep, t * batch, rowFrom, rowTo, tile);
              return;
            }
            int slice = rowTo - rowFrom;
            int blockSteps = Math.clamp(PROJECTION_ROWS / slice, 1, steps);
            float[] projections = new float[blockSteps * slice * gateRows];
            // This thread's rows of a block of steps, gathered so that they are one product
            // (a product of few rows would leave most of the kernel's row tiles empty).
            float[] gathered = slice == batch ? null : new float[blockSteps * slice * in];
            for (int first = 0; first < steps; first += blockSteps) {
              int count = Math.min(blockSteps, steps - first);
              float[] rowsOfX = input;
              int rowsOffset = first * batch * in;
              if (gathered != null) {
                for (int s = 0; s < count; s++) {
                  System.arraycopy(
                      input,
                      ((first + s) * batch + rowFrom) * in,
                      gathered,
                      s * slice * in,
                      slice * in);
                }
                rowsOfX = gathered;
                rowsOffset = 0;
              }
              // a_t = x_t W_ih^T, added into zeros as the traced forward's product is
              Arrays.fill(projections, 0, count * slice * gateRows, 0f);
              MatMul.gemmNT(
                  count * slice,
                  rowsOfX,
                  rowsOffset,
                  in,
                  packedInputWeight,
                  projections,
                  0,
                  gateRows);
              for (int t = first; t < first + count; t++) {
                // batch row b of step t is row (t - first) * slice + b - rowFrom
                step(t, projections, (t - first) * slice - rowFrom, rowFrom, rowTo, tile);
              }
            }
          });
    }

    /**
     * Step {@code t} for batch rows {@code [rowFrom, rowTo)}: a panel of units at a time, over all
     * the rows a tile of up to {@link #TILE_ROWS} at a time, so that the panel's weights are read
     * from memory once per step and serve every tile from the cache (tile by tile, each tile would
     * stream all of {@code W_hh}, 4 MiB at {@code H = 512}); {@code projections} holds {@code a_t}
     * of batch row {@code b} at row {@code projectionRow + b}.
     */
    private void step(
        int t, float[] projections, int projectionRow, int rowFrom, int rowTo, float[] tile) {
      for (int q0 = 0; q0 < h; q0 += PanelMatVec.PANEL) {
        for (int r0 = rowFrom; r0 < rowTo; r0 += TILE_ROWS) {
          int tileRows = Math.min(TILE_ROWS, rowTo - r0);
          fusedTile(t, projections, projectionRow, r0, tileRows, q0, tile);
        }
      }
      if (lengths != null) finishRagged(t, rowFrom, rowTo, 0, h);
    }

    /**
     * Threads take whole panels of hidden units and do all batch rows of them, meeting after every
     * step, since step {@code t+1} reads all of {@code h_t}. The input projections of all steps are
     * one product first (a small batch makes them small).
     */
    private void runSplitUnits(int parties) {
      float[] projections = new float[steps * batch * gateRows];
      MatMul.gemmNT(
          steps * batch, gateRows, in, input, 0, in, inputWeight, 0, in, projections, 0, gateRows);
      SpinBarrier barrier = new SpinBarrier(parties);
      Parallel.forRange(
          parties,
          (long) steps * batch * gateRows * h,
          (partyFrom, partyTo) -> {
            // A chunk that holds several parties (fewer threads than planned) does all their
            // units and arrives for all of them.
            int unitFrom = RecurrentStepProduct.firstUnitOf(partyFrom, parties, h);
            int unitTo = RecurrentStepProduct.firstUnitOf(partyTo, parties, h);
            float[] tile = newTile();
            try {
              for (int t = 0; t < steps; t++) {
                for (int r0 = 0; r0 < batch; r0 += TILE_ROWS) {
                  int tileRows = Math.min(TILE_ROWS, batch - r0);
                  for (int q0 = unitFrom; q0 < unitTo; q0 += PanelMatVec.PANEL) {
                    fusedTile(t, projections, t * batch, r0, tileRows, q0, tile);
                  }
                  if (lengths != null) finishRagged(t, r0, r0 + tileRows, unitFrom, unitTo);
                }
                // Step t+1 reads h_t of every unit, and (ragged) writes the block read at step t.
                barrier.await(partyTo - partyFrom);
              }
            } catch (RuntimeException | Error e) {
              barrier.breakBarrier();
              throw e;
            }
          });
    }

    private float[] newTile() {
      return new float[model.inferenceBlocks() * TILE_ROWS * PanelMatVec.PANEL];
    }

    /**
     * Step {@code t} of batch rows {@code [r0, r0 + tileRows)}, hidden units {@code [q0, q0 +
     * width)} (one panel): the pre-activations of the tile's G gates, then its cell update. {@code
     * projections} holds {@code a_t} of batch row 0 at row {@code projectionRow}.
     */
    private void fusedTile(
        int t, float[] projections, int projectionRow, int r0, int tileRows, int q0, float[] tile) {
      int width = Math.min(PanelMatVec.PANEL, h - q0);
      int n = tileRows * width;
      // Accumulators: a_t + (b_ih + b_hh) as the traced forward adds the bias; the GRU's u_n
      // starts at 0 + b_hn, the bias added to a zeroed projection.
      for (int r = 0; r < tileRows; r++) {
        int projection = (projectionRow + r0 + r) * gateRows + q0;
        for (int g = 0; g < gates; g++) {
          Elementwise.add(
              projections, projection + g * h, bias, g * h + q0, tile, g * n + r * width, width);
        }
      }
      if (gates * h != model.summedGateRows()) {
        int hiddenNew = model.inferenceTarget(gates - 1) * n;
        int hiddenNewBias = (gates - 1) * h + q0;
        for (int r = 0; r < tileRows; r++) {
          for (int j = 0; j < width; j++) {
            tile[hiddenNew + r * width + j] = 0f + hiddenBias[hiddenNewBias + j];
          }
        }
      }
      float[] hiddenPrevious = hiddenPrevious(t);
      int previous = hiddenPreviousOffset(t) + r0 * h;
      recurrentProduct(tileRows, q0, width, hiddenPrevious, previous, tile);
      int cellAt = r0 * h + q0;
      model.inferenceCell(
          tileRows,
          width,
          tile,
          hiddenPrevious,
          previous + q0,
          cellPrevious(t),
          cellAt,
          cellNext(t),
          cellAt,
          hiddenNext(t),
          hiddenNextOffset(t) + r0 * h + q0);
    }

    /**
     * {@code tile[target(g)] += h_{t-1} W_hh^T} for gate blocks {@code g}, units {@code [q0, q0 +
     * width)}, {@code tileRows} rows of {@code h_{t-1}} from {@code previous}. Two rows or more are
     * one {@link MatMul#gemmNNSingleThread} per gate (each weight loaded serves a tile of rows, or
     * two left-over rows: the 4 rows after 10 tiles of 6 at batch 64 measured 2-12% faster so than
     * one at a time); a single row reads all the weights anyway, two gates' panels together ({@link
     * PanelMatVec}). Both compute each element as {@code fma} over the depth in order, as the
     * traced forward's step product does, so the choice changes no bit.
     */
    private void recurrentProduct(
        int tileRows, int q0, int width, float[] hiddenPrevious, int previous, float[] tile) {
      int n = tileRows * width;
      if (tileRows >= 2) {
        for (int g = 0; g < gates; g++) {
          MatMul.gemmNNSingleThread(
              tileRows,
              width,
              h,
              hiddenPrevious,
              previous,
              h,
              recurrentWeight,
              g * h * h + q0 * h,
              width,
              tile,
              model.inferenceTarget(g) * n,
              width);
        }
        return;
      }
      for (int r = 0; r < tileRows; r++) {
        int row = previous + r * h;
        int g = 0;
        if (width == PanelMatVec.PANEL) {
          for (; g + 1 < gates; g += 2) {
            PanelMatVec.multiplyAddTwoPanels(
                h,
                hiddenPrevious,
                row,
                recurrentWeight,
                g * h * h + q0 * h,
                (g + 1) * h * h + q0 * h,
                tile,
                model.inferenceTarget(g) * n + r * width,
                model.inferenceTarget(g + 1) * n + r * width);
          }
        }
        for (; g < gates; g++) {
          PanelMatVec.multiplyAdd(
              h,
              width,
              0,
              width,
              hiddenPrevious,
              row,
              recurrentWeight,
              g * h * h + q0 * h,
              tile,
              model.inferenceTarget(g) * n + r * width);
        }
      }
    }

    /**
     * Ragged batches, after step {@code t} of rows {@code [rowFrom, rowTo)}, units {@code
     * [unitFrom, unitTo)}: a running sequence's {@code h_t} goes to the output; an ended one takes
     * back its previous state ({@code h_t = h_{t-1}}, {@code c_t = c_{t-1}}) over what the tile
     * computed from the padding, and its output is zero.
     */
    private void finishRagged(int t, int rowFrom, int rowTo, int unitFrom, int unitTo) {
      float[] previous = hiddenPrevious(t), next = hiddenNext(t);
      float[] cellPrevious = cellPrevious(t), cellNext = cellNext(t);
      int units = unitTo - unitFrom;
      for (int b = rowFrom; b < rowTo; b++) {
        int at = b * h + unitFrom;
        int out = (t * batch + b) * h + unitFrom;
        if (t < lengths[b]) {
          System.arraycopy(next, at, output, out, units);
        } else {
          System.arraycopy(previous, at, next, at, units);
          if (cellNext != null) System.arraycopy(cellPrevious, at, cellNext, at, units);
          Arrays.fill(output, out, out + units, 0f);
        }
      }
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
