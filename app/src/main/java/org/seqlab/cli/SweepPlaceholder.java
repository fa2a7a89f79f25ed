package org.seqlab.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code seqlab sweep} where Spark is not on the class path: Spark is in no jar of seqlab's, so
 * that no other command loads it. The launcher ({@code ./seqlab sweep}) adds Spark's jars to the
 * class path, and {@link SweepMain} then replaces this command with the real one.
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a named experiment's runs as Apache Spark tasks: in this process (local mode) or on a"
          + " standalone cluster (--master spark://HOST:PORT). Start it as `./seqlab sweep ...`,"
          + " which puts the seqlab-sweep jar and Spark on the class path."
    })
final class SweepPlaceholder implements Callable<Integer> {

  @Unmatched java.util.List<String> arguments;

  @Override
  public Integer call() {
    throw new UserError(
        "sweep needs the seqlab-sweep jar and Spark on the class path; start it as `./seqlab sweep"
            + " ...` (or run app/target/seqlab.jar with sweep/target/spark.classpath)");
  }
}
