package org.seqlab.sweep;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.seqlab.cli.Main;
import org.seqlab.experiments.sweep.Experiments;
import picocli.CommandLine;

/**
 * The seqlab command line with {@code sweep} in it: the main class of the seqlab-sweep jar, which
 * {@code ./seqlab sweep} starts with Spark on the class path (and {@code spark-submit} starts on a
 * cluster). Every other command works here too, as in the seqlab jar.
 */
public final class SweepMain {
  private SweepMain() {}

  /** seqlab's command line, its {@code sweep} placeholder replaced by the real command. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = Main.commandLine(out, err);
    cl.getCommandSpec().removeSubcommand("sweep");
    cl.addSubcommand("sweep", new SweepCommand());
    // picocli hands these down only to subcommands present when they are set.
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(cl.getParameterExceptionHandler());
    cl.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
    return cl;
  }

  /** Runs {@code args} and returns the exit status. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return Main.execute(commandLine(out, err), args);
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    // Under spark-submit the arguments start after the jar; `sweep` may be left out.
    String[] full = args;
    if (args.length > 0
        && System.getProperty("spark.master") != null
        && !args[0].equals("sweep")
        && Experiments.names().contains(args[0])) {
      full = new String[args.length + 1];
      full[0] = "sweep";
      System.arraycopy(args, 0, full, 1, args.length);
    }
    System.exit(run(out, err, full));
  }
}
