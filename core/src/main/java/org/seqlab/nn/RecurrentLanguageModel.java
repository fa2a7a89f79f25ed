package org.seqlab.nn;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent language model whose stack is {@link Recurrent}: {@code L} layers of Elman RNN, LSTM
 * or GRU cells, each reading the full previous state through {@code W_hh},
 *
 * <pre>
 *   h_t, c_t = RNN(x_t, h_{t-1}, c_{t-1})   (L layers)      [T, B, H]
 * </pre>
 *
 * <p>between the embedding, the dropout and the head every recurrent language model shares ({@code
 * RecurrentShell} gives their equations).
 *
 * <p>Parameters, in order, with the names of a PyTorch module holding {@code embedding =
 * nn.Embedding(V, E)}, {@code rnn = nn.LSTM(E, H, L)} (or GRU, RNN) and {@code head = nn.Linear(H,
 * V)}: {@code embedding.weight [V, E]}, {@code rnn.weight_ih_l0 ...}, {@code head.weight [V, H]},
 * {@code head.bias [V]}. The state carried between windows is every layer's {@code h} (and {@code
 * c}), {@code [L, B, H]}.
 */
public final class RecurrentLanguageModel extends RecurrentShell {

  /**
   * The shape of the model.
   *
   * @param vocabularySize {@code V}, the token ids read and predicted; for a model that reads
   *     features, the width of its output (1 for one value per step)
   * @param embeddingSize {@code E}, the embedding width (unused when reading features)
   * @param kind the recurrent cell
   * @param hiddenSize {@code H}
   * @param numLayers {@code L}
   * @param dropout on the embedded input, between layers and before the head
   * @param inputFeatures {@code F}: 0 to read token ids through an embedding, or the width of the
   *     feature vectors fed straight into the first recurrent layer
   */
  public record Config(
      int vocabularySize,
      int embeddingSize,
      RecurrentKind kind,
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
        RecurrentKind kind,
        int hiddenSize,
        int numLayers,
        double dropout) {
      this(vocabularySize, embeddingSize, kind, hiddenSize, numLayers, dropout, 0);
    }
  }

  private final Config config;
  private final Recurrent rnn;

  /** A model with zero parameters; call {@link #initialize} or load a state dict. */
  public RecurrentLanguageModel(Config config) {
    Objects.requireNonNull(config, "config");
    Recurrent rnn =
        Recurrent.create(
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
  public Recurrent recurrent() {
    return rnn;
  }

  /** What backward needs from one forward pass. */
  private record RecurrentPass(
      int[] tokens,
      float[] inputMask,
      RecurrentOutput recurrent,
      Head head,
      State finalState,
      RecurrentLanguageModel model)
      implements Pass {
    @Override
    public Tensor logits() {
      return head.logits();
    }

    @Override
    public RecurrentTrace recurrentTrace() {
      return recurrent.hasTrace() ? recurrent.trace() : null;
    }

    @Override
    public void release() {
      // Once: a pass from evaluate kept nothing, and a released trace says the rest went too.
      if (!recurrent.hasTrace() || recurrent.trace().isReleased()) return;
      model.releaseHead(head.input(), head.mask(), inputMask);
      recurrent.release();
    }
  }

  @Override
  void initializeStack(RandomGenerator rng) {
    rnn.initialize(rng);
  }

  // h_t, c_t = RNN(x_t, h_{t-1}, c_{t-1})
  @Override
  Pass run(int[] tokens, Tensor x, State carried, RandomGenerator dropout, boolean forBackward) {
    Tensor h0 = stateTensor(carried, "h"), c0 = stateTensor(carried, "c");
    float[] inputMask = dropInput(x, dropout);
    RecurrentOutput out =
        forBackward ? rnn.forward(x, h0, c0, null, dropout) : rnn.infer(x, h0, c0);
    Head head = head(out.output(), dropout);
    // Copies: the state outlives the pass, whose arrays release() hands back for reuse.
    Map<String, Tensor> state = new HashMap<>();
    state.put("h", out.hN().copy());
    if (out.cN() != null) state.put("c", out.cN().copy());
    return new RecurrentPass(tokens, inputMask, out, head, new State(state), this);
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof RecurrentPass p)) {
      throw new IllegalArgumentException("this pass did not come from a recurrent model");
    }
    requireTrace(p.recurrent().hasTrace());
    Tensor dHidden = backwardHead(p.head().input(), p.head().mask(), dLogits);
    backwardInput(
        p.tokens(), p.inputMask(), rnn.backward(p.recurrent(), dHidden, null, null), dHidden);
  }

  /** Steps on {@link RecurrentStream}, the allocation-free streaming path. */
  @Override
  Stepper stepper() {
    return stepper(WeightPrecision.FLOAT32);
  }

  /** Steps on a {@link RecurrentStream} whose weights are held at {@code precision}. */
  @Override
  Stepper stepper(WeightPrecision precision) {
    RecurrentStream stream = new RecurrentStream(rnn, 1, 1, precision);
    float[] hidden = new float[config.hiddenSize()];
    return new Stepper() {
      @Override
      public float[] step(float[] input, int offset) {
        stream.step(input, offset, hidden, 0);
        return hidden;
      }

      @Override
      public void reset() {
        stream.reset();
      }

      @Override
      public void close() {
        stream.close();
      }
    };
  }
}
