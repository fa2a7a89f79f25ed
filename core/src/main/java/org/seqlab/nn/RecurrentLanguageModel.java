package org.seqlab.nn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent language model: an embedding, a stack of recurrent layers and a linear head over the
 * vocabulary, with dropout on the embedded input, between the layers and on the top layer's output
 * (Zaremba et al. 2014; PyTorch's {@code word_language_model} example).
 *
 * <pre>
 *   x_t = drop(E[token_t])                                  [T, B, E]
 *   h_t, c_t = RNN(x_t, h_{t-1}, c_{t-1})   (L layers)      [T, B, H]
 *   logits_t = drop(h_t) W_head^T + b_head                  [T, B, V]
 * </pre>
 *
 * <p>Parameters, in order, with the names of a PyTorch module holding {@code embedding =
 * nn.Embedding(V, E)}, {@code rnn = nn.LSTM(E, H, L)} (or GRU, RNN) and {@code head = nn.Linear(H,
 * V)}: {@code embedding.weight [V, E]}, {@code rnn.weight_ih_l0 ...}, {@code head.weight [V, H]},
 * {@code head.bias [V]}. The state carried between windows is every layer's {@code h} (and {@code
 * c}), {@code [L, B, H]}.
 */
public final class RecurrentLanguageModel implements LanguageModel {

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
      int inputFeatures) {
    public Config {
      Objects.requireNonNull(kind, "kind");
      if (vocabularySize <= 0
          || embeddingSize <= 0
          || hiddenSize <= 0
          || numLayers <= 0
          || inputFeatures < 0) {
        throw new IllegalArgumentException(
            "sizes must be positive, got V="
                + vocabularySize
                + ", E="
                + embeddingSize
                + ", H="
                + hiddenSize
                + ", L="
                + numLayers
                + ", F="
                + inputFeatures);
      }
      Dropout.checkProbability(dropout);
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

    /** The width the first recurrent layer reads: {@code E}, or {@code F} for features. */
    public int recurrentInputSize() {
      return inputFeatures > 0 ? inputFeatures : embeddingSize;
    }
  }

  private final Config config;
  private final Embedding embedding;
  private final Recurrent rnn;
  private final Linear head;
  private final List<Parameter> parameters;
  private RecurrentGradients lastGradients; // what the last backward pass found, for probes

  /** A model with zero parameters; call {@link #initialize} or load a state dict. */
  public RecurrentLanguageModel(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.embedding =
        config.inputFeatures() > 0
            ? null
            : new Embedding(config.vocabularySize(), config.embeddingSize());
    this.rnn =
        Recurrent.create(
            config.kind(), config.recurrentInputSize(), config.hiddenSize(), config.numLayers());
    rnn.setDropout(config.dropout());
    this.head = new Linear(config.hiddenSize(), config.vocabularySize());
    List<Parameter> all = new ArrayList<>();
    if (embedding != null) {
      all.addAll(ParameterNames.prefixed("embedding.", embedding.parameters()));
    }
    all.addAll(ParameterNames.prefixed("rnn.", rnn.parameters()));
    all.addAll(ParameterNames.prefixed("head.", head.parameters()));
    this.parameters = List.copyOf(all);
  }

  /**
   * PyTorch's defaults, in parameter order: the embedding from {@code N(0, 1)}, the recurrent
   * layers from {@code U(±1/√H)}, the head from {@code U(±1/√H)}.
   */
  @Override
  public void initialize(RandomGenerator rng) {
    if (embedding != null) embedding.initialize(rng);
    rnn.initialize(rng);
    head.initialize(rng);
  }

  public Config config() {
    return config;
  }

  /** The recurrent stack. */
  public Recurrent recurrent() {
    return rnn;
  }

  @Override
  public int vocabularySize() {
    return config.vocabularySize();
  }

  @Override
  public int inputFeatures() {
    return config.inputFeatures();
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** What backward needs from one forward pass. */
  private record RecurrentPass(
      int[] tokens,
      int steps,
      int batch,
      float[] inputMask,
      RecurrentOutput recurrent,
      Tensor headInput,
      float[] outputMask,
      Tensor logits,
      State finalState)
      implements Pass {
    @Override
    public RecurrentTrace recurrentTrace() {
      return recurrent.hasTrace() ? recurrent.trace() : null;
    }

    @Override
    public void release() {
      if (recurrent.hasTrace()) recurrent.trace().release();
    }
  }

  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    return fromTokens(tokens, steps, batch, carried, dropout, true);
  }

  @Override
  public Pass evaluate(int[] tokens, int steps, int batch, State carried) {
    return fromTokens(tokens, steps, batch, carried, null, false);
  }

  private Pass fromTokens(
      int[] tokens,
      int steps,
      int batch,
      State carried,
      RandomGenerator dropout,
      boolean forBackward) {
    Objects.requireNonNull(tokens, "tokens");
    if (embedding == null) {
      throw new UnsupportedOperationException(
          "this model reads feature vectors of width " + config.inputFeatures() + ", not tokens");
    }
    if (steps <= 0 || batch <= 0 || (long) steps * batch != tokens.length) {
      throw new IllegalArgumentException(
          "tokens has " + tokens.length + " ids, expected T*B = " + steps + "*" + batch);
    }
    // x_t = E[token_t]
    return run(tokens, embedding.forward(tokens, steps, batch), carried, dropout, forBackward);
  }

  @Override
  public Pass forwardFeatures(Tensor features, State carried, RandomGenerator dropout) {
    return fromFeatures(features, carried, dropout, true);
  }

  @Override
  public Pass evaluateFeatures(Tensor features, State carried) {
    return fromFeatures(features, carried, null, false);
  }

  private Pass fromFeatures(
      Tensor features, State carried, RandomGenerator dropout, boolean forBackward) {
    Objects.requireNonNull(features, "features");
    if (embedding != null) {
      throw new UnsupportedOperationException("this model reads token ids, not feature vectors");
    }
    if (features.rank() != 3 || features.dim(2) != config.inputFeatures()) {
      throw new IllegalArgumentException(
          "features has shape "
              + java.util.Arrays.toString(features.shape())
              + ", expected [T, B, "
              + config.inputFeatures()
              + "]");
    }
    // x_t = features_t (copied: dropout writes into it)
    return run(null, features.copy(), carried, dropout, forBackward);
  }

  /**
   * The stack from {@code x [T, B, E or F]} on: dropout, the recurrent layers and the head; the
   * recurrent layers keep their trace only {@code forBackward} ({@link Recurrent#infer} otherwise,
   * which gives the same bits).
   */
  private Pass run(
      int[] tokens, Tensor x, State carried, RandomGenerator dropout, boolean forBackward) {
    int steps = x.dim(0), batch = x.dim(1);
    Tensor h0 = null, c0 = null;
    if (carried != null && !carried.tensors().isEmpty()) {
      h0 = carried.tensors().get("h");
      c0 = carried.tensors().get("c");
    }
    double p = dropout == null ? 0 : config.dropout();

    // x_t = drop(x_t)
    float[] inputMask = null;
    if (p > 0) {
      inputMask = Dropout.drawMask(null, x.size(), p, dropout);
      Dropout.apply(x.data(), inputMask, x.size());
    }
    RecurrentOutput out =
        forBackward ? rnn.forward(x, h0, c0, null, p > 0 ? dropout : null) : rnn.infer(x, h0, c0);
    // logits_t = drop(h_t) W^T + b
    Tensor headInput = out.output();
    float[] outputMask = null;
    if (p > 0) {
      headInput = headInput.copy();
      outputMask = Dropout.drawMask(null, headInput.size(), p, dropout);
      Dropout.apply(headInput.data(), outputMask, headInput.size());
    }
    Tensor logits = head.forward(headInput);
    Map<String, Tensor> state = new HashMap<>();
    state.put("h", out.hN());
    if (out.cN() != null) state.put("c", out.cN());
    return new RecurrentPass(
        tokens, steps, batch, inputMask, out, headInput, outputMask, logits, new State(state));
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof RecurrentPass p)) {
      throw new IllegalArgumentException("this pass did not come from a recurrent model");
    }
    if (!p.recurrent().hasTrace()) {
      throw new IllegalArgumentException(
          "this pass came from evaluate, which keeps nothing for a backward pass; use forward");
    }
    Tensor dHeadInput = head.backward(p.headInput(), dLogits);
    if (p.outputMask() != null) Dropout.apply(dHeadInput.data(), p.outputMask(), dHeadInput.size());
    RecurrentGradients g = rnn.backward(p.recurrent(), dHeadInput, null, null);
    lastGradients = g;
    Tensor dEmbedded = g.dInput();
    if (p.inputMask() != null) Dropout.apply(dEmbedded.data(), p.inputMask(), dEmbedded.size());
    if (embedding != null) embedding.backward(p.tokens(), dEmbedded);
  }

  /**
   * The gradients of the last {@link #backward} pass, among them the total {@code dL/dh_t} (and
   * {@code dL/dc_t}) of every layer at every step: what a probe reads to watch the gradient travel
   * back in time while the model trains. Null before the first backward pass.
   */
  public RecurrentGradients lastGradients() {
    return lastGradients;
  }

  @Override
  public Decoder decoder() {
    if (embedding == null) {
      throw new UnsupportedOperationException("a model that reads features does not generate");
    }
    return new StreamDecoder();
  }

  /**
   * Step-by-step generation on {@link RecurrentStream}, the allocation-free streaming path: per
   * token an embedding row, one step of every layer, and the head's {@code V} dot products.
   */
  private final class StreamDecoder implements Decoder {
    private final RecurrentStream stream = new RecurrentStream(rnn, 1);
    private final float[] hidden = new float[config.hiddenSize()];
    private final float[] logits = new float[config.vocabularySize()];

    @Override
    public float[] next(int token) {
      if (token < 0 || token >= config.vocabularySize()) {
        throw new IllegalArgumentException(
            "token " + token + " is outside the vocabulary [0, " + config.vocabularySize() + ")");
      }
      int e = config.embeddingSize();
      stream.step(embedding.weight().value().data(), token * e, hidden, 0);
      float[] w = head.weight().value().data();
      float[] b = head.bias().value().data();
      int h = config.hiddenSize();
      for (int v = 0; v < logits.length; v++) {
        double sum = b[v];
        for (int j = 0; j < h; j++) sum += (double) w[v * h + j] * hidden[j];
        logits[v] = (float) sum;
      }
      return logits;
    }

    @Override
    public void reset() {
      stream.reset();
    }

    @Override
    public void close() {
      stream.close();
    }
  }
}
