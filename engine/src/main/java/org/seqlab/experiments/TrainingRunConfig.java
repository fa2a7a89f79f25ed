package org.seqlab.experiments;

import org.seqlab.nn.Architecture;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Optimizer;
import org.seqlab.train.TrainingOptions;

/**
 * Everything needed to rerun a training run, as {@code config.json} holds it (field names in snake
 * case). Every value is checked here, with a message naming the command-line option and its allowed
 * range, so the command line and the web lab refuse the same things in the same words.
 *
 * @param task a row of the table of tasks ({@link Task}): {@code char-lm} (next character of a
 *     text), or a synthetic task ({@code adding}, {@code copy}, {@code agreement}, {@code recall},
 *     {@code mqar}, ...)
 * @param text char-lm: the text file, absolute; null for a synthetic task
 * @param textSha256 the SHA-256 of the text's bytes, so a resumed run can tell it changed
 * @param distance a synthetic task's knob ({@link Task#knob()}: the adding problem's length, the
 *     copy delay, the agreement distance, the pairs to recall), in its row's range; 0 for char-lm
 * @param seqLen {@code T}, the truncated-BPTT window (and a Transformer's context) of char-lm; a
 *     synthetic task's sequences have their own length
 * @param batch {@code B}, sequences per step
 * @param model {@code rnn}, {@code rnn_relu}, {@code lstm}, {@code gru} or {@code transformer}
 * @param layers recurrent layers or Transformer blocks
 * @param hidden the hidden size (a Transformer's model width)
 * @param embedding the embedding width of a recurrent model
 * @param dropout recurrent models: dropout on the embedding, between layers and before the head
 * @param heads Transformer: attention heads, dividing {@code hidden}
 * @param feedForward Transformer: the feed-forward width
 * @param optimizer {@code sgd}, {@code adam} or {@code adamw}
 * @param lr the peak learning rate
 * @param momentum SGD's momentum
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param epsilon Adam's epsilon
 * @param weightDecay weight decay (AdamW decoupled; otherwise added to the gradient)
 * @param schedule {@code constant}, {@code warmup} or {@code cosine}
 * @param warmupSteps steps of linear warm-up
 * @param minLr the cosine schedule's final rate
 * @param clip the global gradient-norm threshold (0: no clipping)
 * @param maxSteps the step limit (0: none)
 * @param timeLimitSeconds the wall-clock limit (0: none)
 * @param validateEvery steps between validations (0: only at the end)
 * @param patience validations without improvement before stopping (0: never)
 * @param checkpointEvery steps between checkpoints (0: at each validation)
 * @param seed the seed of initialisation, data order and dropout
 * @param threads worker threads (results are bit-identical for a given thread count)
 * @param spectralRadius recurrent models: every {@code W_hh} gate block rescaled to this spectral
 *     radius at initialisation; null to keep PyTorch's draw
 * @param forgetBias the LSTM's forget-gate bias at initialisation; null to keep PyTorch's draw
 * @param validation a synthetic task's validation sequences; null for {@link
 *     SyntheticTask#DEFAULT_VALIDATION_SIZE}
 * @param dataSeed the seed of the task's data, when it is not {@code seed}: a sweep's runs draw the
 *     data from one seed shared by every model at a seed index and the weights from another ({@code
 *     SweepRun#runConfig}); null for {@code seed}
 * @param goal stop once a validation reaches it: an accuracy (at or above) for a task scored by
 *     accuracy, else a loss (at or below); null or 0 for never
 * @param scheduleRestart where a cosine schedule was re-planned because a resumed run was given a
 *     longer limit ({@link LearningRateSchedule#replannedAt}); null for the plan of the start
 */
public record TrainingRunConfig(
    String task,
    String text,
    String textSha256,
    int distance,
    int seqLen,
    int batch,
    String model,
    int layers,
    int hidden,
    int embedding,
    double dropout,
    int heads,
    int feedForward,
    String optimizer,
    double lr,
    double momentum,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    String schedule,
    int warmupSteps,
    double minLr,
    double clip,
    long maxSteps,
    double timeLimitSeconds,
    int validateEvery,
    int patience,
    int checkpointEvery,
    long seed,
    int threads,
    Double spectralRadius,
    Double forgetBias,
    Integer validation,
    Long dataSeed,
    Double goal,
    ScheduleRestart scheduleRestart) {

  /**
   * Where the cosine was re-planned: the step and the seconds trained by then, and the share of the
   * decay from {@link #lr} to {@link #minLr} still ahead there, in {@code [0, 1]}; from the rate
   * {@code minLr + (lr - minLr) * share} it decays again to {@code minLr} at the new limit. A
   * share, not a rate, so that a new {@code --lr} (a remedy after a divergence) scales the plan.
   */
  public record ScheduleRestart(long step, double seconds, double share) {

    public ScheduleRestart {
      if (step < 0 || !(seconds >= 0) || !(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException(
            "schedule_restart: a step and seconds >= 0 and a share in [0, 1], got "
                + step
                + ", "
                + seconds
                + ", "
                + share);
      }
    }

    /**
     * The share of {@code config}'s decay still ahead after {@code step} steps, {@code seconds}.
     */
    static double share(TrainingRunConfig config, long step, double seconds) {
      double span = config.lr() - config.minLr();
      if (span <= 0) return 1; // a cosine from lr to lr: nothing decays
      double rate = config.trainingOptions().learningRate(step, seconds);
      return Math.max(0, Math.min(1, (rate - config.minLr()) / span));
    }

    /** The rate it restarts from, for {@code config}'s peak and final rates. */
    double rate(TrainingRunConfig config) {
      return config.minLr() + (config.lr() - config.minLr()) * share;
    }
  }

  /** A run planned from its start (no re-planned schedule). */
  public TrainingRunConfig(
      String task,
      String text,
      String textSha256,
      int distance,
      int seqLen,
      int batch,
      String model,
      int layers,
      int hidden,
      int embedding,
      double dropout,
      int heads,
      int feedForward,
      String optimizer,
      double lr,
      double momentum,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      String schedule,
      int warmupSteps,
      double minLr,
      double clip,
      long maxSteps,
      double timeLimitSeconds,
      int validateEvery,
      int patience,
      int checkpointEvery,
      long seed,
      int threads,
      Double spectralRadius,
      Double forgetBias,
      Integer validation,
      Long dataSeed,
      Double goal) {
    this(
        task,
        text,
        textSha256,
        distance,
        seqLen,
        batch,
        model,
        layers,
        hidden,
        embedding,
        dropout,
        heads,
        feedForward,
        optimizer,
        lr,
        momentum,
        beta1,
        beta2,
        epsilon,
        weightDecay,
        schedule,
        warmupSteps,
        minLr,
        clip,
        maxSteps,
        timeLimitSeconds,
        validateEvery,
        patience,
        checkpointEvery,
        seed,
        threads,
        spectralRadius,
        forgetBias,
        validation,
        dataSeed,
        goal,
        null);
  }

  // Defaults that train a 2 x 256 LSTM on tiny Shakespeare to a validation loss under 1.47 nats per
  // character in 12 minutes on two cores: dropout against the overfitting that 15-20 passes over a
  // 1 MB text bring, and a cosine decay that ends the run at a small rate.

  /** Default learning rate. */
  public static final double DEFAULT_LR = 3e-3;

  /** Default dropout of recurrent models (the Transformer has none). */
  public static final double DEFAULT_RECURRENT_DROPOUT = 0.2;

  /** Default schedule: warm-up, then cosine decay to {@link #DEFAULT_MIN_LR}. */
  public static final String DEFAULT_SCHEDULE = "cosine";

  /** Default warm-up steps. */
  public static final int DEFAULT_WARMUP = 100;

  /** Default final rate of the cosine schedule. */
  public static final double DEFAULT_MIN_LR = 1e-4;

  /** Default steps between validations. */
  public static final int DEFAULT_VALIDATE_EVERY = 250;

  /** The task on a text: {@link Task#CHAR_LM}'s id. */
  public static final String CHAR_LM = "char-lm";

  /**
   * The synthetic tasks, each a seeded generator with a difficulty knob ({@code --distance}): the
   * rows of {@link Task} other than the text.
   */
  public static final java.util.List<String> SYNTHETIC_TASKS = Task.syntheticIds();

  /** Whether the run trains on a text. */
  public boolean isCharLm() {
    return taskRow().isText();
  }

  /** The row of the table of tasks. */
  public Task taskRow() {
    return Task.fromId(task);
  }

  /** The model names a run accepts: every row of the table of architectures. */
  public static final java.util.List<String> MODELS = ModelSpec.MODELS;

  public TrainingRunConfig {
    Task row;
    try {
      row = Task.fromId(task);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--task: " + e.getMessage(), e);
    }
    if (row.isText()) {
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("--text: the " + task + " task needs a text file");
      }
      if (distance != 0) {
        throw new IllegalArgumentException(
            "--distance applies to the synthetic tasks, not to " + task);
      }
    } else {
      if (text != null) {
        throw new IllegalArgumentException(
            "--text applies to char-lm; the " + task + " task makes its own sequences");
      }
      // The task's own range, inside the table of limits': "--distance must be in [1, 8], got 9".
      row.knobRange().check(distance);
    }
    Limits.SEQ_LEN.check(seqLen);
    Limits.BATCH.check(batch);
    // The model's settings are checked where models are built, once for every face.
    new ModelSpec(
        model, hidden, layers, embedding, heads, feedForward, dropout, forgetBias, spectralRadius);
    Limits.checkLearningRate(lr);
    Limits.checkClip(clip);
    Limits.MAX_STEPS.checkLong(maxSteps);
    if (!(timeLimitSeconds >= 0 && timeLimitSeconds <= 366 * 86400.0)) {
      throw new IllegalArgumentException(
          "--time-limit must be between 0 and a year, got " + timeLimitSeconds + " s");
    }
    if (maxSteps == 0 && timeLimitSeconds == 0) {
      throw new IllegalArgumentException(
          "give --max-steps N or --time-limit (e.g. 12m), or both: a run needs an end");
    }
    Limits.VALIDATE_EVERY.check(validateEvery);
    Limits.PATIENCE.check(patience);
    Limits.CHECKPOINT_EVERY.check(checkpointEvery);
    Limits.WARMUP.check(warmupSteps);
    Limits.THREADS.check(threads);
    Limits.SEED.checkLong(seed);
    if (dataSeed != null) Limits.SEED.checkLong(dataSeed);
    if (validation != null) {
      Limits.VALIDATION.check(validation);
      if (CHAR_LM.equals(task)) {
        throw new IllegalArgumentException(
            "--validation applies to a synthetic task; char-lm validates on the last tenth of its"
                + " text");
      }
    }
    if (goal != null) Limits.checkGoal(goal);
    // The optimizer and the schedule check their own settings; say which option was wrong.
    try {
      optimizerSettings(optimizer, momentum, beta1, beta2, epsilon, weightDecay);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--optimizer: " + e.getMessage(), e);
    }
    try {
      LearningRateSchedule planned =
          new LearningRateSchedule(
              LearningRateSchedule.Kind.fromName(schedule), lr, warmupSteps, minLr);
      if (scheduleRestart != null) {
        planned.replannedAt(
            scheduleRestart.step(),
            scheduleRestart.seconds(),
            minLr + (lr - minLr) * scheduleRestart.share());
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--schedule: " + e.getMessage(), e);
    }
  }

  /**
   * A copy with some fields replaced, named as in {@code config.json} ({@code "hidden"}, {@code
   * "text_sha256"}, ...), and checked like any configuration.
   *
   * @throws IllegalArgumentException for an unknown field or a value out of range
   */
  public TrainingRunConfig with(java.util.Map<String, ?> changes) {
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> fields =
        org.seqlab.io.RunDirectory.JSON.convertValue(this, java.util.Map.class);
    for (String name : changes.keySet()) {
      if (!fields.containsKey(name)) {
        throw new IllegalArgumentException("a training run has no setting '" + name + "'");
      }
    }
    fields.putAll(changes);
    try {
      return org.seqlab.io.RunDirectory.JSON.convertValue(fields, TrainingRunConfig.class);
    } catch (IllegalArgumentException e) {
      // Jackson wraps the constructor's message; the message is what the user needs.
      Throwable cause = e;
      while (cause.getCause() != null) cause = cause.getCause();
      throw new IllegalArgumentException(cause.getMessage(), e);
    }
  }

  /** The row of the table of architectures. */
  public Architecture architecture() {
    return Architecture.fromId(model);
  }

  public boolean usesTransformer() {
    return architecture().hasAttention();
  }

  /** The recurrent kind of a model built from {@link org.seqlab.nn.Recurrent}. */
  public RecurrentKind recurrentKind() {
    return architecture()
        .recurrentKind()
        .orElseThrow(() -> new IllegalStateException(model + " is not a recurrent model"));
  }

  /** The model this run trains: the one description every face builds its models from. */
  public ModelSpec modelSpec() {
    return new ModelSpec(
        model, hidden, layers, embedding, heads, feedForward, dropout, forgetBias, spectralRadius);
  }

  public Optimizer.Settings optimizerSettings() {
    return optimizerSettings(optimizer, momentum, beta1, beta2, epsilon, weightDecay);
  }

  // Static, because the compact constructor checks the values before the fields are set.
  private static Optimizer.Settings optimizerSettings(
      String name, double momentum, double beta1, double beta2, double epsilon, double decay) {
    return new Optimizer.Settings(
        Optimizer.Kind.fromName(name), momentum, beta1, beta2, epsilon, decay);
  }

  public LearningRateSchedule learningRateSchedule() {
    LearningRateSchedule planned =
        new LearningRateSchedule(
            LearningRateSchedule.Kind.fromName(schedule), lr, warmupSteps, minLr);
    return scheduleRestart == null
        ? planned
        : planned.replannedAt(
            scheduleRestart.step(), scheduleRestart.seconds(), scheduleRestart.rate(this));
  }

  /** The engine's options. */
  public TrainingOptions trainingOptions() {
    double g = goal == null ? 0 : goal;
    boolean accuracy = g > 0 && taskRow().scoredByAccuracy();
    return new TrainingOptions(
        optimizerSettings(),
        learningRateSchedule(),
        clip,
        maxSteps,
        timeLimitSeconds,
        validateEvery,
        patience,
        checkpointEvery,
        seed,
        accuracy ? g : 0,
        accuracy ? 0 : g);
  }

  /** The seed of the task's data: {@link #dataSeed} if set, else {@link #seed}. */
  public long dataSeedOrSeed() {
    return dataSeed != null ? dataSeed : seed;
  }

  /** A synthetic task's validation sequences: {@link #validation} if set, else the default. */
  public int validationSize() {
    return validation != null ? validation : SyntheticTask.DEFAULT_VALIDATION_SIZE;
  }

  /** A model of this shape with zero weights, for a vocabulary of {@code vocabularySize}. */
  public LanguageModel newModel(int vocabularySize) {
    return newModel(vocabularySize, 0, seqLen);
  }

  /**
   * A model of this shape with zero weights for a task: {@code outputs} token ids (or values) per
   * step, read as token ids ({@code inputFeatures} 0) or as feature vectors, in sequences of at
   * most {@code maxLength} steps (a Transformer's position table).
   */
  public LanguageModel newModel(int outputs, int inputFeatures, int maxLength) {
    return modelSpec().create(new ModelSpec.Shape(outputs, inputFeatures, outputs, maxLength));
  }

  /**
   * Bytes of memory one training step needs, roughly (activations kept for backward, logits and
   * their gradient, weights with gradients and optimizer state), so that an absurd size is refused
   * before anything is allocated.
   */
  public double estimatedBytes(int vocabularySize) {
    return estimatedBytes(vocabularySize, seqLen);
  }

  /** As {@link #estimatedBytes(int)}, for sequences of {@code steps} steps. */
  public double estimatedBytes(int vocabularySize, int steps) {
    int seqLen = steps;
    double tokens = (double) seqLen * batch;
    double activations;
    double weights;
    if (usesTransformer()) {
      activations =
          tokens * layers * (12.0 * hidden + 2.0 * feedForward)
              + (double) batch * layers * heads * seqLen * seqLen * 2;
      weights =
          layers * (4.0 * hidden * hidden + 2.0 * hidden * feedForward)
              + 2.0 * vocabularySize * hidden;
    } else {
      int gates = Math.max(1, architecture().gateNames().size());
      activations = tokens * layers * hidden * (gates * 3.0 + 6) + tokens * embedding * 3.0;
      weights =
          layers * (double) gates * hidden * (hidden + Math.max(hidden, embedding))
              + 2.0 * vocabularySize * Math.max(hidden, embedding);
    }
    double logits = tokens * vocabularySize * 3.0;
    return 4.0 * (activations + logits) + weights * (4.0 * 2 + 8.0 * 2);
  }
}
