package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.io.AtomicFiles;
import org.seqlab.io.RunDirectory;
import org.seqlab.sweep.SparkJvm;
import org.seqlab.sweep.SparkMaster;
import org.seqlab.sweep.SparkRuns;
import org.seqlab.sweep.SweepListener;
import org.seqlab.view.Plots;
import org.seqlab.view.Units;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code seqlab sweep NAME}: a named experiment's runs as Apache Spark tasks, in this process
 * (local mode, the default) or on a standalone cluster. The directory it writes is the one {@code
 * seqlab run} writes ({@code experiment.json}, {@code result.json}, {@code result.csv}, the
 * curves), plus {@code sweep.json} with what Spark did; {@code seqlab report} draws it, and the
 * same command continues it after a stop or a crash without redoing finished runs.
 */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a named experiment's runs as Apache Spark tasks: in this process (local mode, nothing"
          + " to install) or on a standalone cluster (--master spark://HOST:PORT). Each run is"
          + " printed as it finishes; a task whose executor or worker is lost is run again"
          + " elsewhere, and every run is recorded once.",
      "",
      "The same seeds give the same numbers as `seqlab run`.",
      "A directory that already holds the sweep is continued: finished runs are kept."
    })
public final class SweepCommand implements Callable<Integer> {

  /** Written beside experiment.json: what Spark did, one entry per start of the sweep. */
  public static final String SWEEP = "sweep.json";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "the experiment")
  String name;

  @CommandLine.Mixin ExperimentOptions options = new ExperimentOptions();

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "where the tasks run: local[*] (default: every core of this machine), local[N],"
              + " local[N,F] (F tries per task) or spark://HOST:PORT")
  String master;

  @Option(
      names = "--connect-timeout",
      paramLabel = "SECONDS",
      description =
          "how long to wait for the cluster's master and its first executor (default:"
              + " ${DEFAULT-VALUE})")
  int connectTimeout = 30;

  @Option(
      names = "--conf",
      paramLabel = "KEY=VALUE",
      description = "a Spark setting, e.g. --conf spark.executor.memory=2g (repeatable)")
  List<String> conf = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Experiment experiment = ExperimentOptions.experiment(name);
    if (connectTimeout < 1 || connectTimeout > 3600) {
      throw new UserError(
          "--connect-timeout: " + connectTimeout + " is out of range; allowed 1 to 3600 seconds");
    }
    Map<String, String> extra = sparkSettings(conf);
    // Under spark-submit the master comes with the submission, of any kind Spark knows; --master,
    // when given, wins.
    String submitted = System.getProperty("spark.master");
    SparkMaster where;
    try {
      where =
          master == null && submitted != null
              ? SparkMaster.submitted(submitted)
              : SparkMaster.parse(master != null ? master : "local[*]");
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    List<String> given =
        options.given(
            spec.commandLine().getParseResult(),
            List.of("--master", "--connect-timeout", "--conf"));
    ExperimentRunner runner = options.prepare(experiment, given, null, "sweep");
    if (options.plan) {
      stdout.print(PlanPrinter.describe(runner, "each a Spark task on " + where.url()));
      stdout.flush();
      return 0;
    }
    try {
      where.checkReachable(Duration.ofSeconds(connectTimeout));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
    return sweep(runner, where, extra, stdout, err);
  }

  private int sweep(
      ExperimentRunner runner,
      SparkMaster where,
      Map<String, String> extra,
      PrintWriter out,
      PrintWriter err)
      throws IOException {
    Experiment experiment = runner.experiment();
    long started = System.nanoTime();
    String startedAt = Instant.now().toString();
    SparkConf conf = conf(where, experiment.name(), extra);
    long deadline = started + Duration.ofSeconds(connectTimeout).toNanos();
    JavaSparkContext spark = start(conf, where, deadline);
    try {
      int slots = awaitExecutors(spark, where, deadline);
      double contextSeconds = (System.nanoTime() - started) / 1e9;
      out.printf(
          Locale.ROOT,
          "%s%nexpected: %s%ndirectory: %s%n",
          experiment.title(),
          experiment.claim(),
          runner.dir());
      out.printf(
          Locale.ROOT,
          "Spark %s on %s: %d task(s) at once, ready in %s%n",
          spark.version(),
          where.url(),
          slots,
          Units.duration(contextSeconds));
      out.flush();
      SparkRuns runs = new SparkRuns(spark, slots, SweepListener.current());
      SweepPrinter printer = new SweepPrinter(out, err, experiment);
      List<SweepRow> rows;
      long jobStarted = System.nanoTime();
      try {
        rows = CtrlC.cancels(runner::cancel, 120, () -> runner.run(printer, runs));
      } catch (SparkRuns.JobFailed e) {
        recordSession(
            runner.dir(),
            where,
            startedAt,
            slots,
            contextSeconds,
            (System.nanoTime() - jobStarted) / 1e9,
            runs.stats());
        // Not the user's mistake, but nothing for a stack trace to explain either: what Spark
        // said, and that the finished runs are kept.
        throw new UserError(
            "Spark gave up on the sweep: "
                + e.getMessage()
                + "; the "
                + ExperimentRunner.readRows(runner.dir()).size()
                + " finished runs are kept in "
                + runner.dir()
                + ", and the same command continues the rest",
            e);
      } finally {
        printer.close();
      }
      double jobSeconds = (System.nanoTime() - jobStarted) / 1e9;
      recordSession(
          runner.dir(), where, startedAt, slots, contextSeconds, jobSeconds, runs.stats());
      int total = printer.total();
      if (rows.size() < total) {
        out.printf(
            Locale.ROOT,
            "%nstopped: %d of %d runs finished and are kept; continue with the same command"
                + " (--out %s)%n",
            rows.size(),
            total,
            runner.dir());
        out.flush();
        return 130;
      }
      SparkRuns.Stats stats = runs.stats();
      out.printf(
          Locale.ROOT,
          "%n%d runs as Spark tasks in %s (%d task attempt(s) failed and ran again, %d executor(s)"
              + " lost)%n",
          stats.tasks(),
          Units.duration(jobSeconds),
          stats.failedAttempts(),
          stats.executorsRemoved());
      out.println();
      out.print(runner.report(Plots.FIGURES));
      out.printf("%nresults (result.json, result.csv), curves and plots in %s%n", runner.dir());
      out.flush();
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** Spark's settings for this sweep: quiet, the executors' JVM options, seqlab's jars shipped. */
  static SparkConf conf(SparkMaster where, String experiment, Map<String, String> extra) {
    // new SparkConf() reads spark.* system properties: what spark-submit passes stays in force.
    // The user's --conf settings come next; what the sweep needs is added to them, not put in
    // their place.
    SparkConf conf = new SparkConf();
    extra.forEach(conf::set);
    conf.setMaster(where.url());
    conf.setIfMissing("spark.app.name", "seqlab sweep " + experiment);
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    // Each run's result (its row and curve, about 100 KB for 3000 steps) is written to disk as it
    // arrives and then dropped; Spark's cap on the results of a job (1 GB in all) would otherwise
    // end a sweep of some thousand long runs.
    conf.setIfMissing("spark.driver.maxResultSize", "0");
    append(conf, "spark.extraListeners", ",", SweepListener.class.getName());
    append(conf, "spark.executor.extraJavaOptions", " ", SparkJvm.executorOptions());
    if (!where.isLocal() && !conf.contains("spark.jars")) {
      Path self = codeSource();
      if (Files.isRegularFile(self)) {
        conf.set("spark.jars", String.join(",", jarsToShip(self)));
      } else {
        // Started from the build's classes (a test, an IDE), not from the jar: there is no jar to
        // ship, so executors, which must then run on this machine, get this class path.
        conf.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
      }
    }
    return conf;
  }

  /** Adds {@code value} to a list-valued setting (listeners, JVM options) after what it holds. */
  private static void append(SparkConf conf, String key, String separator, String value) {
    String existing = conf.get(key, "");
    conf.set(key, existing.isBlank() ? value : existing + separator + value);
  }

  /**
   * The jars an executor needs: the seqlab-sweep jar and everything in the {@code lib/} folder
   * beside it (seqlab's jars and their dependencies; Spark's own are the cluster's).
   */
  static List<String> jarsToShip(Path self) {
    List<String> jars = new ArrayList<>();
    jars.add(self.toUri().toString());
    Path lib = self.resolveSibling("lib");
    if (Files.isDirectory(lib)) {
      try (Stream<Path> entries = Files.list(lib)) {
        entries
            .filter(p -> p.getFileName().toString().endsWith(".jar"))
            .sorted()
            .forEach(p -> jars.add(p.toUri().toString()));
      } catch (IOException e) {
        throw new UserError("cannot list " + lib + ": " + e.getMessage());
      }
    }
    return jars;
  }

  /**
   * The jar (or classes folder) the sweep's executor side was loaded from: ./seqlab sweep puts
   * sweep/target/seqlab-sweep.jar first on the class path, so executors get it and its lib/ (the
   * engine, the library and their dependencies), and none of the command line's, the lab's or the
   * plots' jars.
   */
  static Path codeSource() {
    try {
      return Path.of(SparkRuns.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts Spark's context. On a cluster the context registers with the master before it returns,
   * and Spark gives a master that does not answer a minute: here it gets what is left of {@code
   * --connect-timeout}, and a context that comes up later is stopped at once.
   */
  private JavaSparkContext start(SparkConf conf, SparkMaster where, long deadline) {
    java.util.concurrent.CompletableFuture<JavaSparkContext> starting =
        new java.util.concurrent.CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("seqlab-spark-start")
        .start(
            () -> {
              try {
                JavaSparkContext context = new JavaSparkContext(conf);
                if (!starting.complete(context)) context.stop();
              } catch (Throwable e) {
                starting.completeExceptionally(e);
              }
            });
    try {
      long left = Math.max(1, deadline - System.nanoTime());
      return starting.get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // The starting thread stops the context if it ever comes up.
      starting.cancel(false);
      throw new UserError(
          "the Spark master at "
              + where.url()
              + " did not accept this sweep within "
              + connectTimeout
              + " s: is it a Spark standalone master (the port of the master itself, not of its"
              + " web UI), and is it up? (raise --connect-timeout to wait longer)");
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      throw new UserError(
          "Spark did not start on " + where.url() + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted while Spark was starting");
    }
  }

  /**
   * Waits until a cluster has given the sweep an executor, and returns how many tasks run at once.
   */
  /** How long no new executor must join before the sweep counts its task slots. */
  private static final long EXECUTORS_SETTLE_NANOS = 5_000_000_000L;

  private int awaitExecutors(JavaSparkContext spark, SparkMaster where, long deadline) {
    if (where.isLocal()) return spark.sc().defaultParallelism();
    SweepListener engine = SweepListener.current();
    while (engine.executors() == 0) {
      if (System.nanoTime() > deadline) {
        throw new UserError(
            "the Spark master at "
                + where.url()
                + " gave this sweep no executor within "
                + connectTimeout
                + " s: are workers registered with it, with free cores and"
                + " spark.executor.memory (default 1g) to spare? (raise --connect-timeout to wait"
                + " longer)");
      }
      sleep(100);
    }
    // Executors register one by one, each after its JVM has started (seconds on a loaded machine):
    // count their cores once none has joined for a while.
    int seen = engine.executors();
    long quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < EXECUTORS_SETTLE_NANOS
        && System.nanoTime() < deadline) {
      sleep(200);
      if (engine.executors() != seen) {
        seen = engine.executors();
        quietSince = System.nanoTime();
      }
    }
    return Math.max(1, engine.cores());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserError("interrupted while waiting for an executor");
    }
  }

  /** Reads {@code --conf KEY=VALUE} entries. */
  static Map<String, String> sparkSettings(List<String> entries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq <= 0 || !e.startsWith("spark.")) {
        throw new UserError(
            "--conf " + e + ": write spark.KEY=VALUE, e.g. spark.executor.memory=2g");
      }
      out.put(e.substring(0, eq), e.substring(eq + 1));
    }
    return out;
  }

  /** One start of a sweep, as {@code sweep.json} lists it. */
  record Session(
      String master,
      String started,
      int slots,
      double contextSeconds,
      double jobSeconds,
      int runsFinished,
      int failedAttempts,
      int executorsAdded,
      int executorsRemoved,
      List<String> failures,
      double taskSeconds,
      double runSeconds) {}

  private static void recordSession(
      Path dir,
      SparkMaster where,
      String startedAt,
      int slots,
      double contextSeconds,
      double jobSeconds,
      SparkRuns.Stats stats)
      throws IOException {
    Path file = dir.resolve(SWEEP);
    List<Session> sessions = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      sessions.addAll(List.of(RunDirectory.JSON.readValue(file.toFile(), Session[].class)));
    }
    sessions.add(
        new Session(
            where.url(),
            startedAt,
            slots,
            contextSeconds,
            jobSeconds,
            stats.tasks(),
            stats.failedAttempts(),
            stats.executorsAdded(),
            stats.executorsRemoved(),
            stats.failures(),
            stats.taskSeconds(),
            stats.runSeconds()));
    Files.createDirectories(dir);
    AtomicFiles.write(file, RunDirectory.JSON.writeValueAsBytes(sessions));
  }
}
