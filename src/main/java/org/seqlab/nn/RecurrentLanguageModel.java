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

  /** The shape of the model: vocabulary, embedding width, kind, hidden size, layers, dropout. */
  public record Config(
      int vocabularySize,
      int embeddingSize,
      RecurrentKind kind,
      int hiddenSize,
      int numLayers,
      double dropout) {
    public Config {
      Objects.requireNonNull(kind, "kind");
      if (vocabularySize <= 0 || embeddingSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
        throw new IllegalArgumentException(
            "sizes must be positive, got V="
                + vocabularySize
                + ", E="
                + embeddingSize
                + ", H="
                + hiddenSize
                + ", L="
                + numLayers);
      }
      Dropout.checkProbability(dropout);
    }
  }

  private final Config config;
  private final Embedding embedding;
  private final Recurrent rnn;
  private final Linear head;
  private final List<Parameter> parameters;

  /** A model with zero parameters; call {@link #initialize} or load a state dict. */
  public RecurrentLanguageModel(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.embedding = new Embedding(config.vocabularySize(), config.embeddingSize());
    this.rnn =
        Recurrent.create(
            config.kind(), config.embeddingSize(), config.hiddenSize(), config.numLayers());
    rnn.setDropout(config.dropout());
    this.head = new Linear(config.hiddenSize(), config.vocabularySize());
    List<Parameter> all = new ArrayList<>();
    all.addAll(ParameterNames.prefixed("embedding.", embedding.parameters()));
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
    embedding.initialize(rng);
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
      implements Pass {}

  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    Objects.requireNonNull(tokens, "tokens");
    if (steps <= 0 || batch <= 0 || (long) steps * batch != tokens.length) {
      throw new IllegalArgumentException(
          "tokens has " + tokens.length + " ids, expected T*B = " + steps + "*" + batch);
    }
    Tensor h0 = null, c0 = null;
    if (carried != null && !carried.tensors().isEmpty()) {
      h0 = carried.tensors().get("h");
      c0 = carried.tensors().get("c");
    }
    double p = dropout == null ? 0 : config.dropout();

    // x_t = drop(E[token_t])
    Tensor embedded = embedding.forward(tokens, steps, batch);
    float[] inputMask = null;
    if (p > 0) {
      inputMask = Dropout.drawMask(null, embedded.size(), p, dropout);
      Dropout.apply(embedded.data(), inputMask, embedded.size());
    }
    RecurrentOutput out = rnn.forward(embedded, h0, c0, null, p > 0 ? dropout : null);
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
    Tensor dHeadInput = head.backward(p.headInput(), dLogits);
    if (p.outputMask() != null) Dropout.apply(dHeadInput.data(), p.outputMask(), dHeadInput.size());
    RecurrentGradients g = rnn.backward(p.recurrent(), dHeadInput, null, null);
    Tensor dEmbedded = g.dInput();
    if (p.inputMask() != null) Dropout.apply(dEmbedded.data(), p.inputMask(), dEmbedded.size());
    embedding.backward(p.tokens(), dEmbedded);
  }

  @Override
  public Decoder decoder() {
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
