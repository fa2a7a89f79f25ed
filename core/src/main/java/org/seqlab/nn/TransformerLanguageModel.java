package org.seqlab.nn;

import java.util.ArrayList;
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
 *
 * <p>A model built to read feature vectors {@code [T, B, F]} replaces the token embedding by a
 * linear input projection {@code e_0 = x W_in^T + b_in + PE} ({@code input_projection.weight [D,
 * F]}, {@code input_projection.bias [D]}, first in parameter order); its output width is the
 * config's {@code vocabSize} (1 for one value per step).
 */
public final class TransformerLanguageModel implements LanguageModel {

  private final TransformerDecoder decoder;
  private final Linear inputProjection;
  private final List<Parameter> parameters;

  /** A model with zero weights (norms at ones); call {@link #initialize} or load a state dict. */
  public TransformerLanguageModel(TransformerDecoder.Config config) {
    this(config, 0);
  }

  /**
   * A model that reads token ids ({@code inputFeatures == 0}) or feature vectors of width {@code
   * inputFeatures}.
   */
  public TransformerLanguageModel(TransformerDecoder.Config config, int inputFeatures) {
    if (inputFeatures < 0) {
      throw new IllegalArgumentException("inputFeatures must be >= 0, got " + inputFeatures);
    }
    this.decoder = new TransformerDecoder(config);
    if (inputFeatures == 0) {
      this.inputProjection = null;
      this.parameters = decoder.parameters();
    } else {
      this.inputProjection = new Linear(inputFeatures, config.dModel());
      List<Parameter> all = new ArrayList<>();
      all.addAll(ParameterNames.prefixed("input_projection.", inputProjection.parameters()));
      // the decoder's parameter list holds renamed views of its layers' parameters: match by name
      for (Parameter p : decoder.parameters()) {
        if (!p.name().equals("token_embedding.weight")) all.add(p);
      }
      this.parameters = List.copyOf(all);
    }
  }

  @Override
  public void initialize(RandomGenerator rng) {
    decoder.initialize(rng);
    if (inputProjection != null) inputProjection.initialize(rng);
  }

  @Override
  public int inputFeatures() {
    return inputProjection == null ? 0 : inputProjection.inFeatures();
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
    return parameters;
  }

  private record TransformerPass(TransformerDecoder.Output output, Tensor features)
      implements Pass {
    @Override
    public Tensor logits() {
      return output.logits();
    }

    @Override
    public State finalState() {
      return State.NONE;
    }

    @Override
    public List<Tensor> attentionWeights() {
      return output.attentionWeights();
    }

    /**
     * Releases every block's result ({@link TransformerDecoder.Output#release}): the blocks' next
     * passes take those arrays instead of allocating their activations afresh. The logits stay
     * valid; {@link TransformerLanguageModel#backward} and {@link #attentionWeights} refuse the
     * pass afterwards.
     */
    @Override
    public void release() {
      output.release();
    }
  }

  /** {@code carried} is ignored (there is no state) and so is {@code dropout} (none is applied). */
  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    Objects.requireNonNull(tokens, "tokens");
    if (inputProjection != null) {
      throw new UnsupportedOperationException(
          "this model reads feature vectors of width " + inputFeatures() + ", not tokens");
    }
    return new TransformerPass(decoder.forward(tokens, steps, batch, null), null);
  }

  /** {@code e_0 = x W_in^T + b_in + PE}, then the blocks; {@code carried} and dropout ignored. */
  @Override
  public Pass forwardFeatures(Tensor features, State carried, RandomGenerator dropout) {
    Objects.requireNonNull(features, "features");
    if (inputProjection == null) {
      throw new UnsupportedOperationException("this model reads token ids, not feature vectors");
    }
    Tensor embedded = inputProjection.forward(features);
    decoder.positionalEncoding().addInPlace(embedded);
    return new TransformerPass(decoder.forwardEmbedded(embedded, null), features);
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof TransformerPass p)) {
      throw new IllegalArgumentException("this pass did not come from a Transformer");
    }
    if (p.features() == null) {
      decoder.backward(p.output(), dLogits);
    } else {
      Tensor dEmbedded = decoder.backwardEmbedded(p.output(), dLogits);
      decoder.positionalEncoding().backward(dEmbedded);
      inputProjection.backward(p.features(), dEmbedded);
    }
  }

  @Override
  public Decoder decoder() {
    if (inputProjection != null) {
      throw new UnsupportedOperationException("a model that reads features does not generate");
    }
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
