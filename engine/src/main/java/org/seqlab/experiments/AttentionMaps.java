package org.seqlab.experiments;

import java.util.ArrayList;
import java.util.List;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.PositionalEncoding;
import org.seqlab.nn.TransformerDecoder;
import org.seqlab.nn.TransformerLanguageModel;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.FirstTokenRecall;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.tensor.NumpyRandom;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Optimizer;
import org.seqlab.train.StepReport;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingOptions;
import org.seqlab.train.TrainingResult;

/**
 * Where a Transformer looks: the attention weights of every layer and head on one sequence.
 *
 * <p>To show attention doing what a recurrence cannot, the model is first trained on {@link
 * FirstTokenRecall}: the input is a random sequence of tokens, and at every position after the
 * first the target is the token at position 1. A recurrent network must carry that token through
 * every step; attention can fetch it in one step, and after training one head's map is a bright
 * column at position 1: every position t looking straight back at the start. With no training the
 * maps show the untrained model.
 *
 * <p>The experiment is a configuration of the engine: {@link #task}, {@link #model} and {@link
 * #trainingOptions} say what {@link Trainer} trains, and a listener collects the loss curve.
 */
public final class AttentionMaps {
  private AttentionMaps() {}

  /**
   * @param vocab tokens in the task
   * @param steps sequence length T, at least 2 (position 1 is what the others recall)
   * @param width the model width D
   * @param heads heads per block, dividing {@code width}
   * @param layers blocks
   * @param batch sequences per training step
   * @param trainSteps Adam steps on the recall task (0 for the untrained model)
   * @param learningRate Adam's constant learning rate
   * @param seed seeds the model's initialisation and the task's sequences
   */
  public record Config(
      int vocab,
      int steps,
      int width,
      int heads,
      int layers,
      int batch,
      int trainSteps,
      double learningRate,
      long seed) {
    public Config {
      if (vocab < 2
          || steps < 2
          || width < 1
          || heads < 1
          || layers < 1
          || batch < 1
          || trainSteps < 0) {
        throw new IllegalArgumentException(
            "sizes must be positive (vocabulary and sequence length at least 2)");
      }
      if (width % heads != 0)
        throw new IllegalArgumentException(heads + " heads do not divide the width " + width);
    }
  }

  /**
   * @param tokens the example sequence, position 1 first: the first sequence of the task's
   *     validation set
   * @param attention {@code attention[layer][head][t][s]}: how much position t+1 attends to s+1
   * @param recallAccuracyBefore accuracy of predicting token 1 at positions 2..T before training,
   *     on the task's validation set
   * @param recallAccuracyAfter the same after training
   * @param lossCurve the training loss every step, nats per asked token
   */
  public record Result(
      Config config,
      int[] tokens,
      double[][][][] attention,
      double recallAccuracyBefore,
      double recallAccuracyAfter,
      double[] lossCurve) {

    /** Mean attention that positions 2..T of {@code layer, head} pay to position 1. */
    public double attentionOnFirst(int layer, int head) {
      double[][] map = attention[layer][head];
      if (map.length < 2) return map[0][0];
      double sum = 0;
      for (int t = 1; t < map.length; t++) sum += map[t][0];
      return sum / (map.length - 1);
    }
  }

  /** Receives the step and loss during training. */
  @FunctionalInterface
  public interface Progress {
    void step(int step, int of, double loss);
  }

  /**
   * First-token recall of {@code config}'s length and vocabulary, its sequences drawn from the
   * seed.
   */
  public static FirstTokenRecall task(Config config) {
    return new FirstTokenRecall(
        config.steps(),
        config.batch(),
        SyntheticTask.DEFAULT_VALIDATION_SIZE,
        config.seed(),
        config.vocab());
  }

  /**
   * A causal Transformer of {@code config}'s width, heads and layers (feed-forward width 4D,
   * learned positions), initialised from a numpy-compatible generator seeded by the seed.
   */
  public static TransformerLanguageModel model(Config config) {
    TransformerLanguageModel model =
        new TransformerLanguageModel(
            new TransformerDecoder.Config(
                config.vocab(),
                config.width(),
                config.heads(),
                4 * config.width(),
                config.layers(),
                config.steps(),
                PositionalEncoding.Kind.LEARNED));
    model.initialize(new NumpyRandom(config.seed()));
    return model;
  }

  /**
   * Adam at {@code config}'s constant learning rate, gradients clipped to a global norm of 1, for
   * {@code trainSteps} steps, validated at the end only.
   *
   * @throws IllegalArgumentException if {@code trainSteps} is 0: there is no run to configure
   */
  public static TrainingOptions trainingOptions(Config config) {
    return new TrainingOptions(
        Optimizer.Settings.defaults(Optimizer.Kind.ADAM),
        LearningRateSchedule.constant(config.learningRate()),
        1.0,
        config.trainSteps(),
        0,
        0,
        0,
        0,
        config.seed());
  }

  /**
   * Trains {@link #model} on {@link #task} with {@link Trainer} (unless {@code trainSteps} is 0),
   * then reads every block's attention on the example sequence.
   *
   * @param progress told of every step, or null
   * @throws IllegalStateException if training diverged (a loss or gradient stopped being finite),
   *     saying where
   */
  public static Result run(Config config, Progress progress) {
    FirstTokenRecall task = task(config);
    TransformerLanguageModel model = model(config);
    double before = Trainer.validate(model, task).accuracy();
    double after = before;
    double[] losses = new double[config.trainSteps()];
    if (config.trainSteps() > 0) {
      Trainer trainer = new Trainer(model, task, trainingOptions(config));
      trainer.addListener(
          new TrainingListener() {
            @Override
            public void onStep(StepReport report) {
              int step = (int) report.step();
              losses[step - 1] = report.loss();
              if (progress != null) progress.step(step, config.trainSteps(), report.loss());
            }
          });
      TrainingResult result = trainer.run();
      if (result.stop() == TrainingResult.Stop.DIVERGED) {
        throw new IllegalStateException(result.divergence().describe());
      }
      after = result.validationAccuracy();
    }

    Batch first = task.validationBatches().getFirst();
    int t = config.steps();
    int[] example = new int[t];
    for (int i = 0; i < t; i++) example[i] = first.inputs()[i * first.size()];
    LanguageModel.Pass pass = model.evaluate(example, t, 1, null);
    double[][][][] maps = new double[config.layers()][config.heads()][t][t];
    List<Tensor> weights = pass.attentionWeights();
    for (int layer = 0; layer < config.layers(); layer++) {
      float[] w = weights.get(layer).data(); // [B=1, heads, T, T]
      for (int h = 0; h < config.heads(); h++) {
        for (int q = 0; q < t; q++) {
          for (int k = 0; k < t; k++) maps[layer][h][q][k] = w[(h * t + q) * t + k];
        }
      }
    }
    pass.release();
    return new Result(config, example, maps, before, after, losses);
  }

  /** The heads ordered by how much they attend to position 1, most first. */
  public static List<int[]> headsByAttentionOnFirst(Result result) {
    List<int[]> heads = new ArrayList<>();
    for (int l = 0; l < result.attention().length; l++) {
      for (int h = 0; h < result.attention()[l].length; h++) heads.add(new int[] {l, h});
    }
    heads.sort(
        (a, b) ->
            Double.compare(
                result.attentionOnFirst(b[0], b[1]), result.attentionOnFirst(a[0], a[1])));
    return heads;
  }
}
