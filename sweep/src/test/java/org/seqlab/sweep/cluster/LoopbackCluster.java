package org.seqlab.sweep.cluster;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.seqlab.sweep.SparkJvm;

/**
 * A Spark standalone cluster on 127.0.0.1: one master and some workers, each a child process of
 * this JVM, started from the Spark jars Maven downloaded. Nothing is downloaded or installed at run
 * time, and no Spark distribution is needed.
 *
 * <p>A worker launches its executors as JVMs of their own, and it finds their class path the way
 * Spark's scripts do: in {@code $SPARK_HOME/jars}. So the cluster first builds a stand-in {@code
 * SPARK_HOME} under {@code dir} whose {@code jars/} folder links to every jar of {@code sparkJars};
 * master and workers run from that same folder, so all three kinds of JVM see one class path.
 *
 * <p>The layout under {@code dir}:
 *
 * <pre>
 * spark-home/RELEASE, spark-home/jars/*.jar   what Spark's launcher takes for a distribution
 * logs/master.log, logs/worker-N.log          stdout and stderr of each daemon
 * work/worker-N/                              each worker's applications: executor stdout, stderr
 * local/worker-N/                             each worker's scratch space (shuffle, blocks)
 * </pre>
 *
 * <p>A driver that uses the cluster sets {@code spark.master} to {@link #masterUrl()} and {@code
 * spark.executor.extraJavaOptions} to {@link #executorJavaOptions()}. {@link #killWorker(int)}
 * imitates a crashed machine, which is what fault-tolerance tests need; {@link #close()} stops
 * everything, and a shutdown hook does the same if the JVM exits first.
 *
 * <p>Run as a program ({@link #main(String[])}), it starts a cluster and keeps it up until Ctrl-C.
 */
public final class LoopbackCluster implements AutoCloseable {

  /** Every process binds and connects on the loopback address only. */
  private static final String HOST = "127.0.0.1";

  /**
   * How long, in seconds, the master waits for a silent worker before it declares it dead. Spark's
   * default is 60 s; a crash test wants to see the loss within seconds. Workers read the same
   * setting to pace their heartbeats (four per timeout), so master and workers must agree on it. A
   * killed worker is usually noticed sooner still: its connection to the master closes.
   */
  private static final int WORKER_TIMEOUT_SECONDS = 5;

  /** The heap of master and workers; Spark's scripts give their daemons the same. */
  private static final String DAEMON_HEAP = "-Xmx1g";

  /** How long {@link #killWorker} and {@link #close} wait for a killed process to disappear. */
  private static final long EXIT_WAIT_SECONDS = 30;

  private static final Duration EXIT_WAIT = Duration.ofSeconds(EXIT_WAIT_SECONDS);

  /** How often the master's status page is read while waiting. */
  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

  /** How many lines of each log an error message quotes. */
  private static final int LOG_TAIL_LINES = 25;

  /**
   * Classes every daemon or executor loads at start-up, each with the jar that brings it: a class
   * path without one of them is incomplete.
   */
  private static final Map<String, String> REQUIRED_CLASSES =
      Map.of(
          "org.apache.spark.deploy.master.Master", "spark-core",
          "org.apache.spark.executor.CoarseGrainedExecutorBackend", "spark-core",
          "org.apache.spark.launcher.AbstractCommandBuilder", "spark-launcher",
          "io.netty.channel.EventLoopGroup", "netty-transport",
          "com.fasterxml.jackson.databind.ObjectMapper", "jackson-databind",
          "scala.Product", "scala-library");

  /** The Scala version Spark 4 is built for, used when the jar names do not tell. */
  private static final String DEFAULT_SCALA_VERSION = "2.13";

  private static final Pattern SPARK_CORE_JAR =
      Pattern.compile("spark-core_(\\d+\\.\\d+)-.*\\.jar");
  private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
  private static final Pattern MEMORY = Pattern.compile("\\d+[kmgt]?b?", Pattern.CASE_INSENSITIVE);

  /**
   * One daemon of the cluster: its JVM, its log, and, for a worker, the text by which its executors
   * can be recognised among all processes of the machine (see {@link #strays}).
   */
  private record Daemon(String name, Process process, Path log, String childMarker) {}

  private final Path dir;
  private final Path sparkHome;
  private final String scalaVersion;
  private final int masterPort;
  private final int webUiPort;
  private final int workerCount;
  private final HttpClient http;
  private final Thread shutdownHook;

  private Daemon master;
  private final List<Daemon> workers = new ArrayList<>();
  private volatile boolean closed;

  private LoopbackCluster(
      Path dir, Path sparkHome, String scalaVersion, int masterPort, int webUiPort, int workers) {
    this.dir = dir;
    this.sparkHome = sparkHome;
    this.scalaVersion = scalaVersion;
    this.masterPort = masterPort;
    this.webUiPort = webUiPort;
    this.workerCount = workers;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    this.shutdownHook = Thread.ofPlatform().name("loopback-cluster-shutdown").unstarted(this::stop);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a master and {@code workers} workers of {@code coresPerWorker} cores and {@code
   * workerMemory} (e.g. "1g") each, and returns once every worker has registered with the master.
   *
   * @param dir receives the stand-in SPARK_HOME, the logs and the work directories; created if
   *     missing, and may be reused by a later cluster (the logs are then overwritten)
   * @param sparkJars the full class path of Spark: every jar a Spark distribution's {@code jars/}
   *     folder would hold, including Jackson's databind, core and annotations jars
   * @param timeout how long to wait for the whole cluster to come up
   * @throws IOException if a daemon could not be started, died, or the workers did not all register
   *     within {@code timeout}; the message quotes the end of each log. Everything already started
   *     is stopped first.
   */
  public static LoopbackCluster start(
      Path dir,
      List<Path> sparkJars,
      int workers,
      int coresPerWorker,
      String workerMemory,
      Duration timeout)
      throws IOException {
    if (workers < 1) {
      throw new IllegalArgumentException("a cluster needs at least one worker, not " + workers);
    }
    if (coresPerWorker < 1) {
      throw new IllegalArgumentException("a worker needs at least one core, not " + coresPerWorker);
    }
    if (workerMemory == null || !MEMORY.matcher(workerMemory).matches()) {
      throw new IllegalArgumentException(
          "worker memory must look like 512m or 1g (as Spark writes it), not " + workerMemory);
    }
    Objects.requireNonNull(timeout, "timeout");
    Instant deadline = Instant.now().plus(timeout);

    dir = dir.toAbsolutePath();
    Path sparkHome = buildSparkHome(dir.resolve("spark-home"), sparkJars);
    Files.createDirectories(dir.resolve("logs"));
    int[] ports = freePorts(2 + workers);

    var cluster =
        new LoopbackCluster(dir, sparkHome, scalaVersion(sparkJars), ports[0], ports[1], workers);
    try {
      cluster.boot(ports, coresPerWorker, workerMemory, deadline, timeout);
      return cluster;
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The URL a driver passes as its master: {@code spark://127.0.0.1:PORT}. */
  public String masterUrl() {
    return "spark://" + HOST + ":" + masterPort;
  }

  /** The master's web UI, which lists workers, applications and executors. */
  public String masterWebUiUrl() {
    return "http://" + HOST + ":" + webUiPort + "/";
  }

  /** How many workers were started (killed ones included). */
  public int workers() {
    return workerCount;
  }

  /** The folder given to {@link #start}: SPARK_HOME, logs and work directories. */
  public Path dir() {
    return dir;
  }

  /** The master's log (its stdout and stderr). */
  public Path masterLog() {
    return dir.resolve("logs/master.log");
  }

  /** The log (stdout and stderr) of worker {@code index}; its executors log under {@link #dir}. */
  public Path workerLog(int index) {
    Objects.checkIndex(index, workerCount);
    return dir.resolve("logs/worker-" + index + ".log");
  }

  /**
   * Kills worker {@code index} at once, as a crash would: the worker JVM and every process it
   * launched (its executors), with SIGKILL, so that none of them can say goodbye to the master or
   * the driver. Returns when all of them are gone. Killing a dead worker does nothing.
   *
   * @throws IllegalStateException if a process is still alive {@value #EXIT_WAIT_SECONDS} s later
   */
  public void killWorker(int index) {
    Objects.checkIndex(index, workerCount);
    Daemon worker;
    synchronized (this) {
      worker = workers.get(index);
    }
    killTree(worker);
  }

  /** Whether the JVM of worker {@code index} is still running. */
  public boolean workerAlive(int index) {
    Objects.checkIndex(index, workerCount);
    synchronized (this) {
      return workers.get(index).process().isAlive();
    }
  }

  /** The JVM of worker {@code index} and the processes it runs now (its executors). */
  public List<ProcessHandle> workerProcesses(int index) {
    Objects.checkIndex(index, workerCount);
    synchronized (this) {
      return tree(workers.get(index).process().toHandle());
    }
  }

  /** Every process of the cluster running now: master, workers and executors. */
  public synchronized List<ProcessHandle> processes() {
    return daemons().stream().flatMap(d -> tree(d.process().toHandle()).stream()).toList();
  }

  /**
   * How many workers the master counts as alive now, from the {@code aliveworkers} field of its
   * JSON status page.
   *
   * @throws IOException if the master does not answer
   */
  public int aliveWorkersAtMaster() throws IOException {
    String json = masterStatusJson();
    Matcher m = ALIVE_WORKERS.matcher(json);
    if (!m.find()) {
      throw new IOException(
          "the master's status page "
              + statusUrl()
              + " has no \"aliveworkers\" field; has its JSON format changed? It reads: "
              + abbreviate(json));
    }
    return Integer.parseInt(m.group(1));
  }

  /**
   * Waits until the master counts exactly {@code count} workers as alive: after {@link #start}, or
   * after {@link #killWorker}, to see that the master has noticed the loss.
   *
   * @throws IOException if the master dies or the count is not reached within {@code timeout}
   */
  public void awaitAliveWorkers(int count, Duration timeout) throws IOException {
    awaitAliveWorkers(count, Instant.now().plus(timeout), timeout, false);
  }

  /**
   * The JVM options an executor on this cluster needs, to be set as the driver's {@code
   * spark.executor.extraJavaOptions}: the JDK packages Spark opens by reflection, the Vector API
   * that seqlab's kernels use ({@code --add-modules jdk.incubator.vector}), native access (so that
   * Java does not warn when Spark's compression codecs load their native code), and the 16 MiB
   * thread stack that seqlab's launcher gives every seqlab JVM. One line, options separated by
   * spaces; the same as {@link SparkJvm#executorOptions()}.
   */
  public static String executorJavaOptions() {
    return SparkJvm.executorOptions();
  }

  /** Stops every process (master, workers and their executors) at once; idempotent. */
  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting and runs the hook anyway; stop() has already done its work.
    }
    http.close();
  }

  /** Whether {@link #close} has been called (or the shutdown hook has run). */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Reads a class path from a file such as {@code target/spark.classpath}: entries separated by the
   * platform's path separator or by line breaks; blank entries are skipped.
   */
  public static List<Path> readClassPath(Path file) throws IOException {
    String text = Files.readString(file);
    return Arrays.stream(text.split("[" + Pattern.quote(File.pathSeparator) + "\\r\\n]+"))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .map(Path::of)
        .toList();
  }

  /**
   * Starts a cluster from the command line and keeps it up until Ctrl-C or SIGTERM:
   *
   * <pre>
   * java -cp ... org.seqlab.sweep.cluster.LoopbackCluster \
   *     --workers 2 --cores 1 --memory 1g --dir DIR --classpath-file F [--classpath-file G] \
   *     [--timeout SECONDS]
   * </pre>
   *
   * <p>Each {@code --classpath-file} holds jars separated by ':' or line breaks; together they must
   * make up Spark's full class path (for a build of this project: {@code
   * sweep/target/spark.classpath} and the {@code jackson-*.jar} files of {@code sweep/target/lib}).
   * Once the workers have registered, prints {@code master spark://127.0.0.1:PORT} on stdout;
   * everything else goes to stderr. Exits with 2 on bad arguments, 1 if the cluster fails.
   */
  public static void main(String[] args) {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(CommandLine.USAGE);
      return;
    }
    CommandLine options;
    try {
      options = CommandLine.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("loopback cluster: " + e.getMessage());
      System.err.println(CommandLine.USAGE);
      System.exit(2);
      return;
    }
    LoopbackCluster cluster;
    try {
      var jars = new ArrayList<Path>();
      for (Path file : options.classPathFiles()) {
        jars.addAll(readClassPath(file));
      }
      Path dir =
          options.dir() != null
              ? options.dir()
              : Files.createTempDirectory("seqlab-loopback-cluster-");
      cluster =
          start(dir, jars, options.workers(), options.cores(), options.memory(), options.timeout());
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("loopback cluster: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println("master " + cluster.masterUrl());
    System.out.flush();
    System.err.println("web UI " + cluster.masterWebUiUrl());
    System.err.println("logs   " + cluster.dir().resolve("logs"));
    System.err.println("Ctrl-C stops the cluster.");

    // Ctrl-C or SIGTERM runs the shutdown hook, which stops everything; the master's exit then
    // wakes this thread, which has nothing left to do. A master that exits on its own is an error.
    Process masterProcess = cluster.master.process();
    masterProcess.onExit().join();
    if (!cluster.isClosed()) {
      System.err.println(
          "loopback cluster: the master exited with status "
              + masterProcess.exitValue()
              + "; stopping the workers.\n"
              + cluster.logTails());
      cluster.close();
      System.exit(1);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Starting

  /** Starts the master, waits for it to serve its status page, then starts and awaits workers. */
  private void boot(
      int[] ports, int coresPerWorker, String workerMemory, Instant deadline, Duration timeout)
      throws IOException {
    // Workers start only once the master listens: a worker whose first registration fails retries
    // after 5 to 15 seconds, which would make every start-up slow.
    synchronized (this) {
      master =
          launch(
              "master",
              masterLog(),
              null,
              "org.apache.spark.deploy.master.Master",
              List.of("--host", HOST, "--port", "" + masterPort, "--webui-port", "" + webUiPort));
    }
    awaitMasterUp(deadline, timeout);

    for (int i = 0; i < workerCount; i++) {
      int port = ports[2 + i];
      Path workDir = Files.createDirectories(dir.resolve("work/worker-" + i));
      Path localDir = Files.createDirectories(dir.resolve("local/worker-" + i));
      List<String> args =
          List.of(
              "--host",
              HOST,
              "--port",
              "" + port,
              "--webui-port",
              "0",
              "--cores",
              "" + coresPerWorker,
              "--memory",
              workerMemory,
              "--work-dir",
              workDir.toString(),
              masterUrl());
      // Executors receive their worker's address as --worker-url; see strays().
      String marker = "Worker@" + HOST + ":" + port;
      synchronized (this) {
        if (closed) {
          throw new IOException("the cluster was closed while it was starting");
        }
        workers.add(
            launch(
                "worker-" + i,
                workerLog(i),
                Map.of("SPARK_LOCAL_DIRS", localDir.toString()),
                "org.apache.spark.deploy.worker.Worker",
                args,
                marker));
      }
    }
    awaitAliveWorkers(workerCount, deadline, timeout, true);
  }

  private Daemon launch(
      String name, Path log, Map<String, String> extraEnv, String mainClass, List<String> args)
      throws IOException {
    return launch(name, log, extraEnv, mainClass, args, null);
  }

  /**
   * Starts one daemon JVM with its output in {@code log}.
   *
   * <p>The environment is the parent's without any {@code SPARK_*} variable (so that a Spark
   * installation of the user's, or its {@code SPARK_CONF_DIR}, cannot change the cluster), plus:
   *
   * <ul>
   *   <li>{@code SPARK_HOME}: where a worker's launcher looks for the executors' jars;
   *   <li>{@code SPARK_SCALA_VERSION}: the launcher asks for the Scala version before it looks at
   *       {@code SPARK_HOME} at all, and without this variable it searches a Spark source tree for
   *       it, failing every executor launch with "Cannot find any build directories";
   *   <li>{@code SPARK_LOCAL_IP}: every address Spark picks for itself is the loopback one;
   *   <li>{@code JAVA_HOME}: executors run on the JDK running this JVM, which the options of {@link
   *       #executorJavaOptions()} were chosen for.
   * </ul>
   */
  private Daemon launch(
      String name,
      Path log,
      Map<String, String> extraEnv,
      String mainClass,
      List<String> args,
      String childMarker)
      throws IOException {
    String javaHome = System.getProperty("java.home");
    var command = new ArrayList<String>();
    command.add(Path.of(javaHome, "bin", "java").toString());
    command.add("-cp");
    command.add(sparkHome.resolve("jars") + File.separator + "*");
    command.add(DAEMON_HEAP);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(SparkJvm.opens());
    command.add("-Dspark.worker.timeout=" + WORKER_TIMEOUT_SECONDS);
    // Off, as by default, but explicitly: the REST submission server takes the fixed port 6066,
    // where a second cluster on the machine would clash with the first.
    command.add("-Dspark.master.rest.enabled=false");
    command.add(mainClass);
    command.addAll(args);

    var builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("SPARK_"));
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", scalaVersion);
    env.put("SPARK_LOCAL_IP", HOST);
    env.put("JAVA_HOME", javaHome);
    if (extraEnv != null) {
      env.putAll(extraEnv);
    }
    builder.directory(dir.toFile());
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    try {
      return new Daemon(name, builder.start(), log, childMarker);
    } catch (IOException e) {
      throw new IOException("could not start the " + name + " (" + command.getFirst() + ")", e);
    }
  }

  /** Waits until the master's status page answers. */
  private void awaitMasterUp(Instant deadline, Duration timeout) throws IOException {
    IOException last = null;
    while (Instant.now().isBefore(deadline)) {
      requireAlive(true);
      try {
        masterStatusJson();
        return;
      } catch (IOException notYet) {
        last = notYet;
      }
      pause();
    }
    throw new IOException(
        "the master did not serve "
            + statusUrl()
            + " within "
            + seconds(timeout)
            + " ("
            + last
            + ")\n"
            + logTails());
  }

  private void awaitAliveWorkers(
      int count, Instant deadline, Duration timeout, boolean requireWorkers) throws IOException {
    int alive = -1;
    IOException last = null;
    while (true) {
      requireAlive(requireWorkers);
      try {
        alive = aliveWorkersAtMaster();
        if (alive == count) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      if (!Instant.now().isBefore(deadline)) {
        break;
      }
      pause();
    }
    throw new IOException(
        "the master counted "
            + (alive < 0 ? "no" : alive)
            + " alive workers, not "
            + count
            + ", after "
            + seconds(timeout)
            + (last != null ? " (last error: " + last + ")" : "")
            + "; is the machine short of memory or CPU? The logs say:\n"
            + logTails());
  }

  /** Throws, with the logs, if the master (and, if asked, a worker) has died. */
  private void requireAlive(boolean workersToo) throws IOException {
    if (closed) {
      throw new IOException("the cluster has been closed");
    }
    for (Daemon d : daemons()) {
      if ((d == master || workersToo) && !d.process().isAlive()) {
        throw new IOException(
            "the "
                + d.name()
                + " exited with status "
                + d.process().exitValue()
                + " (see "
                + d.log()
                + ")\n"
                + logTails());
      }
    }
  }

  private String masterStatusJson() throws IOException {
    var request = HttpRequest.newBuilder(statusUrl()).timeout(Duration.ofSeconds(2)).GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException(statusUrl() + " answered HTTP " + response.statusCode());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading " + statusUrl());
    }
  }

  private URI statusUrl() {
    return URI.create(masterWebUiUrl() + "json/");
  }

  /**
   * Builds the stand-in SPARK_HOME: {@code jars/} with a link to each jar, and a {@code RELEASE}
   * file. Spark's launcher reads a folder with {@code RELEASE} as a distribution, whose jars are in
   * {@code jars/}; without it, it looks for a source tree's build output.
   */
  private static Path buildSparkHome(Path home, List<Path> sparkJars) throws IOException {
    if (sparkJars.isEmpty()) {
      throw new IllegalArgumentException("Spark's class path is empty; no jar to run Spark from");
    }
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    // A reused folder may hold links to another class path: start from an empty jars/.
    try (DirectoryStream<Path> old = Files.newDirectoryStream(jars)) {
      for (Path p : old) {
        Files.delete(p);
      }
    }
    for (Path jar : sparkJars) {
      Path target = jar.toAbsolutePath();
      if (!Files.isRegularFile(target)) {
        throw new IOException(
            "Spark's class path names "
                + jar
                + ", which is not a file; build the sweep module (mvn package) so that Maven"
                + " downloads Spark's jars");
      }
      link(jars, target);
    }
    requireClasses(sparkJars);
    Files.writeString(home.resolve("RELEASE"), "Spark (loopback cluster from Maven's jars)\n");
    return home;
  }

  /**
   * Checks that the class path holds a few classes without which no daemon or executor starts, so
   * that an incomplete class path is reported as such rather than as a daemon that died.
   */
  private static void requireClasses(List<Path> sparkJars) throws IOException {
    var missing = new TreeMap<>(REQUIRED_CLASSES);
    for (Path jar : sparkJars) {
      try (var zip = new ZipFile(jar.toFile())) {
        missing.keySet().removeIf(c -> zip.getEntry(c.replace('.', '/') + ".class") != null);
      }
      if (missing.isEmpty()) {
        return;
      }
    }
    throw new IllegalArgumentException(
        "Spark's class path lacks "
            + missing.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", "))
            + "; it must hold every jar of a Spark distribution's jars/ folder. In a build of"
            + " this project that is target/spark.classpath plus the Jackson jars of target/lib,"
            + " which Maven puts among seqlab's runtime jars instead");
  }

  /** Links {@code target} into {@code folder} under its own name, or a numbered one if taken. */
  private static void link(Path folder, Path target) throws IOException {
    String name = target.getFileName().toString();
    String stem = name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    for (int n = 1; ; n++) {
      Path link = folder.resolve(n == 1 ? stem + ".jar" : stem + "-" + n + ".jar");
      if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
        if (Files.isSameFile(link, target)) {
          return; // listed twice
        }
        continue;
      }
      try {
        Files.createSymbolicLink(link, target);
      } catch (UnsupportedOperationException | IOException noLinks) {
        // Some file systems (or Windows without the privilege) have no symbolic links.
        Files.copy(target, link);
      }
      return;
    }
  }

  /** The Scala version in the name of the spark-core jar, e.g. 2.13 in spark-core_2.13-4.2.0. */
  private static String scalaVersion(List<Path> sparkJars) {
    return sparkJars.stream()
        .map(p -> SPARK_CORE_JAR.matcher(p.getFileName().toString()))
        .filter(Matcher::matches)
        .map(m -> m.group(1))
        .findFirst()
        .orElse(DEFAULT_SCALA_VERSION);
  }

  /**
   * {@code count} distinct ports free on the loopback address now. All sockets stay open until
   * every port is chosen, so no port is picked twice; another program could still take one before
   * Spark binds it, which start() then reports as a daemon that exited.
   */
  private static int[] freePorts(int count) throws IOException {
    var sockets = new ArrayList<ServerSocket>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        var socket = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stopping

  /** Kills every daemon and its children; what both close() and the shutdown hook do. */
  private void stop() {
    List<Daemon> all;
    synchronized (this) {
      closed = true;
      all = daemons();
    }
    // Workers first, so that no worker sees its master vanish and starts to reconnect.
    RuntimeException failure = null;
    for (Daemon d : all.reversed()) {
      try {
        killTree(d);
      } catch (RuntimeException e) {
        // Still stop the others; report the first failure at the end.
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Kills a daemon and everything it launched with SIGKILL, and waits until all of it is gone.
   *
   * <p>The children are listed before the daemon dies, because an orphan leaves the tree: it is
   * adopted by init and is no longer the daemon's descendant. An executor whose launch was under
   * way at that moment would escape the list; it still names its worker in its arguments, so a last
   * look at every process of the machine finds it.
   */
  private static void killTree(Daemon daemon) {
    ProcessHandle root = daemon.process().toHandle();
    List<ProcessHandle> doomed = new ArrayList<>(tree(root));
    doomed.forEach(ProcessHandle::destroyForcibly);
    awaitExit(daemon.name(), List.of(root));
    if (daemon.childMarker() != null) {
      List<ProcessHandle> strays = strays(daemon.childMarker());
      strays.forEach(ProcessHandle::destroyForcibly);
      doomed.addAll(strays);
    }
    awaitExit(daemon.name(), doomed);
  }

  /** {@code root} and all its descendants, {@code root} first. */
  private static List<ProcessHandle> tree(ProcessHandle root) {
    return Stream.concat(Stream.of(root), root.descendants()).toList();
  }

  /** Live processes whose command line contains {@code marker}, other than this JVM. */
  private static List<ProcessHandle> strays(String marker) {
    long self = ProcessHandle.current().pid();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(p -> p.pid() != self)
          .filter(
              p ->
                  p.info().arguments().stream()
                      .flatMap(Arrays::stream)
                      .anyMatch(arg -> arg.contains(marker)))
          .toList();
    }
  }

  private static void awaitExit(String owner, List<ProcessHandle> processes) {
    Instant deadline = Instant.now().plus(EXIT_WAIT);
    for (ProcessHandle p : processes) {
      try {
        long left = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
        p.onExit().get(left, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            "process "
                + p.pid()
                + " of the "
                + owner
                + " is still alive "
                + seconds(EXIT_WAIT)
                + " after SIGKILL; is it stuck in the kernel (e.g. on a hung disk)?");
      } catch (ExecutionException e) {
        throw new IllegalStateException("could not wait for process " + p.pid(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The master, then the workers, in order; only those started so far. */
  private List<Daemon> daemons() {
    synchronized (this) {
      var all = new ArrayList<Daemon>();
      if (master != null) {
        all.add(master);
      }
      all.addAll(workers);
      return all;
    }
  }

  /** The last lines of every daemon's log, each under a heading that names the file. */
  private String logTails() {
    return daemons().stream()
        .map(
            d ->
                "--- "
                    + d.name()
                    + " ("
                    + d.log()
                    + "), last lines ---\n"
                    + tail(d.log(), LOG_TAIL_LINES))
        .collect(Collectors.joining("\n"));
  }

  /** The last {@code lines} lines of a file, read from its last 64 KiB at most. */
  private static String tail(Path file, int lines) {
    try (var in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      int size = (int) Math.min(length, 64 * 1024);
      byte[] bytes = new byte[size];
      in.seek(length - size);
      in.readFully(bytes);
      List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(could not read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static void pause() throws InterruptedIOException {
    try {
      Thread.sleep(POLL_INTERVAL);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the cluster");
    }
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }

  /** The options of {@link #main}. */
  private record CommandLine(
      int workers,
      int cores,
      String memory,
      Path dir,
      List<Path> classPathFiles,
      Duration timeout) {

    static final String USAGE =
        """
        usage: LoopbackCluster --classpath-file FILE [--classpath-file FILE ...]
                               [--workers N (2)] [--cores C (1)] [--memory M (1g)]
                               [--dir DIR (a new temporary folder)] [--timeout SECONDS (60)]""";

    static CommandLine parse(String[] args) {
      int workers = 2;
      int cores = 1;
      String memory = "1g";
      Path dir = null;
      var classPathFiles = new ArrayList<Path>();
      Duration timeout = Duration.ofSeconds(60);
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(option + " needs a value");
        }
        String value = args[++i];
        switch (option) {
          case "--workers" -> workers = positive(option, value);
          case "--cores" -> cores = positive(option, value);
          case "--memory" -> memory = value;
          case "--dir" -> dir = Path.of(value);
          case "--classpath-file" -> classPathFiles.add(Path.of(value));
          case "--timeout" -> timeout = Duration.ofSeconds(positive(option, value));
          default -> throw new IllegalArgumentException("unknown option " + option);
        }
      }
      if (classPathFiles.isEmpty()) {
        throw new IllegalArgumentException("--classpath-file is required");
      }
      return new CommandLine(workers, cores, memory, dir, classPathFiles, timeout);
    }

    private static int positive(String option, String value) {
      try {
        int n = Integer.parseInt(value);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(option + " needs a positive whole number, not " + value);
    }
  }
}
