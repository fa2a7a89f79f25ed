package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.ExperimentSettings;
import org.seqlab.experiments.sweep.Experiments;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code seqlab run NAME}: one of the named experiments, its runs side by side. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a named experiment: many training runs, side by side on the cores, each printed as it"
          + " finishes, then a table, what it means in words, and plots.",
      "",
      "Experiments:",
      "  long-range   agreement accuracy against distance: RNN, LSTM, GRU, Transformer",
      "  adding       the adding problem against length",
      "  copy         copy memory against delay",
      "  exploding    a large initialisation without and with gradient clipping",
      "  forget-bias  the LSTM's forget-gate bias 0, 1, 3 at a long distance",
      "  capacity     recall of k pairs: fixed hidden sizes against attention",
      "  char-lm      LSTM, GRU, Transformer on a text file (needs --text)",
      "",
      "A directory that already holds the same experiment is continued: finished runs are kept."
    })
final class RunCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "the experiment")
  String name;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "the experiment's directory (default: runs/NAME-DATE-TIME)")
  Path out;

  @Option(
      names = "--models",
      split = ",",
      paramLabel = "M",
      description = "rnn, rnn_relu, lstm, gru, transformer")
  List<String> models;

  @Option(
      names = "--distances",
      split = ",",
      paramLabel = "D",
      description = "the task's knob: distances, lengths, delays or k")
  List<Integer> distances;

  @Option(
      names = "--hidden",
      split = ",",
      paramLabel = "H",
      description = "hidden sizes (capacity, exploding)")
  List<Integer> hidden;

  @Option(
      names = "--forget-biases",
      split = ",",
      paramLabel = "B",
      description = "forget-gate biases (forget-bias)")
  List<Double> forgetBiases;

  @Option(names = "--seeds", paramLabel = "N", description = "seeds per point")
  Integer seeds;

  @Option(
      names = "--params",
      paramLabel = "N",
      description = "the parameter count models are matched to")
  Long params;

  @Option(names = "--steps", paramLabel = "N", description = "training steps of every run")
  Integer steps;

  @Option(names = "--lr", paramLabel = "RATE", description = "learning rate")
  Double lr;

  @Option(names = "--clip", paramLabel = "NORM", description = "gradient-norm threshold (0: none)")
  Double clip;

  @Option(names = "--batch", paramLabel = "B", description = "sequences per step")
  Integer batch;

  @Option(names = "--validation", paramLabel = "N", description = "validation sequences")
  Integer validation;

  @Option(names = "--val-every", paramLabel = "N", description = "steps between validations")
  Integer validateEvery;

  @Option(
      names = "--goal",
      paramLabel = "SCORE",
      description = "stop a run once its score reaches this (0: never)")
  Double goal;

  @Option(
      names = "--spectral-radius",
      paramLabel = "R",
      description = "W_hh's spectral radius (exploding)")
  Double spectralRadius;

  @Option(names = "--text", paramLabel = "FILE", description = "the text (char-lm)")
  String text;

  @Option(names = "--seq-len", paramLabel = "T", description = "the window (char-lm)")
  Integer seqLen;

  @Option(names = "--seed", paramLabel = "N", description = "the base seed")
  Long seed;

  @Option(
      names = "--plan",
      description = "print the settings (defaults filled in) and the runs, and train nothing")
  boolean plan;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "runs side by side (default: the cores); changes no number")
  Integer jobs;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Experiment experiment;
    try {
      experiment = Experiments.named(name);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    List<String> given = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
      if (!o.longestName().equals("--plan")) given.add(o.longestName());
    }
    ExperimentSettings settings =
        new ExperimentSettings(
            models,
            distances,
            hidden,
            forgetBiases,
            seeds,
            params,
            steps,
            lr,
            clip,
            batch,
            validation,
            validateEvery,
            goal,
            spectralRadius,
            text,
            seqLen,
            seed,
            jobs);
    Path dir =
        out != null
            ? out
            : Path.of(
                "runs",
                name
                    + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    ExperimentRunner runner;
    try {
      runner = ExperimentRunner.prepare(experiment, settings, given, dir);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    if (plan) {
      stdout.print(PlanPrinter.describe(runner));
      stdout.flush();
      return 0;
    }
    return execute(runner, stdout, err, "seqlab run " + name + " --out " + dir);
  }

  /** Runs, prints each run as it finishes and the report at the end; exit 130 when stopped. */
  static int execute(ExperimentRunner runner, PrintWriter out, PrintWriter err, String again)
      throws IOException {
    Experiment experiment = runner.experiment();
    out.printf(
        Locale.ROOT,
        "%s%nclaim: %s%ndirectory: %s%n",
        experiment.title(),
        experiment.claim(),
        runner.dir());
    out.flush();
    SweepPrinter printer = new SweepPrinter(out, err, experiment);
    // Ctrl-C stops every run after its step; the finished rows are already on disk.
    try {
      return CtrlC.cancels(runner::cancel, 120, () -> finish(runner, printer, out, again));
    } finally {
      printer.close();
    }
  }

  private static int finish(
      ExperimentRunner runner, SweepPrinter printer, PrintWriter out, String again)
      throws IOException {
    var rows = runner.run(printer);
    int total = printer.total();
    if (rows.size() < total) {
      out.printf(
          Locale.ROOT,
          "%nstopped: %d of %d runs finished and are kept; continue with `%s`%n",
          rows.size(),
          total,
          again);
      out.flush();
      return 130;
    }
    out.println();
    out.print(runner.report());
    out.printf("%nresults, curves and plots in %s%n", runner.dir());
    out.flush();
    return 0;
  }
}
