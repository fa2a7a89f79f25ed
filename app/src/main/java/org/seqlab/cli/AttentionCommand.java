package org.seqlab.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.experiments.AttentionMaps;
import org.seqlab.view.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab attention}: heat maps of where every head of a small Transformer looks. */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    description = {
      "Trains a small causal Transformer on first-token recall (at every position, predict the token at"
          + " position 1) and prints the attention weights of every layer and head on one sequence:"
          + " rows are query positions t, columns the key positions s <= t.",
      "A head that has learned the task shows a bright column at s = 1: position t looks straight back"
          + " at position 1, in one step, at any distance. --train-steps 0 shows the untrained model."
    })
public final class AttentionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--steps",
      description = "sequence length T (default: ${DEFAULT-VALUE})",
      defaultValue = "16")
  int steps;

  @Option(
      names = "--vocab",
      description = "tokens in the task (default: ${DEFAULT-VALUE})",
      defaultValue = "8")
  int vocab;

  @Option(
      names = "--width",
      description = "model width D (default: ${DEFAULT-VALUE})",
      defaultValue = "32")
  int width;

  @Option(
      names = "--heads",
      description = "heads per layer, dividing --width (default: ${DEFAULT-VALUE})",
      defaultValue = "2")
  int heads;

  @Option(
      names = "--layers",
      description = "blocks (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int layers;

  @Option(
      names = "--train-steps",
      description = "Adam steps on the task, 0 for none (default: ${DEFAULT-VALUE})",
      defaultValue = "300")
  int trainSteps;

  @Option(
      names = "--learning-rate",
      description = "Adam's learning rate (default: ${DEFAULT-VALUE})",
      defaultValue = "0.003")
  double learningRate;

  @Option(
      names = "--batch",
      description = "sequences per training step (default: ${DEFAULT-VALUE})",
      defaultValue = "32")
  int batch;

  @Option(
      names = "--seed",
      description = "numpy-compatible seed (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  long seed;

  @Option(names = "--layer", description = "show only this layer (1-based)")
  Integer onlyLayer;

  @Option(names = "--head", description = "show only this head (1-based)")
  Integer onlyHead;

  @Option(
      names = "--format",
      description = "text or csv (default: ${DEFAULT-VALUE})",
      defaultValue = "text")
  String format;

  /** Shades from no attention to all of it. */
  private static final char[] SHADES = {' ', '·', '░', '▒', '▓', '█'};

  @Override
  public Integer call() {
    requireRange("--steps", steps, 2, 256);
    requireRange("--vocab", vocab, 2, 1 << 16);
    requireRange("--width", width, 1, 1024);
    requireRange("--heads", heads, 1, width);
    requireRange("--layers", layers, 1, 16);
    requireRange("--batch", batch, 1, 4096);
    requireRange("--train-steps", trainSteps, 0, 1_000_000);
    if (width % heads != 0)
      throw new UserError("--heads " + heads + " does not divide --width " + width);
    if (!(learningRate > 0 && learningRate < 10))
      throw new UserError("--learning-rate must be in (0, 10), got " + learningRate);
    if (seed < 0 || seed > 0xFFFF_FFFFL)
      throw new UserError("--seed must be between 0 and 4294967295, got " + seed);
    if (onlyLayer != null) requireRange("--layer", onlyLayer, 1, layers);
    if (onlyHead != null) requireRange("--head", onlyHead, 1, heads);
    if (!format.equals("text") && !format.equals("csv"))
      throw new UserError("--format must be text or csv, got " + format);

    AttentionMaps.Config config =
        new AttentionMaps.Config(
            vocab, steps, width, heads, layers, batch, trainSteps, learningRate, seed);
    AttentionMaps.Result result;
    try (ProgressBar bar =
        new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
      result =
          AttentionMaps.run(
              config,
              (step, of, loss) ->
                  bar.update(String.format(Locale.ROOT, "loss %.3f", loss), step / (double) of));
    } catch (IllegalStateException diverged) {
      throw new UserError(diverged.getMessage() + "; try a smaller --learning-rate");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (format.equals("csv")) {
      out.println("layer,head,query,key,weight");
      forEachShownHead(
          (l, h) -> {
            double[][] map = result.attention()[l][h];
            for (int t = 0; t < steps; t++) {
              for (int s = 0; s <= t; s++)
                out.printf(
                    Locale.ROOT, "%d,%d,%d,%d,%.6f%n", l + 1, h + 1, t + 1, s + 1, map[t][s]);
            }
          });
    } else {
      printText(out, result);
    }
    out.flush();
    return 0;
  }

  interface HeadVisitor {
    void visit(int layer, int head);
  }

  private void forEachShownHead(HeadVisitor visitor) {
    for (int l = 0; l < layers; l++) {
      if (onlyLayer != null && onlyLayer != l + 1) continue;
      for (int h = 0; h < heads; h++) {
        if (onlyHead != null && onlyHead != h + 1) continue;
        visitor.visit(l, h);
      }
    }
  }

  private void printText(PrintWriter out, AttentionMaps.Result r) {
    out.printf(
        Locale.ROOT,
        "Causal Transformer: %d layer(s), width %d, %d heads, vocabulary %d, T = %d, seed %d.%n",
        layers,
        width,
        heads,
        vocab,
        steps,
        seed);
    if (trainSteps > 0) {
      double[] loss = r.lossCurve();
      out.printf(
          Locale.ROOT,
          "Trained %d Adam steps on first-token recall: loss %.3f → %.3f nats/token (chance ln %d = %.3f);"
              + " recall of token 1 at positions 2..%d: %.0f%% → %.0f%% (chance %.0f%%).%n",
          trainSteps,
          loss[0],
          loss[loss.length - 1],
          vocab,
          Math.log(vocab),
          steps,
          100 * r.recallAccuracyBefore(),
          100 * r.recallAccuracyAfter(),
          100.0 / vocab);
    } else {
      out.println("Untrained (--train-steps 0): the weights as initialised.");
    }
    StringBuilder seq = new StringBuilder();
    for (int token : r.tokens()) seq.append(token).append(' ');
    out.printf(Locale.ROOT, "Sequence: %s%n", seq.toString().strip());
    out.println(
        "Shades by weight: ' ' <0.05  '·' <0.15  '░' <0.3  '▒' <0.5  '▓' <0.75  '█' ≥0.75. Row t = query position, column s = key position.");
    forEachShownHead(
        (l, h) -> {
          double[][] map = r.attention()[l][h];
          out.printf(
              Locale.ROOT,
              "%nLayer %d, head %d: mean weight on position 1 from positions 2..%d = %.2f%n",
              l + 1,
              h + 1,
              steps,
              r.attentionOnFirst(l, h));
          StringBuilder axis = new StringBuilder("        s=");
          for (int s = 1; s <= steps; s++) axis.append(s % 10);
          out.println(axis);
          for (int t = 0; t < steps; t++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  t=%3d  |", t + 1));
            int best = 0;
            for (int s = 0; s < steps; s++) {
              row.append(s <= t ? shade(map[t][s]) : ' ');
              if (s <= t && map[t][s] > map[t][best]) best = s;
            }
            row.append(String.format(Locale.ROOT, "|  → s=%d (%.2f)", best + 1, map[t][best]));
            out.println(row);
          }
        });
  }

  private static char shade(double w) {
    if (w < 0.05) return SHADES[0];
    if (w < 0.15) return SHADES[1];
    if (w < 0.3) return SHADES[2];
    if (w < 0.5) return SHADES[3];
    if (w < 0.75) return SHADES[4];
    return SHADES[5];
  }

  private static void requireRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new UserError(option + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}
