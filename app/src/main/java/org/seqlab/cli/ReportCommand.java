package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.view.Plots;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code seqlab report DIR}: the table and plots of an experiment, from what it saved. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the table and the findings of the experiment in DIR and rewrites its plots, from the"
          + " saved results and curves, without training."
    })
final class ReportCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "a directory `seqlab run` wrote")
  Path dir;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    ExperimentRunner runner;
    boolean empty;
    try {
      runner = ExperimentRunner.open(dir);
      empty = ExperimentRunner.readRows(dir).isEmpty(); // refuses a damaged result.json
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    if (empty) {
      throw new UserError(
          dir
              + " holds no finished run yet; continue it with `seqlab run "
              + runner.experiment().name()
              + " --out "
              + dir
              + "`");
    }
    out.print(runner.report(Plots.FIGURES));
    out.printf("%nplots rewritten in %s%n", dir);
    out.flush();
    return 0;
  }
}
