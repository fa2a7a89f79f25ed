package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * Multi-head self-attention, as {@code torch.nn.MultiheadAttention(D, H)} called with query = key =
 * value = x (bias on, no dropout, {@code batch_first=False}). With {@code dh = D / H} and, for head
 * {@code h}, the columns {@code [h*dh, (h+1)*dh)} of Q, K and V:
 *
 * <pre>
 *   [Q | K | V] = x W_in^T + b_in                        [T, B, 3D]
 *   S_bh = Q_bh K_bh^T / √dh                             [T, T] per batch b and head h
 *   S_bh[t, s] = -∞   where s is masked for query t
 *   P_bh = softmax over s of S_bh                        [T, T]
 *   C_bh = P_bh V_bh                                     [T, dh], written into C [T, B, D]
 *   y = C W_o^T + b_o                                    [T, B, D]
 * </pre>
 *
 * <p>Masks: with {@code causal}, position {@code t} attends only to {@code s ≤ t}; with key
 * lengths, sequence {@code b} attends only to keys {@code s < lengths[b]}. Masked probabilities are
 * exactly zero. Queries at padded positions ({@code t ≥ lengths[b]}) are computed normally,
 * attending to the valid keys, as PyTorch does with {@code key_padding_mask}; a loss should ignore
 * them.
 *
 * <p>Backward, per batch and head, with {@code G = dy W_o} the gradient of C:
 *
 * <pre>
 *   dV_bh = P_bh^T G_bh            dP_bh = G_bh V_bh^T
 *   dS_bh = P_bh ⊙ (dP_bh - rowsum(dP_bh ⊙ P_bh)) / √dh
 *   dQ_bh = dS_bh K_bh             dK_bh = dS_bh^T Q_bh
 *   dW_in += [dQ | dK | dV]^T x    db_in += Σ_rows [dQ | dK | dV]    dx = [dQ | dK | dV] W_in
 *   dW_o  += dy^T C                db_o  += Σ_rows dy
 * </pre>
 *
 * <p>Parameters, with PyTorch's names and layouts, initialised by {@link #initialize} as PyTorch
 * does:
 *
 * <ul>
 *   <li>{@code in_proj_weight [3D, D]}: rows {@code [0, D)} project to Q, {@code [D, 2D)} to K,
 *       {@code [2D, 3D)} to V; Xavier-uniform, {@code U(±sqrt(6 / (D + 3D)))}
 *   <li>{@code in_proj_bias [3D]}: zeros
 *   <li>{@code out_proj.weight [D, D]}: {@code U(±1/√D)}, as a Linear's Kaiming-uniform
 *   <li>{@code out_proj.bias [D]}: zeros
 * </ul>
 *
 * <p>The projections are single matrix products over all {@code T*B} rows; only the attention
 * itself runs per (batch, head), reading Q, K and V in place through row strides, on {@link
 * AttentionHeads}: causal attention computes only the keys {@code s ≤ t} (blockwise), and the
 * scaling, masking and softmax are one fused pass per row.
 */
public final class MultiHeadSelfAttention implements Module {

  private final int dModel;
  private final int numHeads;
  private final int headDim;
  private final Parameter inProjWeight;
  private final Parameter inProjBias;
  private final Parameter outProjWeight;
  private final Parameter outProjBias;

  public MultiHeadSelfAttention(int dModel, int numHeads) {
    if (dModel <= 0 || numHeads <= 0) {
      throw new IllegalArgumentException(
          "MultiHeadSelfAttention needs positive sizes, got dModel="
              + dModel
              + ", numHeads="
              + numHeads);
    }
    if (dModel % numHeads != 0) {
      throw new IllegalArgumentException(
          "numHeads="
              + numHeads
              + " must divide dModel="
              + dModel
              + " (each head gets D/H columns)");
    }
    Tensor.checkedSize(3, dModel, dModel);
    this.dModel = dModel;
    this.numHeads = numHeads;
    this.headDim = dModel / numHeads;
    this.inProjWeight = Parameter.of("in_proj_weight", Tensor.zeros(3 * dModel, dModel));
    this.inProjBias = Parameter.of("in_proj_bias", Tensor.zeros(3 * dModel));
    this.outProjWeight = Parameter.of("out_proj.weight", Tensor.zeros(dModel, dModel));
    this.outProjBias = Parameter.of("out_proj.bias", Tensor.zeros(dModel));
  }

  /**
   * PyTorch's initialisation: {@code in_proj_weight} Xavier-uniform, then {@code out_proj.weight}
   * from {@code U(±1/√D)}; both biases zero.
   */
  public void initialize(RandomGenerator rng) {
    Init.uniform(inProjWeight.value(), Math.sqrt(6.0 / (dModel + 3.0 * dModel)), rng);
    inProjBias.value().zero();
    Init.uniform(outProjWeight.value(), 1.0 / Math.sqrt(dModel), rng);
    outProjBias.value().zero();
  }

  public int dModel() {
    return dModel;
  }

  public int numHeads() {
    return numHeads;
  }

  public int headDim() {
    return headDim;
  }

  public Parameter inProjWeight() {
    return inProjWeight;
  }

  public Parameter inProjBias() {
    return inProjBias;
  }

  public Parameter outProjWeight() {
    return outProjWeight;
  }

  public Parameter outProjBias() {
    return outProjBias;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(inProjWeight, inProjBias, outProjWeight, outProjBias);
  }

  /**
   * The result of {@link #forward}.
   *
   * @param output {@code y [T, B, D]}
   * @param input {@code x [T, B, D]} (not copied)
   * @param qkv {@code [Q | K | V] [T, B, 3D]}
   * @param attentionWeights {@code P [B, H, T, T]}: {@code P[b, h, t, s]} is how much query {@code
   *     t} of sequence {@code b} takes from key {@code s} in head {@code h}; every row sums to 1
   * @param context {@code C [T, B, D]}, the heads' outputs side by side before the out-projection
   * @param causal whether the causal mask was applied
   * @param lengths the key lengths per sequence, or null for none
   */
  public record Output(
      Tensor output,
      Tensor input,
      Tensor qkv,
      Tensor attentionWeights,
      Tensor context,
      boolean causal,
      int[] lengths) {
    public Output {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(qkv, "qkv");
      Objects.requireNonNull(attentionWeights, "attentionWeights");
      Objects.requireNonNull(context, "context");
      lengths = lengths == null ? null : lengths.clone();
    }

    @Override
    public int[] lengths() {
      return lengths == null ? null : lengths.clone();
    }
  }

  /**
   * Self-attention of {@code x [T, B, D]}.
   *
   * @param causal if true, position {@code t} attends only to positions {@code s ≤ t}
   * @param lengths null for no padding, else {@code B} lengths in {@code [1, T]}: keys {@code s ≥
   *     lengths[b]} of sequence {@code b} are masked
   */
  public Output forward(Tensor x, boolean causal, int[] lengths) {
    return forward(x, causal, lengths, null);
  }

  /**
   * {@link #forward(Tensor, boolean, int[])} with {@code qkv}, {@code P}, {@code C} and {@code y}
   * taken from {@code workspace} (or new if it is null), each zeroed: the biases and products are
   * added into {@code qkv} and {@code y}, the heads add into {@code C} and write only the
   * probabilities a query sees into {@code P}.
   */
  Output forward(Tensor x, boolean causal, int[] lengths, Workspace workspace) {
    checkInput(x, "x");
    int steps = x.dim(0);
    int batch = x.dim(1);
    checkLengths(lengths, steps, batch);
    Tensor.checkedSize(batch, numHeads, steps, steps);
    int rows = steps * batch;
    int qkvWidth = 3 * dModel;

    Tensor qkv =
        Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * qkvWidth), steps, batch, qkvWidth);
    Elementwise.addRowVector(qkv.data(), 0, rows, inProjBias.value().data(), 0, qkvWidth);
    MatMul.gemmNT(
        rows,
        qkvWidth,
        dModel,
        x.data(),
        0,
        dModel,
        inProjWeight.value().data(),
        0,
        dModel,
        qkv.data(),
        0,
        qkvWidth);

    Tensor probs =
        Tensor.wrap(
            WorkspaceArrays.zeroed(workspace, batch * numHeads * steps * steps),
            batch,
            numHeads,
            steps,
            steps);
    Tensor context =
        Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * dModel), steps, batch, dModel);
    float[] q = qkv.data();
    float[] p = probs.data();
    float scale = (float) (1.0 / Math.sqrt(headDim));
    // Row t of head h of sequence b starts at t*B*3D + b*3D + h*dh: stride B*3D between steps.
    int qkvStride = batch * qkvWidth;
    int contextStride = batch * dModel;
    // Every (sequence, head) pair is independent: the pairs are spread over the cores, each
    // chunk with its own scratch.
    Parallel.forRange(
        batch * numHeads,
        2L * steps * steps * headDim,
        (fromPair, toPair) -> {
          AttentionHeads heads = new AttentionHeads(steps, headDim);
          for (int pair = fromPair; pair < toPair; pair++) {
            int b = pair / numHeads, h = pair % numHeads;
            int validKeys = lengths == null ? steps : lengths[b];
            int qOff = b * qkvWidth + h * headDim;
            heads.forward(
                q,
                qOff,
                qOff + dModel,
                qOff + 2 * dModel,
                qkvStride,
                p,
                pair * steps * steps,
                context.data(),
                b * dModel + h * headDim,
                contextStride,
                causal,
                validKeys,
                scale);
          }
        });

    Tensor y = Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * dModel), steps, batch, dModel);
    Elementwise.addRowVector(y.data(), 0, rows, outProjBias.value().data(), 0, dModel);
    MatMul.gemmNT(
        rows,
        dModel,
        dModel,
        context.data(),
        0,
        dModel,
        outProjWeight.value().data(),
        0,
        dModel,
        y.data(),
        0,
        dModel);
    return new Output(y, x, qkv, probs, context, causal, lengths);
  }

  /**
   * What {@link #step} keeps between positions: the keys and values of every position decoded so
   * far, for {@code batch} sequences decoded in lockstep, preallocated for {@code capacity}
   * positions, and the scratch of one step. Made by {@link #newCache}; one cache serves one
   * decoding thread.
   *
   * <pre>
   *   keysT   [B, H, dh, capacity]   column s of (b, h) is K_bh[s]: transposed, so that one query's
   *                                  scores are a row vector times a matrix, read along s
   *   values  [B, H, capacity, dh]   row s of (b, h) is V_bh[s]
   * </pre>
   *
   * <p>Only positions {@code s < length()} are ever read, so {@link #reset} need not clear them.
   */
  public static final class Cache {
    private final MultiHeadSelfAttention owner;
    private final int batch;
    private final int capacity;
    private final float[] keysT;
    private final float[] values;
    private final Tensor qkv; // [B, 3D]: this position's projections
    private final Tensor context; // [B, D]: the heads' outputs side by side
    private final float[] scores; // [B, H, scoreRow]: S, then P in place, per (b, h)
    private final int scoreRow;
    private int length;

    private Cache(MultiHeadSelfAttention owner, int batch, int capacity) {
      this.owner = owner;
      this.batch = batch;
      this.capacity = capacity;
      int dModel = owner.dModel;
      this.scoreRow = AttentionHeads.scoreRowLength(capacity);
      this.keysT = new float[Math.toIntExact(Tensor.checkedSize(batch, capacity, dModel))];
      this.values = new float[keysT.length];
      this.qkv = Tensor.zeros(batch, 3 * dModel);
      this.context = Tensor.zeros(batch, dModel);
      this.scores = new float[Math.toIntExact(Tensor.checkedSize(batch, owner.numHeads, scoreRow))];
    }

    /** {@code B}, the sequences decoded together. */
    public int batch() {
      return batch;
    }

    /** The most positions the cache holds. */
    public int capacity() {
      return capacity;
    }

    /** The positions held so far: the next {@link #step} computes position {@code length()}. */
    public int length() {
      return length;
    }

    /** Forgets every position, to decode new sequences from position 0. */
    public void reset() {
      length = 0;
    }

    /** Offset of head {@code (b, h)}'s block of {@code keysT} or {@code values}. */
    private int headBlock(int b, int h) {
      return (b * owner.numHeads + h) * owner.headDim * capacity;
    }

    /**
     * Stores {@code K[s]} and {@code V[s]} of head {@code (b, h)}, read at {@code kv[k..]}, {@code
     * kv[v..]}.
     */
    private void store(int s, int b, int h, float[] kv, int k, int v) {
      int dh = owner.headDim, block = headBlock(b, h);
      for (int j = 0; j < dh; j++) keysT[block + j * capacity + s] = kv[k + j];
      System.arraycopy(kv, v, values, block + s * dh, dh);
    }
  }

  /**
   * An empty {@link Cache} for {@code batch} sequences of up to {@code capacity} positions.
   *
   * @throws IllegalArgumentException if a size is not positive or the cache would not fit in an
   *     array
   */
  public Cache newCache(int batch, int capacity) {
    if (batch <= 0 || capacity <= 0) {
      throw new IllegalArgumentException(
          "a cache needs a positive batch and capacity, got batch="
              + batch
              + ", capacity="
              + capacity);
    }
    return new Cache(this, batch, capacity);
  }

  /**
   * Self-attention of one new position of each sequence, attending to every position in {@code
   * cache} and to itself: the same function as {@link #forward} with {@code causal} at that
   * position, at the cost of that position alone. With {@code t = cache.length()}, for sequence
   * {@code b} and head {@code h}:
   *
   * <pre>
   *   [q | k | v] = x W_in^T + b_in                           [B, 3D]
   *   K_bh[t] = k_bh,  V_bh[t] = v_bh                          appended to the cache
   *   p_bh[s] = softmax over s ≤ t of q_bh · K_bh[s] / √dh     [t+1]
   *   c_bh = Σ_{s ≤ t} p_bh[s] V_bh[s]                         [dh], into c [B, D]
   *   y = c W_o^T + b_o                                        [B, D]
   * </pre>
   *
   * <p>The cache holds only positions {@code s ≤ t}, so the step is causal by construction and
   * needs no mask. Work: {@code 4 D²} multiply-adds per sequence for the projections and {@code 2
   * (t+1) D} for the attention; nothing is allocated in proportion to {@code t}. The scores are a
   * row vector times {@code K^T}, the context {@code p} times {@code V}, both on {@link
   * MatMul#gemmNNSingleThread}, and the softmax is {@link AttentionHeads}'s: given the same
   * projections, each probability and context element is the same chain of roundings as in {@link
   * #forward}.
   *
   * @param x {@code [B, D]}, this position's input (not modified)
   * @param y {@code [B, D]}, overwritten with the output
   * @throws IllegalStateException if the cache is full
   */
  public void step(Tensor x, Tensor y, Cache cache) {
    requireOwn(cache);
    requireRows(x, "x", cache.batch);
    requireRows(y, "y", cache.batch);
    if (cache.length == cache.capacity) {
      throw new IllegalStateException(
          "the cache is full: it holds capacity=" + cache.capacity + " positions");
    }
    int batch = cache.batch, t = cache.length, keys = t + 1, qkvWidth = 3 * dModel;

    // [q | k | v] = x W_in^T + b_in: each row starts as the bias, the product is added.
    float[] qkv = cache.qkv.data();
    for (int b = 0; b < batch; b++) {
      System.arraycopy(inProjBias.value().data(), 0, qkv, b * qkvWidth, qkvWidth);
    }
    MatMul.gemmNT(
        batch,
        qkvWidth,
        dModel,
        x.data(),
        0,
        dModel,
        inProjWeight.value().data(),
        0,
        dModel,
        qkv,
        0,
        qkvWidth);

    // Append this position's keys and values.
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < numHeads; h++) {
        int k = b * qkvWidth + dModel + h * headDim;
        cache.store(t, b, h, qkv, k, k + dModel);
      }
    }
    cache.length = keys;

    // Attend, per (sequence, head): the pairs are independent, so a large batch is split over the
    // cores (TransformerDecoder.step keeps it on the caller's thread).
    float[] context = cache.context.data();
    Arrays.fill(context, 0f);
    float scale = (float) (1.0 / Math.sqrt(headDim));
    Parallel.forRange(
        batch * numHeads,
        2L * keys * headDim,
        (fromPair, toPair) -> {
          float[] laneSums = new float[AttentionHeads.VECTOR_LENGTH];
          for (int pair = fromPair; pair < toPair; pair++) {
            int b = pair / numHeads, h = pair % numHeads;
            int block = cache.headBlock(b, h);
            int row = pair * cache.scoreRow;
            // S[s] = q · K[s] for s ≤ t
            Arrays.fill(cache.scores, row, row + keys, 0f);
            MatMul.gemmNNSingleThread(
                1,
                keys,
                headDim,
                qkv,
                b * qkvWidth + h * headDim,
                headDim,
                cache.keysT,
                block,
                cache.capacity,
                cache.scores,
                row,
                keys);
            // P = softmax(S / √dh), written over S
            AttentionHeads.softmaxRow(cache.scores, row, keys, scale, cache.scores, row, laneSums);
            // c_bh = P V
            MatMul.gemmNNSingleThread(
                1,
                headDim,
                keys,
                cache.scores,
                row,
                keys,
                cache.values,
                block,
                headDim,
                context,
                b * dModel + h * headDim,
                dModel);
          }
        });

    // y = c W_o^T + b_o
    float[] out = y.data();
    for (int b = 0; b < batch; b++) {
      System.arraycopy(outProjBias.value().data(), 0, out, b * dModel, dModel);
    }
    MatMul.gemmNT(
        batch,
        dModel,
        dModel,
        context,
        0,
        dModel,
        outProjWeight.value().data(),
        0,
        dModel,
        out,
        0,
        dModel);
  }

  /**
   * Fills an empty {@code cache} with the keys and values of a causal, unpadded {@link #forward}
   * over positions {@code 0 .. T-1} (read from its {@code qkv}), so that {@link #step} continues
   * those sequences at position {@code T}: the prompt is run as one pass, not {@code T} steps.
   *
   * @throws IllegalArgumentException if the pass was not causal, was padded, or has another batch
   * @throws IllegalStateException if the cache is not empty or has fewer than {@code T} positions
   */
  public void prefill(Output forward, Cache cache) {
    requireOwn(cache);
    Tensor qkv = forward.qkv();
    int steps = qkv.dim(0), batch = qkv.dim(1), qkvWidth = 3 * dModel;
    if (!forward.causal() || forward.lengths() != null) {
      throw new IllegalArgumentException(
          "only a causal pass without padding can start a decoding cache");
    }
    if (batch != cache.batch || qkv.dim(2) != qkvWidth) {
      throw new IllegalArgumentException(
          "the pass has qkv of shape "
              + Arrays.toString(qkv.shape())
              + ", expected [T, "
              + cache.batch
              + ", "
              + qkvWidth
              + "] for this cache");
    }
    if (cache.length != 0) {
      throw new IllegalStateException(
          "prefill needs an empty cache, this one holds " + cache.length + " positions");
    }
    if (steps > cache.capacity) {
      throw new IllegalStateException(
          "T=" + steps + " positions do not fit in the cache's capacity=" + cache.capacity);
    }
    float[] kv = qkv.data();
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        for (int h = 0; h < numHeads; h++) {
          int k = (t * batch + b) * qkvWidth + dModel + h * headDim;
          cache.store(t, b, h, kv, k, k + dModel);
        }
      }
    }
    cache.length = steps;
  }

  private void requireOwn(Cache cache) {
    Objects.requireNonNull(cache, "cache");
    if (cache.owner != this) {
      throw new IllegalArgumentException(
          "this cache was made by another attention layer: make one with newCache");
    }
  }

  private void requireRows(Tensor x, String name, int batch) {
    if (x.rank() != 2 || x.dim(0) != batch || x.dim(1) != dModel) {
      throw new IllegalArgumentException(
          name
              + " has shape "
              + Arrays.toString(x.shape())
              + ", expected [B, D] = ["
              + batch
              + ", "
              + dModel
              + "]");
    }
  }

  /**
   * Given a forward result and {@code dy = dL/dy [T, B, D]}, accumulates the gradients of all four
   * parameters and returns {@code dx [T, B, D]}.
   */
  public Tensor backward(Output forward, Tensor dy) {
    return backward(forward, dy, null);
  }

  /**
   * {@link #backward(Output, Tensor)} with its buffers taken from {@code workspace} (or new if it
   * is null), each zeroed, as every product adds into its output: {@code dC} and {@code dQKV} go
   * back to it at the end; the caller owns {@code dx}.
   */
  Tensor backward(Output forward, Tensor dy, Workspace workspace) {
    Tensor x = forward.input();
    checkInput(x, "forward input");
    int steps = x.dim(0);
    int batch = x.dim(1);
    dy.requireShape("dy", steps, batch, dModel);
    int rows = steps * batch;
    int qkvWidth = 3 * dModel;
    Tensor context = forward.context();

    // Out-projection: y = C W_o^T + b_o.
    Tensor dContext =
        Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * dModel), steps, batch, dModel);
    MatMul.gemmNN(
        rows,
        dModel,
        dModel,
        dy.data(),
        0,
        dModel,
        outProjWeight.value().data(),
        0,
        dModel,
        dContext.data(),
        0,
        dModel);
    MatMul.gemmTN(
        dModel,
        dModel,
        rows,
        dy.data(),
        0,
        dModel,
        context.data(),
        0,
        dModel,
        outProjWeight.grad().data(),
        0,
        dModel);
    Elementwise.sumRowsInto(dy.data(), 0, rows, dModel, outProjBias.grad().data(), 0);

    // Attention, per sequence and head.
    Tensor dQkv =
        Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * qkvWidth), steps, batch, qkvWidth);
    float[] q = forward.qkv().data();
    float[] dq = dQkv.data();
    float[] p = forward.attentionWeights().data();
    float[] g = dContext.data();
    float scale = (float) (1.0 / Math.sqrt(headDim));
    int qkvStride = batch * qkvWidth;
    int contextStride = batch * dModel;
    int[] lengths = forward.lengths();
    boolean causal = forward.causal();
    Parallel.forRange(
        batch * numHeads,
        4L * steps * steps * headDim,
        (fromPair, toPair) -> {
          AttentionHeads heads = new AttentionHeads(steps, headDim);
          for (int pair = fromPair; pair < toPair; pair++) {
            int b = pair / numHeads, h = pair % numHeads;
            int validKeys = lengths == null ? steps : lengths[b];
            int qOff = b * qkvWidth + h * headDim;
            heads.backward(
                q,
                qOff,
                qOff + dModel,
                qOff + 2 * dModel,
                qkvStride,
                p,
                pair * steps * steps,
                g,
                b * dModel + h * headDim,
                contextStride,
                dq,
                causal,
                validKeys,
                scale);
          }
        });

    // In-projection: [Q | K | V] = x W_in^T + b_in.
    Tensor dx = Tensor.wrap(WorkspaceArrays.zeroed(workspace, rows * dModel), steps, batch, dModel);
    MatMul.gemmNN(
        rows,
        dModel,
        qkvWidth,
        dq,
        0,
        qkvWidth,
        inProjWeight.value().data(),
        0,
        dModel,
        dx.data(),
        0,
        dModel);
    MatMul.gemmTN(
        qkvWidth,
        dModel,
        rows,
        dq,
        0,
        qkvWidth,
        x.data(),
        0,
        dModel,
        inProjWeight.grad().data(),
        0,
        dModel);
    Elementwise.sumRowsInto(dq, 0, rows, qkvWidth, inProjBias.grad().data(), 0);
    WorkspaceArrays.giveBack(workspace, dContext.data(), dq);
    return dx;
  }

  private void checkInput(Tensor x, String name) {
    if (x.rank() != 3 || x.dim(2) != dModel || x.dim(0) == 0 || x.dim(1) == 0) {
      throw new IllegalArgumentException(
          name
              + " has shape "
              + Arrays.toString(x.shape())
              + ", expected [T, B, "
              + dModel
              + "] with T, B > 0");
    }
  }

  /**
   * Checks per-sequence key lengths: null, or {@code batch} values in {@code [1, steps]} (at least
   * one key must stay visible, or the softmax has nothing to normalise).
   */
  static void checkLengths(int[] lengths, int steps, int batch) {
    if (lengths == null) return;
    if (lengths.length != batch) {
      throw new IllegalArgumentException(
          "lengths has "
              + lengths.length
              + " entries, expected one per sequence (B="
              + batch
              + ")");
    }
    for (int b = 0; b < batch; b++) {
      if (lengths[b] < 1 || lengths[b] > steps) {
        throw new IllegalArgumentException(
            "lengths["
                + b
                + "] = "
                + lengths[b]
                + " is outside [1, T="
                + steps
                + "]: "
                + Arrays.toString(lengths));
      }
    }
  }
}
