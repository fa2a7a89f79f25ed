package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.SweepRow;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code seqlab rerun DIR}: the experiment in DIR again, from scratch, and a comparison. */
@Command(
    name = "rerun",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the experiment recorded in DIR again with the same settings and seeds, into a new"
          + " directory, and says whether every run got the same numbers (score, steps, how it"
          + " ended; times aside). Exit status 1 if any differ."
    })
final class RerunCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "a directory `seqlab run` wrote")
  Path dir;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "where the rerun goes (default: DIR-rerun)")
  Path out;

  @Option(names = "--jobs", paramLabel = "N", description = "runs side by side (changes no number)")
  Integer jobs;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ExperimentRunner original;
    List<SweepRow> before;
    ExperimentRunner again;
    Path target = out != null ? out : dir.resolveSibling(dir.getFileName() + "-rerun");
    try {
      original = ExperimentRunner.open(dir);
      before = ExperimentRunner.readRows(dir);
      if (before.isEmpty()) {
        throw new IllegalArgumentException(dir + " holds no finished run to compare with");
      }
      if (sameDirectory(dir, target)) {
        throw new IllegalArgumentException(
            "--out "
                + target
                + " is the experiment's own directory: a rerun runs every run again into a new"
                + " directory (default: "
                + dir.resolveSibling(dir.getFileName() + "-rerun")
                + ")");
      }
      again =
          ExperimentRunner.prepare(
              org.seqlab.experiments.sweep.Experiments.named(original.experiment().name()),
              original.settings().withJobs(jobs != null ? jobs : original.settings().jobs()),
              List.of(),
              original.grid(),
              Long.MAX_VALUE,
              target);
      // A directory whose every run is already finished (a rerun done before) would run nothing,
      // and a comparison of nothing run proves nothing.
      java.util.Set<String> finished =
          org.seqlab.experiments.sweep.Sweep.ids(ExperimentRunner.readRows(target));
      if (!finished.isEmpty() && again.plan().stream().allMatch(r -> finished.contains(r.id()))) {
        throw new IllegalArgumentException(
            "--out "
                + target
                + " already holds all "
                + finished.size()
                + " runs of this experiment, so a rerun there would run nothing; give a new"
                + " directory with --out");
      }
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    int status = RunCommand.execute(again, stdout, err, "seqlab rerun " + dir + " --out " + target);
    if (status != 0) return status;
    List<SweepRow> after = ExperimentRunner.readRows(target);
    List<String> differences = ExperimentRunner.differences(before, after);
    java.util.Set<String> rerun = org.seqlab.experiments.sweep.Sweep.ids(after);
    long compared = before.stream().filter(r -> rerun.contains(r.run())).count();
    if (compared == 0) {
      // Never a verdict of agreement on nothing.
      err.printf(
          "seqlab: the rerun in %s holds none of the runs of %s; nothing compared%n", target, dir);
      err.flush();
      return 1;
    }
    if (differences.isEmpty()) {
      stdout.printf("%nthe rerun got the same numbers as %s in all %d runs%n", dir, compared);
      stdout.flush();
      return 0;
    }
    stdout.printf("%nthe rerun differs from %s in %d runs:%n", dir, differences.size());
    for (String d : differences) stdout.println("  " + d);
    stdout.flush();
    return 1;
  }

  /** Whether {@code a} and {@code b} name one directory (through links, or by their path). */
  private static boolean sameDirectory(Path a, Path b) throws IOException {
    if (java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b)) {
      return java.nio.file.Files.isSameFile(a, b);
    }
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }
}
