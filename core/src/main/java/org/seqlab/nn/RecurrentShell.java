package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * What every recurrent language model shares around its stack of recurrent layers: an embedding (or
 * feature vectors fed straight in), dropout on the stack's input, between its layers and on its
 * output, and a linear head over the vocabulary (Zaremba et al. 2014; PyTorch's {@code
 * word_language_model} example).
 *
 * <pre>
 *   x_t = drop(E[token_t])   or drop(features_t)            [T, B, E or F]
 *   h_t, state_t = stack(x_t, state_{t-1})   (L layers)     [T, B, H]
 *   logits_t = drop(h_t) W_head^T + b_head                  [T, B, V]
 * </pre>
 *
 * <p>Parameters, in order: {@code embedding.weight [V, E]} (absent when reading features), the
 * stack's under {@code rnn.}, {@code head.weight [V, H]}, {@code head.bias [V]}; the embedding
 * drawn from {@code N(0, 1)}, the head from {@code U(±1/√H)}.
 *
 * <p>A model adds its stack: {@link #run} from {@code x} to the pass (the input's dropout, the
 * stack, {@link #head}), {@link #backward} in reverse ({@link #backwardHead}, the stack, {@link
 * #backwardInput}), and {@link #stepper} for the decoder.
 */
abstract sealed class RecurrentShell implements LanguageModel
    permits RecurrentLanguageModel, MinRecurrentLanguageModel {

  /** The sizes in both models' {@code Config} records, whose components implement it. */
  interface Sizes {
    int vocabularySize();

    int embeddingSize();

    int hiddenSize();

    int numLayers();

    double dropout();

    int inputFeatures();

    /** The width the stack's first layer reads: {@code E}, or {@code F} for features. */
    default int recurrentInputSize() {
      return inputFeatures() > 0 ? inputFeatures() : embeddingSize();
    }

    /** Refuses a size below 1 ({@code F} below 0) or a dropout outside {@code [0, 1)}. */
    static void check(int v, int e, int h, int layers, double dropout, int features) {
      if (v <= 0 || e <= 0 || h <= 0 || layers <= 0 || features < 0) {
        String got = "V=" + v + ", E=" + e + ", H=" + h + ", L=" + layers + ", F=" + features;
        throw new IllegalArgumentException("sizes must be positive, got " + got);
      }
      Dropout.checkProbability(dropout);
    }
  }

  /** What the head kept of a pass: its input {@code drop(h_t)}, the mask, the logits. */
  record Head(Tensor input, float[] mask, Tensor logits) {}

  /** The stack a token at a time, for the decoder, from the zero state. */
  interface Stepper extends AutoCloseable {
    /** Feeds {@code x = input[offset, offset + E)}; returns the top layer's {@code h [H]}. */
    float[] step(float[] input, int offset);

    void reset();

    @Override
    default void close() {}
  }

  private final Sizes sizes;
  private final Embedding embedding; // null when the model reads features
  private final Linear head;
  private final List<Parameter> parameters;
  private RecurrentGradients lastGradients; // what the last backward pass found, for probes

  /**
   * The dropout masks, the head's dropped-out input and its input gradient, taken for a pass and
   * handed back when it is released ({@link #releaseHead}), as the stack's own arrays are.
   */
  private final Workspace workspace = new Workspace();

  /** The shell around {@code stack}, whose parameters it names {@code rnn.*}. */
  RecurrentShell(Sizes sizes, Module stack) {
    this.sizes = sizes;
    this.embedding =
        sizes.inputFeatures() > 0
            ? null
            : new Embedding(sizes.vocabularySize(), sizes.embeddingSize());
    this.head = new Linear(sizes.hiddenSize(), sizes.vocabularySize());
    List<Parameter> all = new ArrayList<>();
    if (embedding != null) {
      all.addAll(ParameterNames.prefixed("embedding.", embedding.parameters()));
    }
    all.addAll(ParameterNames.prefixed("rnn.", stack.parameters()));
    all.addAll(ParameterNames.prefixed("head.", head.parameters()));
    this.parameters = List.copyOf(all);
  }

  /** Draws the stack's parameters, after the embedding's and before the head's. */
  abstract void initializeStack(RandomGenerator rng);

  /**
   * The pass from {@code x [T, B, E or F]} on: {@link #dropInput}, the stack from the {@code
   * carried} state (null: zeros), {@link #head}. {@code dropout} draws every mask of the pass, on
   * the input, between the layers and before the head, and is null when the pass drops nothing; the
   * stack keeps its trace only {@code forBackward}, running the forward-only path otherwise, which
   * gives the same bits.
   */
  abstract Pass run(
      int[] tokens, Tensor x, State carried, RandomGenerator dropout, boolean forBackward);

  /** A stepper from the zero state, over the stack's current weights. */
  abstract Stepper stepper();

  /**
   * {@link #stepper()} with the stack's weights held at {@code precision}.
   *
   * @throws UnsupportedOperationException where the stack does not offer it
   */
  Stepper stepper(WeightPrecision precision) {
    if (precision == WeightPrecision.FLOAT32) return stepper();
    throw new UnsupportedOperationException(
        precision.id() + " weights are for the RNN, LSTM and GRU; this model decodes in float32");
  }

  /** The tensor named {@code name} in a carried state, or null (zeros) when none was carried. */
  static Tensor stateTensor(State carried, String name) {
    return carried == null ? null : carried.tensors().get(name);
  }

  /**
   * PyTorch's defaults, in parameter order: the embedding from {@code N(0, 1)}, the recurrent
   * layers from {@code U(±1/√H)}, the head from {@code U(±1/√H)}.
   */
  @Override
  public void initialize(RandomGenerator rng) {
    if (embedding != null) embedding.initialize(rng);
    initializeStack(rng);
    head.initialize(rng);
  }

  @Override
  public int vocabularySize() {
    return sizes.vocabularySize();
  }

  @Override
  public int inputFeatures() {
    return sizes.inputFeatures();
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    return run(tokens, embed(tokens, steps, batch), carried, masks(dropout), true);
  }

  @Override
  public Pass evaluate(int[] tokens, int steps, int batch, State carried) {
    return run(tokens, embed(tokens, steps, batch), carried, null, false);
  }

  @Override
  public Pass forwardFeatures(Tensor features, State carried, RandomGenerator dropout) {
    return run(null, featureInput(features), carried, masks(dropout), true);
  }

  @Override
  public Pass evaluateFeatures(Tensor features, State carried) {
    return run(null, featureInput(features), carried, null, false);
  }

  /** {@code x_t = E[token_t]}, {@code [T, B, E]}, after checking the tokens fit this model. */
  private Tensor embed(int[] tokens, int steps, int batch) {
    Objects.requireNonNull(tokens, "tokens");
    if (embedding == null) {
      throw new UnsupportedOperationException(
          "this model reads feature vectors of width " + sizes.inputFeatures() + ", not tokens");
    }
    if (steps <= 0 || batch <= 0 || (long) steps * batch != tokens.length) {
      throw new IllegalArgumentException(
          "tokens has " + tokens.length + " ids, expected T*B = " + steps + "*" + batch);
    }
    return embedding.forward(tokens, steps, batch);
  }

  /** {@code x_t = features_t} (copied: dropout writes into it), after checking their shape. */
  private Tensor featureInput(Tensor features) {
    Objects.requireNonNull(features, "features");
    if (embedding != null) {
      throw new UnsupportedOperationException("this model reads token ids, not feature vectors");
    }
    if (features.rank() != 3 || features.dim(2) != sizes.inputFeatures()) {
      throw new IllegalArgumentException(
          "features has shape "
              + Arrays.toString(features.shape())
              + ", expected [T, B, "
              + sizes.inputFeatures()
              + "]");
    }
    return features.copy();
  }

  /** The generator of a training pass's masks: null when the model drops nothing. */
  private RandomGenerator masks(RandomGenerator dropout) {
    return sizes.dropout() > 0 ? dropout : null;
  }

  /** {@code x_t = drop(x_t)}, in place; the mask, or null when the pass drops nothing. */
  float[] dropInput(Tensor x, RandomGenerator dropout) {
    return dropout == null ? null : drop(x, dropout);
  }

  /** {@code logits_t = drop(h_t) W^T + b} over the top layer's {@code h [T, B, H]}. */
  Head head(Tensor h, RandomGenerator dropout) {
    if (dropout == null) return new Head(h, null, head.forward(h));
    Tensor input = Tensor.wrap(workspace.overwritten(h.size()), h.shape());
    System.arraycopy(h.data(), 0, input.data(), 0, h.size());
    float[] mask = drop(input, dropout);
    return new Head(input, mask, head.forward(input));
  }

  /** Draws a dropout mask and applies it to {@code t} in place; returns the mask for backward. */
  private float[] drop(Tensor t, RandomGenerator dropout) {
    float[] mask =
        Dropout.drawMask(workspace.overwritten(t.size()), t.size(), sizes.dropout(), dropout);
    Dropout.apply(t.data(), mask, t.size());
    return mask;
  }

  /** The head's and the dropouts' workspace (for tests). */
  Workspace headWorkspace() {
    return workspace;
  }

  /**
   * Hands back what a training pass's head and dropouts took (the head's input {@code headInput}
   * where it was a dropped-out copy, that is where {@code headMask} is not null, the mask, and
   * {@code inputMask}), for the next pass; call it once, when the pass is released.
   */
  void releaseHead(Tensor headInput, float[] headMask, float[] inputMask) {
    if (headMask != null) workspace.giveBack(headInput.data(), headMask);
    workspace.giveBack(inputMask);
  }

  /** Refuses a pass from evaluate, whose stack kept no trace. */
  static void requireTrace(boolean hasTrace) {
    if (!hasTrace) {
      throw new IllegalArgumentException(
          "this pass came from evaluate, which keeps nothing for a backward pass; use forward");
    }
  }

  /** {@code dL/dh [T, B, H]} from {@code dL/dlogits}: the head's backward, then its dropout's. */
  Tensor backwardHead(Tensor headInput, float[] mask, Tensor dLogits) {
    Tensor dHeadInput = head.backward(headInput, dLogits, workspace);
    if (mask != null) Dropout.apply(dHeadInput.data(), mask, dHeadInput.size());
    return dHeadInput;
  }

  /**
   * From the stack's gradients {@code g} on: the input dropout's backward and the embedding's;
   * keeps {@code g} for {@link #lastGradients} and releases the gradients kept before. {@code
   * dHidden}, the head's input gradient, which the stack's backward pass has read (and copied),
   * goes back for the next pass.
   */
  void backwardInput(int[] tokens, float[] mask, RecurrentGradients g, Tensor dHidden) {
    workspace.giveBack(dHidden.data());
    // The gradients before these are no longer anyone's: a probe reads the last ones between
    // steps. Handed back, the next backward pass reuses their arrays.
    if (lastGradients != null) lastGradients.release();
    lastGradients = g;
    Tensor dEmbedded = g.dInput();
    if (mask != null) Dropout.apply(dEmbedded.data(), mask, dEmbedded.size());
    if (embedding != null) embedding.backward(tokens, dEmbedded);
  }

  /**
   * The gradients of the last {@link #backward} pass, among them the total {@code dL/dh_t} (and,
   * for an LSTM, {@code dL/dc_t}) of every layer at every step ({@link
   * RecurrentGradients#hiddenGradient}, {@code [T, B, H]} per layer): what a probe reads to watch
   * the gradient travel back in time while the model trains. Null before the first backward pass.
   * Valid until the next backward pass, which hands their arrays back for reuse (read them between
   * steps, or copy them).
   */
  public RecurrentGradients lastGradients() {
    return lastGradients;
  }

  @Override
  public Decoder decoder() {
    return decoder(WeightPrecision.FLOAT32);
  }

  @Override
  public Decoder decoder(WeightPrecision precision) {
    if (embedding == null) {
      throw new UnsupportedOperationException("a model that reads features does not generate");
    }
    return new StepDecoder(stepper(precision));
  }

  /**
   * Step-by-step generation: per token an embedding row, one step of every layer ({@link
   * #stepper}), and the head's {@code V} dot products.
   */
  private final class StepDecoder implements Decoder {
    private final Stepper stack;
    private final float[] logits = new float[sizes.vocabularySize()];

    StepDecoder(Stepper stack) {
      this.stack = stack;
    }

    @Override
    public float[] next(int token) {
      if (token < 0 || token >= sizes.vocabularySize()) {
        throw new IllegalArgumentException(
            "token " + token + " is outside the vocabulary [0, " + sizes.vocabularySize() + ")");
      }
      float[] hidden = stack.step(embedding.weight().value().data(), token * sizes.embeddingSize());
      float[] w = head.weight().value().data();
      float[] b = head.bias().value().data();
      int h = sizes.hiddenSize();
      for (int v = 0; v < logits.length; v++) {
        double sum = b[v];
        for (int j = 0; j < h; j++) sum += (double) w[v * h + j] * hidden[j];
        logits[v] = (float) sum;
      }
      return logits;
    }

    @Override
    public void reset() {
      stack.reset();
    }

    @Override
    public void close() {
      stack.close();
    }
  }
}
