package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * The seqlab jar alone has no Spark (it is no dependency of the jar's, only of its tests): `sweep`
 * says how to start it instead of failing.
 */
class SweepPlaceholderTest {

  @Test
  void sweepWithoutItsJarSaysHowToStartIt() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        Main.execute(
            Main.commandLine(new PrintWriter(out), new PrintWriter(err), false),
            "sweep",
            "long-range",
            "--seeds",
            "3");
    assertEquals(2, status);
    assertEquals(
        "seqlab: sweep needs the seqlab-sweep jar and Spark on the class path; start it as"
            + " `./seqlab sweep ...` (or run app/target/seqlab.jar with"
            + " sweep/target/spark.classpath)",
        err.toString().strip());
    assertEquals("", out.toString());
    StringWriter help = new StringWriter();
    Main.execute(
        Main.commandLine(new PrintWriter(help), new PrintWriter(new StringWriter()), false),
        "--help");
    assertTrue(help.toString().contains("sweep"), help.toString());
  }
}
