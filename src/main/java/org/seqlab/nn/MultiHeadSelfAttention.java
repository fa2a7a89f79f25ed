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
    checkInput(x, "x");
    int steps = x.dim(0);
    int batch = x.dim(1);
    checkLengths(lengths, steps, batch);
    Tensor.checkedSize(batch, numHeads, steps, steps);
    int rows = steps * batch;
    int qkvWidth = 3 * dModel;

    Tensor qkv = Tensor.zeros(steps, batch, qkvWidth);
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

    Tensor probs = Tensor.zeros(batch, numHeads, steps, steps);
    Tensor context = Tensor.zeros(steps, batch, dModel);
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

    Tensor y = Tensor.zeros(steps, batch, dModel);
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
   * Given a forward result and {@code dy = dL/dy [T, B, D]}, accumulates the gradients of all four
   * parameters and returns {@code dx [T, B, D]}.
   */
  public Tensor backward(Output forward, Tensor dy) {
    Tensor x = forward.input();
    checkInput(x, "forward input");
    int steps = x.dim(0);
    int batch = x.dim(1);
    dy.requireShape("dy", steps, batch, dModel);
    int rows = steps * batch;
    int qkvWidth = 3 * dModel;
    Tensor context = forward.context();

    // Out-projection: y = C W_o^T + b_o.
    Tensor dContext = Tensor.zeros(steps, batch, dModel);
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
    Tensor dQkv = Tensor.zeros(steps, batch, qkvWidth);
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
    Tensor dx = Tensor.zeros(steps, batch, dModel);
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
