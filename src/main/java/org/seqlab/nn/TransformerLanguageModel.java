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
    return new WindowDecoder();
  }

  /**
   * Generation by running the decoder over the last {@code maxLen} tokens at every step. Exact, and
   * the simplest thing that is: each step costs a full forward over the window.
   */
  private final class WindowDecoder implements Decoder {
    private final int context = decoder.config().maxLen();
    private final int[] window = new int[context];
    private int length;
    private final float[] logits = new float[vocabularySize()];

    @Override
    public float[] next(int token) {
      if (token < 0 || token >= vocabularySize()) {
        throw new IllegalArgumentException(
            "token " + token + " is outside the vocabulary [0, " + vocabularySize() + ")");
      }
      if (length == context) {
        System.arraycopy(window, 1, window, 0, context - 1);
        length--;
      }
      window[length++] = token;
      int[] tokens = java.util.Arrays.copyOf(window, length);
      Tensor all = decoder.forward(tokens, length, 1, null).logits();
      System.arraycopy(all.data(), (length - 1) * logits.length, logits, 0, logits.length);
      return logits;
    }

    @Override
    public void reset() {
      length = 0;
    }

    @Override
    public void close() {}
  }
}
