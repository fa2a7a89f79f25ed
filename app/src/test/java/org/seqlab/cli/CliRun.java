package org.seqlab.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process and captures what it prints. */
record CliRun(int status, String out, String err) {

  static CliRun of(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(status, out.toString(), err.toString());
  }

  /** A user mistake: status 2, one line on stderr, no stack trace. */
  boolean isOneLineUserError() {
    return status == Main.EXIT_USAGE
        && err.strip().lines().count() == 1
        && !err.contains("Exception")
        && !err.contains("\tat ");
  }
}
