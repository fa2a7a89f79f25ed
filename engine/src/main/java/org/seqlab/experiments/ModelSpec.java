package org.seqlab.experiments;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.LanguageModel;

/**
 * The model of a run and how it is initialised: enough to build the same model, with the same
 * weights, on any machine. Every face builds its models here ({@code train}, the lab, {@code run},
 * {@code sweep}), through the factory of the table of architectures ({@link Architecture#create}),
 * so the same settings give the same model everywhere.
 *
 * <p>Recurrent models read tokens through an embedding of width {@code embedding} (or a task's
 * feature vectors directly) into {@code layers} recurrent layers of {@code hidden} units and a
 * linear head. The {@code transformer} is a causal pre-norm decoder of {@code layers} blocks of
 * width {@code hidden}, {@code heads} heads and a feed-forward width {@code feedForward}, with
 * learned positions.
 *
 * @param model the architecture's name in the table ({@link Architecture#ids()})
 * @param hidden the hidden size, or the Transformer's model width
 * @param layers recurrent layers or Transformer blocks
 * @param embedding the embedding width of a recurrent model that reads tokens
 * @param heads the Transformer's attention heads (dividing {@code hidden}); set to 1 for other
 *     models, which have none
 * @param feedForward the Transformer's feed-forward width ({@link #FEED_FORWARD_FACTOR} times
 *     {@code hidden} by default); set to that default for other models, which have none
 * @param dropout recurrent models: on the embedding, between layers and before the head
 * @param forgetBias models with a forget gate: its bias {@code b_if + b_hf} at initialisation, or
 *     null for PyTorch's default draw
 * @param spectralRadius models with a recurrent matrix: every {@code W_hh} gate block rescaled to
 *     this spectral radius at initialisation, or null to keep PyTorch's default draw
 */
public record ModelSpec(
    String model,
    int hidden,
    int layers,
    int embedding,
    int heads,
    int feedForward,
    double dropout,
    Double forgetBias,
    Double spectralRadius) {

  /** The models a run can train: every row of the table of architectures. */
  public static final List<String> MODELS = Architecture.ids();

  /** The widest hidden size {@link #matched} tries. */
  public static final int MATCHED_MAX_HIDDEN = 1024;

  /** The Transformer's feed-forward width, as a multiple of its model width, unless set. */
  public static final int FEED_FORWARD_FACTOR = 4;

  public ModelSpec {
    Architecture architecture;
    try {
      architecture = Architecture.fromId(model);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model: " + e.getMessage(), e);
    }
    Limits.HIDDEN.check(hidden);
    Limits.LAYERS.check(layers);
    Limits.EMBEDDING.check(embedding);
    Limits.checkDropout(dropout);
    if (architecture.hasAttention()) {
      Limits.HEADS.narrowed(1, hidden).check(heads);
      if (hidden % heads != 0) {
        throw new IllegalArgumentException(
            "--heads " + heads + " must divide --hidden " + hidden + " (each head gets H/heads)");
      }
      Limits.FEED_FORWARD.check(feedForward);
      if (dropout > 0) {
        throw new IllegalArgumentException(
            "--dropout applies to recurrent models only; the Transformer has none (use 0)");
      }
    }
    if (!architecture.hasAttention()) {
      // Settings a model without attention does not read: the same for every such description, so
      // that two descriptions of one model are equal.
      heads = 1;
      feedForward = defaultFeedForward(hidden);
    }
    if (forgetBias != null) {
      Limits.checkForgetBias(forgetBias);
      if (!architecture.hasForgetGate()) {
        throw new IllegalArgumentException(
            "--forget-bias applies to a model with a forget gate, not " + model);
      }
    }
    if (spectralRadius != null) {
      Limits.checkSpectralRadius(spectralRadius);
      if (!architecture.hasRecurrentMatrix()) {
        throw new IllegalArgumentException(
            "--spectral-radius applies to models with a recurrent matrix W_hh, not " + model);
      }
    }
  }

  /** A model with PyTorch's default initialisation and no dropout. */
  public static ModelSpec of(String model, int hidden, int layers, int embedding, int heads) {
    return new ModelSpec(
        model, hidden, layers, embedding, heads, defaultFeedForward(hidden), 0, null, null);
  }

  /** {@link #FEED_FORWARD_FACTOR} times {@code hidden}, within the table's limit. */
  public static int defaultFeedForward(int hidden) {
    return (int) Math.min(Limits.FEED_FORWARD.max(), (long) FEED_FORWARD_FACTOR * hidden);
  }

  public ModelSpec withForgetBias(double bias) {
    return new ModelSpec(
        model, hidden, layers, embedding, heads, feedForward, dropout, bias, spectralRadius);
  }

  /** The same model with another feed-forward width (a Transformer's; others have none). */
  public ModelSpec withFeedForward(int width) {
    return new ModelSpec(
        model, hidden, layers, embedding, heads, width, dropout, forgetBias, spectralRadius);
  }

  public ModelSpec withSpectralRadius(double radius) {
    return new ModelSpec(
        model, hidden, layers, embedding, heads, feedForward, dropout, forgetBias, radius);
  }

  /** The row of the table of architectures. */
  public Architecture architecture() {
    return Architecture.fromId(model);
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
    InitialState.apply(
        m,
        spectralRadius == null ? Double.NaN : spectralRadius,
        forgetBias == null ? Double.NaN : forgetBias);
    return m;
  }

  /** The model with zero weights, to be initialised or loaded. */
  public LanguageModel create(Shape shape) {
    int outputs = shape.inputFeatures() > 0 ? shape.outputSize() : shape.vocabulary();
    return architecture()
        .create(
            new Architecture.Shape(
                outputs,
                shape.inputFeatures(),
                shape.maxLength(),
                hidden,
                layers,
                embedding,
                heads,
                feedForward,
                dropout));
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
    int step = Architecture.fromId(model).hasAttention() ? heads : 1;
    ModelSpec best = null;
    long bestGap = Long.MAX_VALUE;
    for (int h = step; h <= MATCHED_MAX_HIDDEN; h += step) {
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
    Architecture a = architecture();
    String size = a.hasAttention() ? "D " + hidden : "H " + hidden;
    String bias = forgetBias == null ? "" : " (forget bias " + forgetBias.floatValue() + ")";
    bias = bias.replace(".0)", ")");
    return String.format(
        Locale.ROOT, "%s %s%s%s", a.label(), size, layers > 1 ? " ×" + layers : "", bias);
  }
}
