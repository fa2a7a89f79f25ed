package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * A stack of minimal recurrent layers, minGRU or minLSTM (Feng et al. 2024, "Were RNNs All We
 * Needed?"), time-major, one direction. Every layer {@code k} runs
 *
 * <pre>
 *   k_t = W_ih x_t + b_ih                         [G*H]: G gate blocks of H, from x_t alone
 *   minGRU  (G = 2: z, h̃):     z_t = σ(k_z),  h̃_t = g(k_h)
 *                              h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t
 *   minLSTM (G = 3: f, i, h̃):  f_t = σ(k_f),  i_t = σ(k_i),  h̃_t = g(k_h)
 *                              f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)
 *                              h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t
 *   g(x) = x + 0.5 for x ≥ 0,  σ(x) for x < 0
 * </pre>
 *
 * where {@code x_t} is the model's input for layer 0 and {@code h_t} of layer {@code k-1} above
 * that; the model's output is the last layer's {@code h_t}. Both cells are the linear recurrence
 * {@code h_t = a_t ⊙ h_{t-1} + b_t} ({@link MinRecurrentKind}), with {@code a_t ∈ (0, 1)} and
 * {@code b_t > 0} ({@code g > 0} keeps {@code h̃} positive).
 *
 * <p><b>Why training is parallel over time.</b> No gate reads {@code h_{t-1}}, so the coefficients
 * of all {@code T} steps come from one matrix product over the {@code T*B} rows of a layer's input,
 * and unrolling the recurrence gives every state in closed form, {@code h_t = (Π_{s≤t} a_s) h0 +
 * Σ_{s≤t} (Π_{s<r≤t} a_r) b_s}, a prefix scan: {@link #forward} computes it as a two-level scan
 * over chunks of time ({@link ChunkedScan}: each chunk from a zero state, then the carries from
 * chunk to chunk), so the {@code T} steps are shared out over threads rather than walked one after
 * another. The state stays one {@code [B, H]} vector per layer, as in any RNN: {@link #step}
 * streams a sequence a step at a time by the plain recurrence, in constant memory.
 *
 * <p>The initial state is any real {@code h0}: the scan adds its contribution {@code (Π a) h0} as a
 * multiply-add (see {@link ChunkedScan}).
 *
 * <p><b>Dropout</b> ({@link #setDropout}) between layers, as {@link Recurrent}'s: while training
 * the output of every layer but the last is multiplied by an inverted-dropout mask.
 *
 * <p>Symbols: {@code T} steps, {@code B} batch, {@code I} input size, {@code H} hidden size, {@code
 * L} layers, {@code G} gate blocks ({@link MinRecurrentKind#gateCount()}). Shapes: input {@code [T,
 * B, I]}, output {@code [T, B, H]}, {@code h0} and {@code hN} {@code [L, B, H]}.
 *
 * <p>Parameters of layer {@code k}, in this order, PyTorch's layout, {@code in_k = I} for {@code k
 * = 0}, else {@code H}; these are their safetensors names. All are initialised by {@link
 * #initialize} from {@code U(-1/sqrt(H), 1/sqrt(H))}. There is no {@code weight_hh}: the gates read
 * the input only.
 *
 * <ul>
 *   <li>{@code weight_ih_l{k} [G*H, in_k]}: blocks {@code W_z, W_h} (minGRU) or {@code W_f, W_i,
 *       W_h} (minLSTM), in that order
 *   <li>{@code bias_ih_l{k} [G*H]}, blocks likewise
 * </ul>
 *
 * <p>{@link #backward} uses the current weights, so they must not change between a forward pass and
 * its backward pass.
 */
public final class MinRecurrent implements Module {

  private final MinRecurrentKind kind;
  private final int inputSize;
  private final int hiddenSize;
  private final int numLayers;

  /** {@code G*H}: the rows of every weight matrix. */
  private final int gateRows;

  private final Parameter[] weightIh;
  private final Parameter[] biasIh;
  private final List<Parameter> parameters;

  /**
   * The scratch arrays of a pass (the scan's coefficients and chunk products, the backward pass's
   * gradients), taken again by the next pass of the same shape instead of allocated and zeroed
   * afresh: at H 256, B 64, T 256 they are about 150 MB a training step.
   */
  private final Workspace workspace = new Workspace();

  /** The scratch arrays kept between passes (for the tests of their reuse). */
  Workspace workspace() {
    return workspace;
  }

  private double dropout;

  /** A new model with zero parameters; call {@link #initialize} or load weights. */
  public MinRecurrent(MinRecurrentKind kind, int inputSize, int hiddenSize, int numLayers) {
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
    Tensor.checkedSize(kind.gateCount(), hiddenSize, Math.max(inputSize, hiddenSize));
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.gateRows = kind.gateCount() * hiddenSize;
    this.weightIh = new Parameter[numLayers];
    this.biasIh = new Parameter[numLayers];
    List<Parameter> all = new ArrayList<>(2 * numLayers);
    for (int k = 0; k < numLayers; k++) {
      weightIh[k] = Parameter.of("weight_ih_l" + k, Tensor.zeros(gateRows, layerInputSize(k)));
      biasIh[k] = Parameter.of("bias_ih_l" + k, Tensor.zeros(gateRows));
      all.addAll(List.of(weightIh[k], biasIh[k]));
    }
    this.parameters = List.copyOf(all);
  }

  /**
   * As {@link Recurrent#initialize}: every parameter, in {@link #parameters()} order, drawn from
   * {@code U(-1/sqrt(H), 1/sqrt(H))}.
   */
  public void initialize(RandomGenerator rng) {
    double bound = 1.0 / Math.sqrt(hiddenSize);
    for (Parameter p : parameters) Init.uniform(p.value(), bound, rng);
  }

  public MinRecurrentKind kind() {
    return kind;
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

  /**
   * minLSTM: sets the forget gate's bias, rows {@code [0, H)} of every {@code bias_ih} (its blocks
   * are {@code f, i, h̃}), to {@code forgetGateBias}. There is no second bias to clear.
   *
   * @throws IllegalStateException for minGRU, which has no forget gate
   */
  public void setForgetGateBias(double forgetGateBias) {
    if (kind != MinRecurrentKind.MIN_LSTM) {
      throw new IllegalStateException(kind.metadataName() + " has no forget gate");
    }
    for (Parameter b : biasIh) Arrays.fill(b.value().data(), 0, hiddenSize, (float) forgetGateBias);
  }

  /** Sets the probability of dropping an element of every layer's output but the last's. */
  public void setDropout(double p) {
    this.dropout = Dropout.checkProbability(p);
  }

  public double dropout() {
    return dropout;
  }

  /** {@code weight_ih_l{layer}}, {@code [G*H, in_layer]}. */
  public Parameter weightIh(int layer) {
    return weightIh[Objects.checkIndex(layer, numLayers)];
  }

  /** {@code bias_ih_l{layer}}, {@code [G*H]}. */
  public Parameter biasIh(int layer) {
    return biasIh[Objects.checkIndex(layer, numLayers)];
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  private int layerInputSize(int k) {
    return k == 0 ? inputSize : hiddenSize;
  }

  // ----------------------------------------------------------------------------------------------
  // Forward

  /**
   * The result of {@link MinRecurrent#forward} or {@link MinRecurrent#infer}.
   *
   * @param output the last layer's {@code h_t} at every step, {@code [T, B, H]}
   * @param hN every layer's final state, {@code [L, B, H]}
   * @param trace what backward needs; null for the result of {@link MinRecurrent#infer}
   */
  public record Output(Tensor output, Tensor hN, Trace trace) {
    public Output {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(hN, "hN");
    }

    /**
     * What the backward pass needs.
     *
     * @throws IllegalStateException if this output came from {@link MinRecurrent#infer}
     */
    @Override
    public Trace trace() {
      if (trace == null) {
        throw new IllegalStateException(
            "this output came from MinRecurrent.infer, which keeps no trace; run forward for an"
                + " output that backward or a probe can use");
      }
      return trace;
    }

    public boolean hasTrace() {
      return trace != null;
    }

    /** The last layer's states; refused once {@link #release} has handed them back. */
    @Override
    public Tensor output() {
      if (trace != null) trace.requireHeld();
      return output;
    }

    /** Every layer's final state; refused once {@link #release} has handed them back. */
    @Override
    public Tensor hN() {
      if (trace != null) trace.requireHeld();
      return hN;
    }

    /**
     * Hands everything this pass holds (the trace, the output and the final states) back to the
     * model, whose next pass of the same shapes reuses it instead of allocating; call it once
     * nothing reads any of them. Afterwards the trace, the output and the final states refuse every
     * use, backward included. Calling it again does nothing; for an output of {@link
     * MinRecurrent#infer} it does nothing at all.
     */
    public void release() {
      if (trace != null) trace.release(output.data(), hN.data());
    }
  }

  /**
   * What a forward pass keeps for its backward pass, per layer, and copies of it for probes.
   * Internally the states of layer {@code k} are {@code [T+1, B, H]}, block 0 holding {@code h0},
   * so that {@code h_{t-1}} of every step is block {@code t}.
   */
  public static final class Trace {
    private final MinRecurrent owner;
    private final int steps;
    private final int batch;

    /** Per layer: its input {@code [T, B, in_k]} from {@code inputOffsets[k]}. */
    private final float[][] inputs;

    private final int[] inputOffsets;

    /** Per layer: the pre-activations {@code k_t}, {@code [T, B, G*H]}. */
    private final float[][] projections;

    /** Per layer: {@code [T+1, B, H]}, {@code h0} then {@code h_0 .. h_{T-1}}. */
    private final float[][] hidden;

    /** The masks applied to the output of layers {@code 0 .. L-2}; null when none. */
    private final float[][] dropoutMasks;

    /** Every array of the trace, each once: what {@link Output#release} hands back. */
    private final float[][] owned;

    private volatile boolean released;

    private Trace(
        MinRecurrent owner,
        int steps,
        int batch,
        float[][] inputs,
        int[] inputOffsets,
        float[][] projections,
        float[][] hidden,
        float[][] dropoutMasks,
        float[][] owned) {
      this.owner = owner;
      this.steps = steps;
      this.batch = batch;
      this.inputs = inputs;
      this.inputOffsets = inputOffsets;
      this.projections = projections;
      this.hidden = hidden;
      this.dropoutMasks = dropoutMasks;
      this.owned = owned;
    }

    /** Hands the trace's arrays and the pass's {@code results} back to the model, once. */
    private void release(float[]... results) {
      synchronized (this) {
        if (released) return;
        released = true;
      }
      owner.workspace.giveBack(owned);
      owner.workspace.giveBack(results);
    }

    /** Whether the pass was released ({@link Output#release}). */
    public boolean isReleased() {
      return released;
    }

    private void requireHeld() {
      if (released) {
        throw new IllegalStateException(
            "this pass was released (MinRecurrent.Output.release) and its buffers reused by a"
                + " later pass; release it only once backward and every probe are done with it");
      }
    }

    public int steps() {
      return steps;
    }

    public int batchSize() {
      return batch;
    }

    /** The hidden states {@code h_0 .. h_{T-1}} of {@code layer}, {@code [T, B, H]}. A copy. */
    public Tensor hiddenStates(int layer) {
      requireHeld();
      int block = batch * owner.hiddenSize;
      float[] states = hidden[Objects.checkIndex(layer, owner.numLayers)];
      return Tensor.wrap(
          Arrays.copyOfRange(states, block, block + steps * block), steps, batch, owner.hiddenSize);
    }

    /**
     * The post-activation gates of {@code layer} at every step, {@code [T, B, G*H]}: {@code z_t,
     * h̃_t} (minGRU) or {@code f_t, i_t, h̃_t} (minLSTM; {@code f, i} before the normalisation
     * {@code f' = f/(f+i)}). A copy.
     */
    public Tensor gates(int layer) {
      requireHeld();
      float[] p = projections[Objects.checkIndex(layer, owner.numLayers)];
      int g = owner.gateRows;
      float[] out = new float[steps * batch * g];
      for (int r = 0; r < steps * batch; r++) {
        owner.kind.activations(p, r * g, owner.hiddenSize, out, r * g);
      }
      return Tensor.wrap(out, steps, batch, g);
    }
  }

  /** {@code forward(input, h0, null)}: no dropout. */
  public Output forward(Tensor input, Tensor h0) {
    return forward(input, h0, null);
  }

  /**
   * Runs all layers over the whole sequence, keeping what {@link #backward} needs.
   *
   * @param input {@code [T, B, I]}, {@code T, B >= 1}
   * @param h0 initial states {@code [L, B, H]} (any real values), or null for zeros
   * @param dropoutRandom the source of the dropout masks while training, drawn layer by layer in
   *     {@code [T, B, H]} order; null for no dropout whatever {@link #dropout()}
   */
  public Output forward(Tensor input, Tensor h0, RandomGenerator dropoutRandom) {
    return run(input, h0, dropoutRandom, true);
  }

  /**
   * {@link #forward} without dropout and without keeping a trace: the same numbers, bit for bit,
   * for evaluation.
   */
  public Output infer(Tensor input, Tensor h0) {
    return run(input, h0, null, false);
  }

  private Output run(Tensor input, Tensor h0, RandomGenerator dropoutRandom, boolean keep) {
    checkInputs(input, h0);
    int steps = input.dim(0), batch = input.dim(1), h = hiddenSize;
    Tensor.checkedSize(steps, batch, gateRows);
    Tensor.checkedSize(steps + 1, batch, h);
    int block = batch * h, rows = steps * batch;
    boolean dropping = dropoutRandom != null && dropout > 0 && numLayers > 1;

    // Every array comes from the workspace: a trace's go back with it (Output.release), infer's
    // at the end of the pass. The trace owns a copy of the input, so that the caller changing it
    // cannot corrupt backward.
    List<float[]> owned = new ArrayList<>();
    float[] layerInput = input.data();
    if (keep) {
      layerInput = workspace.overwritten(input.size());
      System.arraycopy(input.data(), 0, layerInput, 0, layerInput.length);
      owned.add(layerInput);
    }
    int layerInputOffset = 0;
    float[][] inputs = new float[numLayers][];
    int[] inputOffsets = new int[numLayers];
    float[][] projections = new float[numLayers][];
    float[][] hidden = new float[numLayers][];
    float[][] masks = dropping ? new float[numLayers - 1][] : null;
    // each written whole before it is read (ChunkedScan.coefficients, forward)
    float[] coefficients = workspace.overwritten(rows * h);
    float[] additions = workspace.overwritten(rows * h);
    float[] products = workspace.overwritten(rows * h);
    // each block copied from the states below
    Tensor hN = Tensor.wrap(workspace.overwritten(numLayers * block), numLayers, batch, h);
    for (int k = 0; k < numLayers; k++) {
      int in = layerInputSize(k);
      inputs[k] = layerInput;
      inputOffsets[k] = layerInputOffset;
      // k_t = b_ih + x_t W_ih^T for all T*B rows in one product
      float[] projection = workspace.overwritten(rows * gateRows); // every row set to b_ih first
      owned.add(projection);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(biasIh[k].value().data(), 0, projection, r * gateRows, gateRows);
      }
      MatMul.gemmNT(
          rows,
          gateRows,
          in,
          layerInput,
          layerInputOffset,
          in,
          weightIh[k].value().data(),
          0,
          in,
          projection,
          0,
          gateRows);
      // block 0 holds h0 (zeros when none); the scan writes blocks 1 .. T
      float[] states = workspace.overwritten((steps + 1) * block);
      owned.add(states);
      if (h0 != null) {
        System.arraycopy(h0.data(), k * block, states, 0, block);
      } else {
        Arrays.fill(states, 0, block, 0f);
      }
      ChunkedScan.coefficients(kind, projection, steps, batch, h, coefficients, additions);
      ChunkedScan.forward(coefficients, additions, steps, batch, h, states, products);
      projections[k] = projection;
      hidden[k] = states;
      System.arraycopy(states, steps * block, hN.data(), k * block, block);

      // The next layer reads h_0 .. h_{T-1} in place, or a dropped-out copy of them.
      layerInput = states;
      layerInputOffset = block;
      if (dropping && k < numLayers - 1) {
        masks[k] =
            Dropout.drawMask(workspace.overwritten(rows * h), rows * h, dropout, dropoutRandom);
        owned.add(masks[k]);
        layerInput = workspace.overwritten(rows * h);
        owned.add(layerInput);
        System.arraycopy(states, block, layerInput, 0, rows * h);
        Dropout.apply(layerInput, masks[k], rows * h);
        layerInputOffset = 0;
      }
    }
    workspace.giveBack(coefficients, additions, products);
    float[] top = hidden[numLayers - 1];
    Tensor output = Tensor.wrap(workspace.overwritten(rows * h), steps, batch, h);
    System.arraycopy(top, block, output.data(), 0, rows * h);
    float[][] ownedArrays = owned.toArray(float[][]::new);
    if (!keep) {
      workspace.giveBack(ownedArrays);
      return new Output(output, hN, null);
    }
    return new Output(
        output,
        hN,
        new Trace(
            this, steps, batch, inputs, inputOffsets, projections, hidden, masks, ownedArrays));
  }

  private void checkInputs(Tensor input, Tensor h0) {
    Objects.requireNonNull(input, "input");
    if (input.rank() != 3 || input.dim(2) != inputSize || input.dim(0) == 0 || input.dim(1) == 0) {
      throw new IllegalArgumentException(
          "input has shape "
              + Arrays.toString(input.shape())
              + ", expected [T, B, "
              + inputSize
              + "] (time-major, T and B at least 1)");
    }
    if (h0 != null) h0.requireShape("h0", numLayers, input.dim(1), hiddenSize);
  }

  // ----------------------------------------------------------------------------------------------
  // Streaming

  /**
   * One step of every layer for a batch, by the plain recurrence {@code h = a ⊙ h + b} (no log
   * space): the streaming path of inference, constant memory whatever the length of the stream.
   * {@code a} and {@code b} in float vectors, as the scan's ({@link
   * MinRecurrentKind#coefficients}); the scan adds {@code h0} and each chunk's carry in another
   * order, so the two agree to float's rounding, not bit for bit.
   *
   * @param input {@code x_t}, {@code [B, I]}
   * @param state {@code [L, B, H]}: {@code h_{t-1}} of every layer on entry, replaced by {@code
   *     h_t}
   * @return the last layer's {@code h_t}, {@code [B, H]} (a copy)
   */
  public Tensor step(Tensor input, Tensor state) {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(state, "state");
    if (input.rank() != 2 || input.dim(1) != inputSize || input.dim(0) == 0) {
      throw new IllegalArgumentException(
          "input has shape "
              + Arrays.toString(input.shape())
              + ", expected [B, "
              + inputSize
              + "] (B at least 1)");
    }
    int batch = input.dim(0), h = hiddenSize, block = batch * h;
    state.requireShape("state", numLayers, batch, h);
    float[] s = state.data();
    float[] x = input.data();
    int xOffset = 0;
    float[] projection = new float[batch * gateRows];
    float[] decay = new float[block], additions = new float[block];
    for (int k = 0; k < numLayers; k++) {
      int in = layerInputSize(k);
      for (int b = 0; b < batch; b++) {
        System.arraycopy(biasIh[k].value().data(), 0, projection, b * gateRows, gateRows);
      }
      MatMul.gemmNT(
          batch,
          gateRows,
          in,
          x,
          xOffset,
          in,
          weightIh[k].value().data(),
          0,
          in,
          projection,
          0,
          gateRows);
      // a and b of the batch's rows as the scan computes them, then h = fma(a, h, b)
      kind.coefficients(projection, 0, batch, h, decay, additions);
      for (int c = 0; c < block; c++) {
        s[k * block + c] = Math.fma(decay[c], s[k * block + c], additions[c]);
      }
      x = s;
      xOffset = k * block;
    }
    return Tensor.wrap(Arrays.copyOfRange(s, (numLayers - 1) * block, numLayers * block), batch, h);
  }

  // ----------------------------------------------------------------------------------------------
  // Backward

  /**
   * Backpropagates through all layers and steps of {@code forwardResult}, accumulating ({@code +=})
   * into every parameter's gradient; dropout uses the forward pass's masks. Per layer, top first:
   * the reverse scan {@code g_t = dy_t + a_{t+1} ⊙ g_{t+1}} ({@code g_{T-1} = dy_{T-1} + dhN})
   * gives the total {@code dL/dh_t}; the gate gradients follow pointwise from {@code g_t} and
   * {@code h_{t-1}}; then two products over all {@code T*B} rows give {@code dW_ih += dk^T x} and
   * {@code dx = dk W_ih}, and {@code dh0 = a_0 ⊙ g_0}.
   *
   * @param dOutput {@code dL/doutput [T, B, H]}, or null for zeros
   * @param dhN {@code dL/dhN [L, B, H]}, or null for zeros
   * @return {@code dInput [T, B, I]}, {@code dh0 [L, B, H]} and the total {@code dL/dh_t} of every
   *     layer, {@code [L, T, B, H]} ({@link RecurrentGradients#hiddenGradient}); no cell states
   */
  public RecurrentGradients backward(Output forwardResult, Tensor dOutput, Tensor dhN) {
    Objects.requireNonNull(forwardResult, "forwardResult");
    Trace trace = forwardResult.trace();
    if (trace.owner != this) {
      throw new IllegalArgumentException("forwardResult was computed by a different model");
    }
    trace.requireHeld();
    int steps = trace.steps, batch = trace.batch, h = hiddenSize;
    int block = batch * h, rows = steps * batch;
    if (dOutput != null) dOutput.requireShape("dOutput", steps, batch, h);
    if (dhN != null) dhN.requireShape("dhN", numLayers, batch, h);

    // The results' arrays come from the workspace too; RecurrentGradients.release hands them back.
    Tensor dInput = Tensor.wrap(workspace.zeroed(rows * inputSize), steps, batch, inputSize);
    Tensor dh0 = Tensor.wrap(workspace.zeroed(numLayers * block), numLayers, batch, h);
    float[] hiddenGradients = workspace.zeroed(numLayers * rows * h);
    // dL/d(output of the current layer): the loss's for the last layer, then what the layer above
    // sends down. A copy, because the caller's dOutput must not change.
    float[] dLayerOutput;
    if (dOutput == null) {
      dLayerOutput = workspace.zeroed(rows * h);
    } else {
      dLayerOutput = workspace.overwritten(rows * h);
      System.arraycopy(dOutput.data(), 0, dLayerOutput, 0, rows * h);
    }
    // each written whole before it is read (ChunkedScan.reverse, gateGradientsRows, coefficients)
    float[] gradients = workspace.overwritten(rows * h);
    float[] products = workspace.overwritten(rows * h);
    float[] dProjection = workspace.overwritten(rows * gateRows);
    // a_t of every step, computed again from the kept pre-activations (b_t is not needed)
    float[] coefficients = workspace.overwritten(rows * h);
    for (int k = numLayers - 1; k >= 0; k--) {
      float[] projection = trace.projections[k];
      float[] states = trace.hidden[k];
      ChunkedScan.coefficients(kind, projection, steps, batch, h, coefficients, null);
      ChunkedScan.reverse(
          coefficients,
          steps,
          batch,
          h,
          dLayerOutput,
          dhN == null ? null : dhN.data(),
          k * block,
          gradients,
          products);
      System.arraycopy(gradients, 0, hiddenGradients, k * rows * h, rows * h);
      // h_0 = a_0 ⊙ h0 + b_0  =>  dh0 = a_0 ⊙ g_0
      for (int c = 0; c < block; c++) dh0.data()[k * block + c] = coefficients[c] * gradients[c];
      // dk_t from g_t and h_{t-1} (block t of the states), row by row
      Parallel.forRange(
          rows,
          20L * gateRows,
          (from, to) ->
              kind.gateGradientsRows(projection, from, to, h, gradients, states, dProjection));
      int in = layerInputSize(k);
      // k_t = W_ih x_t + b_ih  =>  dW_ih += Σ_t dk_t^T x_t,  db_ih += Σ_t dk_t
      MatMul.gemmTN(
          gateRows,
          in,
          rows,
          dProjection,
          0,
          gateRows,
          trace.inputs[k],
          trace.inputOffsets[k],
          in,
          weightIh[k].grad().data(),
          0,
          in);
      Elementwise.sumRowsInto(dProjection, 0, rows, gateRows, biasIh[k].grad().data(), 0);
      // dx_t = dk_t W_ih: the input gradient, or what the layer below receives from this one
      float[] dx = k == 0 ? dInput.data() : dLayerOutput;
      Arrays.fill(dx, 0, rows * in, 0f);
      MatMul.gemmNN(
          rows,
          in,
          gateRows,
          dProjection,
          0,
          gateRows,
          weightIh[k].value().data(),
          0,
          in,
          dx,
          0,
          in);
      // x of layer k = mask ⊙ h of layer k-1  =>  dh = mask ⊙ dx
      if (k > 0 && trace.dropoutMasks != null) {
        Dropout.apply(dLayerOutput, trace.dropoutMasks[k - 1], rows * h);
      }
    }
    workspace.giveBack(dLayerOutput, gradients, products, dProjection, coefficients);
    return new RecurrentGradients(
        dInput,
        dh0,
        null,
        Tensor.wrap(hiddenGradients, numLayers, steps, batch, h),
        null,
        workspace);
  }
}
