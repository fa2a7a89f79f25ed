package org.seqlab.cli;

/**
 * A mistake in what the user asked for (a bad option, a missing or malformed file). The command
 * line prints its message on one line, without a stack trace, and exits with status 2.
 */
public final class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
