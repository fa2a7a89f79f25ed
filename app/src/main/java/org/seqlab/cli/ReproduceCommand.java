package org.seqlab.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.experiments.ArticleLstmGates;
import org.seqlab.experiments.ArticleRnnVanishing;
import org.seqlab.tensor.NumpyRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code seqlab reproduce PROGRAM}: runs one of the article's numpy programs with numpy's random
 * stream, prints the lines the article's code prints, then what the numbers mean.
 */
@Command(
    name = "reproduce",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one of the article's programs, printing what its code prints, then what it means.",
      "Programs: rnn-vanishing (gradient norms of a tanh RNN through time),"
          + " lstm-gates (forget gate and cell state of an LSTM cell)."
    })
public final class ReproduceCommand implements Callable<Integer> {

  /** The article's programs, by the name given on the command line. */
  enum Program {
    RNN_VANISHING("rnn-vanishing"),
    LSTM_GATES("lstm-gates");

    final String commandName;

    Program(String commandName) {
      this.commandName = commandName;
    }

    static Program named(String name) {
      for (Program p : values()) {
        if (p.commandName.equals(name)) return p;
      }
      throw new UserError(
          "unknown program '" + name + "'; choose one of: " + String.join(", ", Names.ALL));
    }
  }

  /** The program names, for help and shell completion. */
  static final class Names implements Iterable<String> {
    static final List<String> ALL =
        Arrays.stream(Program.values()).map(p -> p.commandName).toList();

    @Override
    public Iterator<String> iterator() {
      return ALL.iterator();
    }
  }

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "PROGRAM",
      completionCandidates = Names.class,
      description = "One of: ${COMPLETION-CANDIDATES}.")
  String program;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description =
          "Seed for numpy's legacy generator, 0 to 2^32-1 (default: 42; the article seeds"
              + " rnn-vanishing with 42 and lstm-gates with nothing).")
  Long seed;

  @Override
  public Integer call() {
    Program chosen = Program.named(program);
    long chosenSeed = seed == null ? ArticleRnnVanishing.ARTICLE_SEED : seed;
    if (chosenSeed < 0 || chosenSeed > NumpyRandom.MAX_SEED) {
      throw new UserError("--seed must be between 0 and 2^32-1 (4294967295), got " + chosenSeed);
    }
    PrintWriter out = spec.commandLine().getOut();
    switch (chosen) {
      case RNN_VANISHING -> printRnnVanishing(out, chosenSeed);
      case LSTM_GATES -> printLstmGates(out, chosenSeed);
    }
    out.flush();
    return 0;
  }

  private static void printRnnVanishing(PrintWriter out, long seed) {
    ArticleRnnVanishing.Config config = ArticleRnnVanishing.Config.withSeed(seed);
    ArticleRnnVanishing.Result result = ArticleRnnVanishing.run(config);
    out.println(
        String.format(
            Locale.ROOT,
            "Gradient norm at each step, most recent to oldest (tanh RNN, seed %d, d_in %d, d_h %d,"
                + " %d steps, weights %s·N(0,1)):",
            config.seed(),
            config.inputSize(),
            config.hiddenSize(),
            config.steps(),
            decimal(config.weightScale())));
    for (ArticleRnnVanishing.StepGradient step : result.gradientNorms()) {
      out.println(step.articleLine());
    }
    out.println();
    out.println("What it means:");
    result.explanation().forEach(line -> out.println("  " + line));
    out.println();
    if (result.proseComparison().isEmpty()) {
      out.println(
          "The article's prose describes seed "
              + ArticleRnnVanishing.ARTICLE_SEED
              + "; run without --seed to compare it with the code's output.");
    } else {
      out.println("Where the article's prose differs from what its code prints:");
      result.proseComparison().forEach(line -> out.println("  " + line));
    }
  }

  private static void printLstmGates(PrintWriter out, long seed) {
    ArticleLstmGates.Result result = ArticleLstmGates.run(seed);
    ArticleLstmGates.Config config = result.config();
    out.println(
        String.format(
            Locale.ROOT,
            "LSTM cell, every %d steps (seed %d, d_in %d, d_h %d, %d steps, weights %s·N(0,1),"
                + " zero bias):",
            ArticleLstmGates.PRINT_EVERY,
            config.seed(),
            config.inputSize(),
            config.hiddenSize(),
            config.steps(),
            decimal(config.weightScale())));
    for (ArticleLstmGates.StepGates step : result.printedSteps()) {
      out.println(step.articleLine());
    }
    out.println();
    out.println("What it means:");
    result.interpretation().forEach(line -> out.println("  " + line));
  }

  private static String decimal(double value) {
    return new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString();
  }
}
