package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
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

  private int layerInputSize(int layer) {
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
  // Forward

  /**
   * Runs all layers over the whole sequence, every sequence {@code T} steps long, without dropout:
   * {@code forward(input, h0, c0, null, null)}.
   */
  public final RecurrentOutput forward(Tensor input, Tensor h0, Tensor c0) {
    return forward(input, h0, c0, null, null);
  }

  /**
   * Runs all layers over a batch of sequences.
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
    int states = numLayers * directions;
    lengths = checkedLengths(lengths, steps, batch);
    Tensor.checkedSize(steps, batch, gateRows);
    Tensor.checkedSize(steps + 1, batch, hiddenSize);
    Tensor.checkedSize(steps, batch, Math.max(inputSize, outputSize()));
    boolean dropping = dropoutRandom != null && dropout > 0 && numLayers > 1;

    int block = batch * hiddenSize;
    SequenceLengths sequences = new SequenceLengths(steps, batch, lengths);
    // The trace owns a copy of the input so that changing the caller's tensor cannot corrupt
    // backward; zero padding so that whatever the caller put there never reaches a gradient.
    List<float[]> owned = new ArrayList<>();
    float[] layerInput = workspace.overwritten(input.size());
    System.arraycopy(input.data(), 0, layerInput, 0, layerInput.length);
    owned.add(layerInput);
    if (lengths != null) sequences.zeroPadding(layerInput, inputSize);
    int layerInputOffset = 0;
    LayerTrace[] layers = new LayerTrace[states];
    float[][] dropoutMasks = dropping ? new float[numLayers - 1][] : null;
    for (int k = 0; k < numLayers; k++) {
      int in = layerInputSize(k);
      for (int d = 0; d < directions; d++) {
        int i = k * directions + d;
        // The reverse direction is the forward recurrence over each sequence read backwards.
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
                kind,
                workspace);
        owned.add(layer.hidden);
        owned.add(layer.cell);
        owned.add(layer.gates);
        owned.add(layer.hiddenNewProjection);
        if (h0 != null) System.arraycopy(h0.data(), i * block, layer.hidden, 0, block);
        if (c0 != null) System.arraycopy(c0.data(), i * block, layer.cell, 0, block);
        forwardLayer(i, layer, steps, batch, lengths);
        layers[i] = layer;
      }
      boolean dropAfter = dropping && k < numLayers - 1;
      if (directions == 1 && lengths == null && !dropAfter) {
        // The next layer reads h_0 .. h_{T-1} in place: they start after the initial state.
        layerInput = layers[k].hidden;
        layerInputOffset = block;
      } else {
        // The last layer's assembled output goes to the caller; the others stay in the trace.
        int assembled = Math.toIntExact((long) steps * batch * outputSize());
        layerInput = k == numLayers - 1 ? new float[assembled] : workspace.zeroed(assembled);
        if (k < numLayers - 1) owned.add(layerInput);
        // y_t = [h_t^fwd, h_t^rev], zero past the end; h after step s is block s+1 of the states
        for (int d = 0; d < directions; d++) {
          float[] hidden = layers[k * directions + d].hidden;
          sequences.toPositions(
              hidden, block, d, hiddenSize, layerInput, d * hiddenSize, outputSize());
        }
        if (dropAfter) {
          dropoutMasks[k] = dropoutMask(dropoutRandom, workspace.overwritten(layerInput.length));
          owned.add(dropoutMasks[k]);
          float[] mask = dropoutMasks[k];
          for (int j = 0; j < layerInput.length; j++) layerInput[j] *= mask[j];
        }
        layerInputOffset = 0;
      }
    }

    // The last layer's output: assembled above (offset 0), when no trace reads it and it can be
    // handed out as it is, or else the states of its trace, which must be copied.
    float[] outputData =
        layerInputOffset == 0
            ? layerInput
            : Arrays.copyOfRange(
                layerInput, layerInputOffset, layerInputOffset + steps * batch * outputSize());
    Tensor output = Tensor.wrap(outputData, steps, batch, outputSize());
    // Past its end a sequence's state is held, so block T is every sequence's final state.
    Tensor hN = Tensor.zeros(states, batch, hiddenSize);
    Tensor cN = kind == RecurrentKind.LSTM ? Tensor.zeros(states, batch, hiddenSize) : null;
    for (int i = 0; i < states; i++) {
      System.arraycopy(layers[i].hidden, steps * block, hN.data(), i * block, block);
      if (cN != null) System.arraycopy(layers[i].cell, steps * block, cN.data(), i * block, block);
    }
    return new RecurrentOutput(
        output,
        hN,
        cN,
        new RecurrentTrace(
            this,
            sequences,
            layers,
            dropoutMasks,
            owned.stream().filter(Objects::nonNull).toArray(float[][]::new)));
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
   * A copy of {@code lengths} after checking it, or null when it is null or every sequence has all
   * {@code T} steps (then the padding code has nothing to do).
   */
  static int[] checkedLengths(int[] lengths, int steps, int batch) {
    if (lengths == null) return null;
    if (lengths.length != batch) {
      throw new IllegalArgumentException(
          "lengths has "
              + lengths.length
              + " entries, expected one per sequence of the batch ("
              + batch
              + ")");
    }
    boolean full = true;
    for (int b = 0; b < batch; b++) {
      if (lengths[b] < 1 || lengths[b] > steps) {
        throw new IllegalArgumentException(
            "lengths["
                + b
                + "] = "
                + lengths[b]
                + " is outside [1, "
                + steps
                + "] (every sequence has at least one step and at most T = "
                + steps
                + ")");
      }
      full &= lengths[b] == steps;
    }
    return full ? null : lengths.clone();
  }

  /**
   * A dropout mask of {@code size} elements, drawn in order: each is 0 with probability {@code p}
   * and {@code 1/(1-p)} otherwise, so that the masked output keeps its expected value.
   */
  private float[] dropoutMask(RandomGenerator random, float[] into) {
    return Dropout.drawMask(into, into.length, dropout, random);
  }

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
   * one narrower), from {@code g*in*h}. The per-step products then read each panel as one
   * contiguous stream, {@code u_t[b, :] += Σ_p h_{t-1}[b, p] W^T[p, :]}.
   *
   * <p>Built straight from {@code W}, a row of {@code W} (one output unit) at a time: the row is
   * read contiguously and written down one column of its panel, {@code PANEL} floats apart, which
   * stays within the panel's few kilobytes of cache, where transposing the whole of {@code W} first
   * would write {@code gateRows} floats apart.
   */
  static float[] packTransposedGateBlocks(float[] weight, int gateRows, int in, int h) {
    float[] packed = new float[Math.toIntExact((long) gateRows * in)];
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
   * A step's product {@code out[b, 0 ..< columns] += v[b, :] · W^T[:, first ..< first + columns]}
   * for {@code rows} batch rows, with {@code v [rows, in]} from {@code v[vOff]} (rows {@code in}
   * apart), {@code out}'s rows from {@code outOff}, {@code ldOut} apart, {@code first} and {@code
   * columns} multiples of {@code h}; but only for hidden units {@code [unitFrom, unitTo)} of each
   * gate block ({@code 0, h} for all; otherwise on panel boundaries, or {@code unitTo = h}), so
   * that threads that split the units compute their columns of every gate without touching the
   * others'. {@code packedWeightT} is {@code W^T [in, gateRows]} packed by {@link
   * #packTransposedGateBlocks}: every panel of {@link PanelMatVec#PANEL} columns lies contiguous,
   * so the product streams through it instead of striding a row of {@code gateRows} floats per
   * multiply-add (with {@code gateRows} a power of two those strides also evict each other from the
   * cache; the packed layout measured about 12% faster at batch 64, {@code H = 256}).
   *
   * <p>From {@link #PANEL_BATCH} rows up, each panel is one {@link MatMul#gemmNNSingleThread},
   * which computes 8 rows together so that every weight loaded serves 8 rows; below that each row
   * reads all the weights anyway, a panel at a time ({@link PanelMatVec}). Either way every element
   * is the same chain of fused multiply-adds: the choice never changes a bit.
   */
  static void stepProduct(
      int rows,
      int columns,
      int in,
      int h,
      int unitFrom,
      int unitTo,
      float[] v,
      int vOff,
      float[] packedWeightT,
      int first,
      float[] out,
      int outOff,
      int ldOut) {
    if (rows >= PANEL_BATCH) {
      for (int column = 0; column < columns; column += h) {
        int block = (first + column) / h;
        for (int q0 = unitFrom; q0 < unitTo; q0 += PanelMatVec.PANEL) {
          int width = Math.min(PanelMatVec.PANEL, h - q0);
          MatMul.gemmNNSingleThread(
              rows,
              width,
              in,
              v,
              vOff,
              in,
              packedWeightT,
              block * in * h + q0 * in,
              width,
              out,
              outOff + column + q0,
              ldOut);
        }
      }
      return;
    }
    int panel = PanelMatVec.PANEL;
    for (int b = 0; b < rows; b++) {
      int row = vOff + b * in;
      // Full panels two at a time, also across gate blocks (a thread's share of each gate may be
      // a single panel), so that eight multiply-add chains are in flight.
      int waiting = -1, waitingOut = -1;
      for (int column = 0; column < columns; column += h) {
        int block = (first + column) / h;
        for (int q0 = unitFrom; q0 < unitTo; q0 += panel) {
          int at = block * in * h + q0 * in;
          int to = outOff + b * ldOut + column + q0;
          if (h - q0 < panel) {
            // the block's narrow last panel
            PanelMatVec.multiplyAdd(in, h - q0, 0, h - q0, v, row, packedWeightT, at, out, to);
          } else if (waiting < 0) {
            waiting = at;
            waitingOut = to;
          } else {
            PanelMatVec.multiplyAddTwoPanels(
                in, v, row, packedWeightT, waiting, at, out, waitingOut, to);
            waiting = -1;
          }
        }
      }
      if (waiting >= 0) {
        PanelMatVec.multiplyAdd(
            in, panel, 0, panel, v, row, packedWeightT, waiting, out, waitingOut);
      }
    }
  }

  /** Batch rows from which a step's products take 8 rows at a time ({@link #stepProduct}). */
  static final int PANEL_BATCH = 8;

  /**
   * One direction of one layer over all steps: the parameters of index {@code i = k*D + d}, the
   * input {@code layer.input} already in the direction's order of steps; {@code layer.hidden} (and
   * {@code cell}) hold the initial state. Past a sequence's end ({@code t >= lengths[b]}) the state
   * is held, {@code h_t = h_{t-1}}, {@code c_t = c_{t-1}} ({@link #holdEnded}): the products and
   * the cell still run on the (zero) padding, which keeps every step's rows contiguous, and the
   * held state overwrites their result.
   *
   * <p>The input projection {@code W_ih x_t} does not depend on h, so all steps are one {@code
   * [T*B, in]} product, which is parallel inside {@link MatMul}. It is written straight into {@code
   * layer.gates}, where each step then adds the biases and {@code u_t} and replaces the sum by the
   * activated gates: no separate projection buffers, no pass over all T*B rows just for the biases,
   * and the gate rows are still in cache when the cell update reads them.
   *
   * <p>{@code W_hh^T} is packed once per pass into panels ({@link #packTransposedGateBlocks}),
   * which every step then reads as contiguous streams.
   *
   * <p>The time loop is parallel over the batch: rows of the batch never interact, so each thread
   * runs all T steps for its block of rows, with no synchronisation between steps. Every product
   * inside is {@link MatMul#gemmNNSingleThread}, whose rows do not depend on how the batch was
   * split, so the result is bit-identical for any number of threads.
   *
   * <p>Within a step, a tile of up to 8 rows and one panel of hidden units is computed at a time,
   * its recurrent product and then its cell update ({@link #forwardStepTile}), so the gates are
   * activated while they are still in the L1 cache instead of after the whole step's product has
   * pushed them out; each element's chain of operations is the same in any order of tiles.
   */
  private void forwardLayer(int k, LayerTrace layer, int steps, int batch, int[] lengths) {
    int in = layer.inputSize;
    int rows = steps * batch;
    float[] preActivations = layer.gates; // [T*B, G*H], activated in place step by step
    // The biases are added step by step, while a step's rows are in cache, not in a pass of their
    // own over all T*B rows.
    float[] bias = foldedBias(k);
    float[] hiddenNewBias = biasHh[k].value().data(); // GRU: b_hn, its last block
    MatMul.gemmNT(
        rows,
        gateRows,
        in,
        layer.input,
        layer.inputOffset,
        in,
        weightIh[k].value().data(),
        0,
        in,
        preActivations,
        0,
        gateRows);
    int summed = summedGateRows();
    float[] stepWeights =
        packTransposedGateBlocks(weightHh[k].value().data(), gateRows, hiddenSize, hiddenSize);
    int parties = Math.min(Parallel.threads(), ceilDiv(hiddenSize, PanelMatVec.PANEL));
    if (batch < parties && (long) batch * gateRows * hiddenSize >= unitSplitMinWork) {
      forwardLayerSplitUnits(
          layer, steps, batch, lengths, parties, stepWeights, bias, hiddenNewBias);
      return;
    }
    Parallel.forRange(
        batch,
        (long) steps * gateRows * hiddenSize,
        (rowFrom, rowTo) -> {
          int slice = rowTo - rowFrom;
          for (int t = 0; t < steps; t++) {
            int row = t * batch + rowFrom; // first row of this slice at step t
            addBias(preActivations, row, slice, 0, hiddenSize, bias, hiddenNewBias, layer);
            // One panel of hidden units at a time, over all of this thread's rows a tile of up to
            // 8 at a time: the G gate columns of those units, u_t = h_{t-1} W_hh^T (h_{t-1} being
            // block t of the [T+1, B, H] states), and at once the cell update of the tile, while
            // its gates are still in the L1 cache. Panel by panel, so that the panel's weights
            // are read from memory once per step and serve every tile from the cache.
            for (int q0 = 0; q0 < hiddenSize; q0 += PanelMatVec.PANEL) {
              int q1 = Math.min(hiddenSize, q0 + PanelMatVec.PANEL);
              for (int r0 = rowFrom; r0 < rowTo; r0 += PANEL_BATCH) {
                int r1 = Math.min(rowTo, r0 + PANEL_BATCH);
                int tileRow = t * batch + r0;
                stepProduct(
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
                    preActivations,
                    tileRow * gateRows,
                    gateRows);
                if (summed < gateRows) {
                  stepProduct(
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
                forwardStepTile(layer, t, batch, r0, r1, q0, q1);
              }
            }
            if (lengths != null) holdEnded(layer, t, batch, lengths, rowFrom, rowTo, 0, hiddenSize);
          }
        });
  }

  /**
   * For the rows {@code [rowFrom, rowTo)} whose sequence has ended before step {@code t}, holds the
   * state of hidden units {@code [unitFrom, unitTo)}: {@code h_t = h_{t-1}} and {@code c_t =
   * c_{t-1}}, over what the step computed. Rows and units are disjoint between threads.
   */
  private void holdEnded(
      LayerTrace layer,
      int t,
      int batch,
      int[] lengths,
      int rowFrom,
      int rowTo,
      int unitFrom,
      int unitTo) {
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

  /**
   * Adds the biases to {@code rows} rows of pre-activations from row {@code firstRow}, for hidden
   * units {@code [unitFrom, unitTo)} of every gate block: {@code bias} ({@link #foldedBias}) to
   * {@code gates}, and for the GRU {@code b_hn} (the last block of {@code hiddenNewBias}) to {@code
   * layer.hiddenNewProjection}. Each element gets one addition, so the order in which rows or units
   * are done does not matter.
   */
  private void addBias(
      float[] gates,
      int firstRow,
      int rows,
      int unitFrom,
      int unitTo,
      float[] bias,
      float[] hiddenNewBias,
      LayerTrace layer) {
    int h = hiddenSize;
    int units = unitTo - unitFrom;
    int summed = summedGateRows();
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
   * Multiply-adds per step (batch × {@code G*H} × {@code H}) from which a batch smaller than the
   * thread count splits each step by hidden units ({@link #forwardLayerSplitUnits}); the system
   * property {@code seqlab.recurrent.unitSplitMinWork} overrides it. Measured at batch 1 on two
   * cores shared with other work: an LSTM step of {@code H = 1024} (4M multiply-adds) ran about 1.5
   * times faster on two threads than on one, one of {@code H = 256} (262k) no faster, the barrier
   * and the shared memory bandwidth eating the gain. The default, 2M, lies between.
   */
  static volatile long unitSplitMinWork =
      Long.getLong("seqlab.recurrent.unitSplitMinWork", 1L << 21);

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /**
   * Where party {@code party} of {@code parties} starts when the {@code h} hidden units are split
   * between them in whole panels of {@link PanelMatVec#PANEL} (the split-units time loops of the
   * traced and the inference pass); {@code party = parties} gives {@code h}.
   */
  static int firstUnitOf(int party, int parties, int h) {
    int panels = ceilDiv(h, PanelMatVec.PANEL);
    return Math.min(h, party * panels / parties * PanelMatVec.PANEL);
  }

  /**
   * The time loop of {@link #forwardLayer} for a batch too small to give every thread rows: the
   * hidden units are split instead, in whole panels of {@link PanelMatVec#PANEL}, between {@code
   * parties} threads that stay alive for the whole sequence. At every step each thread computes,
   * for all batch rows, the columns of {@code u_t} that belong to its units in every gate block
   * (all G gates of a unit on the same thread), runs the cell update of those units right away, and
   * then meets the others on a {@link SpinBarrier}: step {@code t+1} needs all of {@code h_t}. One
   * barrier per step suffices because {@code h_t} and the gates of each step have their own blocks
   * in the trace, so nothing is overwritten that another thread may still read.
   *
   * <p>Every element is computed by the same chain of multiply-adds as on one thread, and the
   * nonlinearities are lane by lane, so the result is bit-identical to {@link #forwardLayer}'s.
   */
  private void forwardLayerSplitUnits(
      LayerTrace layer,
      int steps,
      int batch,
      int[] lengths,
      int parties,
      float[] packedRecurrentWeightT,
      float[] bias,
      float[] hiddenNewBias) {
    int h = hiddenSize;
    int summedBlocks = summedGateRows() / h;
    float[] preActivations = layer.gates;
    SpinBarrier barrier = new SpinBarrier(parties);
    Parallel.forRange(
        parties,
        (long) steps * batch * gateRows * h,
        (partyFrom, partyTo) -> {
          // A chunk that holds several parties (fewer threads than planned) does all their units
          // and arrives for all of them.
          int unitFrom = firstUnitOf(partyFrom, parties, h);
          int unitTo = firstUnitOf(partyTo, parties, h);
          try {
            for (int t = 0; t < steps; t++) {
              addBias(
                  preActivations, t * batch, batch, unitFrom, unitTo, bias, hiddenNewBias, layer);
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
                      preActivations,
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
              forwardStepTile(layer, t, batch, 0, batch, unitFrom, unitTo);
              if (lengths != null) holdEnded(layer, t, batch, lengths, 0, batch, unitFrom, unitTo);
              barrier.await(partyTo - partyFrom);
            }
          } catch (RuntimeException | Error e) {
            barrier.breakBarrier();
            throw e;
          }
        });
  }

  /**
   * The pointwise part of step {@code t} for batch rows {@code [rowFrom, rowTo)} and hidden units
   * {@code [unitFrom, unitTo)}. On entry rows {@code t*B + b} of {@code layer.gates [T*B, G*H]}
   * hold the pre-activations {@code a_t + u_t} of those units (GRU: {@code a_n} alone in the n
   * block, {@code u_n} in {@code layer.hiddenNewProjection}); the step replaces them by the
   * activated gates and writes the new state (block {@code t+1} of {@code layer.hidden}, {@code
   * layer.cell}) from the previous one (block {@code t}). It reads and writes nothing outside those
   * rows and units, and every nonlinearity is lane by lane, so tiles may run in any order and
   * threads with disjoint tiles at once.
   */
  abstract void forwardStepTile(
      LayerTrace layer, int t, int batch, int rowFrom, int rowTo, int unitFrom, int unitTo);

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
    checkInputs(input, h0, c0);
    int steps = input.dim(0);
    int batch = input.dim(1);
    int[] checked = checkedLengths(lengths, steps, batch);
    if (directions == 2) {
      RecurrentOutput traced = forward(input, h0, c0, lengths, null);
      return new RecurrentOutput(traced.output(), traced.hN(), traced.cN(), null);
    }
    Tensor.checkedSize(steps, batch, Math.max(inputSize, outputSize()));
    Tensor.checkedSize(steps, batch, gateRows);
    return RecurrentInference.run(this, input, h0, c0, checked);
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
  // Backward: the forward in reverse, last layer first, last step first.

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
      // The two results go to the caller; everything else comes from (and goes back to) the
      // layer's workspace.
      hiddenGradients = new float[perStep];
      cellGradients = lstm ? new float[perStep] : null;
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

  /**
   * Backpropagates through all layers, directions and steps of {@code forwardResult}, accumulating
   * ({@code +=}) into every parameter's gradient. Dropout uses the masks of the forward pass.
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
    int steps = trace.steps();
    int batch = trace.batchSize();
    SequenceLengths sequences = trace.sequences;
    int[] lengths = sequences.lengths();
    int states = numLayers * directions;
    if (dOutput != null) dOutput.requireShape("dOutput", steps, batch, outputSize());
    if (dhN != null) dhN.requireShape("dhN", states, batch, hiddenSize);
    if (kind != RecurrentKind.LSTM && dcN != null) {
      throw new IllegalArgumentException(
          "dcN is only for LSTM, this model is " + kind.metadataName());
    }
    if (dcN != null) dcN.requireShape("dcN", states, batch, hiddenSize);

    BackwardBuffers work =
        new BackwardBuffers(
            kind,
            states,
            steps,
            batch,
            hiddenSize,
            directions,
            Math.max(inputSize, outputSize()),
            lengths != null,
            workspace);
    Tensor dInput = Tensor.zeros(steps, batch, inputSize);
    Tensor dh0 = Tensor.zeros(states, batch, hiddenSize);
    Tensor dc0 = kind == RecurrentKind.LSTM ? Tensor.zeros(states, batch, hiddenSize) : null;
    int block = batch * hiddenSize;
    // dL/d(output of the current layer), [T, B, D*H]: the loss's for the last layer, then the
    // input gradient of the layer above. A copy, because the caller's dOutput must not change.
    int outputs = steps * batch * outputSize();
    float[] dLayerOutput =
        dOutput == null ? workspace.zeroed(outputs) : workspace.overwritten(outputs);
    if (dOutput != null) System.arraycopy(dOutput.data(), 0, dLayerOutput, 0, outputs);

    for (int k = numLayers - 1; k >= 0; k--) {
      // What reaches each direction's states from the output, in that direction's order of steps.
      // Gathered for both directions before dLayerOutput is overwritten with the layer's input
      // gradient below.
      float[][] dStates = {dLayerOutput};
      if (work.directionGradients != null) {
        dStates = work.directionGradients;
        for (int d = 0; d < directions; d++) {
          sequences.toSteps(dLayerOutput, d * hiddenSize, outputSize(), d, hiddenSize, dStates[d]);
        }
      }
      int in = layerInputSize(k);
      int rows = steps * batch;
      // dx_t: the model's input gradient, or the output gradient of the layer below (then the same
      // array as dLayerOutput, so it is cleared only once direction 0 has read dLayerOutput).
      float[] dLayerInput = k == 0 ? dInput.data() : dLayerOutput;
      for (int d = 0; d < directions; d++) {
        int i = k * directions + d;
        LayerTrace layer = trace.layers[i];
        // Reverse of forwardLayer.
        if (dhN != null) System.arraycopy(dhN.data(), i * block, work.dhCarry, 0, block);
        else Arrays.fill(work.dhCarry, 0f);
        if (work.dcCarry != null) {
          if (dcN != null) System.arraycopy(dcN.data(), i * block, work.dcCarry, 0, block);
          else Arrays.fill(work.dcCarry, 0f);
        }
        backwardThroughTime(i, layer, steps, batch, lengths, dStates[d], work);
        System.arraycopy(work.dhCarry, 0, dh0.data(), i * block, block);
        if (dc0 != null) System.arraycopy(work.dcCarry, 0, dc0.data(), i * block, block);
        if (work.directionGradients != null) {
          // Report dL/dh_t (dL/dc_t) by position, zero past the end, where there is no state;
          // dStates[d] has been read and serves as scratch.
          int slice = i * steps * block;
          for (float[] perStep : new float[][] {work.hiddenGradients, work.cellGradients}) {
            if (perStep == null) continue;
            System.arraycopy(perStep, slice, dStates[d], 0, steps * block);
            sequences.toPositions(dStates[d], 0, d, hiddenSize, perStep, slice, hiddenSize);
          }
        }

        // Weight gradients of all steps at once: sums over the T*B rows of the step gradients
        // (zero past a sequence's end, so padding adds nothing).
        // a_t = W_ih x_t + b_ih  =>  dW_ih += Σ_t da_t^T x_t,  db_ih += Σ_t da_t
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
            weightIh[i].grad().data(),
            0,
            in);
        if (work.dHiddenProjection == work.dInputProjection) {
          // b_ih and b_hh enter only as a sum, so their gradients are one sum over all rows.
          float[] biasGradient = new float[gateRows];
          Elementwise.sumRowsInto(work.dInputProjection, 0, rows, gateRows, biasGradient, 0);
          Elementwise.addInPlace(biasIh[i].grad().data(), 0, biasGradient, 0, gateRows);
          Elementwise.addInPlace(biasHh[i].grad().data(), 0, biasGradient, 0, gateRows);
        } else {
          Elementwise.sumRowsInto(
              work.dInputProjection, 0, rows, gateRows, biasIh[i].grad().data(), 0);
          Elementwise.sumRowsInto(
              work.dHiddenProjection, 0, rows, gateRows, biasHh[i].grad().data(), 0);
        }
        // u_t = W_hh h_{t-1} + b_hh  =>  dW_hh += Σ_t du_t^T h_{t-1}, h_{t-1} being blocks 0..T-1
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
            weightHh[i].grad().data(),
            0,
            hiddenSize);
        // dx_t += da_t W_ih; the reverse direction's steps read the positions backwards, so its
        // part is computed in its own order and then added at the positions it came from.
        float[] dx = d == 0 ? dLayerInput : work.reversedInputGradient;
        Arrays.fill(dx, 0, rows * in, 0f);
        MatMul.gemmNN(
            rows,
            in,
            gateRows,
            work.dInputProjection,
            0,
            gateRows,
            weightIh[i].value().data(),
            0,
            in,
            dx,
            0,
            in);
        if (d == 1) sequences.addToPositions(dx, d, in, dLayerInput);
      }
      // x of layer k = mask ⊙ y of layer k-1  =>  dy = mask ⊙ dx
      if (k > 0 && trace.dropoutMasks != null) {
        float[] mask = trace.dropoutMasks[k - 1];
        for (int j = 0; j < dLayerOutput.length; j++) dLayerOutput[j] *= mask[j];
      }
    }

    work.giveBack(workspace);
    workspace.giveBack(dLayerOutput);
    Tensor hiddenGradients = Tensor.wrap(work.hiddenGradients, states, steps, batch, hiddenSize);
    Tensor cellGradients =
        work.cellGradients == null
            ? null
            : Tensor.wrap(work.cellGradients, states, steps, batch, hiddenSize);
    return new RecurrentGradients(dInput, dh0, dc0, hiddenGradients, cellGradients);
  }

  /**
   * The reverse of {@link #forwardLayer}'s time loop for parameters {@code i}: from what reaches
   * {@code h_t} from the layer's output ({@code dStates [T, B, H]}, in the direction's order of
   * steps) and the carries (holding {@code dL/dhN}, {@code dL/dcN}), fills the step gradients
   * {@code dL/da_t}, {@code dL/du_t} of every step and leaves {@code dL/dh_{-1}} (and {@code
   * dL/dc_{-1}}) in the carries. Only the gate gradients and {@code dh} are computed per step;
   * every weight gradient is left to one product over all steps.
   *
   * <p>Parallel over the batch as the forward is: each thread walks all steps back for its rows,
   * and {@code dh_{t-1} += du_t W_hh} on a row slice involves no other rows.
   */
  private void backwardThroughTime(
      int i,
      LayerTrace layer,
      int steps,
      int batch,
      int[] lengths,
      float[] dStates,
      BackwardBuffers work) {
    // W_hh [G*H, H] in panels of columns, each contiguous over all G*H rows (see stepProduct).
    int h = hiddenSize;
    float[] packedWeight = PanelMatVec.pack(gateRows, h, weightHh[i].value().data(), 0, h);
    int block = batch * h;
    Parallel.forRange(
        batch,
        (long) steps * gateRows * h,
        (rowFrom, rowTo) -> {
          int slice = rowTo - rowFrom;
          int sliceOffset = rowFrom * h;
          int sliceSize = slice * h;
          for (int t = steps - 1; t >= 0; t--) {
            // h_t feeds both the layer's output and step t+1.
            int gradientOffset = (i * steps + t) * block;
            Elementwise.add(
                dStates,
                t * block + sliceOffset,
                work.dhCarry,
                sliceOffset,
                work.hiddenGradients,
                gradientOffset + sliceOffset,
                sliceSize);
            if (lengths == null) {
              backwardStep(layer, t, batch, rowFrom, rowTo, gradientOffset, work);
            } else {
              backwardStepRagged(layer, t, batch, lengths, rowFrom, rowTo, gradientOffset, work);
            }
            // u_t = h_{t-1} W_hh^T + b_hh  =>  dh_{t-1} += du_t W_hh, a panel of columns at a time
            for (int q0 = 0; q0 < h; q0 += PanelMatVec.PANEL) {
              int width = Math.min(PanelMatVec.PANEL, h - q0);
              MatMul.gemmNNSingleThread(
                  slice,
                  width,
                  gateRows,
                  work.dHiddenProjection,
                  (t * batch + rowFrom) * gateRows,
                  gateRows,
                  packedWeight,
                  q0 * gateRows,
                  width,
                  work.dhCarry,
                  sliceOffset + q0,
                  h);
            }
          }
        });
  }

  /**
   * {@link #backwardStep} for the rows whose sequence is still running at step {@code t}, in runs
   * of consecutive rows, and the reverse of {@link #holdEnded} for the others: a held step passes
   * {@code dL/dh_t} and {@code dL/dc_t} unchanged to {@code t-1}, and its gate gradients are zero,
   * so neither the weights nor the padded input receive anything from it.
   */
  private void backwardStepRagged(
      LayerTrace layer,
      int t,
      int batch,
      int[] lengths,
      int rowFrom,
      int rowTo,
      int gradientOffset,
      BackwardBuffers work) {
    int h = hiddenSize;
    int b = rowFrom;
    while (b < rowTo) {
      boolean running = t < lengths[b];
      int end = b + 1;
      while (end < rowTo && (t < lengths[end]) == running) end++;
      if (running) {
        backwardStep(layer, t, batch, b, end, gradientOffset, work);
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

  /**
   * The reverse of {@link #forwardStepTile} for step {@code t} and batch rows {@code [rowFrom,
   * rowTo)}, touching only those rows of every buffer. On entry {@code
   * work.hiddenGradients[gradientOffset ..+ B*H)} holds {@code dL/dh_t} and (LSTM) {@code
   * work.dcCarry} holds what reaches {@code c_t} from step {@code t+1} and the loss. Writes block
   * {@code t} of {@code work.dInputProjection} and {@code work.dHiddenProjection}, (LSTM) the total
   * {@code dL/dc_t} into {@code work.cellGradients}, and replaces the carries: {@code dcCarry} with
   * {@code dL/dc_{t-1}}, {@code dhCarry} with the part of {@code dL/dh_{t-1}} that does not pass
   * through {@code W_hh} (the caller adds that part).
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
