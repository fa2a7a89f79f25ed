package org.seqlab.sweep;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a sweep's tasks run, as Spark names it: {@code local[N]} (threads of this process) or a
 * standalone cluster's {@code spark://HOST:PORT} (one or more masters, comma-separated). Checked
 * before anything starts, so that a typo costs one line, not a minute of Spark retrying.
 *
 * @param url the master URL as Spark takes it
 * @param local whether the tasks run in this process
 * @param masters the standalone cluster's masters, to check before Spark starts (empty in local
 *     mode, and for a master that {@code spark-submit} passed on)
 */
public record SparkMaster(String url, boolean local, List<InetSocketAddress> masters) {

  private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|\\d+)(,(\\d+))?])?");
  private static final Pattern HOST_PORT =
      Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9a-fA-F:]+]):(\\d+)");

  /** What {@code --master} allows, for messages. */
  public static final String ALLOWED =
      "local, local[N], local[*], local[N,F] (F: tries per task) or spark://HOST:PORT";

  public boolean isLocal() {
    return local;
  }

  /**
   * The master {@code spark-submit} passed on: any kind it knows (YARN, Kubernetes, ...), taken as
   * it is.
   */
  public static SparkMaster submitted(String url) {
    return new SparkMaster(url, url.startsWith("local"), List.of());
  }

  /**
   * Reads {@code --master}.
   *
   * @throws IllegalArgumentException saying what is wrong and what is allowed
   */
  public static SparkMaster parse(String url) {
    String u = url.strip();
    Matcher local = LOCAL.matcher(u);
    if (local.matches()) {
      String threads = local.group(2);
      if (threads != null && !threads.equals("*")) {
        long n = Long.parseLong(threads.length() > 6 ? "9999999" : threads);
        if (n < 1 || n > 1024) {
          throw new IllegalArgumentException(
              "--master " + url + ": local mode takes 1 to 1024 threads, or * for every core");
        }
      }
      String tries = local.group(4);
      if (tries != null && (tries.length() > 3 || Integer.parseInt(tries) < 1)) {
        throw new IllegalArgumentException(
            "--master " + url + ": the tries per task F in local[N,F] must be 1 to 999");
      }
      return new SparkMaster(u, true, List.of());
    }
    if (u.startsWith("spark://")) {
      List<InetSocketAddress> masters = new ArrayList<>();
      for (String part : u.substring("spark://".length()).split(",", -1)) {
        Matcher m = HOST_PORT.matcher(part);
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "--master " + url + ": '" + part + "' is not HOST:PORT; allowed: " + ALLOWED);
        }
        int port = m.group(2).length() > 5 ? 0 : Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException(
              "--master " + url + ": the port must be 1 to 65535, got " + m.group(2));
        }
        String host = m.group(1).replace("[", "").replace("]", "");
        masters.add(InetSocketAddress.createUnresolved(host, port));
      }
      return new SparkMaster(u, false, List.copyOf(masters));
    }
    if (u.startsWith("yarn") || u.startsWith("k8s://") || u.startsWith("mesos://")) {
      throw new IllegalArgumentException(
          "--master "
              + url
              + ": seqlab sweep starts "
              + ALLOWED
              + " itself; for YARN or Kubernetes submit app/target/seqlab.jar with"
              + " spark-submit (README: Sweeps on a cluster)");
    }
    throw new IllegalArgumentException(
        "--master " + url + " is not a Spark master URL; allowed: " + ALLOWED);
  }

  /**
   * Checks that some master of the cluster accepts a connection within {@code timeout}.
   *
   * @throws IllegalArgumentException naming the addresses tried and what went wrong
   */
  public void checkReachable(Duration timeout) {
    if (masters.isEmpty()) return;
    List<String> failures = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (InetSocketAddress m : masters) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      try (Socket s = new Socket()) {
        s.connect(
            new InetSocketAddress(m.getHostString(), m.getPort()),
            (int) Math.min(left, Integer.MAX_VALUE));
        return;
      } catch (IOException e) {
        failures.add(m.getHostString() + ":" + m.getPort() + " (" + reason(e) + ")");
      }
    }
    throw new IllegalArgumentException(
        "cannot reach the Spark master at "
            + url
            + " within "
            + timeout.toSeconds()
            + " s: "
            + String.join(", ", failures)
            + "; is the master running, and are HOST and PORT its --host and --port?");
  }

  private static String reason(IOException e) {
    if (e instanceof java.net.UnknownHostException) return "unknown host";
    if (e instanceof java.net.SocketTimeoutException) return "no answer";
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
