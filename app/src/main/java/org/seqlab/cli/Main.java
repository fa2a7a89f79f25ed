package org.seqlab.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code seqlab} command line: one subcommand per job. */
@Command(
    name = "seqlab",
    mixinStandardHelpOptions = true,
    version = "seqlab 0.1.0",
    description = "A lab for recurrent and attention sequence models: see, measure and break them.",
    subcommands = {
      CommandLine.HelpCommand.class,
      ReproduceCommand.class,
      GradientsCommand.class,
      InitCommand.class,
      InferCommand.class,
      BenchCommand.class,
      ParallelismCommand.class,
      AttentionCommand.class,
      TrainCommand.class,
      SampleCommand.class,
      PrecisionCommand.class,
      RunCommand.class,
      RerunCommand.class,
      ReportCommand.class,
      DocumentCommand.class,
      SweepPlaceholder.class,
      LabCommand.class
    })
public final class Main implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Exit status for a user mistake (bad option, bad file). */
  public static final int EXIT_USAGE = 2;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Builds the command line with seqlab's error handling, printing through the given writers. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    return commandLine(out, err, SweepMain.sparkPresent());
  }

  /**
   * As {@link #commandLine(PrintWriter, PrintWriter)}, with the real {@code sweep} command if
   * {@code spark} (Spark is on the class path), its placeholder otherwise.
   */
  static CommandLine commandLine(PrintWriter out, PrintWriter err, boolean spark) {
    CommandLine cl = new CommandLine(new Main());
    // Before the writers and handlers are set: picocli hands them down only to the subcommands
    // present then.
    if (spark) SweepMain.install(cl);
    // The experiments each command lists, from the one table of them.
    for (String name : java.util.List.of("run", "sweep")) {
      CommandLine sub = cl.getSubcommands().get(name);
      if (sub != null)
        sub.getCommandSpec().usageMessage().footer(ExperimentOptions.experimentsHelp());
    }
    TrainCommand.describeTasks(cl.getSubcommands().get("train").getCommandSpec());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine cmd = ex.getCommandLine();
          // One line: what was wrong and where the allowed values are listed.
          cmd.getErr()
              .println(
                  "seqlab: "
                      + ex.getMessage()
                      + " (see '"
                      + cmd.getCommandSpec().qualifiedName()
                      + " --help')");
          cmd.getErr().flush();
          return EXIT_USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          Throwable user = userMistake(ex);
          if (user != null) {
            cmd.getErr().println("seqlab: " + user.getMessage());
            cmd.getErr().flush();
            return EXIT_USAGE;
          }
          throw ex;
        });
    return cl;
  }

  /**
   * The {@link UserError} behind {@code ex}, if there is one, or else a file that is not valid
   * safetensors: its message names the file and what is wrong on one line, and a damaged file is
   * the user's to replace, so no command shows it as a stack trace.
   */
  private static Throwable userMistake(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof UserError) return t;
    }
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof org.seqlab.io.SafetensorsException) return t;
    }
    return null;
  }

  /** Runs {@code args} and returns the exit status, printing to the given writers. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return execute(commandLine(out, err), args);
  }

  /** Runs {@code args} on a command line built as {@link #commandLine} builds it. */
  public static int execute(CommandLine commandLine, String... args) {
    int status = commandLine.execute(args);
    commandLine.getOut().flush();
    commandLine.getErr().flush();
    return status;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, java.nio.charset.StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, java.nio.charset.StandardCharsets.UTF_8);
    System.exit(run(out, err, SweepMain.submitted(args)));
  }
}
