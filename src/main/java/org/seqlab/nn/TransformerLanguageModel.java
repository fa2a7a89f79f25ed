package org.seqlab.nn;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A causal Transformer as a {@link LanguageModel}: a {@link TransformerDecoder} whose context is
 * its window. It carries no state between windows, so under truncated BPTT it sees at most {@code
 * maxLen} tokens back, where a recurrent model's state reaches across windows.
 *
 * <p>Parameters are the decoder's, with its names ({@code token_embedding.weight}, {@code
 * blocks.0.attention.in_proj_weight}, ...).
 */
public final class TransformerLanguageModel implements LanguageModel {

  private final TransformerDecoder decoder;

  /** A model with zero weights (norms at ones); call {@link #initialize} or load a state dict. */
  public TransformerLanguageModel(TransformerDecoder.Config config) {
    this.decoder = new TransformerDecoder(config);
  }

  @Override
  public void initialize(RandomGenerator rng) {
    decoder.initialize(rng);
  }

  public TransformerDecoder.Config config() {
    return decoder.config();
  }

  /** The decoder itself, for probes (attention maps). */
  public TransformerDecoder transformer() {
    return decoder;
  }

  @Override
  public int vocabularySize() {
    return decoder.config().vocabSize();
  }

  @Override
  public List<Parameter> parameters() {
    return decoder.parameters();
  }

  private record TransformerPass(TransformerDecoder.Output output) implements Pass {
    @Override
    public Tensor logits() {
      return output.logits();
    }

    @Override
    public State finalState() {
      return State.NONE;
    }
  }

  /** {@code carried} is ignored (there is no state) and so is {@code dropout} (none is applied). */
  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    Objects.requireNonNull(tokens, "tokens");
    return new TransformerPass(decoder.forward(tokens, steps, batch, null));
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof TransformerPass p)) {
      throw new IllegalArgumentException("this pass did not come from a Transformer");
    }
    decoder.backward(p.output(), dLogits);
  }

  @Override
  public Decoder decoder() {
    return new CachedDecoder();
  }

  /**
   * Generation with cached keys and values ({@link TransformerDecoder#step}): each token costs one
   * position's projections and its attention over the positions before it. When the context of
   * {@code maxLen} positions is full, the cache is rebuilt from the last half of the tokens (one
   * {@link TransformerDecoder#prefill}), so a long text keeps going with at least half a context of
   * memory.
   */
  private final class CachedDecoder implements Decoder {
    private final int context = decoder.config().maxLen();
    private final TransformerDecoder.Cache cache = decoder.newCache(1, context);
    private final int[] history = new int[context];
    private int length;
    private final float[] logits = new float[vocabularySize()];

    @Override
    public float[] next(int token) {
      Tensor out;
      if (length == context) {
        int keep = Math.max(1, context / 2);
        System.arraycopy(history, context - keep + 1, history, 0, keep - 1);
        history[keep - 1] = token;
        length = keep;
        cache.reset();
        out = decoder.prefill(cache, java.util.Arrays.copyOf(history, keep), keep);
      } else {
        out = decoder.step(cache, new int[] {token});
        history[length++] = token;
      }
      System.arraycopy(out.data(), 0, logits, 0, logits.length);
      return logits;
    }

    @Override
    public void reset() {
      cache.reset();
      length = 0;
    }

    @Override
    public void close() {}
  }
}
