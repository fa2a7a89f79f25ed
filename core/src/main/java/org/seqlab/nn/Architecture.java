package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The table of architectures: every kind of model seqlab builds, with its name on the command line
 * and in files, its label in tables and plots, the PyTorch module its weights load into, the names
 * of its gates, what kind of state it carries, and the factory that builds it.
 *
 * <p>Everything that lists architectures (command-line options and their help, the lab's schema and
 * page, the probes, the PyTorch snippet, the experiments, the benchmarks) reads this table, and
 * everything that treats them differently does so with an exhaustive {@code switch} over it, so a
 * new row makes the compiler name every place it must reach.
 */
public enum Architecture {
  RNN(
      "rnn",
      "RNN",
      "torch.nn.RNN",
      "",
      List.of(),
      State.HIDDEN,
      Recurrence.MATRIX,
      "h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)"),
  RNN_RELU(
      "rnn_relu",
      "RNN (ReLU)",
      "torch.nn.RNN",
      "nonlinearity='relu'",
      List.of(),
      State.HIDDEN,
      Recurrence.MATRIX,
      "h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)"),
  LSTM(
      "lstm",
      "LSTM",
      "torch.nn.LSTM",
      "",
      List.of("input gate i", "forget gate f", "candidate g", "output gate o"),
      State.HIDDEN_AND_CELL,
      Recurrence.MATRIX,
      "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t, h_t = o_t ⊙ tanh(c_t)"),
  GRU(
      "gru",
      "GRU",
      "torch.nn.GRU",
      "",
      List.of("reset gate r", "update gate z", "candidate n"),
      State.HIDDEN,
      Recurrence.MATRIX,
      "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}"),
  MIN_GRU(
      "mingru",
      "minGRU",
      "MinGRU",
      "",
      List.of("update gate z", "candidate h̃"),
      State.HIDDEN,
      Recurrence.SCAN,
      "h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t, z_t and h̃_t from x_t alone"),
  MIN_LSTM(
      "minlstm",
      "minLSTM",
      "MinLSTM",
      "",
      List.of("forget gate f", "input gate i", "candidate h̃"),
      State.HIDDEN,
      Recurrence.SCAN,
      "h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t, f' and i' normalised, all from x_t alone"),
  TRANSFORMER(
      "transformer",
      "Transformer",
      "torch.nn.TransformerEncoderLayer",
      "norm_first=True",
      List.of(),
      State.NONE,
      Recurrence.NONE,
      "x ← x + MHA(LN(x)) with a causal mask, x ← x + FF(LN(x))");

  /** What a model carries from one step (and one window) to the next. */
  public enum State {
    /** Nothing: every position is computed from the window alone (attention). */
    NONE,
    /** A hidden state {@code h}. */
    HIDDEN,
    /** A hidden state {@code h} and a cell state {@code c} (the LSTM's highway). */
    HIDDEN_AND_CELL
  }

  /** How the state reaches the next step. */
  public enum Recurrence {
    /** No recurrence. */
    NONE,
    /** Through a matrix {@code W_hh}: a nonlinear recurrence, one step after another. */
    MATRIX,
    /**
     * Elementwise and linear in {@code h} ({@code h_t = a_t ⊙ h_{t-1} + b_t} with {@code a}, {@code
     * b} from the input alone): training runs as a parallel scan over time.
     */
    SCAN
  }

  private final String id;
  private final String label;
  private final String pytorchModule;
  private final String pytorchOptions;
  private final List<String> gateNames;
  private final State state;
  private final Recurrence recurrence;
  private final String equation;

  Architecture(
      String id,
      String label,
      String pytorchModule,
      String pytorchOptions,
      List<String> gateNames,
      State state,
      Recurrence recurrence,
      String equation) {
    this.id = id;
    this.label = label;
    this.pytorchModule = pytorchModule;
    this.pytorchOptions = pytorchOptions;
    this.gateNames = gateNames;
    this.state = state;
    this.recurrence = recurrence;
    this.equation = equation;
  }

  /** The name on the command line, in {@code config.json} and in checkpoints: {@code lstm}. */
  public String id() {
    return id;
  }

  /** The name in tables, plots and sentences: {@code LSTM}. */
  public String label() {
    return label;
  }

  /**
   * The PyTorch module whose {@code state_dict} holds the recurrent or attention weights: {@code
   * torch.nn.LSTM}.
   */
  public String pytorchModule() {
    return pytorchModule;
  }

  /** The keyword arguments that module needs beyond its sizes: {@code nonlinearity='relu'}. */
  public String pytorchOptions() {
    return pytorchOptions;
  }

  /** The gates whose activations a trace holds, in the order of the weight blocks; may be empty. */
  public List<String> gateNames() {
    return gateNames;
  }

  /** The update in one line, for help texts and the lab. */
  public String equation() {
    return equation;
  }

  /** Whether the model carries a state from step to step (everything but attention). */
  public boolean isRecurrent() {
    return state != State.NONE;
  }

  /** Whether the model has a cell state beside its hidden state (the LSTM). */
  public boolean hasCellState() {
    return state == State.HIDDEN_AND_CELL;
  }

  /** What the model carries from step to step. */
  public State state() {
    return state;
  }

  /** Whether a matrix {@code W_hh} carries the state, so its spectral radius can be set. */
  public boolean hasRecurrentMatrix() {
    return recurrence == Recurrence.MATRIX;
  }

  /** How the state reaches the next step. */
  public Recurrence recurrence() {
    return recurrence;
  }

  /**
   * The operations of one training step (forward and backward) over {@code steps} steps and {@code
   * layers} layers that must run one after another, each of which can itself be spread over cores:
   * {@code 2T} per layer for a recurrence through {@code W_hh} (every step needs the one before,
   * forward and again backward); a two-level scan's {@code 2(2⌈log₂ T⌉ + 2)} per layer for a linear
   * recurrence (the products over all steps at once, then the scan's up- and down-sweep, forward
   * and backward); and {@link #ATTENTION_BLOCK_CRITICAL_PATH} per block for attention, whose
   * products cover all positions at once.
   */
  public long criticalPath(int steps, int layers) {
    long logSteps = 64 - Long.numberOfLeadingZeros(Math.max(1, steps - 1L));
    return switch (recurrence) {
      case MATRIX -> 2L * steps * layers;
      case SCAN -> 2L * (2 * logSteps + 2) * layers;
      case NONE -> (long) ATTENTION_BLOCK_CRITICAL_PATH * layers;
    };
  }

  /**
   * Dependent operations in one pre-norm block's training step, counted from its implementation:
   * forward LayerNorm, QKV product, scores, softmax, weighted sum of values, out-projection,
   * residual, LayerNorm, first product, GELU, second product, residual (12); backward the same in
   * reverse with the weight-gradient products alongside (12 more, 24 in all). Each runs over all
   * {@code T*B} rows (or all batch-and-head pairs) at once, so the count does not grow with T.
   */
  public static final int ATTENTION_BLOCK_CRITICAL_PATH = 24;

  /** Whether the model has a forget gate whose bias can be set at initialisation. */
  public boolean hasForgetGate() {
    return gateNames.stream().anyMatch(g -> g.startsWith("forget gate"));
  }

  /** Whether the model has attention heads. */
  public boolean hasAttention() {
    return this == TRANSFORMER;
  }

  /** The recurrent cell of a model built from {@link Recurrent}, if it is one. */
  public Optional<RecurrentKind> recurrentKind() {
    return Optional.ofNullable(
        switch (this) {
          case RNN -> RecurrentKind.RNN_TANH;
          case RNN_RELU -> RecurrentKind.RNN_RELU;
          case LSTM -> RecurrentKind.LSTM;
          case GRU -> RecurrentKind.GRU;
          case MIN_GRU, MIN_LSTM, TRANSFORMER -> null;
        });
  }

  /** The cell of a model built from {@link MinRecurrent}, if it is one. */
  public Optional<MinRecurrentKind> minRecurrentKind() {
    return Optional.ofNullable(
        switch (this) {
          case MIN_GRU -> MinRecurrentKind.MIN_GRU;
          case MIN_LSTM -> MinRecurrentKind.MIN_LSTM;
          case RNN, RNN_RELU, LSTM, GRU, TRANSFORMER -> null;
        });
  }

  /** The architecture of a {@link Recurrent} stack of {@code kind}. */
  public static Architecture of(RecurrentKind kind) {
    return switch (kind) {
      case RNN_TANH -> RNN;
      case RNN_RELU -> RNN_RELU;
      case LSTM -> LSTM;
      case GRU -> GRU;
    };
  }

  /**
   * What a model is built from: the task's side (what it reads and predicts, and how long its
   * sequences are) and the model's sizes.
   *
   * @param outputs {@code V}: token ids read and predicted, or the width of the output of a model
   *     that reads feature vectors
   * @param inputFeatures {@code F}: 0 to read token ids, else the width of the feature vectors
   * @param maxLength the longest sequence (a Transformer's table of positions)
   * @param hidden {@code H}, the hidden size or the Transformer's model width
   * @param layers recurrent layers or Transformer blocks
   * @param embedding the embedding width of a recurrent model that reads token ids
   * @param heads the Transformer's attention heads
   * @param feedForward the Transformer's feed-forward width
   * @param dropout recurrent models: on the embedding, between layers and before the head
   */
  public record Shape(
      int outputs,
      int inputFeatures,
      int maxLength,
      int hidden,
      int layers,
      int embedding,
      int heads,
      int feedForward,
      double dropout) {}

  /** A model of this architecture and {@code shape}, with zero weights until initialised. */
  public LanguageModel create(Shape shape) {
    return switch (this) {
      case RNN, RNN_RELU, LSTM, GRU ->
          new RecurrentLanguageModel(
              new RecurrentLanguageModel.Config(
                  shape.outputs(),
                  shape.embedding(),
                  recurrentKind().orElseThrow(),
                  shape.hidden(),
                  shape.layers(),
                  shape.dropout(),
                  shape.inputFeatures()));
      case MIN_GRU, MIN_LSTM ->
          new MinRecurrentLanguageModel(
              new MinRecurrentLanguageModel.Config(
                  shape.outputs(),
                  shape.embedding(),
                  minRecurrentKind().orElseThrow(),
                  shape.hidden(),
                  shape.layers(),
                  shape.dropout(),
                  shape.inputFeatures()));
      case TRANSFORMER ->
          new TransformerLanguageModel(
              new TransformerDecoder.Config(
                  shape.outputs(),
                  shape.hidden(),
                  shape.heads(),
                  shape.feedForward(),
                  shape.layers(),
                  shape.maxLength(),
                  PositionalEncoding.Kind.LEARNED),
              shape.inputFeatures());
    };
  }

  /**
   * Sets the forget gate's bias {@code b_if + b_hf} of every layer and direction to {@code bias}
   * (the gate starts at {@code σ(bias)}, so the cell keeps {@code σ(bias)^t} of what it held {@code
   * t} steps back).
   *
   * @throws IllegalArgumentException if the model has no forget gate
   */
  public static void setForgetGateBias(LanguageModel model, double bias) {
    switch (model) {
      case RecurrentLanguageModel r when r.recurrent() instanceof Lstm lstm ->
          lstm.setForgetGateBias(bias);
      case MinRecurrentLanguageModel m when m.recurrent().kind() == MinRecurrentKind.MIN_LSTM ->
          m.recurrent().setForgetGateBias(bias);
      default ->
          throw new IllegalArgumentException(
              "a forget-gate bias applies to a model with a forget gate");
    }
  }

  /** Every name, in the table's order: {@code rnn, rnn_relu, lstm, gru, mingru, ...}. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(Architecture::id).toList();
  }

  /** The names of the rows that carry a state, in the table's order. */
  public static List<String> recurrentIds() {
    return Arrays.stream(values()).filter(Architecture::isRecurrent).map(Architecture::id).toList();
  }

  /**
   * The architecture named {@code name}: its id in the table, or the name its cell goes by in a
   * checkpoint's metadata ({@code rnn_tanh}, {@code min_gru}), which files written before the table
   * existed carry.
   *
   * @throws IllegalArgumentException naming the table's ids
   */
  public static Architecture fromName(String name) {
    for (Architecture a : values()) {
      if (a.id.equals(name)) return a;
    }
    for (RecurrentKind k : RecurrentKind.values()) {
      if (k.metadataName().equals(name)) return of(k);
    }
    for (Architecture a : values()) {
      if (a.minRecurrentKind().map(k -> k.metadataName().equals(name)).orElse(false)) return a;
    }
    return fromId(name);
  }

  /**
   * The architecture named {@code id}.
   *
   * @throws IllegalArgumentException naming what is allowed
   */
  public static Architecture fromId(String id) {
    for (Architecture a : values()) {
      if (a.id.equals(id)) return a;
    }
    throw new IllegalArgumentException(
        "unknown model '"
            + id
            + "'; allowed: "
            + Arrays.stream(values()).map(Architecture::id).collect(Collectors.joining(", ")));
  }
}
