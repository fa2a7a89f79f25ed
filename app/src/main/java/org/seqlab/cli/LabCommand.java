package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.seqlab.web.LabServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab lab}: the web lab, on this machine unless told otherwise. */
@Command(
    name = "lab",
    mixinStandardHelpOptions = true,
    description = {
      "Starts the web lab and prints its address: configure an RNN, LSTM, GRU or Transformer, pick"
          + " a failure mode, train it, and watch the gradient, the gates and the attention live.",
      "Runs are kept in the runs folder (runs started with seqlab train --out under it appear"
          + " too). Ctrl-C stops the lab; running runs stop after their step and keep a checkpoint."
    })
public final class LabCommand implements Callable<Integer> {

  /**
   * The server's own log lines (features, sockets bound) say nothing a user of the lab needs; only
   * its warnings pass. Held here so the setting is not collected with the logger.
   */
  private static final java.util.logging.Logger SERVER_LOG =
      java.util.logging.Logger.getLogger("io.helidon");

  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      description = "the port, 0 for any free one (default: ${DEFAULT-VALUE})",
      defaultValue = "8080")
  int port;

  @Option(
      names = "--host",
      description =
          "the address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 lets"
              + " anyone on the network start runs)",
      defaultValue = "127.0.0.1")
  String host;

  @Option(
      names = "--runs",
      description = "the runs folder (default: ${DEFAULT-VALUE})",
      defaultValue = "runs")
  Path runs;

  @Option(
      names = "--max-running",
      description = "runs that train at once (default: the number of processors)")
  Integer maxRunning;

  @Option(
      names = "--max-queued",
      description = "runs that may wait; more are refused (default: ${DEFAULT-VALUE})",
      defaultValue = "16")
  int maxQueued;

  @Option(
      names = "--text",
      description =
          "a UTF-8 text char-lm runs may learn (repeatable; default: "
              + org.seqlab.experiments.DefaultText.PATH
              + ", shipped)",
      arity = "1")
  List<Path> texts = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65_535) throw new UserError("--port must be 0 to 65535, got " + port);
    int running = maxRunning != null ? maxRunning : Runtime.getRuntime().availableProcessors();
    if (running < 1 || running > 64) {
      throw new UserError("--max-running must be 1 to 64, got " + running);
    }
    if (maxQueued < 0 || maxQueued > 10_000) {
      throw new UserError("--max-queued must be 0 to 10000, got " + maxQueued);
    }
    // Without --text, char-lm runs learn the text seqlab ships, where it is found.
    if (texts.isEmpty()) org.seqlab.experiments.DefaultText.find().ifPresent(texts::add);
    for (Path t : texts) {
      try {
        org.seqlab.lab.Lab.checkText(t);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage());
      }
    }
    if (Files.exists(runs) && !Files.isDirectory(runs)) {
      throw new UserError("--runs " + runs + " is a file, not a folder");
    }
    try {
      org.seqlab.io.OutputDirectory.requireWritable("--runs", runs);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    boolean local;
    try {
      local = InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new UserError("--host " + host + ": unknown host");
    }
    SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    LabServer server;
    try {
      server =
          LabServer.start(
              new LabServer.Options(
                  host,
                  port,
                  runs.toAbsolutePath().normalize(),
                  running,
                  maxQueued,
                  texts.stream().map(p -> p.toAbsolutePath().normalize()).toList()));
    } catch (UncheckedIOException | IOException e) {
      Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
      if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("in use")) {
        throw new UserError(
            "port " + port + " on " + host + " is in use; choose another with --port (0: any)");
      }
      throw new UserError("cannot start the lab: " + cause.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String shown = host.contains(":") ? "[" + host + "]" : host;
    out.printf("seqlab lab: open http://%s:%d/%n", shown, server.port());
    out.printf(
        "runs folder %s; %d run(s) at once, %d more may wait; Ctrl-C stops%n",
        runs.toAbsolutePath().normalize(), running, maxQueued);
    out.flush();
    if (!local) {
      err.printf(
          "warning: listening on %s, not this machine alone: anyone who can reach it can start"
              + " runs here (there is no login)%n",
          host);
      err.flush();
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  long active =
                      server.lab().list().stream().filter(r -> !r.status().ended()).count();
                  server.close();
                  out.printf(
                      "%nseqlab lab: stopped%s%n",
                      active == 0
                          ? ""
                          : "; "
                              + active
                              + " run(s) stopped after their step, each with a checkpoint");
                  out.flush();
                  stopped.countDown();
                }));
    stopped.await();
    return 0;
  }
}
