package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.view.Plots;
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
      "A directory that already holds the same experiment is continued: finished runs are kept.",
      "`seqlab sweep NAME` runs the same runs as Apache Spark tasks, here or on a cluster."
    })
final class RunCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "the experiment")
  String name;

  @CommandLine.Mixin ExperimentOptions options = new ExperimentOptions();

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description = "runs side by side (default: the cores); changes no number")
  Integer jobs;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Experiment experiment = ExperimentOptions.experiment(name);
    List<String> given = options.given(spec.commandLine().getParseResult(), List.of());
    ExperimentRunner runner = options.prepare(experiment, given, jobs, null);
    if (options.plan) {
      stdout.print(PlanPrinter.describe(runner));
      stdout.flush();
      return 0;
    }
    return execute(runner, stdout, err, "seqlab run " + name + " --out " + runner.dir());
  }

  /** Runs, prints each run as it finishes and the report at the end; exit 130 when stopped. */
  static int execute(ExperimentRunner runner, PrintWriter out, PrintWriter err, String again)
      throws IOException {
    Experiment experiment = runner.experiment();
    out.printf(
        Locale.ROOT,
        "%s%nexpected: %s%ndirectory: %s%n",
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
    out.print(runner.report(Plots.FIGURES));
    out.printf("%nresults, curves and plots in %s%n", runner.dir());
    out.flush();
    return 0;
  }
}
