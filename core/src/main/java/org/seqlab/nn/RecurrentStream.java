package org.seqlab.nn;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import org.seqlab.tensor.CoreAffinity;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.SpinBarrier;
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
 * a bit of a sequence's result (see {@link RecurrentStepProduct#stepProduct}).
 *
 * <p>Threads: by default a step runs on the caller's thread alone. At batch 1 a step of {@code H =
 * 128} takes a few microseconds, and most of that is reading the weights from the core's L2 cache
 * (about 390 KB for an LSTM with {@code I = 64}), which one core cannot do faster. With {@code
 * threads > 1} ({@link #RecurrentStream(Recurrent, int, int)}) the hidden units are split, in whole
 * panels of {@link PanelMatVec#PANEL}, between the caller and helper threads that live as long as
 * the stream: each computes the columns of every gate for its units and their cell update, reading
 * only its share of the weights (which then stays in its own core's cache), and the parties meet on
 * a {@link SpinBarrier} after every layer, because the next layer and the next step need all of
 * {@code h}. The state is double-buffered (each step reads one copy of {@code h} and writes the
 * other), so no party overwrites what another still reads. Between steps a helper spins for about
 * {@link #IDLE_SPIN_NANOS} nanoseconds waiting for the next one, then parks; so a stream that is
 * fed steadily answers at once, and an idle one does not hold a core. Every element is the same
 * chain of operations whatever the split, so the result is bit-identical to one thread's. Close a
 * stream that has helpers ({@link #close}) to stop them; they are daemon threads, so a forgotten
 * one does not keep the JVM alive.
 *
 * <p>A stream is not safe for use by several threads at once.
 */
public final class RecurrentStream implements AutoCloseable {

  private final RecurrentKind kind;
  private final int batch;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final int gateRows;

  /** Columns of {@code u} summed straight into the pre-activations ({@code 2H} for the GRU). */
  private final int summedGateRows;

  /** How the weights are held: float32, or 8 bits ({@link WeightPrecision}). */
  private final WeightPrecision precision;

  /**
   * Per layer {@code W_ih^T [in_k, G*H]} as {@code G} packed gate blocks of {@code [in_k, H]},
   * block {@code g} from {@code g*in_k*H} ({@link Recurrent#packTransposedGateBlocks}), at {@link
   * #precision}.
   */
  private final StreamWeights[] inputWeightT;

  /** Per layer {@code W_hh^T [H, G*H]}, laid out as {@link #inputWeightT}. */
  private final StreamWeights[] recurrentWeightT;

  /**
   * Per layer the bias of the pre-activations, {@code [G*H]} (see {@link Recurrent#foldedBias}).
   */
  private final float[][] foldedBias;

  /** GRU: per layer {@code b_hn [H]}, which stays inside the reset gate's product. */
  private final float[][] hiddenNewBias;

  /**
   * Two copies of {@code h [L, B, H]}: {@code states[current]} is the state, a step writes the new
   * one into the other copy and then flips {@code current}.
   */
  private final float[][] states;

  private int current;

  /** LSTM: {@code c [L, B, H]}; else null. */
  private final float[] cell;

  /** One layer's pre-activations, then gates, {@code [B, G*H]}. */
  private final float[] gates;

  /** GRU: one layer's {@code u_n = W_hn h + b_hn}, {@code [B, H]}; else null. */
  private final float[] hiddenNew;

  /**
   * A stream over {@code model}'s current weights, for {@code batch} independent sequences.
   *
   * @throws IllegalArgumentException if the model is bidirectional or {@code batch < 1}
   */
  public RecurrentStream(Recurrent model, int batch) {
    this(model, batch, 1);
  }

  /**
   * A stream whose steps are shared by {@code threads} threads (the caller and {@code threads - 1}
   * helpers), or fewer where the hidden units do not fill that many panels of {@link
   * PanelMatVec#PANEL}.
   *
   * @throws IllegalArgumentException if the model is bidirectional, {@code batch < 1} or {@code
   *     threads} is not in {@code [1, 256]}
   */
  public RecurrentStream(Recurrent model, int batch, int threads) {
    this(model, batch, threads, WeightPrecision.FLOAT32);
  }

  /**
   * A stream as {@link #RecurrentStream(Recurrent, int, int)} whose weights are held at {@code
   * precision}: {@link WeightPrecision#INT8} reads a byte per weight instead of four, for an output
   * that differs from float32's by the rounding of each weight to 8 bits. Every batch row then
   * reads all the weights (no 8-row tiles): it is meant for the small batches of a stream.
   */
  public RecurrentStream(Recurrent model, int batch, int threads, WeightPrecision precision) {
    Objects.requireNonNull(model, "model");
    this.precision = Objects.requireNonNull(precision, "precision");
    if (model.bidirectional()) {
      throw new IllegalArgumentException(
          "a bidirectional "
              + model.kind().metadataName()
              + " cannot be streamed: its reverse direction starts at the end of the sequence,"
              + " which a stream has not seen yet; run it over the whole sequence with"
              + " Recurrent.forward");
    }
    if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    if (threads < 1 || threads > 256) {
      throw new IllegalArgumentException("threads must be between 1 and 256, got " + threads);
    }
    this.kind = model.kind();
    this.batch = batch;
    this.inputSize = model.inputSize();
    this.hiddenSize = model.hiddenSize();
    this.numLayers = model.numLayers();
    this.gateRows = model.gateRows;
    this.summedGateRows = model.summedGateRows();
    int state = Math.toIntExact(Tensor.checkedSize(numLayers, batch, hiddenSize));
    Tensor.checkedSize(batch, gateRows);
    inputWeightT = new StreamWeights[numLayers];
    recurrentWeightT = new StreamWeights[numLayers];
    foldedBias = new float[numLayers][];
    hiddenNewBias = new float[numLayers][];
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : hiddenSize;
      inputWeightT[k] =
          StreamWeights.of(precision, model.weightIh(k).value().data(), gateRows, in, hiddenSize);
      recurrentWeightT[k] =
          StreamWeights.of(
              precision, model.weightHh(k).value().data(), gateRows, hiddenSize, hiddenSize);
      foldedBias[k] = model.foldedBias(k);
      hiddenNewBias[k] =
          summedGateRows < gateRows
              ? Arrays.copyOfRange(model.biasHh(k).value().data(), summedGateRows, gateRows)
              : null;
    }
    states = new float[][] {new float[state], new float[state]};
    cell = kind == RecurrentKind.LSTM ? new float[state] : null;
    gates = new float[batch * gateRows];
    hiddenNew = kind == RecurrentKind.GRU ? new float[batch * hiddenSize] : null;

    int panels = (hiddenSize + PanelMatVec.PANEL - 1) / PanelMatVec.PANEL;
    int parties = Math.min(threads, panels);
    unitFrom = new int[parties];
    unitTo = new int[parties];
    for (int party = 0; party < parties; party++) {
      unitFrom[party] = party * panels / parties * PanelMatVec.PANEL;
      unitTo[party] = Math.min(hiddenSize, (party + 1) * panels / parties * PanelMatVec.PANEL);
    }
    layerDone = new SpinBarrier(parties);
    helpers = new Thread[parties - 1];
    helperCores = new CoreAffinity[parties - 1];
    for (int party = 1; party < parties; party++) {
      int me = party;
      helpers[party - 1] = new Thread(() -> helperLoop(me), "seqlab-stream-" + party);
      helpers[party - 1].setDaemon(true);
      helpers[party - 1].start();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // The parties of a step: party 0 is the caller, the others are helper threads.

  /** How long a helper spins for the next step before it parks: as the kernels' workers do. */
  static final long IDLE_SPIN_NANOS = Parallel.IDLE_SPIN_NANOS;

  /** Hidden units {@code [unitFrom[p], unitTo[p])} are party {@code p}'s. */
  private final int[] unitFrom;

  private final int[] unitTo;

  private final Thread[] helpers;

  /**
   * Each helper's cores, set by the helper once it runs (null where they cannot be set, and until
   * then: a wake that reads null only leaves the placement to the kernel).
   */
  private final CoreAffinity[] helperCores;

  /** Where all parties meet after each layer of a step. */
  private final SpinBarrier layerDone;

  /** Steps handed to the helpers so far; a helper runs one step each time it changes. */
  private volatile long stepsStarted;

  /** True while a helper may be parked, so that the caller knows to wake them. */
  private volatile boolean helpersMayPark;

  private volatile boolean closed;

  /** The first failure of a helper, rethrown by the caller. */
  private volatile Throwable helperFailure;

  /** The input of the step in progress, written by the caller before {@link #stepsStarted}. */
  private float[] stepInput;

  private int stepInputOffset;

  private void helperLoop(int party) {
    long seen = 0;
    helperCores[party - 1] = CoreAffinity.ofCurrentThread();
    try {
      while (true) {
        long spinStart = System.nanoTime();
        while (stepsStarted == seen && !closed) {
          if (System.nanoTime() - spinStart < IDLE_SPIN_NANOS) {
            Thread.onSpinWait();
          } else {
            helpersMayPark = true;
            if (stepsStarted == seen && !closed) LockSupport.park(this);
          }
        }
        if (closed) return;
        seen++;
        advance(party, stepInput, stepInputOffset);
      }
    } catch (Throwable failure) {
      if (helperFailure == null) helperFailure = failure;
      layerDone.breakBarrier();
    }
  }

  /** Stops the helper threads; a stream without helpers needs no closing. Idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (Thread helper : helpers) LockSupport.unpark(helper);
    for (Thread helper : helpers) {
      try {
        helper.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The threads that share a step: 1, or more when constructed with helpers. */
  public int threads() {
    return unitFrom.length;
  }

  /** How this stream holds its weights. */
  public WeightPrecision precision() {
    return precision;
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
    checkRange("x", x, xOff, inputSize);
    checkRange("out", out, outOff, hiddenSize);
    if (closed) throw new IllegalStateException("this stream has been closed");
    if (helpers.length > 0) {
      stepInput = x;
      stepInputOffset = xOff;
      stepsStarted++; // volatile: publishes the input to the helpers
      if (helpersMayPark) {
        helpersMayPark = false;
        // Woken onto this thread's core, a helper would wait behind it (see CoreAffinity).
        for (int i = 0; i < helpers.length; i++) CoreAffinity.wake(helpers[i], helperCores[i]);
      }
    }
    try {
      advance(0, x, xOff);
    } catch (IllegalStateException brokenBarrier) {
      Throwable failure = helperFailure;
      if (failure == null) throw brokenBarrier;
      throw new IllegalStateException("a helper thread of this stream failed", failure);
    } catch (RuntimeException | Error e) {
      layerDone.breakBarrier();
      throw e;
    }
    current ^= 1;
    int block = batch * hiddenSize;
    System.arraycopy(states[current], (numLayers - 1) * block, out, outOff, block);
  }

  /**
   * Party {@code party}'s share of one step: for every layer, its units' columns of the
   * pre-activations, then their cell update; then it meets the other parties.
   */
  private void advance(int party, float[] x, int xOff) {
    int h = hiddenSize;
    int block = batch * h;
    int from = unitFrom[party], to = unitTo[party], units = to - from;
    float[] previous = states[current], next = states[current ^ 1];
    for (int k = 0; k < numLayers; k++) {
      int in = k == 0 ? inputSize : h;
      // Layer k reads the step's input, or the new state of layer k-1.
      float[] layerInput = k == 0 ? x : next;
      int layerInputOffset = k == 0 ? xOff : (k - 1) * block;
      int state = k * block;
      // pre = b + x W_ih^T + h W_hh^T (summed columns); GRU: u_n = b_hn + h W_hn^T apart.
      for (int b = 0; b < batch; b++) {
        for (int g = 0; g < gateRows; g += h) {
          System.arraycopy(foldedBias[k], g + from, gates, b * gateRows + g + from, units);
        }
      }
      inputWeightT[k].product(
          batch, gateRows, from, to, layerInput, layerInputOffset, 0, gates, 0, gateRows);
      recurrentWeightT[k].product(
          batch, summedGateRows, from, to, previous, state, 0, gates, 0, gateRows);
      if (kind == RecurrentKind.GRU) {
        for (int b = 0; b < batch; b++) {
          System.arraycopy(hiddenNewBias[k], from, hiddenNew, b * h + from, units);
        }
        recurrentWeightT[k].product(
            batch, h, from, to, previous, state, summedGateRows, hiddenNew, 0, h);
      }
      for (int b = 0; b < batch; b++) {
        int row = state + b * h;
        switch (kind) {
          case LSTM ->
              Lstm.cellForwardUnits(
                  h, from, to, gates, b * gateRows, cell, row, cell, row, next, row);
          case GRU ->
              Gru.cellForwardUnits(
                  h, from, to, gates, b * gateRows, hiddenNew, b * h, previous, row, next, row);
          case RNN_TANH, RNN_RELU ->
              Rnn.cellForwardUnits(
                  from, to, kind == RecurrentKind.RNN_RELU, gates, b * gateRows, next, row);
        }
      }
      if (helpers.length > 0) layerDone.await();
    }
  }

  /** Sets every state to zero, as at construction. */
  public void reset() {
    current = 0;
    Arrays.fill(states[0], 0f);
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
    if (h0 != null) System.arraycopy(h0.data(), 0, states[current], 0, states[current].length);
    if (c0 != null) System.arraycopy(c0.data(), 0, cell, 0, cell.length);
  }

  /** Every layer's hidden state, {@code [L, B, H]}. A copy. */
  public Tensor hiddenState() {
    return Tensor.wrap(states[current].clone(), numLayers, batch, hiddenSize);
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
