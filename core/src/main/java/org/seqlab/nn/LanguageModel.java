package org.seqlab.nn;

import java.util.Map;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A model that reads token ids and predicts, at every step, the distribution of the next token:
 * what the training engine trains and the sampler samples from. Tokens are time-major, {@code
 * tokens[t*B + b]}, and logits {@code [T, B, V]}.
 *
 * <p>Recurrent models carry a state from one window of a stream to the next (truncated
 * backpropagation through time); a Transformer sees only its window and carries nothing.
 */
public interface LanguageModel extends Module {

  /** Draws every parameter from the model's default initialisation, in parameter order. */
  void initialize(RandomGenerator rng);

  /**
   * {@code V}, the width of the output at every step: the number of token ids, or 1 for a model
   * that outputs one value per step (regression).
   */
  int vocabularySize();

  /**
   * The state a model hands from one window to the next, as named tensors (so a checkpoint can keep
   * it); empty for a model that carries nothing.
   */
  record State(Map<String, Tensor> tensors) {
    public static final State NONE = new State(Map.of());

    public State {
      tensors = Map.copyOf(tensors);
    }
  }

  /** One forward pass: the logits, and what backward and the next window need. */
  interface Pass {
    /** {@code [T, B, V]}. */
    Tensor logits();

    /** The state after the last step, detached from this pass's gradient. */
    State finalState();

    /**
     * For probes: a recurrent model's gates, hidden and cell states at every step; null for a model
     * without a recurrence.
     */
    default RecurrentTrace recurrentTrace() {
      return null;
    }

    /**
     * Hands the pass's activations back to the model, whose next forward pass reuses them instead
     * of allocating them afresh; afterwards {@link LanguageModel#backward} and the probes refuse
     * this pass, while its logits and final state stay valid. Calling it again does nothing.
     */
    default void release() {}

    /**
     * For probes: a Transformer's attention probabilities, one {@code [B, heads, T, T]} tensor per
     * block, first block first; empty for a model without attention.
     */
    default java.util.List<Tensor> attentionWeights() {
      return java.util.List.of();
    }
  }

  /**
   * Runs the model over {@code tokens [steps, batch]}.
   *
   * @param carried the state a previous window left ({@link Pass#finalState()}), or null to start
   *     from zeros
   * @param dropout draws the dropout masks of a training pass; null for evaluation (no dropout)
   */
  Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout);

  /**
   * Runs the model over feature vectors {@code [steps, batch, F]} instead of token ids, for a model
   * built to read features ({@link #inputFeatures()} {@code > 0}); otherwise as {@link #forward}.
   *
   * @throws UnsupportedOperationException if the model reads token ids
   */
  default Pass forwardFeatures(Tensor features, State carried, RandomGenerator dropout) {
    throw new UnsupportedOperationException("this model reads token ids, not feature vectors");
  }

  /**
   * {@link #forward} without dropout and without keeping anything for a backward pass: for
   * validation and scoring, where a recurrent model runs its forward-only path ({@link
   * Recurrent#infer}) and gives the same logits and final state, bit for bit. The pass refuses
   * {@link #backward}, and its {@link Pass#recurrentTrace()} is null.
   */
  default Pass evaluate(int[] tokens, int steps, int batch, State carried) {
    return forward(tokens, steps, batch, carried, null);
  }

  /** {@link #evaluate} over feature vectors, as {@link #forwardFeatures}. */
  default Pass evaluateFeatures(Tensor features, State carried) {
    return forwardFeatures(features, carried, null);
  }

  /** {@code F}, the feature width the model reads, or 0 for a model that reads token ids. */
  default int inputFeatures() {
    return 0;
  }

  /**
   * Accumulates every parameter's gradient from {@code dLogits [T, B, V]}; the gradient stops at
   * the carried state (truncated BPTT).
   */
  void backward(Pass pass, Tensor dLogits);

  /** Generates one sequence a token at a time, each step reusing what earlier steps computed. */
  interface Decoder extends AutoCloseable {
    /**
     * Feeds {@code token} and returns the logits {@code [V]} of the token after it.
     *
     * @return an array the decoder reuses: read it before the next call
     */
    float[] next(int token);

    /** Forgets everything fed so far. */
    void reset();

    @Override
    void close();
  }

  /** A decoder over the model's current weights. */
  Decoder decoder();

  /**
   * A decoder over the model's current weights held at {@code precision}: {@link
   * WeightPrecision#FLOAT32} is {@link #decoder()}; {@link WeightPrecision#INT8} rounds the
   * recurrent weights of an RNN, LSTM or GRU to 8 bits ({@link RecurrentStream}).
   *
   * @throws UnsupportedOperationException for a precision the model does not offer
   */
  default Decoder decoder(WeightPrecision precision) {
    if (precision == WeightPrecision.FLOAT32) return decoder();
    throw new UnsupportedOperationException(
        precision.id() + " weights are for the RNN, LSTM and GRU; this model decodes in float32");
  }
}
