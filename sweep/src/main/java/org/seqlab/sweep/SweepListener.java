package org.seqlab.sweep;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What the engine does during a sweep, as Spark reports it: executors as they come and go, with
 * their cores (how many runs train at once), and task attempts that fail (and run again).
 *
 * <p>Spark creates it with the context ({@code spark.extraListeners}), so that it hears from the
 * first executor on; a listener added afterwards could miss executors that registered before it.
 * One context runs in a process at a time, so the one created last is {@link #current()}.
 */
public final class SweepListener extends SparkListener {

  private static volatile SweepListener current;

  private final Map<String, Integer> cores = new ConcurrentHashMap<>();
  private final AtomicInteger failedAttempts = new AtomicInteger();
  private final AtomicInteger executorsAdded = new AtomicInteger();
  private final AtomicInteger executorsRemoved = new AtomicInteger();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

  /** Called by Spark as it starts a context. */
  public SweepListener() {
    current = this;
  }

  /** The listener of the context started last. */
  public static SweepListener current() {
    SweepListener l = current;
    if (l == null) throw new IllegalStateException("no Spark context has started a sweep listener");
    return l;
  }

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded added) {
    executorsAdded.incrementAndGet();
    cores.put(added.executorId(), added.executorInfo().totalCores());
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    executorsRemoved.incrementAndGet();
    cores.remove(removed.executorId());
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.reason() != Success$.MODULE$) {
      failedAttempts.incrementAndGet();
      if (failures.size() < 20) failures.add(end.reason().toString());
    }
  }

  /** The executors alive now. */
  public int executors() {
    return cores.size();
  }

  /** The cores of the executors alive now: how many tasks run at once on a cluster. */
  public int cores() {
    return cores.values().stream().mapToInt(Integer::intValue).sum();
  }

  public int failedAttempts() {
    return failedAttempts.get();
  }

  public int executorsAdded() {
    return executorsAdded.get();
  }

  public int executorsRemoved() {
    return executorsRemoved.get();
  }

  List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }
}
