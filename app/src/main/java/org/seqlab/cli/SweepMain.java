package org.seqlab.cli;

import picocli.CommandLine;

/**
 * {@code seqlab sweep} where Spark is: {@code ./seqlab sweep} starts the seqlab jar's {@link Main}
 * with Spark on the class path (and {@code spark-submit --class org.seqlab.cli.Main} does on a
 * cluster), and the command line then holds the real {@link SweepCommand} in place of the {@link
 * SweepPlaceholder}. Every other command works the same with or without Spark.
 */
final class SweepMain {
  private SweepMain() {}

  /** A class every Spark has: whether it can be loaded says whether Spark is on the class path. */
  private static final String SPARK = "org.apache.spark.SparkConf";

  /** Whether Spark is on the class path. */
  static boolean sparkPresent() {
    try {
      Class.forName(SPARK, false, SweepMain.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Replaces the command line's {@code sweep} placeholder by the real command. Only then is {@link
   * SweepCommand} loaded, so Spark's classes are needed only where Spark is.
   */
  static void install(CommandLine cl) {
    cl.getCommandSpec().removeSubcommand("sweep");
    cl.addSubcommand("sweep", new SweepCommand());
  }

  /** Under spark-submit the arguments start after the jar; {@code sweep} may be left out. */
  static String[] submitted(String[] args) {
    if (args.length > 0
        && System.getProperty("spark.master") != null
        && !args[0].equals("sweep")
        && org.seqlab.experiments.sweep.Experiments.names().contains(args[0])) {
      String[] full = new String[args.length + 1];
      full[0] = "sweep";
      System.arraycopy(args, 0, full, 1, args.length);
      return full;
    }
    return args;
  }
}
