package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * A decoder-only Transformer language model: token embedding, positions, a stack of causal pre-norm
 * {@link TransformerBlock}s, a final LayerNorm and a linear head over the vocabulary.
 *
 * <pre>
 *   e_0 = E[tokens] + PE[t]                          [T, B, D]   (the embedded input)
 *   e_{i+1} = Block_i(e_i), causal                   [T, B, D]   for i = 0 .. L-1
 *   logits = LayerNorm(e_L) W_head^T + b_head        [T, B, V]
 * </pre>
 *
 * <p>Symbols: {@code T} steps, {@code B} batch, {@code V} vocabulary, {@code D} model width, {@code
 * L} layers. Tokens are time-major: {@code tokens[t*B + b]} is token {@code t} of sequence {@code
 * b}. Every block is causal, so logits at {@code t} depend only on tokens {@code 0..t}; optional
 * per-sequence {@code lengths} also mask padded keys (see {@link MultiHeadSelfAttention}).
 *
 * <p>Parameters, in order: {@code token_embedding.weight [V, D]} ({@code N(0, 1)}), for LEARNED
 * positions {@code position_embedding.weight [maxLen, D]} ({@code N(0, 1)}), then for each block
 * {@code i} the twelve parameters of {@link TransformerBlock} prefixed {@code blocks.{i}.}, then
 * {@code final_norm.weight [D]}, {@code final_norm.bias [D]} (ones, zeros), {@code head.weight [V,
 * D]}, {@code head.bias [V]} (a Linear's {@code U(±1/√D)}).
 *
 * <p>{@link #forwardEmbedded} and {@link #backwardEmbedded} run the stack from a given {@code e_0},
 * skipping the embeddings; probes use them to feed continuous inputs and read {@code dL/de_0}.
 *
 * <h2>Generating: incremental decoding</h2>
 *
 * Because every block is causal, the keys and values of position {@code s} never change once {@code
 * s} has been computed. A language model that generates one token at a time therefore keeps them in
 * a {@link Cache} ({@link #newCache}) and computes only the new position: {@link #step} feeds one
 * token per sequence and returns the next token's logits, attending to the cached positions; {@link
 * #prefill} feeds a whole prompt in one {@link #forward} pass and keeps its keys and values. A step
 * costs {@code O(L (D² + D F) + D V)} for the projections plus {@code O(L t D)} for attention at
 * position {@code t}, where recomputing {@link #forward} over the prefix would cost {@code O(t)}
 * times as much. Both give, position by position, the logits of {@link #forward} to float rounding.
 *
 * <pre>
 *   Cache cache = decoder.newCache(1, decoder.config().maxLen());
 *   Tensor logits = decoder.prefill(cache, prompt, prompt.length);     // [1, V]
 *   while (cache.length() &lt; cache.capacity()) {
 *     int next = sample(logits);
 *     logits = decoder.step(cache, new int[] {next});
 *   }
 * </pre>
 */
public final class TransformerDecoder implements Module {

  /**
   * The shape of a decoder.
   *
   * @param vocabSize {@code V}, the number of token ids
   * @param dModel {@code D}, the width of every position's vector
   * @param numHeads {@code H}, attention heads per block; must divide {@code D}
   * @param dFF {@code F}, the feed-forward hidden width
   * @param numLayers {@code L}, the number of blocks
   * @param maxLen the longest sequence the positional table covers
   * @param positional learned or sinusoidal positions
   */
  public record Config(
      int vocabSize,
      int dModel,
      int numHeads,
      int dFF,
      int numLayers,
      int maxLen,
      PositionalEncoding.Kind positional) {
    public Config {
      Objects.requireNonNull(positional, "positional");
      requirePositive("vocabSize", vocabSize);
      requirePositive("dModel", dModel);
      requirePositive("numHeads", numHeads);
      requirePositive("dFF", dFF);
      requirePositive("numLayers", numLayers);
      requirePositive("maxLen", maxLen);
      if (dModel % numHeads != 0) {
        throw new IllegalArgumentException(
            "numHeads="
                + numHeads
                + " must divide dModel="
                + dModel
                + " (each head gets D/H columns)");
      }
      Tensor.checkedSize(vocabSize, dModel);
      Tensor.checkedSize(maxLen, dModel);
      Tensor.checkedSize(dFF, dModel);
      Tensor.checkedSize(3, dModel, dModel);
    }

    private static void requirePositive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, got " + value);
      }
    }
  }

  private final Config config;
  private final Embedding tokenEmbedding;
  private final PositionalEncoding positionalEncoding;
  private final TransformerBlock[] blocks;
  private final LayerNorm finalNorm;
  private final Linear head;
  private final List<Parameter> parameters;

  /** A decoder with zero weights (norms at ones); call {@link #initialize} or load weights. */
  public TransformerDecoder(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.tokenEmbedding = new Embedding(config.vocabSize(), config.dModel());
    this.positionalEncoding =
        new PositionalEncoding(config.positional(), config.maxLen(), config.dModel());
    this.blocks = new TransformerBlock[config.numLayers()];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = new TransformerBlock(config.dModel(), config.numHeads(), config.dFF());
    }
    this.finalNorm = new LayerNorm(config.dModel());
    this.head = new Linear(config.dModel(), config.vocabSize());
    List<Parameter> all = new ArrayList<>();
    all.addAll(ParameterNames.prefixed("token_embedding.", tokenEmbedding.parameters()));
    all.addAll(positionalEncoding.parameters());
    for (int i = 0; i < blocks.length; i++) {
      all.addAll(ParameterNames.prefixed("blocks." + i + ".", blocks[i].parameters()));
    }
    all.addAll(ParameterNames.prefixed("final_norm.", finalNorm.parameters()));
    all.addAll(ParameterNames.prefixed("head.", head.parameters()));
    this.parameters = List.copyOf(all);
  }

  /** Initialises every part, in {@link #parameters()} order, as described in the class comment. */
  public void initialize(RandomGenerator rng) {
    tokenEmbedding.initialize(rng);
    positionalEncoding.initialize(rng);
    for (TransformerBlock block : blocks) block.initialize(rng);
    finalNorm.initialize();
    head.initialize(rng);
  }

  public Config config() {
    return config;
  }

  public Embedding tokenEmbedding() {
    return tokenEmbedding;
  }

  public PositionalEncoding positionalEncoding() {
    return positionalEncoding;
  }

  /** Block {@code i}, {@code 0 ≤ i < numLayers}. */
  public TransformerBlock block(int i) {
    Objects.checkIndex(i, blocks.length);
    return blocks[i];
  }

  public LayerNorm finalNorm() {
    return finalNorm;
  }

  public Linear head() {
    return head;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The result of {@link #forward} or {@link #forwardEmbedded}.
   *
   * @param logits {@code [T, B, V]}
   * @param tokens the token ids {@code [T*B]}, time-major; null after {@link #forwardEmbedded}
   * @param embedded {@code e_0 [T, B, D]}, the first block's input
   * @param blocks each block's result, first to last
   * @param finalNorm the final LayerNorm's result
   * @param lengths the key lengths per sequence, or null
   */
  public record Output(
      Tensor logits,
      int[] tokens,
      Tensor embedded,
      List<TransformerBlock.Output> blocks,
      LayerNorm.Output finalNorm,
      int[] lengths) {
    public Output {
      Objects.requireNonNull(logits, "logits");
      Objects.requireNonNull(embedded, "embedded");
      Objects.requireNonNull(finalNorm, "finalNorm");
      blocks = List.copyOf(blocks);
      tokens = tokens == null ? null : tokens.clone();
      lengths = lengths == null ? null : lengths.clone();
    }

    @Override
    public int[] tokens() {
      return tokens == null ? null : tokens.clone();
    }

    @Override
    public int[] lengths() {
      return lengths == null ? null : lengths.clone();
    }

    /** {@code e_i [T, B, D]} for {@code i = 0 .. L-1}: each block's input. */
    public List<Tensor> blockInputs() {
      return blocks.stream().map(TransformerBlock.Output::input).toList();
    }

    /** {@code e_{i+1} [T, B, D]} for {@code i = 0 .. L-1}: each block's output. */
    public List<Tensor> blockOutputs() {
      return blocks.stream().map(TransformerBlock.Output::output).toList();
    }

    /** Each block's attention probabilities {@code [B, H, T, T]}, first block first. */
    public List<Tensor> attentionWeights() {
      return blocks.stream().map(TransformerBlock.Output::attentionWeights).toList();
    }

    /**
     * Releases every block's result ({@link TransformerBlock.Output#release}), handing its arrays
     * back to its block for the next passes; call it once the backward pass and every probe are
     * done with this result. The logits, the embeddings, the final norm's result and each block's
     * input and output stay valid; {@link #attentionWeights} and the backward passes refuse it.
     * Calling it again does nothing.
     */
    public void release() {
      for (TransformerBlock.Output block : blocks) block.release();
    }
  }

  /**
   * Logits for {@code tokens}, read as {@code [steps, batch]} time-major.
   *
   * @param lengths null, or {@code batch} lengths in {@code [1, steps]} masking padded keys
   */
  public Output forward(int[] tokens, int steps, int batch, int[] lengths) {
    Objects.requireNonNull(tokens, "tokens");
    if (steps <= 0 || batch <= 0) {
      throw new IllegalArgumentException(
          "steps and batch must be positive, got T=" + steps + ", B=" + batch);
    }
    if ((long) steps * batch != tokens.length) {
      throw new IllegalArgumentException(
          "tokens has "
              + tokens.length
              + " entries, expected T*B = "
              + steps
              + "*"
              + batch
              + " = "
              + (long) steps * batch);
    }
    positionalEncoding.checkLength(steps);
    for (int i = 0; i < tokens.length; i++) checkToken(tokens[i], i / batch, i % batch);
    MultiHeadSelfAttention.checkLengths(lengths, steps, batch);
    Tensor embedded = tokenEmbedding.forward(tokens, steps, batch);
    positionalEncoding.addInPlace(embedded);
    return runStack(embedded, tokens, lengths);
  }

  private void checkToken(int token, int t, int b) {
    if (token < 0 || token >= config.vocabSize()) {
      throw new IllegalArgumentException(
          "token id "
              + token
              + " at [t="
              + t
              + ", b="
              + b
              + "] is outside the vocabulary [0, "
              + config.vocabSize()
              + ")");
    }
  }

  /**
   * Logits for a given first-block input {@code e_0 [T, B, D]}, skipping the token and position
   * embeddings (so {@code T} is not limited by {@code maxLen}).
   */
  public Output forwardEmbedded(Tensor embedded, int[] lengths) {
    Objects.requireNonNull(embedded, "embedded");
    if (embedded.rank() != 3 || embedded.dim(2) != config.dModel()) {
      throw new IllegalArgumentException(
          "embedded has shape "
              + Arrays.toString(embedded.shape())
              + ", expected [T, B, "
              + config.dModel()
              + "]");
    }
    return runStack(embedded, null, lengths);
  }

  private Output runStack(Tensor embedded, int[] tokens, int[] lengths) {
    List<TransformerBlock.Output> outputs = new ArrayList<>(blocks.length);
    Tensor x = embedded;
    for (TransformerBlock block : blocks) {
      TransformerBlock.Output out = block.forward(x, true, lengths);
      outputs.add(out);
      x = out.output();
    }
    LayerNorm.Output normed = finalNorm.forward(x);
    Tensor logits = head.forward(normed.output());
    return new Output(logits, tokens, embedded, outputs, normed, lengths);
  }

  /**
   * The state of incremental decoding: for each block, the keys and values of every position fed so
   * far ({@link TransformerBlock.Cache}), for {@code batch} sequences decoded in lockstep, all
   * preallocated for {@code capacity} positions. Made by {@link #newCache}, filled by {@link
   * #prefill} and {@link #step}. A cache holds buffers that every step overwrites: one cache serves
   * one decoding thread (the decoder's weights may be shared). The keys and values it holds were
   * computed with the weights of their time: after the weights change (a training step, a load),
   * {@link #reset} it.
   */
  public static final class Cache {
    private final TransformerDecoder owner;
    private final TransformerBlock.Cache[] blocks;
    private final Tensor stream; // [B, D]: the new position's vector on its way up the stack
    private final Tensor normed; // [B, D]: LayerNorm(e_L)

    private Cache(TransformerDecoder owner, int batch, int capacity) {
      this.owner = owner;
      this.blocks = new TransformerBlock.Cache[owner.blocks.length];
      for (int i = 0; i < blocks.length; i++) blocks[i] = owner.blocks[i].newCache(batch, capacity);
      this.stream = Tensor.zeros(batch, owner.config.dModel());
      this.normed = Tensor.zeros(batch, owner.config.dModel());
    }

    /** {@code B}, the sequences decoded together. */
    public int batch() {
      return stream.dim(0);
    }

    /** The most positions the cache holds. */
    public int capacity() {
      return blocks[0].capacity();
    }

    /** Positions fed so far: the next token goes to position {@code length()}. */
    public int length() {
      return blocks[0].length();
    }

    /** Forgets every position, to decode new sequences from position 0 (nothing is freed). */
    public void reset() {
      for (TransformerBlock.Cache block : blocks) block.reset();
    }

    /** Block {@code i}'s part of the cache. */
    public TransformerBlock.Cache block(int i) {
      Objects.checkIndex(i, blocks.length);
      return blocks[i];
    }
  }

  /**
   * An empty {@link Cache} for {@code batch} sequences of up to {@code capacity} positions.
   *
   * @param capacity in {@code [1, maxLen]}: positions beyond the positional table have no encoding
   * @throws IllegalArgumentException if a size is out of range, or the keys and values would not
   *     fit in the JVM's maximum heap (checked before anything is allocated)
   */
  public Cache newCache(int batch, int capacity) {
    if (batch <= 0) {
      throw new IllegalArgumentException("batch must be positive, got " + batch);
    }
    if (capacity <= 0 || capacity > config.maxLen()) {
      throw new IllegalArgumentException(
          "capacity must be in [1, maxLen=" + config.maxLen() + "], got " + capacity);
    }
    // Keys and values: 2 L B C D floats, which dwarf the [B, D] and [B, F] scratch.
    double bytes =
        2.0 * Float.BYTES * config.numLayers() * batch * capacity * (double) config.dModel();
    long heap = Runtime.getRuntime().maxMemory();
    if (bytes > heap) {
      throw new IllegalArgumentException(
          String.format(
              "a cache for batch=%d, capacity=%d needs %.0f MiB of keys and values"
                  + " (2 x %d layers x B x capacity x D=%d floats), more than the maximum heap"
                  + " of %d MiB",
              batch, capacity, bytes / (1 << 20), config.numLayers(), config.dModel(), heap >> 20));
    }
    Tensor.checkedSize(batch, capacity, config.dModel());
    Tensor.checkedSize(batch, config.dFF());
    Tensor.checkedSize(batch, config.vocabSize());
    return new Cache(this, batch, capacity);
  }

  /**
   * Feeds one token per sequence and returns the logits for the next one: {@link #forward} at
   * position {@code t = cache.length()}, given the tokens at positions {@code 0 .. t-1} that the
   * cache holds, computed for that position alone.
   *
   * <pre>
   *   e_0 = E[tokens] + PE[t]                          [B, D]
   *   e_{i+1} = Block_i.step(e_i), attending to s ≤ t  [B, D]   appending K, V at t to the cache
   *   logits = LayerNorm(e_L) W_head^T + b_head        [B, V]
   * </pre>
   *
   * <p>Per step, {@code O(L (D² + D F) + D V)} for the projections and {@code O(L t D)} for the
   * attention; the only allocation that grows with anything is the returned logits.
   *
   * @param tokens {@code batch} token ids, one per sequence
   * @return the logits {@code [B, V]}, a new tensor
   * @throws IllegalArgumentException for a wrong count of tokens or an id outside the vocabulary
   * @throws IllegalStateException if the cache is full
   */
  public Tensor step(Cache cache, int[] tokens) {
    requireOwn(cache);
    Objects.requireNonNull(tokens, "tokens");
    int batch = cache.batch(), t = cache.length();
    if (tokens.length != batch) {
      throw new IllegalArgumentException(
          "tokens has " + tokens.length + " entries, expected one per sequence (B=" + batch + ")");
    }
    for (int b = 0; b < batch; b++) checkToken(tokens[b], t, b);
    requireRoom(cache, 1);
    Tensor logits = Tensor.zeros(batch, config.vocabSize());
    // A step is a chain of small products (at B = 1, D = 128, each under 70k multiply-adds):
    // handing each one to other threads costs about as much as the product, so, like a
    // RecurrentStream, the step runs on the caller's thread.
    Parallel.onCallerThread(() -> computeStep(cache, tokens, logits));
    return logits;
  }

  /** The body of {@link #step}, after the checks: position {@code cache.length()}. */
  private void computeStep(Cache cache, int[] tokens, Tensor logits) {
    int t = cache.length(), dModel = config.dModel();
    // e_0 = E[token] + PE[t], row by row as forward computes it.
    float[] x = cache.stream.data();
    float[] embedding = tokenEmbedding.weight().value().data();
    float[] position = positionalEncoding.table().data();
    for (int b = 0; b < tokens.length; b++) {
      System.arraycopy(embedding, tokens[b] * dModel, x, b * dModel, dModel);
      Elementwise.addInPlace(x, b * dModel, position, t * dModel, dModel);
    }
    for (int i = 0; i < blocks.length; i++) blocks[i].step(cache.stream, cache.blocks[i]);
    finalNorm.forwardInto(cache.stream, cache.normed);
    head.forwardInto(cache.normed, logits);
  }

  /**
   * Feeds a whole prompt {@code tokens [steps, batch]} (time-major, as {@link #forward}) into an
   * empty cache in one pass, and returns the logits at its last position, {@code [B, V]}: the same
   * as {@code steps} calls of {@link #step}, with the prompt's positions computed together. Each
   * block's keys and values are taken from the pass.
   *
   * @throws IllegalArgumentException for a wrong count of tokens or an id outside the vocabulary
   * @throws IllegalStateException if the cache is not empty or holds fewer than {@code steps}
   *     positions
   */
  public Tensor prefill(Cache cache, int[] tokens, int steps) {
    requireOwn(cache);
    if (cache.length() != 0) {
      throw new IllegalStateException(
          "prefill starts new sequences, but the cache holds "
              + cache.length()
              + " positions: reset() it, or feed further tokens with step");
    }
    requireRoom(cache, steps);
    int batch = cache.batch(), vocab = config.vocabSize();
    Output out = forward(tokens, steps, batch, null);
    for (int i = 0; i < blocks.length; i++) {
      blocks[i].prefill(out.blocks().get(i), cache.blocks[i]);
    }
    // The cache holds copies of the keys and values: the pass's arrays can serve the next pass.
    out.release();
    Tensor last = Tensor.zeros(batch, vocab);
    System.arraycopy(
        out.logits().data(), (steps - 1) * batch * vocab, last.data(), 0, batch * vocab);
    return last;
  }

  private void requireOwn(Cache cache) {
    Objects.requireNonNull(cache, "cache");
    if (cache.owner != this) {
      throw new IllegalArgumentException(
          "this cache was made by another decoder: make one with newCache");
    }
  }

  /** Fails unless {@code positions} more fit in the cache. */
  private void requireRoom(Cache cache, int positions) {
    if (cache.length() == cache.capacity()) {
      throw new IllegalStateException(
          "the cache is full: it holds capacity="
              + cache.capacity()
              + " positions; reset() it, or make one with a larger capacity (up to maxLen="
              + config.maxLen()
              + ")");
    }
    if (positions > cache.capacity() - cache.length()) {
      throw new IllegalStateException(
          positions
              + " positions do not fit in the cache: it holds "
              + cache.length()
              + " of capacity="
              + cache.capacity());
    }
  }

  /**
   * Given a result of {@link #forward} and {@code dLogits [T, B, V]}, accumulates the gradients of
   * every parameter, embeddings included, and returns {@code dL/de_0 [T, B, D]}.
   */
  public Tensor backward(Output forward, Tensor dLogits) {
    if (forward.tokens == null) {
      throw new IllegalArgumentException(
          "this result came from forwardEmbedded, which has no tokens: use backwardEmbedded");
    }
    Tensor dEmbedded = backwardEmbedded(forward, dLogits);
    positionalEncoding.backward(dEmbedded);
    tokenEmbedding.backward(forward.tokens, dEmbedded);
    return dEmbedded;
  }

  /**
   * Given a result of {@link #forward} or {@link #forwardEmbedded} and {@code dLogits [T, B, V]},
   * accumulates the gradients of the blocks, the final norm and the head (not the embeddings) and
   * returns {@code dL/de_0 [T, B, D]}.
   */
  public Tensor backwardEmbedded(Output forward, Tensor dLogits) {
    int[] shape = forward.logits().shape();
    dLogits.requireShape("dLogits", shape);
    LayerNorm.Output normed = forward.finalNorm();
    Tensor d = finalNorm.backward(normed, head.backward(normed.output(), dLogits));
    for (int i = blocks.length - 1; i >= 0; i--) {
      d = blocks[i].backward(forward.blocks().get(i), d);
    }
    return d;
  }
}
