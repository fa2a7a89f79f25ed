package org.seqlab.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.seqlab.nn.CrossEntropyLoss;
import org.seqlab.nn.PositionalEncoding;
import org.seqlab.nn.TransformerDecoder;
import org.seqlab.tensor.NumpyRandom;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.Adam;
import org.seqlab.train.GradientClipping;

/**
 * Where a Transformer looks: the attention weights of every layer and head on one sequence.
 *
 * <p>To show attention doing what a recurrence cannot, the model is first trained on
 * <em>first-token recall</em>: the input is a random sequence of tokens, and at every position the
 * target is the token at position 1. A recurrent network must carry that token through every step;
 * attention can fetch it in one step, and after training one head's map is a bright column at
 * position 1: every position t looking straight back at the start. With no training the maps show
 * the untrained model.
 */
public final class AttentionMaps {
  private AttentionMaps() {}

  /**
   * @param vocab tokens in the task
   * @param steps sequence length T
   * @param trainSteps Adam steps on the recall task (0 for the untrained model)
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
          || steps < 1
          || width < 1
          || heads < 1
          || layers < 1
          || batch < 1
          || trainSteps < 0) {
        throw new IllegalArgumentException("sizes must be positive (vocabulary at least 2)");
      }
      if (width % heads != 0)
        throw new IllegalArgumentException(heads + " heads do not divide the width " + width);
    }
  }

  /**
   * @param tokens the example sequence, position 1 first
   * @param attention {@code attention[layer][head][t][s]}: how much position t+1 attends to s+1
   * @param recallAccuracyBefore accuracy of predicting token 1 at positions 2..T before training
   * @param recallAccuracyAfter the same after training, on fresh sequences
   * @param lossCurve the training loss every step, nats per token
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

  public static Result run(Config config, Progress progress) {
    NumpyRandom rng = new NumpyRandom(config.seed());
    TransformerDecoder model =
        new TransformerDecoder(
            new TransformerDecoder.Config(
                config.vocab(),
                config.width(),
                config.heads(),
                4 * config.width(),
                config.layers(),
                config.steps(),
                PositionalEncoding.Kind.LEARNED));
    model.initialize(rng);
    double before = recallAccuracy(model, config, rng);
    Adam adam = new Adam(model.parameters(), config.learningRate());
    double[] losses = new double[config.trainSteps()];
    for (int step = 0; step < config.trainSteps(); step++) {
      int[] tokens = randomTokens(rng, config.steps() * config.batch(), config.vocab());
      int[] targets = recallTargets(tokens, config.steps(), config.batch());
      model.zeroGrad();
      TransformerDecoder.Output out = model.forward(tokens, config.steps(), config.batch(), null);
      CrossEntropyLoss.Result loss = CrossEntropyLoss.compute(out.logits(), targets);
      model.backward(out, loss.dLogits());
      // Its arrays serve the next step.
      out.release();
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      adam.step();
      losses[step] = loss.loss();
      if (progress != null) progress.step(step + 1, config.trainSteps(), loss.loss());
    }
    double after = recallAccuracy(model, config, rng);

    int[] example = randomTokens(rng, config.steps(), config.vocab());
    TransformerDecoder.Output out = model.forward(example, config.steps(), 1, null);
    int t = config.steps();
    double[][][][] maps = new double[config.layers()][config.heads()][t][t];
    List<Tensor> weights = out.attentionWeights();
    for (int layer = 0; layer < config.layers(); layer++) {
      float[] w = weights.get(layer).data(); // [B=1, heads, T, T]
      for (int h = 0; h < config.heads(); h++) {
        for (int q = 0; q < t; q++) {
          for (int k = 0; k < t; k++) maps[layer][h][q][k] = w[(h * t + q) * t + k];
        }
      }
    }
    return new Result(config, example, maps, before, after, losses);
  }

  static int[] randomTokens(RandomGenerator rng, int n, int vocab) {
    int[] tokens = new int[n];
    for (int i = 0; i < n; i++) tokens[i] = rng.nextInt(vocab);
    return tokens;
  }

  /** Time-major targets: every position's target is its sequence's first token. */
  static int[] recallTargets(int[] tokens, int steps, int batch) {
    int[] targets = new int[tokens.length];
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) targets[t * batch + b] = tokens[b];
    }
    return targets;
  }

  /**
   * Fraction of positions 2..T whose most likely token is the sequence's first, on 256 fresh
   * sequences.
   */
  static double recallAccuracy(TransformerDecoder model, Config config, RandomGenerator rng) {
    int batch = 256, steps = config.steps(), vocab = config.vocab();
    if (steps < 2) return Double.NaN;
    int[] tokens = randomTokens(rng, steps * batch, vocab);
    float[] logits = model.forward(tokens, steps, batch, null).logits().data();
    int right = 0, total = 0;
    for (int t = 1; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        int row = (t * batch + b) * vocab, best = 0;
        for (int v = 1; v < vocab; v++) if (logits[row + v] > logits[row + best]) best = v;
        if (best == tokens[b]) right++;
        total++;
      }
    }
    return right / (double) total;
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
