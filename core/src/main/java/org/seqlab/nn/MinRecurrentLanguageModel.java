package org.seqlab.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A language model on minimal recurrent layers: an embedding, a stack of minGRU or minLSTM layers
 * ({@link MinRecurrent}) and a linear head over the vocabulary, with dropout on the embedded input,
 * between the layers and on the top layer's output, as {@link RecurrentLanguageModel}.
 *
 * <pre>
 *   x_t = drop(E[token_t])                                  [T, B, E]
 *   h_t = minRNN(x_t, h_{t-1})              (L layers)      [T, B, H]
 *   logits_t = drop(h_t) W_head^T + b_head                  [T, B, V]
 * </pre>
 *
 * <p>Parameters, in order: {@code embedding.weight [V, E]} (absent when reading features), {@code
 * rnn.weight_ih_l{k} [G*H, in_k]}, {@code rnn.bias_ih_l{k} [G*H]} for every layer {@code k}, {@code
 * head.weight [V, H]}, {@code head.bias [V]}. The state carried between windows is every layer's
 * {@code h}, named {@code "h"}, {@code [L, B, H]}.
 *
 * <p>Training runs the whole window through the log-space scan, parallel over time; {@link
 * #decoder()} generates a token at a time with {@link MinRecurrent#step}, the plain recurrence.
 */
public final class MinRecurrentLanguageModel implements LanguageModel {

  /**
   * The shape of the model.
   *
   * @param vocabularySize {@code V}, the token ids read and predicted; for a model that reads
   *     features, the width of its output (1 for one value per step)
   * @param embeddingSize {@code E}, the embedding width (unused when reading features)
   * @param kind minGRU or minLSTM
   * @param hiddenSize {@code H}
   * @param numLayers {@code L}
   * @param dropout on the embedded input, between layers and before the head
   * @param inputFeatures {@code F}: 0 to read token ids through an embedding, or the width of the
   *     feature vectors fed straight into the first layer
   */
  public record Config(
      int vocabularySize,
      int embeddingSize,
      MinRecurrentKind kind,
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
        MinRecurrentKind kind,
        int hiddenSize,
        int numLayers,
        double dropout) {
      this(vocabularySize, embeddingSize, kind, hiddenSize, numLayers, dropout, 0);
    }

    /** The width the first layer reads: {@code E}, or {@code F} for features. */
    public int recurrentInputSize() {
      return inputFeatures > 0 ? inputFeatures : embeddingSize;
    }
  }

  private final Config config;
  private final Embedding embedding;
  private final MinRecurrent rnn;
  private final Linear head;
  private final List<Parameter> parameters;
  private RecurrentGradients lastGradients; // what the last backward pass found, for probes

  /** A model with zero parameters; call {@link #initialize} or load a state dict. */
  public MinRecurrentLanguageModel(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.embedding =
        config.inputFeatures() > 0
            ? null
            : new Embedding(config.vocabularySize(), config.embeddingSize());
    this.rnn =
        new MinRecurrent(
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
   * PyTorch's defaults, in parameter order: the embedding from {@code N(0, 1)}, the layers from
   * {@code U(±1/√H)}, the head from {@code U(±1/√H)}.
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
  public MinRecurrent recurrent() {
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

  /**
   * One forward pass, and what backward needs. For probes, {@link #hiddenStates()} and {@link
   * #gates()} read layer 0 of a pass from {@link #forward} (not {@link #evaluate}, which keeps
   * nothing).
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
      State finalState)
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
   * The stack from {@code x [T, B, E or F]} on: dropout, the layers and the head; the layers keep
   * their trace only {@code forBackward} ({@link MinRecurrent#infer} otherwise, which gives the
   * same bits).
   */
  private Pass run(
      int[] tokens, Tensor x, State carried, RandomGenerator dropout, boolean forBackward) {
    int steps = x.dim(0), batch = x.dim(1);
    Tensor h0 = null;
    if (carried != null && !carried.tensors().isEmpty()) h0 = carried.tensors().get("h");
    double p = dropout == null ? 0 : config.dropout();

    // x_t = drop(x_t)
    float[] inputMask = null;
    if (p > 0) {
      inputMask = Dropout.drawMask(null, x.size(), p, dropout);
      Dropout.apply(x.data(), inputMask, x.size());
    }
    MinRecurrent.Output out =
        forBackward ? rnn.forward(x, h0, p > 0 ? dropout : null) : rnn.infer(x, h0);
    // logits_t = drop(h_t) W^T + b
    Tensor headInput = out.output();
    float[] outputMask = null;
    if (p > 0) {
      headInput = headInput.copy();
      outputMask = Dropout.drawMask(null, headInput.size(), p, dropout);
      Dropout.apply(headInput.data(), outputMask, headInput.size());
    }
    Tensor logits = head.forward(headInput);
    return new MinRecurrentPass(
        tokens,
        steps,
        batch,
        inputMask,
        out,
        headInput,
        outputMask,
        logits,
        new State(Map.of("h", out.hN())));
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    if (!(pass instanceof MinRecurrentPass p)) {
      throw new IllegalArgumentException("this pass did not come from a minimal recurrent model");
    }
    if (!p.recurrent().hasTrace()) {
      throw new IllegalArgumentException(
          "this pass came from evaluate, which keeps nothing for a backward pass; use forward");
    }
    Tensor dHeadInput = head.backward(p.headInput(), dLogits);
    if (p.outputMask() != null) Dropout.apply(dHeadInput.data(), p.outputMask(), dHeadInput.size());
    RecurrentGradients g = rnn.backward(p.recurrent(), dHeadInput, null);
    lastGradients = g;
    Tensor dEmbedded = g.dInput();
    if (p.inputMask() != null) Dropout.apply(dEmbedded.data(), p.inputMask(), dEmbedded.size());
    if (embedding != null) embedding.backward(p.tokens(), dEmbedded);
  }

  /**
   * The gradients of the last {@link #backward} pass, among them the total {@code dL/dh_t} of every
   * layer at every step ({@link RecurrentGradients#hiddenGradient}, {@code [T, B, H]} per layer):
   * what a probe reads to watch the gradient travel back in time. Null before the first backward
   * pass.
   */
  public RecurrentGradients lastGradients() {
    return lastGradients;
  }

  @Override
  public Decoder decoder() {
    if (embedding == null) {
      throw new UnsupportedOperationException("a model that reads features does not generate");
    }
    return new StepDecoder();
  }

  /**
   * Step-by-step generation on {@link MinRecurrent#step}: per token an embedding row, one step of
   * every layer by the plain recurrence, and the head's {@code V} dot products.
   */
  private final class StepDecoder implements Decoder {
    private final Tensor state = Tensor.zeros(config.numLayers(), 1, config.hiddenSize());
    private final Tensor input = Tensor.zeros(1, config.embeddingSize());
    private final float[] logits = new float[config.vocabularySize()];

    @Override
    public float[] next(int token) {
      if (token < 0 || token >= config.vocabularySize()) {
        throw new IllegalArgumentException(
            "token " + token + " is outside the vocabulary [0, " + config.vocabularySize() + ")");
      }
      int e = config.embeddingSize();
      System.arraycopy(embedding.weight().value().data(), token * e, input.data(), 0, e);
      float[] hidden = rnn.step(input, state).data();
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
      state.zero();
    }

    @Override
    public void close() {}
  }
}
