package org.seqlab.train;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.MeanSquaredError;
import org.seqlab.nn.Parameter;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.SequenceTask;
import org.seqlab.tensor.Tensor;

/**
 * The training engine: the one loop that trains every model on every task, for the command line,
 * the web lab and sweeps alike. Each step:
 *
 * <pre>
 *   batch  = task.trainingBatch(step)                 (a pure function of the step)
 *   logits = model(batch.inputs, carried state)       (dropout masks drawn from seed and step)
 *   loss   = cross entropy(logits, batch.targets)     (mean squared error for a task of values)
 *   backward; check loss and every gradient are finite, else stop: diverged
 *   clip the global gradient norm; optimizer step at the schedule's learning rate
 *   carried state = the state after the window (the gradient stops there: truncated BPTT)
 * </pre>
 *
 * with validation every {@code validateEvery} steps (loss, and accuracy for a task of tokens),
 * early stopping ("plateaued") after {@code patience} validations without progress (a fall of more
 * than {@code minDelta} of the loss, relative, below the last pass that made progress; never before
 * {@code minSteps}) or as soon as a goal accuracy or loss is reached, and checkpoints handed to the
 * listeners. Everything random derives from the seed and the step, so the same seed and thread
 * count give the same numbers bit for bit, and a run restored from a checkpoint ({@link #restore})
 * continues exactly as if it had never stopped.
 */
public final class Trainer {

  /** How many good steps' gradient norms a divergence report shows. */
  static final int RECENT_NORMS = 5;

  private final LanguageModel model;
  private final SequenceTask task;
  private final TrainingOptions options;
  private final Optimizer optimizer;
  private final List<Parameter> parameters;
  private final List<TrainingListener> listeners = new ArrayList<>();
  private volatile boolean cancelled;

  private long step;
  private double secondsBefore;
  private double trainingSeconds;
  private long trainingTokens;
  private double lastLoss = Double.NaN;
  private LanguageModel.State carried = LanguageModel.State.NONE;
  private double validationLoss = Double.NaN;
  private double validationAccuracy = Double.NaN;
  private long validationStep = -1;
  private double bestValidationLoss = Double.POSITIVE_INFINITY;
  private long bestStep;

  /** Validation passes since the last one that made progress (see {@link #progressLoss}). */
  private int validationsWithoutImprovement;

  /**
   * The loss of the last pass that made progress: a fall of {@code minDelta} below it is progress.
   */
  private double progressLoss = Double.POSITIVE_INFINITY;

  private final ArrayDeque<Double> recentNorms = new ArrayDeque<>();

  /** The step of the last checkpoint handed out (or restored from). */
  private long checkpointStep = -1;

  private long runStartNanos;

  /**
   * An engine for {@code model} (already initialised or loaded) on {@code task}.
   *
   * @throws IllegalArgumentException if the model's output or input width differs from the task's
   */
  public Trainer(LanguageModel model, SequenceTask task, TrainingOptions options) {
    this.model = Objects.requireNonNull(model, "model");
    this.task = Objects.requireNonNull(task, "task");
    this.options = Objects.requireNonNull(options, "options");
    if (model.vocabularySize() != task.outputSize()) {
      throw new IllegalArgumentException(
          "the model outputs "
              + model.vocabularySize()
              + " values per step but the task asks for "
              + task.outputSize());
    }
    if (model.inputFeatures() != task.inputFeatures()) {
      throw new IllegalArgumentException(
          "the model reads "
              + (model.inputFeatures() == 0 ? "token ids" : model.inputFeatures() + " features")
              + " per step but the task gives "
              + (task.inputFeatures() == 0 ? "token ids" : task.inputFeatures() + " features"));
    }
    this.parameters = model.parameters();
    this.optimizer = options.optimizer().create(parameters);
  }

  public void addListener(TrainingListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Asks the run to stop after the current step; safe from any thread. */
  public void cancel() {
    cancelled = true;
  }

  /** Training steps done so far. */
  public long step() {
    return step;
  }

  public LanguageModel model() {
    return model;
  }

  /**
   * Continues from a checkpoint: the model's parameters, the optimizer, the carried state and the
   * counters all become {@code state}'s.
   */
  public void restore(TrainingState state) {
    model.loadStateDict(state.model());
    optimizer.restore(state.optimizerState(), state.optimizerSteps());
    step = state.step();
    secondsBefore = state.seconds();
    trainingSeconds = state.trainingSeconds();
    trainingTokens = state.trainingTokens();
    lastLoss = state.lastLoss();
    carried =
        state.carried().isEmpty()
            ? LanguageModel.State.NONE
            : new LanguageModel.State(state.carried());
    validationLoss = state.validationLoss();
    validationStep = state.validationStep();
    checkpointStep = state.step();
    bestValidationLoss = state.bestValidationLoss();
    bestStep = state.bestStep();
    validationsWithoutImprovement = state.validationsWithoutImprovement();
    progressLoss = bestValidationLoss;
  }

  /** The run's state now, between steps: copies of everything {@link #restore} needs. */
  public TrainingState snapshot() {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    for (Parameter p : parameters) weights.put(p.name(), p.value().copy());
    Map<String, Tensor> state = new LinkedHashMap<>();
    carried.tensors().forEach((name, t) -> state.put(name, t.copy()));
    return new TrainingState(
        step,
        task.position(step),
        seconds(),
        trainingSeconds,
        trainingTokens,
        lastLoss,
        weights,
        optimizer.state(),
        optimizer.steps(),
        state,
        validationLoss,
        validationStep,
        bestValidationLoss,
        bestStep,
        validationsWithoutImprovement);
  }

  private double seconds() {
    return secondsBefore + (runStartNanos == 0 ? 0 : (System.nanoTime() - runStartNanos) / 1e9);
  }

  /**
   * Trains until a limit is reached, validation stops improving, a listener cancels, or a loss or
   * gradient stops being finite.
   */
  public TrainingResult run() {
    runStartNanos = System.nanoTime();
    List<String> names = parameters.stream().map(Parameter::name).toList();
    for (TrainingListener l : listeners) l.onStart(step, names);
    warnIfWindowTooShort();

    TrainingResult.Stop stop = null;
    Divergence divergence = null;
    while (stop == null) {
      if (options.maxSteps() > 0 && step >= options.maxSteps()) {
        stop = TrainingResult.Stop.MAX_STEPS;
        break;
      }
      if (options.timeLimitSeconds() > 0 && seconds() >= options.timeLimitSeconds()) {
        stop = TrainingResult.Stop.TIME_LIMIT;
        break;
      }
      if (cancelled) {
        stop = TrainingResult.Stop.CANCELLED;
        break;
      }
      divergence = trainStep();
      if (divergence != null) {
        stop = TrainingResult.Stop.DIVERGED;
        break;
      }
      if (options.validateEvery() > 0 && step % options.validateEvery() == 0) {
        validateAndReport();
        if (!Double.isFinite(validationLoss)) {
          // The weights already give NaN or infinity: no checkpoint of them is a good one.
          divergence = new Divergence(step, validationLoss, null, Double.NaN, recentNormsArray());
          stop = TrainingResult.Stop.DIVERGED;
          break;
        }
        if (goalReached()) {
          stop = TrainingResult.Stop.GOAL_REACHED;
        } else if (options.patience() > 0
            && validationsWithoutImprovement >= options.patience()
            && step >= options.minSteps()
            && (options.maxSteps() == 0 || step < options.maxSteps())) {
          // at the step limit itself the run used every step: it finished, it did not plateau
          stop = TrainingResult.Stop.EARLY_STOP;
        }
        int every = options.checkpointEvery();
        if (stop == null && (every == 0 || step % every == 0)) checkpoint();
      } else if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0) {
        checkpoint();
      }
    }
    if (stop != TrainingResult.Stop.DIVERGED) {
      if (step > 0 && validationStep != step) validateAndReport();
      checkpoint();
    }
    TrainingResult result =
        new TrainingResult(
            stop,
            step,
            seconds(),
            lastLoss,
            validationLoss,
            validationAccuracy,
            bestValidationLoss,
            bestStep,
            trainingSeconds > 0 ? trainingTokens / trainingSeconds : 0,
            divergence);
    for (TrainingListener l : listeners) l.onFinish(result);
    return result;
  }

  private boolean goalReached() {
    return (options.goalAccuracy() > 0 && validationAccuracy >= options.goalAccuracy())
        || (options.goalLoss() > 0 && validationLoss <= options.goalLoss());
  }

  private void checkpoint() {
    if (listeners.isEmpty() || checkpointStep == step) return;
    checkpointStep = step;
    TrainingState state = snapshot();
    for (TrainingListener l : listeners) l.onCheckpoint(state);
  }

  private void warnIfWindowTooShort() {
    task.dependencyDistance()
        .ifPresent(
            distance -> {
              if (task.steps() < distance) {
                String message =
                    String.format(
                        "the window of %d steps (--seq-len) is shorter than the %d steps over which"
                            + " this task's targets depend on its inputs: no gradient reaches back"
                            + " that far, so the model cannot learn the task; use --seq-len %d or"
                            + " more",
                        task.steps(), distance, distance);
                for (TrainingListener l : listeners) l.onWarning(message);
              }
            });
  }

  /** One training step; returns what broke, or null. */
  private Divergence trainStep() {
    long started = System.nanoTime();
    Batch batch = task.trainingBatch(step);
    double learningRate = options.learningRate(step, seconds());
    model.zeroGrad();
    LanguageModel.State from = batch.continuesPrevious() ? carried : null;
    LanguageModel.Pass pass = forward(batch, from, dropoutRandom(step));
    Loss loss = loss(pass, batch);
    if (!Double.isFinite(loss.loss())) {
      pass.release();
      return new Divergence(step + 1, loss.loss(), null, Double.NaN, recentNormsArray());
    }
    model.backward(pass, loss.dOutputs());
    // Nothing reads the pass's activations after its backward pass: the next step reuses them.
    pass.release();

    double[] norms = new double[parameters.size()];
    double sum = 0;
    String firstBad = null;
    for (int i = 0; i < norms.length; i++) {
      double s = GradientClipping.sumOfSquares(parameters.get(i));
      norms[i] = Math.sqrt(s);
      if (firstBad == null && !Double.isFinite(s)) firstBad = parameters.get(i).name();
      sum += s;
    }
    double norm = Math.sqrt(sum);
    if (firstBad != null) {
      return new Divergence(step + 1, loss.loss(), firstBad, norm, recentNormsArray());
    }
    if (options.clipNorm() > 0) GradientClipping.scaleToNorm(parameters, norm, options.clipNorm());
    optimizer.step(learningRate);
    carried = pass.finalState();

    step++;
    lastLoss = loss.loss();
    recentNorms.addLast(norm);
    if (recentNorms.size() > RECENT_NORMS) recentNorms.removeFirst();
    double stepSeconds = (System.nanoTime() - started) / 1e9;
    trainingSeconds += stepSeconds;
    trainingTokens += batch.tokens();
    StepReport report =
        new StepReport(
            step, seconds(), lastLoss, norm, norms, learningRate, batch.tokens() / stepSeconds);
    for (TrainingListener l : listeners) l.onStep(report);
    return null;
  }

  /**
   * The dropout masks of step {@code step} come from their own generator, seeded by seed and step.
   */
  private SplittableRandom dropoutRandom(long step) {
    return new SplittableRandom(
        options.seed() * 0x9E3779B97F4A7C15L ^ (step + 1) * 0xC2B2AE3D27D4EB4FL);
  }

  private double[] recentNormsArray() {
    return recentNorms.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private LanguageModel.Pass forward(
      Batch batch, LanguageModel.State carried, RandomGenerator dropout) {
    return forward(model, batch, carried, dropout);
  }

  /**
   * {@code model}'s forward pass over {@code batch}, whether it holds token ids or feature vectors:
   * the pass the engine trains and validates with, for probes to look inside.
   */
  public static LanguageModel.Pass forward(
      LanguageModel model, Batch batch, LanguageModel.State carried, RandomGenerator dropout) {
    if (batch.features() != null) {
      Tensor features =
          Tensor.wrap(batch.features(), batch.steps(), batch.size(), batch.featureSize());
      return model.forwardFeatures(features, carried, dropout);
    }
    return model.forward(batch.inputs(), batch.steps(), batch.size(), carried, dropout);
  }

  /**
   * {@code model}'s evaluation pass over {@code batch} ({@link LanguageModel#evaluate}): no
   * dropout, nothing kept for a backward pass, the same logits as {@link #forward} without dropout.
   */
  public static LanguageModel.Pass evaluate(
      LanguageModel model, Batch batch, LanguageModel.State carried) {
    if (batch.features() != null) {
      Tensor features =
          Tensor.wrap(batch.features(), batch.steps(), batch.size(), batch.featureSize());
      return model.evaluateFeatures(features, carried);
    }
    return model.evaluate(batch.inputs(), batch.steps(), batch.size(), carried);
  }

  /** A batch's loss, its gradient with respect to the outputs, and how many steps it counts. */
  private record Loss(double loss, Tensor dOutputs, int count) {}

  private static Loss loss(LanguageModel.Pass pass, Batch batch) {
    if (batch.isRegression()) {
      MeanSquaredError.Result r = MeanSquaredError.compute(pass.logits(), batch.values());
      return new Loss(r.loss(), r.dOutputs(), r.count());
    }
    CrossEntropyLoss.Result r = CrossEntropyLoss.compute(pass.logits(), batch.targets());
    return new Loss(r.loss(), r.dLogits(), r.count());
  }

  /** How many asked rows of {@code logits [*, V]} have their target as the largest logit. */
  static int correct(Tensor logits, int[] targets) {
    int classes = logits.dim(logits.rank() - 1);
    float[] z = logits.data();
    int correct = 0;
    for (int r = 0; r < targets.length; r++) {
      if (targets[r] == CrossEntropyLoss.IGNORE_INDEX) continue;
      int row = r * classes, best = 0;
      for (int c = 1; c < classes; c++) if (z[row + c] > z[row + best]) best = c;
      if (best == targets[r]) correct++;
    }
    return correct;
  }

  private boolean validateAndReport() {
    Evaluation evaluation = validate();
    double loss = evaluation.loss();
    validationLoss = loss;
    validationAccuracy = evaluation.accuracy();
    validationStep = step;
    boolean improved = loss < bestValidationLoss;
    if (improved) {
      bestValidationLoss = loss;
      bestStep = step;
    }
    // progress: a fall of more than minDelta (relative) below the last pass that made progress;
    // with minDelta 0, any new best
    if (loss < progressLoss * (1 - options.minDelta())) {
      progressLoss = loss;
      validationsWithoutImprovement = 0;
    } else {
      validationsWithoutImprovement++;
    }
    ValidationReport report =
        new ValidationReport(
            step, seconds(), loss, validationAccuracy, improved, bestValidationLoss);
    for (TrainingListener l : listeners) l.onValidation(report);
    return improved;
  }

  /**
   * One validation pass.
   *
   * @param loss the mean loss over every asked validation step (nats per token, or the mean squared
   *     error)
   * @param accuracy the share of asked tokens predicted right (NaN for a task of values)
   */
  public record Evaluation(double loss, double accuracy) {}

  /**
   * The mean loss over every validation token, without dropout, and the accuracy; the state is
   * carried from window to window where the task's streams continue.
   */
  public Evaluation validate() {
    return validate(model, task);
  }

  /**
   * {@link #validate()} for {@code model} on {@code task}, outside a run: the same pass, for a
   * model no engine trains yet (an experiment's untrained baseline, say).
   */
  public static Evaluation validate(LanguageModel model, SequenceTask task) {
    double total = 0;
    long count = 0;
    long correct = 0;
    boolean regression = false;
    LanguageModel.State state = null;
    for (Batch batch : task.validationBatches()) {
      LanguageModel.Pass pass = evaluate(model, batch, batch.continuesPrevious() ? state : null);
      Loss loss = loss(pass, batch);
      total += loss.loss() * loss.count();
      count += loss.count();
      if (batch.isRegression()) {
        regression = true;
      } else {
        correct += correct(pass.logits(), batch.targets());
      }
      state = pass.finalState();
      pass.release();
    }
    return new Evaluation(total / count, regression ? Double.NaN : (double) correct / count);
  }
}
