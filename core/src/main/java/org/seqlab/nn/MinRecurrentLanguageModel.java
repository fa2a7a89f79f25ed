package org.seqlab.nn;

import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent language model whose stack is {@link MinRecurrent}: {@code L} layers of minGRU or
 * minLSTM, whose gates read the input alone, so the state recurs linearly,
 *
 * <pre>
 *   h_t = minRNN(x_t, h_{t-1})              (L layers)      [T, B, H]
 * </pre>
 *
 * <p>between the embedding, the dropout and the head every recurrent language model shares ({@code
 * RecurrentShell} gives their equations), as in {@link RecurrentLanguageModel}.
 *
 * <p>Parameters, in order: {@code embedding.weight [V, E]} (absent when reading features), {@code
 * rnn.weight_ih_l{k} [G*H, in_k]}, {@code rnn.bias_ih_l{k} [G*H]} for every layer {@code k}, {@code
 * head.weight [V, H]}, {@code head.bias [V]}. The state carried between windows is every layer's
 * {@code h}, named {@code "h"}, {@code [L, B, H]}.
 *
 * <p>Training runs the whole window through the chunked scan, parallel over time; {@link
 * #decoder()} generates a token at a time with {@link MinRecurrent#step}, the plain recurrence.
 */
public final class MinRecurrentLanguageModel extends RecurrentShell {

  /**
   * The shape of the model, as {@link RecurrentLanguageModel.Config}.
   *
   * @param kind minGRU or minLSTM
   */
  public record Config(
      int vocabularySize,
      int embeddingSize,
      MinRecurrentKind kind,
      int hiddenSize,
      int numLayers,
      double dropout,
      int inputFeatures)
      implements Sizes {
    public Config {
      Objects.requireNonNull(kind, "kind");
      Sizes.check(vocabularySize, embeddingSize, hiddenSize, numLayers, dropout, inputFeatures);
    }

    /** A model that reads token ids. */
    public Config(
        int vocabularySize,
        int embeddingSize,
        MinRecurrentKind kind,
        int hiddenSize,
        int numLayers,
        double dropout) {
      this(vocabularySize, embeddingSize, kind, hiddenSize, numLayers, dropout, 0);
    }
  }

  private final Config config;
  private final MinRecurrent rnn;

  /** A model with zero parameters; call {@link #initialize} or load a state dict. */
  public MinRecurrentLanguageModel(Config config) {
    Objects.requireNonNull(config, "config");
    MinRecurrent rnn =
        new MinRecurrent(
            config.kind(), config.recurrentInputSize(), config.hiddenSize(), config.numLayers());
    rnn.setDropout(config.dropout());
    this.config = config;
    this.rnn = rnn;
    super(config, rnn);
  }

  public Config config() {
    return config;
  }

  /** The recurrent stack. */
  public MinRecurrent recurrent() {
    return rnn;
  }

  /**
   * One forward pass, and what backward needs. For probes, {@link #hiddenStates()} and {@link
   * #gates()} read layer 0 of a pass from {@link #forward} (not {@link #evaluate}, which keeps
   * nothing). {@code model} is the model that ran it, to which {@link #release} hands its arrays.
   */
  public record MinRecurrentPass(
      int[] tokens,
      int steps,
      int batch,
      float[] inputMask,
      MinRecurrent.Output recurrent,
      Tensor headInput,
      float[] outputMask,
      Tensor logits,
      State finalState,
      MinRecurrentLanguageModel model)
      implements Pass {

    /** Layer 0's hidden states {@code h_0 .. h_{T-1}}, {@code [T, B, H]}. */
    public Tensor hiddenStates() {
      return recurrent.trace().hiddenStates(0);
    }

    /**
     * Layer 0's post-activation gates, {@code [T, B, G*H]}: {@code z, h̃} (minGRU) or {@code f, i,
     * h̃} (minLSTM), as {@link MinRecurrent.Trace#gates}.
     */
    public Tensor gates() {
      return recurrent.trace().gates(0);
    }

    @Override
    public void release() {
      // Once: a pass from evaluate kept nothing, and a released trace says the rest went too.
      if (!recurrent.hasTrace() || recurrent.trace().isReleased()) return;
      model.releaseHead(headInput, outputMask, inputMask);
      recurrent.release();
    }
  }

  @Override
  void initializeStack(RandomGenerator rng) {
    rnn.initialize(rng);
  }

  // h_t = minRNN(x_t, h_{t-1})
  @Override
  Pass run(int[] tokens, Tensor x, State carried, RandomGenerator dropout, boolean forBackward) {
    Tensor h0 = stateTensor(carried, "h");
    float[] inputMask = dropInput(x, dropout);
    MinRecurrent.Output out = forBackward ? rnn.forward(x, h0, dropout) : rnn.infer(x, h0);
    Head head = head(out.output(), dropout);
    return new MinRecurrentPass(
        tokens,
        x.dim(0),
        x.dim(1),
        inputMask,
        out,
        head.input(),
        head.mask(),
        head.logits(),
        // A copy: the state outlives the pass, whose arrays release() hands back for reuse.
        new State(Map.of("h", out.hN().copy())),
        this);
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof MinRecurrentPass p)) {
      throw new IllegalArgumentException("this pass did not come from a minimal recurrent model");
    }
    requireTrace(p.recurrent().hasTrace());
    Tensor dHidden = backwardHead(p.headInput(), p.outputMask(), dLogits);
    backwardInput(p.tokens(), p.inputMask(), rnn.backward(p.recurrent(), dHidden, null), dHidden);
  }

  /** Steps by {@link MinRecurrent#step}, the plain recurrence. */
  @Override
  Stepper stepper() {
    Tensor state = Tensor.zeros(config.numLayers(), 1, config.hiddenSize());
    Tensor input = Tensor.zeros(1, config.embeddingSize());
    return new Stepper() {
      @Override
      public float[] step(float[] embedded, int offset) {
        System.arraycopy(embedded, offset, input.data(), 0, config.embeddingSize());
        return rnn.step(input, state).data();
      }

      @Override
      public void reset() {
        state.zero();
      }
    };
  }
}
