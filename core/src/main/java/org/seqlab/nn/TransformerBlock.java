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

  /**
   * The result of {@link #forward}.
   *
   * @param output {@code z [T, B, D]}
   * @param norm1 the first LayerNorm's result; its input is the block's input {@code x}
   * @param attention the self-attention's result, with its {@code attentionWeights [B, H, T, T]}
   * @param residual {@code y = x + SA(LN1(x)) [T, B, D]}
   * @param norm2 the second LayerNorm's result
   * @param feedForward the feed-forward network's result
   */
  public record Output(
      Tensor output,
      LayerNorm.Output norm1,
      MultiHeadSelfAttention.Output attention,
      Tensor residual,
      LayerNorm.Output norm2,
      FeedForward.Output feedForward) {
    public Output {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(norm1, "norm1");
      Objects.requireNonNull(attention, "attention");
      Objects.requireNonNull(residual, "residual");
      Objects.requireNonNull(norm2, "norm2");
      Objects.requireNonNull(feedForward, "feedForward");
    }

    /** The block's input {@code x [T, B, D]}. */
    public Tensor input() {
      return norm1.input();
    }

    /** {@code P [B, H, T, T]}, see {@link MultiHeadSelfAttention.Output#attentionWeights()}. */
    public Tensor attentionWeights() {
      return attention.attentionWeights();
    }
  }

  /**
   * The block applied to {@code x [T, B, D]}, with the masks of {@link
   * MultiHeadSelfAttention#forward}.
   */
  public Output forward(Tensor x, boolean causal, int[] lengths) {
    LayerNorm.Output n1 = norm1.forward(x);
    MultiHeadSelfAttention.Output sa = selfAttention.forward(n1.output(), causal, lengths);
    Tensor y = Tensor.zeros(x.shape());
    Elementwise.add(x.data(), 0, sa.output().data(), 0, y.data(), 0, y.size());
    LayerNorm.Output n2 = norm2.forward(y);
    FeedForward.Output ff = feedForward.forward(n2.output());
    Tensor z = Tensor.zeros(x.shape());
    Elementwise.add(y.data(), 0, ff.output().data(), 0, z.data(), 0, z.size());
    return new Output(z, n1, sa, y, n2, ff);
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
   * returns {@code dx [T, B, D]}.
   */
  public Tensor backward(Output forward, Tensor dz) {
    dz.requireShape("dz", forward.output().shape());
    Tensor dy = norm2.backward(forward.norm2(), feedForward.backward(forward.feedForward(), dz));
    Elementwise.addInPlace(dy.data(), 0, dz.data(), 0, dy.size());
    Tensor dx = norm1.backward(forward.norm1(), selfAttention.backward(forward.attention(), dy));
    Elementwise.addInPlace(dx.data(), 0, dy.data(), 0, dx.size());
    return dx;
  }
}
