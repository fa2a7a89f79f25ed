package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.nn.RecurrentBackward.BackwardBuffers;
import org.seqlab.nn.RecurrentTrace.LayerTrace;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Tensor;

/**
 * A stack of recurrent layers, as {@code torch.nn.RNN}, {@code LSTM} and {@code GRU} with {@code
 * bias=True}, {@code batch_first=False}, one or two directions ({@code bidirectional}), over
 * sequences of equal or different lengths (a padded batch, as {@code pack_padded_sequence}), with
 * optional dropout between layers. Every layer {@code k} and direction runs the recurrence
 *
 * <pre>
 *   a_t = W_ih x_t + b_ih          (one [G*H] vector: G gate blocks of H)
 *   u_t = W_hh h_prev + b_hh
 *   h_t (and c_t) = cell(a_t, u_t, h_prev, c_prev)
 * </pre>
 *
 * where the cell is that of {@link Rnn}, {@link Lstm} or {@link Gru}. The forward direction reads
 * {@code t = 0 .. T-1} with {@code h_prev = h_{t-1}}; the reverse direction (bidirectional models
 * only, with weights of its own) reads {@code t = T-1 .. 0} with {@code h_prev = h_{t+1}}; each
 * starts from its own slice of {@code h0}. The layer's output at step {@code t} is the two
 * directions' states side by side, {@code y_t = [h_t^fwd, h_t^rev]} ({@code D*H} columns), and
 * {@code x_t} is the model's input for layer 0 and {@code y_t} of layer {@code k-1} above that.
 *
 * <p><b>Lengths.</b> Sequence {@code b} of the batch may end after {@code len_b <= T} steps; what
 * lies beyond is padding, which changes nothing. The forward direction's state is held past the end
 * (so {@code h_n} is the state after step {@code len_b - 1}), the reverse direction starts at step
 * {@code len_b - 1} and runs to 0, and the output is zero past the end, exactly as PyTorch's {@code
 * pack_padded_sequence(enforce_sorted=False)}, the layer, and {@code pad_packed_sequence}. Backward
 * sends no gradient through the padding: the input gradient there is 0, and a gradient given for a
 * padded output is ignored.
 *
 * <p><b>Dropout</b> ({@link #setDropout}, PyTorch's {@code dropout}): while training, the output of
 * every layer but the last is multiplied by a mask {@code m} that is {@code 1/(1-p)} with
 * probability {@code 1-p} and 0 otherwise (inverted dropout: the expected value is unchanged), so
 * {@code x_t} of layer {@code k+1} is {@code m ⊙ y_t}. At evaluation nothing is dropped.
 *
 * <p>Symbols: {@code T} steps, {@code B} batch, {@code I} input size, {@code H} hidden size, {@code
 * L} layers, {@code D} directions (1, or 2 if bidirectional), {@code G} gate blocks ({@link
 * RecurrentKind#gateCount()}: RNN 1, LSTM 4, GRU 3). Shapes: input {@code [T, B, I]}, output {@code
 * [T, B, D*H]}; {@code h0}, {@code c0}, {@code hN}, {@code cN} {@code [L*D, B, H]}, ordered as
 * PyTorch orders them: layer 0 forward, layer 0 reverse, layer 1 forward, ... (index {@code k*D +
 * d}).
 *
 * <p>Parameters of layer {@code k}, in PyTorch's order and layout ({@code in_k = I} for {@code k =
 * 0}, else {@code D*H}), all initialised by {@link #initialize} from {@code U(-1/sqrt(H),
 * 1/sqrt(H))}:
 *
 * <ul>
 *   <li>{@code weight_ih_l{k} [G*H, in_k]}
 *   <li>{@code weight_hh_l{k} [G*H, H]}
 *   <li>{@code bias_ih_l{k} [G*H]}
 *   <li>{@code bias_hh_l{k} [G*H]}
 *   <li>bidirectional only: the same four again for the reverse direction, named with the suffix
 *       {@code _reverse} ({@code weight_ih_l{k}_reverse}, ...), right after the forward ones
 * </ul>
 *
 * <p>Parameters are zero until initialised or loaded. The base class does the matrix products,
 * which are the same for every cell, the reversal and the padding; a subclass supplies the
 * pointwise part of a step and its reverse. The reverse direction is the forward recurrence over
 * each sequence's input read backwards within its own length, so one time loop serves both
 * directions. {@link #backward} uses the current weights, so they must not change between a forward
 * pass and its backward pass.
 *
 * <p>This class holds the parameters and the public entries; the passes live beside it: {@link
 * RecurrentForward} (training forward, traced), {@link RecurrentBackward} (its reverse), {@link
 * RecurrentInference} (forward without a trace), {@link RecurrentStream} (one step at a time), and
 * {@link RecurrentStepProduct}, the per-step product they share.
 */
public abstract sealed class Recurrent implements Module permits Rnn, Lstm, Gru {

  private final RecurrentKind kind;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;
  private final int directions;

  /** {@code G*H}: the rows of every weight matrix. */
  final int gateRows;

  /** Per layer and direction, index {@code k*D + d}. */
  private final Parameter[] weightIh;

  private final Parameter[] weightHh;
  private final Parameter[] biasIh;
  private final Parameter[] biasHh;
  private final List<Parameter> parameters;

  /** Buffers of released traces and of finished backward passes, for the next passes. */
  private final Workspace workspace = new Workspace();

  /** The probability of dropping an element of a layer's output, for every layer but the last. */
  private double dropout;

  Recurrent(
      RecurrentKind kind, int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    this.kind = Objects.requireNonNull(kind, "kind");
    if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
      throw new IllegalArgumentException(
          kind.metadataName()
              + " needs positive sizes, got inputSize="
              + inputSize
              + ", hiddenSize="
              + hiddenSize
              + ", numLayers="
              + numLayers);
    }
    this.directions = bidirectional ? 2 : 1;
    int outputSize = Math.toIntExact(Tensor.checkedSize(directions, hiddenSize));
    Tensor.checkedSize(kind.gateCount(), hiddenSize, Math.max(inputSize, outputSize));
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.gateRows = kind.gateCount() * hiddenSize;
    int count = numLayers * directions;
    this.weightIh = new Parameter[count];
    this.weightHh = new Parameter[count];
    this.biasIh = new Parameter[count];
    this.biasHh = new Parameter[count];
    List<Parameter> all = new ArrayList<>(4 * count);
    for (int k = 0; k < numLayers; k++) {
      for (int d = 0; d < directions; d++) {
        int i = k * directions + d;
        String suffix = k + (d == 0 ? "" : "_reverse");
        weightIh[i] =
            Parameter.of("weight_ih_l" + suffix, Tensor.zeros(gateRows, layerInputSize(k)));
        weightHh[i] = Parameter.of("weight_hh_l" + suffix, Tensor.zeros(gateRows, hiddenSize));
        biasIh[i] = Parameter.of("bias_ih_l" + suffix, Tensor.zeros(gateRows));
        biasHh[i] = Parameter.of("bias_hh_l" + suffix, Tensor.zeros(gateRows));
        all.addAll(List.of(weightIh[i], weightHh[i], biasIh[i], biasHh[i]));
      }
    }
    this.parameters = List.copyOf(all);
  }

  /**
   * A new unidirectional model of the given kind with zero parameters; call {@link #initialize} or
   * load weights.
   */
  public static Recurrent create(RecurrentKind kind, int inputSize, int hiddenSize, int numLayers) {
    return create(kind, inputSize, hiddenSize, numLayers, false);
  }

  /**
   * A new model of the given kind with zero parameters, bidirectional or not (PyTorch's {@code
   * bidirectional}); call {@link #initialize} or load weights.
   */
  public static Recurrent create(
      RecurrentKind kind, int inputSize, int hiddenSize, int numLayers, boolean bidirectional) {
    return switch (Objects.requireNonNull(kind, "kind")) {
      case RNN_TANH, RNN_RELU -> new Rnn(kind, inputSize, hiddenSize, numLayers, bidirectional);
      case LSTM -> new Lstm(inputSize, hiddenSize, numLayers, bidirectional);
      case GRU -> new Gru(inputSize, hiddenSize, numLayers, bidirectional);
    };
  }

  /**
   * PyTorch's default initialisation: every parameter, in {@link #parameters()} order, drawn from
   * {@code U(-1/sqrt(H), 1/sqrt(H))}.
   */
  public void initialize(RandomGenerator rng) {
    double bound = 1.0 / Math.sqrt(hiddenSize);
    for (Parameter p : parameters) Init.uniform(p.value(), bound, rng);
  }

  public RecurrentKind kind() {
    return kind;
  }

  Workspace workspace() {
    return workspace;
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int numLayers() {
    return numLayers;
  }

  /** Whether every layer also runs a reverse direction (PyTorch's {@code bidirectional}). */
  public boolean bidirectional() {
    return directions == 2;
  }

  /** {@code D}: 1, or 2 for a bidirectional model. */
  public int directions() {
    return directions;
  }

  /** {@code D*H}: the width of every layer's output, and of the model's. */
  public int outputSize() {
    return directions * hiddenSize;
  }

  /**
   * Sets the dropout probability {@code p} applied, while training, to the output of every layer
   * but the last (PyTorch's {@code dropout}; with one layer it has no effect, as in PyTorch). It
   * acts only in a {@link #forward(Tensor, Tensor, Tensor, int[], RandomGenerator) forward} given a
   * random generator.
   *
   * @throws IllegalArgumentException unless {@code 0 <= p < 1}
   */
  public void setDropout(double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(
          "dropout must be a probability in [0, 1) (0 = none), got " + p);
    }
    this.dropout = p;
  }

  /** The dropout probability between layers; 0 unless {@link #setDropout} changed it. */
  public double dropout() {
    return dropout;
  }

  /** {@code weight_ih_l{layer}} of the forward direction, {@code [G*H, in_layer]}. */
  public Parameter weightIh(int layer) {
    return weightIh(layer, 0);
  }

  /** {@code weight_hh_l{layer}} of the forward direction, {@code [G*H, H]}. */
  public Parameter weightHh(int layer) {
    return weightHh(layer, 0);
  }

  /** {@code bias_ih_l{layer}} of the forward direction, {@code [G*H]}. */
  public Parameter biasIh(int layer) {
    return biasIh(layer, 0);
  }

  /** {@code bias_hh_l{layer}} of the forward direction, {@code [G*H]}. */
  public Parameter biasHh(int layer) {
    return biasHh(layer, 0);
  }

  /** {@code weight_ih_l{layer}} (direction 0) or {@code weight_ih_l{layer}_reverse} (1). */
  public Parameter weightIh(int layer, int direction) {
    return weightIh[index(layer, direction)];
  }

  /** {@code weight_hh_l{layer}} (direction 0) or {@code weight_hh_l{layer}_reverse} (1). */
  public Parameter weightHh(int layer, int direction) {
    return weightHh[index(layer, direction)];
  }

  /** {@code bias_ih_l{layer}} (direction 0) or {@code bias_ih_l{layer}_reverse} (1). */
  public Parameter biasIh(int layer, int direction) {
    return biasIh[index(layer, direction)];
  }

  /** {@code bias_hh_l{layer}} (direction 0) or {@code bias_hh_l{layer}_reverse} (1). */
  public Parameter biasHh(int layer, int direction) {
    return biasHh[index(layer, direction)];
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * {@code in_k}: the width of layer {@code k}'s input, {@code I} for layer 0, else {@code D*H}.
   */
  int layerInputSize(int layer) {
    return layer == 0 ? inputSize : directions * hiddenSize;
  }

  /** The index {@code k*D + d} of a layer's direction in the parameter arrays and in h0, hN. */
  private int index(int layer, int direction) {
    if (layer < 0 || layer >= numLayers) {
      throw new IndexOutOfBoundsException("layer " + layer + " outside [0, " + numLayers + ")");
    }
    if (direction < 0 || direction >= directions) {
      throw new IndexOutOfBoundsException(
          "direction " + direction + " outside [0, " + directions + ")");
    }
    return layer * directions + direction;
  }

  // ----------------------------------------------------------------------------------------------
  // Forward (RecurrentForward)

  /**
   * Runs all layers over the whole sequence, every sequence {@code T} steps long, without dropout:
   * {@code forward(input, h0, c0, null, null)}.
   */
  public final RecurrentOutput forward(Tensor input, Tensor h0, Tensor c0) {
    return forward(input, h0, c0, null, null);
  }

  /**
   * Runs all layers over a batch of sequences, keeping in the result's trace what {@link #backward}
   * needs (see {@link RecurrentForward}).
   *
   * @param input {@code [T, B, I]}, with {@code T, B >= 1}; past a sequence's end it is ignored
   * @param h0 initial hidden states {@code [L*D, B, H]}, or null for zeros
   * @param c0 LSTM: initial cell states {@code [L*D, B, H]}, or null for zeros; must be null
   *     otherwise
   * @param lengths the length of every sequence, {@code B} values in {@code [1, T]} in any order,
   *     or null for {@code T} each
   * @param dropoutRandom the source of the dropout masks while training, drawn in a fixed order
   *     (layer by layer, each mask in {@code [T, B, D*H]} order), so the same seed gives the same
   *     masks on any number of threads; null for evaluation (no dropout whatever {@link
   *     #dropout()})
   */
  public final RecurrentOutput forward(
      Tensor input, Tensor h0, Tensor c0, int[] lengths, RandomGenerator dropoutRandom) {
    checkInputs(input, h0, c0);
    int steps = input.dim(0);
    int batch = input.dim(1);
    int[] checked = SequenceLengths.checked(lengths, steps, batch);
    Tensor.checkedSize(steps, batch, gateRows);
    Tensor.checkedSize(steps + 1, batch, hiddenSize);
    Tensor.checkedSize(steps, batch, Math.max(inputSize, outputSize()));
    boolean dropping = dropoutRandom != null && dropout > 0 && numLayers > 1;
    return RecurrentForward.run(this, input, h0, c0, checked, dropping ? dropoutRandom : null);
  }

  /**
   * Checks a pass's input {@code [T, B, I]} ({@code T, B >= 1}) and initial states {@code [L*D, B,
   * H]}, {@code c0} only for the LSTM.
   */
  private void checkInputs(Tensor input, Tensor h0, Tensor c0) {
    Objects.requireNonNull(input, "input");
    if (input.rank() != 3 || input.dim(2) != inputSize || input.dim(0) == 0 || input.dim(1) == 0) {
      throw new IllegalArgumentException(
          "input has shape "
              + Arrays.toString(input.shape())
              + ", expected [T, B, "
              + inputSize
              + "] (time-major, T and B at least 1)");
    }
    int states = numLayers * directions;
    int batch = input.dim(1);
    if (h0 != null) h0.requireShape("h0", states, batch, hiddenSize);
    if (kind != RecurrentKind.LSTM && c0 != null) {
      throw new IllegalArgumentException(
          "c0 is only for LSTM, this model is " + kind.metadataName());
    }
    if (c0 != null) c0.requireShape("c0", states, batch, hiddenSize);
  }

  /**
   * The pointwise part of step {@code t} for batch rows {@code [rowFrom, rowTo)} and hidden units
   * {@code [unitFrom, unitTo)}. On entry rows {@code t*B + b} of {@code layer.gates [T*B, G*H]}
   * hold the pre-activations {@code a_t + u_t} of those units (GRU: {@code a_n} alone in the n
   * block, {@code u_n} in {@code layer.hiddenNewProjection}); the step replaces them by the
   * activated gates and writes the new state (block {@code t+1} of {@code layer.hidden}, {@code
   * layer.cell}) from the previous one (block {@code t}). It reads and writes nothing outside those
   * rows and units, and every nonlinearity is lane by lane, so tiles may run in any order and
   * threads with disjoint tiles at once. Its reverse is {@link #backwardStep}.
   */
  abstract void forwardStepTile(
      LayerTrace layer, int t, int batch, int rowFrom, int rowTo, int unitFrom, int unitTo);

  // ----------------------------------------------------------------------------------------------
  // The weights as every pass reads them, and how a time loop splits its work

  /**
   * The columns of {@code u_t} that enter the gates as a plain sum {@code a_t + u_t}: all of them,
   * except for the GRU, whose last block {@code u_n} is scaled by the reset gate first.
   */
  final int summedGateRows() {
    return kind == RecurrentKind.GRU ? gateRows - hiddenSize : gateRows;
  }

  /**
   * The bias added once to the input projection of layer and direction {@code k} (index {@code
   * layer*D + direction}), {@code [G*H]}: {@code b_ih + b_hh} for the summed columns (the two
   * biases only ever appear as a sum there), {@code b_ih} alone for the GRU's n block, whose {@code
   * b_hn} stays inside {@code r ⊙ (W_hn h + b_hn)}.
   */
  final float[] foldedBias(int k) {
    float[] ih = biasIh[k].value().data();
    float[] hh = biasHh[k].value().data();
    float[] folded = ih.clone();
    for (int j = 0; j < summedGateRows(); j++) folded[j] += hh[j];
    return folded;
  }

  /**
   * {@code W^T} of a weight {@code W [gateRows, in]} made of {@code gateRows / h} gate blocks,
   * packed for the per-step products: gate block {@code g} of {@code W^T}, {@code [in, h]}, in the
   * panel layout of {@link PanelMatVec#pack} (panels of {@link PanelMatVec#PANEL} columns, the last
   * one narrower), from {@code g*in*h}. The per-step products ({@link
   * RecurrentStepProduct#stepProduct}) then read each panel as one contiguous stream, {@code u_t[b,
   * :] += Σ_p h_{t-1}[b, p] W^T[p, :]}.
   *
   * <p>Built straight from {@code W}, a row of {@code W} (one output unit) at a time: the row is
   * read contiguously and written down one column of its panel, {@code PANEL} floats apart, which
   * stays within the panel's few kilobytes of cache, where transposing the whole of {@code W} first
   * would write {@code gateRows} floats apart.
   */
  static float[] packTransposedGateBlocks(float[] weight, int gateRows, int in, int h) {
    return packTransposedGateBlocks(
        weight, gateRows, in, h, new float[Math.toIntExact((long) gateRows * in)]);
  }

  /**
   * {@link #packTransposedGateBlocks(float[], int, int, int)} into {@code packed}, every one of its
   * first {@code gateRows*in} floats overwritten; returns {@code packed}.
   */
  static float[] packTransposedGateBlocks(
      float[] weight, int gateRows, int in, int h, float[] packed) {
    for (int g = 0; g * h < gateRows; g++) {
      for (int q0 = 0; q0 < h; q0 += PanelMatVec.PANEL) {
        int width = Math.min(PanelMatVec.PANEL, h - q0);
        int panel = g * in * h + q0 * in;
        for (int j = 0; j < width; j++) {
          int row = (g * h + q0 + j) * in;
          for (int p = 0; p < in; p++) packed[panel + p * width + j] = weight[row + p];
        }
      }
    }
    return packed;
  }

  /**
   * Batch rows of a tile of the per-step products, those of {@link MatMul#gemmNNSingleThread}'s
   * register tile ({@link MatMul#TILE_ROWS}, 6 or 8 by the machine): from this many rows up a
   * step's product takes a tile of rows at a time ({@link RecurrentStepProduct#stepProduct}).
   */
  static final int PANEL_BATCH = MatMul.TILE_ROWS;

  /**
   * Multiply-adds per step (batch × {@code G*H} × {@code H}) from which a batch smaller than the
   * thread count splits each step by hidden units (in {@link RecurrentForward} and {@link
   * RecurrentInference}); the system property {@code seqlab.recurrent.unitSplitMinWork} overrides
   * it. Measured at batch 1 on two cores shared with other work: an LSTM step of {@code H = 1024}
   * (4M multiply-adds) ran about 1.5 times faster on two threads than on one, one of {@code H =
   * 256} (262k) no faster, the barrier and the shared memory bandwidth eating the gain. The
   * default, 2M, lies between.
   */
  static volatile long unitSplitMinWork =
      Long.getLong("seqlab.recurrent.unitSplitMinWork", 1L << 21);

  // ----------------------------------------------------------------------------------------------
  // Inference: forward only, no trace (RecurrentInference)

  /**
   * Runs all layers over the whole sequence for inference, every sequence {@code T} steps long:
   * {@code infer(input, h0, c0, null)}.
   */
  public final RecurrentOutput infer(Tensor input, Tensor h0, Tensor c0) {
    return infer(input, h0, c0, null);
  }

  /**
   * Runs all layers over a batch of sequences for inference: the same output, {@code hN} and {@code
   * cN} as {@link #forward(Tensor, Tensor, Tensor, int[], RandomGenerator) forward(input, h0, c0,
   * lengths, null)}, bit for bit, but keeping no trace, so the result cannot be passed to {@link
   * #backward} (its {@link RecurrentOutput#trace()} throws). Memory beyond the result: per thread a
   * few steps' input projections of its rows, the outputs of at most two layers below the last, and
   * the states.
   *
   * <p>Per step and tile of batch rows, the recurrent product and the cell update are fused: for a
   * panel of hidden units the G gate columns of those units are computed together, starting from
   * the input projection plus the biases, and the nonlinearities and the new state follow while
   * they are in cache (see {@link RecurrentInference}).
   *
   * <p>A bidirectional model runs the traced forward and drops its trace: the same result, without
   * the savings.
   *
   * @param input {@code [T, B, I]}, with {@code T, B >= 1}; past a sequence's end it is ignored
   * @param h0 initial hidden states {@code [L*D, B, H]}, or null for zeros
   * @param c0 LSTM: initial cell states {@code [L*D, B, H]}, or null for zeros; must be null
   *     otherwise
   * @param lengths the length of every sequence, {@code B} values in {@code [1, T]} in any order,
   *     or null for {@code T} each
   * @throws IllegalArgumentException if a shape or a length is not as described
   */
  public final RecurrentOutput infer(Tensor input, Tensor h0, Tensor c0, int[] lengths) {
    if (directions == 2) {
      RecurrentOutput traced = forward(input, h0, c0, lengths, null); // which checks the arguments
      return new RecurrentOutput(traced.output(), traced.hN(), traced.cN(), null);
    }
    return inferWith(null, input, h0, c0, lengths);
  }

  /**
   * A snapshot of this unidirectional model's weights, laid out once for {@link #infer}: for a
   * service that runs the same weights on request after request, where laying them out again on
   * every call (transposing {@code W_hh} into panels, packing {@code W_ih}) would cost as much as a
   * small batch's whole pass. Its results equal {@link #infer}'s bit for bit while this model's
   * parameters are unchanged; later changes to them do not reach the snapshot (freeze again).
   *
   * @throws IllegalStateException for a bidirectional model, which infers by its traced forward
   */
  public final FrozenRecurrent freeze() {
    if (directions == 2) {
      throw new IllegalStateException(
          "freeze() lays out a unidirectional model's weights; a bidirectional one infers by"
              + " infer(), which runs its traced forward");
    }
    return new FrozenRecurrent(this, RecurrentInference.weightsOf(this, true));
  }

  /**
   * {@link #infer} of a unidirectional model with the weights laid out already ({@link #freeze}),
   * or, where {@code weights} is null, laid out from the parameters for this call.
   */
  final RecurrentOutput inferWith(
      RecurrentInference.LayerWeights[] weights,
      Tensor input,
      Tensor h0,
      Tensor c0,
      int[] lengths) {
    checkInputs(input, h0, c0);
    int steps = input.dim(0);
    int batch = input.dim(1);
    int[] checked = SequenceLengths.checked(lengths, steps, batch);
    Tensor.checkedSize(steps, batch, Math.max(inputSize, outputSize()));
    Tensor.checkedSize(steps, batch, gateRows);
    return RecurrentInference.run(
        this,
        weights != null ? weights : RecurrentInference.weightsOf(this, false),
        input,
        h0,
        c0,
        checked);
  }

  /**
   * Blocks of {@code rows × width} floats that {@link #inferenceCell} reads: the G gate blocks, and
   * for the GRU a fourth for {@code u_n}, which the reset gate scales apart from {@code a_n}.
   */
  abstract int inferenceBlocks();

  /**
   * The block of {@link #inferenceCell}'s tile that gate block {@code weightBlock} of the recurrent
   * product {@code u = W_hh h_{t-1}} is added into: the same block, except the GRU's {@code u_n}.
   */
  int inferenceTarget(int weightBlock) {
    return weightBlock;
  }

  /**
   * The cell update of a tile: {@code rows} batch rows, {@code width} consecutive hidden units. On
   * entry {@code gates} holds {@link #inferenceBlocks()} blocks of {@code [rows, width]} (block
   * {@code q} from {@code q*rows*width}), the pre-activations of those units; they are used up as
   * scratch. The states are addressed at the tile's first row and unit, rows {@code H} apart:
   * {@code h_t} is written from {@code h_{t-1}} (and, LSTM, {@code c_t} from {@code c_{t-1}}, which
   * may be the same array and offset: each element is read before it is written). Lane by lane the
   * same operations as the traced {@link #forwardStepTile}, so the result is bit-identical to it.
   */
  abstract void inferenceCell(
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
      int hiddenNextOffset);

  // ----------------------------------------------------------------------------------------------
  // Backward: the forward in reverse, last layer first, last step first (RecurrentBackward)

  /**
   * Backpropagates through all layers, directions and steps of {@code forwardResult}, accumulating
   * ({@code +=}) into every parameter's gradient. Dropout uses the masks of the forward pass.
   *
   * <p>A training loop hands the pass back once it is done with it, {@link
   * RecurrentGradients#release} and then {@link RecurrentOutput#release}: the next pass of the same
   * shapes then allocates nothing.
   *
   * @param dOutput {@code dL/doutput [T, B, D*H]}, or null for zeros; ignored past a sequence's end
   * @param dhN {@code dL/dhN [L*D, B, H]}, or null for zeros
   * @param dcN LSTM: {@code dL/dcN [L*D, B, H]}, or null for zeros; must be null otherwise
   */
  public final RecurrentGradients backward(
      RecurrentOutput forwardResult, Tensor dOutput, Tensor dhN, Tensor dcN) {
    Objects.requireNonNull(forwardResult, "forwardResult");
    RecurrentTrace trace = forwardResult.trace();
    if (trace.owner != this) {
      throw new IllegalArgumentException("forwardResult was computed by a different model");
    }
    trace.requireHeld();
    int batch = trace.batchSize();
    int states = numLayers * directions;
    if (dOutput != null) dOutput.requireShape("dOutput", trace.steps(), batch, outputSize());
    if (dhN != null) dhN.requireShape("dhN", states, batch, hiddenSize);
    if (kind != RecurrentKind.LSTM && dcN != null) {
      throw new IllegalArgumentException(
          "dcN is only for LSTM, this model is " + kind.metadataName());
    }
    if (dcN != null) dcN.requireShape("dcN", states, batch, hiddenSize);
    return RecurrentBackward.run(this, trace, dOutput, dhN, dcN);
  }

  /**
   * The reverse of {@link #forwardStepTile} for step {@code t} and batch rows {@code [rowFrom,
   * rowTo)}, touching only those rows of every buffer. On entry {@code
   * work.hiddenGradients[gradientOffset ..+ B*H)} holds {@code dL/dh_t} and (LSTM) {@code
   * work.dcCarry} holds what reaches {@code c_t} from step {@code t+1} and the loss. Writes block
   * {@code t} of {@code work.dInputProjection} and {@code work.dHiddenProjection}, (LSTM) the total
   * {@code dL/dc_t} into {@code work.cellGradients}, and replaces the carries: {@code dcCarry} with
   * {@code dL/dc_{t-1}}, {@code dhCarry} with the part of {@code dL/dh_{t-1}} that does not pass
   * through {@code W_hh} (the caller, {@link RecurrentBackward}, adds that part).
   */
  abstract void backwardStep(
      LayerTrace layer,
      int t,
      int batch,
      int rowFrom,
      int rowTo,
      int gradientOffset,
      BackwardBuffers work);
}
