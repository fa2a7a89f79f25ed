package org.seqlab.experiments.sweep;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.seqlab.experiments.InitialState;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.PositionalEncoding;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentLanguageModel;
import org.seqlab.nn.TransformerDecoder;
import org.seqlab.nn.TransformerLanguageModel;

/**
 * The architecture of one model in a sweep, and how it is initialised: enough to build the same
 * model, with the same weights, on any machine.
 *
 * <p>Recurrent models ({@code rnn}, {@code rnn_relu}, {@code lstm}, {@code gru}) read tokens
 * through an embedding of width {@code embedding} (or a task's feature vectors directly) into
 * {@code layers} recurrent layers of {@code hidden} units and a linear head. The {@code
 * transformer} is a causal decoder of {@code layers} blocks of width {@code hidden}, {@code heads}
 * heads and a feed-forward width of {@code 2·hidden}, with sinusoidal positions.
 *
 * @param model {@code rnn}, {@code rnn_relu}, {@code lstm}, {@code gru} or {@code transformer}
 * @param hidden the hidden size, or the Transformer's model width
 * @param layers recurrent layers or Transformer blocks
 * @param embedding the embedding width of a recurrent model that reads tokens
 * @param heads the Transformer's attention heads (dividing {@code hidden})
 * @param forgetBias LSTM only: the forget gate's bias {@code b_if + b_hf} at initialisation, or NaN
 *     for PyTorch's default draw
 * @param spectralRadius recurrent models: every {@code W_hh} gate block rescaled to this spectral
 *     radius at initialisation, or NaN to keep PyTorch's default draw (radius about 0.58)
 */
public record ModelSpec(
    String model,
    int hidden,
    int layers,
    int embedding,
    int heads,
    double forgetBias,
    double spectralRadius) {

  /** The models a sweep can train. */
  public static final List<String> MODELS =
      List.of("rnn", "rnn_relu", "lstm", "gru", "transformer");

  public ModelSpec {
    if (!MODELS.contains(model)) {
      throw new IllegalArgumentException(
          "unknown model '" + model + "'; choose one of " + String.join(", ", MODELS));
    }
    if (hidden < 1 || hidden > 4096 || layers < 1 || layers > 16 || embedding < 1) {
      throw new IllegalArgumentException(
          "a model needs 1 <= hidden <= 4096, 1 <= layers <= 16 and an embedding >= 1, got hidden "
              + hidden
              + ", layers "
              + layers
              + ", embedding "
              + embedding);
    }
    if (isTransformer(model) && (heads < 1 || hidden % heads != 0)) {
      throw new IllegalArgumentException(
          "the Transformer's heads (" + heads + ") must divide its width (" + hidden + ")");
    }
    if (!Double.isNaN(forgetBias) && !model.equals("lstm")) {
      throw new IllegalArgumentException("a forget-gate bias applies to the LSTM only");
    }
    if (!Double.isNaN(spectralRadius) && (isTransformer(model) || !(spectralRadius > 0))) {
      throw new IllegalArgumentException(
          "a spectral radius applies to recurrent models and must be > 0");
    }
  }

  /** A model with PyTorch's default initialisation. */
  public static ModelSpec of(String model, int hidden, int layers, int embedding, int heads) {
    return new ModelSpec(model, hidden, layers, embedding, heads, Double.NaN, Double.NaN);
  }

  public ModelSpec withForgetBias(double bias) {
    return new ModelSpec(model, hidden, layers, embedding, heads, bias, spectralRadius);
  }

  public ModelSpec withSpectralRadius(double radius) {
    return new ModelSpec(model, hidden, layers, embedding, heads, forgetBias, radius);
  }

  private static boolean isTransformer(String model) {
    return model.equals("transformer");
  }

  /** What a model must fit: the task's input, output and longest sequence. */
  public record Shape(int vocabulary, int inputFeatures, int outputSize, int maxLength) {}

  /**
   * The model, initialised from {@code seed}: PyTorch's default draws, then the forget bias and the
   * spectral radius when set.
   */
  public LanguageModel build(Shape shape, long seed) {
    LanguageModel m = create(shape);
    m.initialize(new SplittableRandom(seed));
    if (m instanceof RecurrentLanguageModel r) adjust(r.recurrent());
    return m;
  }

  private LanguageModel create(Shape shape) {
    if (isTransformer(model)) {
      int vocabulary = shape.inputFeatures() > 0 ? shape.outputSize() : shape.vocabulary();
      var config =
          new TransformerDecoder.Config(
              vocabulary,
              hidden,
              heads,
              2 * hidden,
              layers,
              shape.maxLength(),
              PositionalEncoding.Kind.LEARNED);
      return new TransformerLanguageModel(config, shape.inputFeatures());
    }
    return new RecurrentLanguageModel(
        new RecurrentLanguageModel.Config(
            shape.inputFeatures() > 0 ? shape.outputSize() : shape.vocabulary(),
            embedding,
            TrainingRunConfig.recurrentKind(model),
            hidden,
            layers,
            0,
            shape.inputFeatures()));
  }

  private void adjust(Recurrent rnn) {
    InitialState.apply(rnn, spectralRadius, forgetBias);
  }

  /** The number of trainable parameters of this model on a task of {@code shape}. */
  public long parameterCount(Shape shape) {
    return create(shape).parameterCount();
  }

  /**
   * The model of kind {@code model} whose parameter count on {@code shape} comes closest to {@code
   * target}, varying only the hidden size (the Transformer's width in steps of {@code heads}).
   */
  public static ModelSpec matched(
      String model, long target, Shape shape, int layers, int embedding, int heads) {
    int step = isTransformer(model) ? heads : 1;
    ModelSpec best = null;
    long bestGap = Long.MAX_VALUE;
    for (int h = step; h <= 1024; h += step) {
      ModelSpec candidate = of(model, h, layers, embedding, heads);
      long gap = candidate.parameterCount(shape) - target;
      if (Math.abs(gap) < bestGap) {
        best = candidate;
        bestGap = Math.abs(gap);
      }
      if (gap > 0) break;
    }
    return best;
  }

  /** "LSTM H 48", "Transformer D 32 ×2", in the words of a table. */
  public String label() {
    String name =
        switch (model) {
          case "rnn" -> "RNN";
          case "rnn_relu" -> "RNN (ReLU)";
          case "lstm" -> "LSTM";
          case "gru" -> "GRU";
          default -> "Transformer";
        };
    String size = isTransformer(model) ? "D " + hidden : "H " + hidden;
    String bias = Double.isNaN(forgetBias) ? "" : " (forget bias " + (float) forgetBias + ")";
    bias = bias.replace(".0)", ")");
    return String.format(
        Locale.ROOT, "%s %s%s%s", name, size, layers > 1 ? " ×" + layers : "", bias);
  }
}
