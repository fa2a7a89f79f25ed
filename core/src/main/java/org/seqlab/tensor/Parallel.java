package org.seqlab.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The concurrency primitive of the kernels: split a range of independent items (rows of a matrix
 * product, batch elements) into one contiguous chunk per thread, run them at once, and wait. The
 * caller's thread takes the first chunk, so one thread means a plain loop with no hand-off. {@link
 * #forRangeBalanced} cuts the range finer and lets the threads share the pieces out as they finish,
 * for the matrix products, where a core slowed by other work would otherwise hold up the rest.
 *
 * <p><b>Workers that wait awake.</b> The other chunks run on {@code threads - 1} worker threads of
 * this class's own. After a chunk a worker spins for {@link #IDLE_SPIN_NANOS} nanoseconds watching
 * for the next one before it parks: a training step or an inference pass makes loop after loop, and
 * waking a parked thread costs tens of microseconds (about 80 µs measured on a 2-core virtual
 * machine, as much as a whole small inference pass), where handing a chunk to a spinning worker
 * costs well under one. Work below {@link #MIN_PARALLEL_WORK} multiply-adds stays on the caller's
 * thread all the same. A parked worker is woken with every core but its caller's allowed to it
 * ({@link CoreAffinity}): Linux would otherwise often queue it behind the caller, on the caller's
 * core, for milliseconds.
 *
 * <p><b>One caller at a time.</b> The workers serve one loop at a time; a loop started on another
 * thread while they are busy (two models trained side by side) runs on its caller's thread alone.
 * Every kernel gives the same bits whatever the split, so this changes only the time.
 */
public final class Parallel {
  private Parallel() {}

  /** Multiply-adds below which a call runs on the caller's thread alone. */
  public static final long MIN_PARALLEL_WORK = 1L << 15;

  /**
   * How long an idle worker (here, and a {@code RecurrentStream}'s helper) spins for its next piece
   * of work before it parks: longer than the gap between two loops of a step, short enough that an
   * idle program soon leaves the cores alone.
   */
  public static final long IDLE_SPIN_NANOS = 200_000;

  /** Per thread: true while it runs a chunk of a parallel loop. */
  private static final ThreadLocal<boolean[]> INSIDE =
      ThreadLocal.withInitial(() -> new boolean[1]);

  /**
   * How long a waiting thread spins before it yields its core at each turn of the wait: the
   * scheduler sometimes puts a worker woken after a pause on its caller's core for tens of
   * milliseconds, and there a thread that only spins keeps the other from running (an LSTM pass of
   * 0.1 ms took 0.6 ms, the caller's whole spin plus the worker's chunk, until the worker moved).
   */
  private static final long SPIN_ONLY_NANOS = 10_000;

  private static volatile int threads = Runtime.getRuntime().availableProcessors();
  private static volatile Workers workers = new Workers(threads - 1);

  /** The body of a parallel loop: handles items {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  /** Threads the kernels use; by default the number of available processors. */
  public static int threads() {
    return threads;
  }

  /** Sets the threads the kernels use (1 = everything on the caller's thread). */
  public static synchronized void setThreads(int count) {
    if (count < 1 || count > 4096) {
      throw new IllegalArgumentException("threads must be between 1 and 4096, got " + count);
    }
    if (count == threads) return;
    Workers old = workers;
    workers = new Workers(count - 1);
    threads = count;
    old.shutdown();
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks.
   *
   * @param workPerItem rough multiply-adds per item, to keep small loops on one thread
   */
  public static void forRange(int n, long workPerItem, RangeBody body) {
    int p = threads;
    boolean[] inside = INSIDE.get();
    // A loop nested in a parallel one (a product inside one attention head) runs on its thread:
    // the cores are already busy with the outer loop.
    if (p <= 1 || n < 2 || inside[0] || (long) n * workPerItem < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    int chunks = Math.min(p, n);
    Runnable[] others = new Runnable[chunks - 1];
    for (int c = 1; c < chunks; c++) {
      int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
      others[c - 1] = () -> body.run(from, to);
    }
    runWith(others, () -> body.run(0, (int) ((long) n / chunks)), () -> body.run(0, n));
  }

  /**
   * Like {@link #forRange}, but the range is cut into {@code pieces} contiguous pieces (more than
   * the threads) that the threads take one after another as they finish, so that a thread slowed by
   * other work on its core takes fewer of them instead of holding up the rest. For loops whose
   * items are independent and may run in any order and on any thread; never for bodies that wait
   * for one another.
   *
   * @param pieces how many pieces to cut {@code [0, n)} into, at most {@code n}
   */
  public static void forRangeBalanced(int n, int pieces, long workPerItem, RangeBody body) {
    int p = threads;
    boolean[] inside = INSIDE.get();
    if (p <= 1 || n < 2 || inside[0] || (long) n * workPerItem < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    int count = Math.max(1, Math.min(n, pieces));
    AtomicInteger next = new AtomicInteger();
    Runnable takePieces =
        () -> {
          for (int piece = next.getAndIncrement(); piece < count; piece = next.getAndIncrement()) {
            body.run((int) ((long) n * piece / count), (int) ((long) n * (piece + 1) / count));
          }
        };
    Runnable[] others = new Runnable[Math.min(p, count) - 1];
    java.util.Arrays.fill(others, takePieces);
    runWith(others, takePieces, takePieces);
  }

  /**
   * Hands {@code others} to the workers, runs {@code own} on the caller's thread, and waits for all
   * of them; where the workers are busy with another caller's loop, runs {@code alone} instead (the
   * whole range on the caller's thread).
   */
  private static void runWith(Runnable[] others, Runnable own, Runnable alone) {
    Workers pool = workers;
    if (others.length == 0 || !pool.tryAcquire()) {
      runInside(alone);
      return;
    }
    try {
      pool.start(others);
      Throwable ownFailure = null;
      try {
        runInside(own);
      } catch (RuntimeException | Error e) {
        ownFailure = e;
      }
      pool.runUnstarted();
      Throwable failure = pool.awaitAll();
      if (ownFailure == null) ownFailure = failure;
      if (ownFailure instanceof RuntimeException e) throw e;
      if (ownFailure instanceof Error e) throw e;
    } finally {
      pool.release();
    }
  }

  /**
   * The worker threads of one setting of {@link #threads()}: each takes one task at a time from its
   * slot, spins for the next, then parks; a task still in its slot when the caller has done its own
   * chunk is taken back and run by the caller.
   */
  private static final class Workers {
    private final Worker[] workers;
    private final AtomicBoolean inUse = new AtomicBoolean();

    /** Tasks handed out and not yet finished. */
    private final AtomicInteger pending = new AtomicInteger();

    /** The caller waiting for the tasks, woken by the worker that finishes the last one. */
    private volatile Thread waiter;

    /** The first failure of a task of the loop in progress. */
    private volatile Throwable failure;

    private volatile boolean shutdown;

    Workers(int count) {
      workers = new Worker[Math.max(0, count)];
      for (int i = 0; i < workers.length; i++) {
        workers[i] = new Worker(this, "seqlab-worker-" + (i + 1));
        workers[i].start();
      }
    }

    boolean tryAcquire() {
      return workers.length > 0 && inUse.compareAndSet(false, true);
    }

    void release() {
      inUse.set(false);
    }

    /** Gives task {@code i} to worker {@code i}; at most as many tasks as workers. */
    void start(Runnable[] tasks) {
      failure = null;
      waiter = Thread.currentThread();
      pending.set(tasks.length);
      for (int i = 0; i < tasks.length; i++) workers[i].give(tasks[i]);
    }

    /**
     * Runs on the caller's thread every task that no worker has started yet: a worker that was
     * parked, or that shares the caller's core, may not start for a long while, and then the
     * caller, its own chunk done, is the quicker way to finish the loop.
     */
    void runUnstarted() {
      for (Worker worker : workers) {
        Runnable task = worker.slot.getAndSet(null);
        if (task == null) continue;
        Throwable taskFailure = null;
        try {
          runInside(task);
        } catch (Throwable e) {
          taskFailure = e;
        }
        finished(taskFailure);
      }
    }

    /** Waits until every task handed out has finished; returns the first failure, or null. */
    Throwable awaitAll() {
      long spinStart = System.nanoTime();
      while (pending.get() > 0) {
        if (!spinOrYield(spinStart)) LockSupport.park(this);
      }
      waiter = null;
      return failure;
    }

    void finished(Throwable taskFailure) {
      if (taskFailure != null && failure == null) failure = taskFailure;
      if (pending.decrementAndGet() == 0) {
        Thread caller = waiter;
        if (caller != null) LockSupport.unpark(caller);
      }
    }

    void shutdown() {
      shutdown = true;
      for (Worker worker : workers) LockSupport.unpark(worker);
    }
  }

  private static final class Worker extends Thread {
    private final Workers pool;

    /** The task handed to this worker and not yet started; whoever takes it out runs it. */
    private final AtomicReference<Runnable> slot = new AtomicReference<>();

    private volatile boolean mayPark;

    /** This thread's cores, set once it runs; null where they cannot be set. */
    private volatile CoreAffinity cores;

    Worker(Workers pool, String name) {
      super(name);
      this.pool = pool;
      setDaemon(true);
    }

    void give(Runnable task) {
      slot.set(task);
      // Woken onto the caller's core, the worker would wait there behind it (see CoreAffinity).
      if (mayPark) CoreAffinity.wake(this, cores);
    }

    @Override
    public void run() {
      INSIDE.get()[0] = true; // everything a worker runs is one chunk of a parallel loop
      cores = CoreAffinity.ofCurrentThread();
      while (true) {
        Runnable task = awaitTask();
        if (task == null) return;
        Throwable taskFailure = null;
        try {
          task.run();
        } catch (Throwable e) {
          taskFailure = e;
        }
        pool.finished(taskFailure);
      }
    }

    /**
     * The next task, taken out of the slot (the caller may take it first), or null once the pool is
     * shut down.
     */
    private Runnable awaitTask() {
      long spinStart = System.nanoTime();
      while (true) {
        Runnable task = slot.get();
        if (task != null && slot.compareAndSet(task, null)) return task;
        if (pool.shutdown) return null;
        if (!spinOrYield(spinStart)) {
          // The caller writes the slot, then reads mayPark; this thread writes mayPark, then
          // reads the slot: one of the two sees the other's write, so no wake-up is lost.
          mayPark = true;
          if (slot.get() == null && !pool.shutdown) LockSupport.park(this);
          mayPark = false;
        }
      }
    }
  }

  /**
   * One turn of a wait that began at {@code spinStart}: a spin for the first {@link
   * #SPIN_ONLY_NANOS}, then a yield of the core (a thread that shares it runs now) until {@link
   * #IDLE_SPIN_NANOS}; false once the waiter should park instead.
   */
  private static boolean spinOrYield(long spinStart) {
    long waited = System.nanoTime() - spinStart;
    if (waited < SPIN_ONLY_NANOS) {
      Thread.onSpinWait();
    } else if (waited < IDLE_SPIN_NANOS) {
      Thread.yield();
    } else {
      return false;
    }
    return true;
  }

  /**
   * Runs {@code body} with every parallel loop inside it kept on the caller's thread, as if it were
   * one chunk of an outer parallel loop: for a latency path made of many small products (one
   * decoding step at batch 1), where handing each product to other threads costs about as much as
   * the product itself.
   */
  public static void onCallerThread(Runnable body) {
    boolean[] inside = INSIDE.get();
    boolean wasInside = inside[0];
    inside[0] = true;
    try {
      body.run();
    } finally {
      inside[0] = wasInside;
    }
  }

  /** Runs {@code body} as one chunk of a parallel loop on the caller's thread. */
  private static void runInside(Runnable body) {
    boolean[] inside = INSIDE.get();
    boolean wasInside = inside[0];
    inside[0] = true;
    try {
      body.run();
    } finally {
      inside[0] = wasInside;
    }
  }
}
