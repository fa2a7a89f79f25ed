package org.seqlab.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.Tensor;

/**
 * A pre-norm Transformer block, exactly {@code torch.nn.TransformerEncoderLayer(D, H, F,
 * dropout=0.0, activation="gelu", norm_first=True)}:
 *
 * <pre>
 *   y = x + SelfAttention(LayerNorm1(x))       [T, B, D]
 *   z = y + FeedForward(LayerNorm2(y))         [T, B, D]
 * </pre>
 *
 * <p>Backward reads it in reverse; each residual connection passes its gradient straight through
 * and adds the branch's: {@code dy = dz + LN2'(FF'(dz))}, {@code dx = dy + LN1'(SA'(dy))}.
 *
 * <p>Parameters, in the order and with the names of that PyTorch layer's {@code state_dict}: {@code
 * self_attn.in_proj_weight [3D, D]}, {@code self_attn.in_proj_bias [3D]}, {@code
 * self_attn.out_proj.weight [D, D]}, {@code self_attn.out_proj.bias [D]}, {@code linear1.weight [F,
 * D]}, {@code linear1.bias [F]}, {@code linear2.weight [D, F]}, {@code linear2.bias [D]}, {@code
 * norm1.weight [D]}, {@code norm1.bias [D]}, {@code norm2.weight [D]}, {@code norm2.bias [D]}. See
 * {@link MultiHeadSelfAttention}, {@link FeedForward} and {@link LayerNorm} for their
 * initialisation.
 */
public final class TransformerBlock implements Module {

  private final MultiHeadSelfAttention selfAttention;
  private final FeedForward feedForward;
  private final LayerNorm norm1;
  private final LayerNorm norm2;
  private final List<Parameter> parameters;

  /**
   * Arrays of released forward results and of finished backward passes, for the next passes: a
   * training step's activations are tens of megabytes (at T 100, B 64, D 256, F 1024, each {@code
   * [T, B, F]} array is 26 MB), which allocated afresh every step make the collector grow the heap
   * far beyond what one step needs.
   */
  private final Workspace workspace = new Workspace();

  public TransformerBlock(int dModel, int numHeads, int dFF) {
    if (dModel <= 0 || numHeads <= 0 || dFF <= 0) {
      throw new IllegalArgumentException(
          "TransformerBlock needs positive sizes, got dModel="
              + dModel
              + ", numHeads="
              + numHeads
              + ", dFF="
              + dFF);
    }
    this.selfAttention = new MultiHeadSelfAttention(dModel, numHeads);
    this.feedForward = new FeedForward(dModel, dFF);
    this.norm1 = new LayerNorm(dModel);
    this.norm2 = new LayerNorm(dModel);
    List<Parameter> all = new ArrayList<>(12);
    all.addAll(ParameterNames.prefixed("self_attn.", selfAttention.parameters()));
    all.addAll(feedForward.parameters());
    all.addAll(ParameterNames.prefixed("norm1.", norm1.parameters()));
    all.addAll(ParameterNames.prefixed("norm2.", norm2.parameters()));
    this.parameters = List.copyOf(all);
  }

  /**
   * PyTorch's initialisation, in its order: the attention, then {@code linear1}, {@code linear2};
   * norms to ones and zeros.
   */
  public void initialize(RandomGenerator rng) {
    selfAttention.initialize(rng);
    feedForward.initialize(rng);
    norm1.initialize();
    norm2.initialize();
  }

  public int dModel() {
    return selfAttention.dModel();
  }

  public MultiHeadSelfAttention selfAttention() {
    return selfAttention;
  }

  public FeedForward feedForward() {
    return feedForward;
  }

  public LayerNorm norm1() {
    return norm1;
  }

  public LayerNorm norm2() {
    return norm2;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  Workspace workspace() {
    return workspace;
  }

  /**
   * The result of {@link #forward}: the block's output and what {@link #backward} needs.
   *
   * <p>Every array the pass made, except the output, is the block's: {@link #release} hands them
   * back for its next passes. The output {@code z} and the input {@code x} are not part of that:
   * the caller (the next block, a model's head) keeps reading them.
   */
  public static final class Output {
    private final Tensor output;
    private final LayerNorm.Output norm1;
    private final MultiHeadSelfAttention.Output attention;
    private final Tensor residual;
    private final LayerNorm.Output norm2;
    private final FeedForward.Output feedForward;
    private final Workspace workspace;
    private volatile boolean released;

    private Output(
        Tensor output,
        LayerNorm.Output norm1,
        MultiHeadSelfAttention.Output attention,
        Tensor residual,
        LayerNorm.Output norm2,
        FeedForward.Output feedForward,
        Workspace workspace) {
      this.output = Objects.requireNonNull(output, "output");
      this.norm1 = Objects.requireNonNull(norm1, "norm1");
      this.attention = Objects.requireNonNull(attention, "attention");
      this.residual = Objects.requireNonNull(residual, "residual");
      this.norm2 = Objects.requireNonNull(norm2, "norm2");
      this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
      this.workspace = workspace;
    }

    /** {@code z [T, B, D]}; stays valid after {@link #release}. */
    public Tensor output() {
      return output;
    }

    /** The block's input {@code x [T, B, D]} (not copied); stays valid after {@link #release}. */
    public Tensor input() {
      return norm1.input();
    }

    /** The first LayerNorm's result; its input is the block's input {@code x}. */
    public LayerNorm.Output norm1() {
      requireHeld();
      return norm1;
    }

    /** The self-attention's result, with its {@code attentionWeights [B, H, T, T]}. */
    public MultiHeadSelfAttention.Output attention() {
      requireHeld();
      return attention;
    }

    /** {@code y = x + SA(LN1(x)) [T, B, D]}. */
    public Tensor residual() {
      requireHeld();
      return residual;
    }

    /** The second LayerNorm's result. */
    public LayerNorm.Output norm2() {
      requireHeld();
      return norm2;
    }

    /** The feed-forward network's result. */
    public FeedForward.Output feedForward() {
      requireHeld();
      return feedForward;
    }

    /** {@code P [B, H, T, T]}, see {@link MultiHeadSelfAttention.Output#attentionWeights()}. */
    public Tensor attentionWeights() {
      requireHeld();
      return attention.attentionWeights();
    }

    /**
     * Hands this result's arrays (both norms' outputs and statistics, the attention's {@code qkv},
     * {@code P}, {@code C} and output, the residual {@code y}, the feed-forward's {@code a}, {@code
     * h} and output) back to the block, whose next forward pass reuses them instead of allocating
     * its activations afresh; call it once the backward pass (and any probe) is done with it.
     * Afterwards every accessor but {@link #output} and {@link #input} refuses, and so does {@link
     * TransformerBlock#backward}. Calling it again does nothing.
     */
    public void release() {
      synchronized (this) {
        if (released) return;
        released = true;
      }
      // The attention's input is norm1's output, the second norm's input is the residual, the
      // feed-forward's input is norm2's output: each array is listed once.
      workspace.giveBack(
          norm1.output().data(),
          norm1.mean().data(),
          norm1.rstd().data(),
          attention.qkv().data(),
          attention.attentionWeights().data(),
          attention.context().data(),
          attention.output().data(),
          residual.data(),
          norm2.output().data(),
          norm2.mean().data(),
          norm2.rstd().data(),
          feedForward.preActivation().data(),
          feedForward.activation().data(),
          feedForward.output().data());
    }

    /** Whether {@link #release} has been called. */
    public boolean isReleased() {
      return released;
    }

    private void requireHeld() {
      if (released) {
        throw new IllegalStateException(
            "this TransformerBlock.Output was released (TransformerBlock.Output.release) and its"
                + " buffers reused by a later pass; keep it until the backward pass and every"
                + " probe are done with it");
      }
    }
  }

  /**
   * The block applied to {@code x [T, B, D]}, with the masks of {@link
   * MultiHeadSelfAttention#forward}. The result's arrays, but for its output, are taken from the
   * block's released results ({@link Output#release}) when it has any; the output {@code z} is
   * always new, as the caller keeps it.
   */
  public Output forward(Tensor x, boolean causal, int[] lengths) {
    LayerNorm.Output n1 = norm1.forward(x, workspace);
    MultiHeadSelfAttention.Output sa =
        selfAttention.forward(n1.output(), causal, lengths, workspace);
    // Overwritten whole by the addition.
    Tensor y = Tensor.wrap(workspace.overwritten(x.size()), x.shape());
    Elementwise.add(x.data(), 0, sa.output().data(), 0, y.data(), 0, y.size());
    LayerNorm.Output n2 = norm2.forward(y, workspace);
    FeedForward.Output ff = feedForward.forward(n2.output(), workspace);
    Tensor z = Tensor.zeros(x.shape());
    Elementwise.add(y.data(), 0, ff.output().data(), 0, z.data(), 0, z.size());
    return new Output(z, n1, sa, y, n2, ff, workspace);
  }

  /**
   * What {@link #step} keeps between positions: the attention's keys and values ({@link
   * MultiHeadSelfAttention.Cache}) and the scratch of one step. Made by {@link #newCache}.
   */
  public static final class Cache {
    private final TransformerBlock owner;
    private final MultiHeadSelfAttention.Cache attention;
    private final Tensor normed; // [B, D]: LN1(x), then LN2(y)
    private final Tensor branch; // [B, D]: SA(LN1(x)), then FF(LN2(y))
    private final Tensor hidden; // [B, F]: the feed-forward's hidden layer

    private Cache(TransformerBlock owner, int batch, int capacity) {
      this.owner = owner;
      this.attention = owner.selfAttention.newCache(batch, capacity);
      int dModel = owner.dModel();
      this.normed = Tensor.zeros(batch, dModel);
      this.branch = Tensor.zeros(batch, dModel);
      this.hidden = Tensor.zeros(batch, owner.feedForward.dFF());
    }

    /** The attention's keys and values. */
    public MultiHeadSelfAttention.Cache attention() {
      return attention;
    }

    public int batch() {
      return attention.batch();
    }

    public int capacity() {
      return attention.capacity();
    }

    /** The positions held so far. */
    public int length() {
      return attention.length();
    }

    /** Forgets every position. */
    public void reset() {
      attention.reset();
    }
  }

  /** An empty {@link Cache} for {@code batch} sequences of up to {@code capacity} positions. */
  public Cache newCache(int batch, int capacity) {
    return new Cache(this, batch, capacity);
  }

  /**
   * The block applied to one new position of each sequence, {@code x [B, D]} updated in place to
   * {@code z}, attending to the positions in {@code cache} (to which it appends this one): {@link
   * #forward}, causal, at position {@code cache.length()}.
   *
   * <pre>
   *   y = x + SelfAttention.step(LayerNorm1(x))     [B, D]
   *   z = y + FeedForward(LayerNorm2(y))            [B, D]
   * </pre>
   *
   * @throws IllegalStateException if the cache is full
   */
  public void step(Tensor x, Cache cache) {
    Objects.requireNonNull(cache, "cache");
    if (cache.owner != this) {
      throw new IllegalArgumentException(
          "this cache was made by another block: make one with newCache");
    }
    x.requireShape("x", cache.batch(), dModel());
    norm1.forwardInto(x, cache.normed);
    selfAttention.step(cache.normed, cache.branch, cache.attention);
    Elementwise.addInPlace(x.data(), 0, cache.branch.data(), 0, x.size());
    norm2.forwardInto(x, cache.normed);
    feedForward.forwardInto(cache.normed, cache.branch, cache.hidden);
    Elementwise.addInPlace(x.data(), 0, cache.branch.data(), 0, x.size());
  }

  /**
   * Fills an empty {@code cache} from a causal, unpadded {@link #forward} over positions {@code 0
   * .. T-1}, so that {@link #step} continues at position {@code T}; see {@link
   * MultiHeadSelfAttention#prefill}.
   */
  public void prefill(Output forward, Cache cache) {
    Objects.requireNonNull(cache, "cache");
    if (cache.owner != this) {
      throw new IllegalArgumentException(
          "this cache was made by another block: make one with newCache");
    }
    selfAttention.prefill(forward.attention(), cache.attention);
  }

  /**
   * Given a forward result and {@code dz = dL/dz [T, B, D]}, accumulates all twelve gradients and
   * returns {@code dx [T, B, D]} (new; the caller owns it). The backward pass's own buffers go back
   * to the block when it ends; the forward result is left as it was, for {@link Output#release}.
   *
   * @throws IllegalStateException if {@code forward} was released
   */
  public Tensor backward(Output forward, Tensor dz) {
    forward.requireHeld();
    dz.requireShape("dz", forward.output().shape());
    Tensor dBranch = feedForward.backward(forward.feedForward, dz, workspace);
    Tensor dy = norm2.backward(forward.norm2, dBranch, workspace);
    workspace.giveBack(dBranch.data());
    Elementwise.addInPlace(dy.data(), 0, dz.data(), 0, dy.size());
    dBranch = selfAttention.backward(forward.attention, dy, workspace);
    // New, not from the workspace: the caller keeps dx.
    Tensor dx = norm1.backward(forward.norm1, dBranch, null);
    Elementwise.addInPlace(dx.data(), 0, dy.data(), 0, dx.size());
    workspace.giveBack(dBranch.data(), dy.data());
    return dx;
  }
}
