package org.seqlab.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a parked worker from being woken onto the core of the thread that wakes it.
 *
 * <p>Why: Linux places a woken thread by its own heuristics, and where the cores look busy (threads
 * that spin while they wait make them look so) it often queues the woken worker on its waker's
 * core, behind the waker, while another core idles, and leaves it there for milliseconds, until the
 * next rebalancing. The caller, its own chunk done, then finds the worker's chunk not started and
 * runs it too, and a pass meant for two cores runs on one. {@code scripts/bench/WakeProbe.java}
 * measures it (small LSTM passes after pauses; its figures with and without this class are in
 * BENCHMARKS.md).
 *
 * <p>So before it wakes a worker (of {@link Parallel}, or a {@code RecurrentStream}'s helper) the
 * caller lets it run on every core it may but the caller's own ({@code sched_setaffinity} on the
 * worker's thread id, about 3 µs; wakes are rare, so the masks are made ready in advance rather
 * than left to interpreted code). The worker keeps that set until the next wake sets it again:
 * allowing every core again once it runs made the placements worse.
 *
 * <p>Through the C library's {@code gettid}, {@code sched_getcpu}, {@code sched_getaffinity} and
 * {@code sched_setaffinity} (glibc on Linux), where the JVM runs with {@code
 * --enable-native-access=ALL-UNNAMED} (the launcher's setting). Elsewhere, or without it, {@link
 * #ofCurrentThread} answers null and nothing changes but the time above. The cores a worker may run
 * on are read once, when it starts.
 */
public final class CoreAffinity {

  /** Bytes of glibc's {@code cpu_set_t}: 1024 cores, one bit each. */
  private static final long CPU_SET_BYTES = 128;

  private static final MethodHandle GET_TID;
  private static final MethodHandle GET_CPU;
  private static final MethodHandle GET_AFFINITY;
  private static final MethodHandle SET_AFFINITY;

  static {
    MethodHandle tid = null, cpu = null, getAffinity = null, setAffinity = null;
    // Without --enable-native-access the JVM would print a warning at the first native call (and
    // a later JDK refuses the call): a program that did not ask for native calls gets none.
    boolean allowed = CoreAffinity.class.getModule().isNativeAccessEnabled();
    try {
      if (!allowed) throw new IllegalCallerException("native access is not enabled");
      Linker linker = Linker.nativeLinker();
      SymbolLookup lookup = linker.defaultLookup();
      Optional<MemorySegment> gettid = lookup.find("gettid");
      Optional<MemorySegment> getcpu = lookup.find("sched_getcpu");
      Optional<MemorySegment> get = lookup.find("sched_getaffinity");
      Optional<MemorySegment> set = lookup.find("sched_setaffinity");
      if (gettid.isPresent() && getcpu.isPresent() && get.isPresent() && set.isPresent()) {
        FunctionDescriptor noArguments = FunctionDescriptor.of(ValueLayout.JAVA_INT);
        // int sched_[gs]etaffinity(pid_t tid, size_t bytes, cpu_set_t *mask)
        FunctionDescriptor affinity =
            FunctionDescriptor.of(
                ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS);
        tid = linker.downcallHandle(gettid.get(), noArguments);
        cpu = linker.downcallHandle(getcpu.get(), noArguments, Linker.Option.critical(false));
        getAffinity = linker.downcallHandle(get.get(), affinity);
        setAffinity = linker.downcallHandle(set.get(), affinity);
      }
    } catch (RuntimeException | LinkageError nativeAccessRefused) {
      tid = cpu = getAffinity = setAffinity = null;
    }
    GET_TID = tid;
    GET_CPU = cpu;
    GET_AFFINITY = getAffinity;
    SET_AFFINITY = setAffinity;
  }

  private final int threadId;

  /**
   * The cores the thread found itself allowed, less core {@code c} at {@code c}, null where c is
   * not allowed: made ready in advance, since a wake runs too rarely for the JIT to compile the
   * code that would build it.
   */
  private final MemorySegment[] allowedBut;

  private CoreAffinity(int threadId, MemorySegment[] allowedBut) {
    this.threadId = threadId;
    this.allowedBut = allowedBut;
  }

  /**
   * The calling thread's handle, or null where the platform does not offer these calls or the
   * thread may run on one core only.
   */
  public static CoreAffinity ofCurrentThread() {
    if (GET_TID == null) return null;
    try {
      Arena arena = Arena.ofAuto();
      MemorySegment allowed = arena.allocate(CPU_SET_BYTES, 8);
      int threadId = (int) GET_TID.invokeExact();
      if ((int) GET_AFFINITY.invokeExact(threadId, CPU_SET_BYTES, allowed) != 0) return null;
      if (coreCount(allowed) < 2) return null;
      MemorySegment[] allowedBut = new MemorySegment[(int) (CPU_SET_BYTES * 8)];
      for (int core = 0; core < allowedBut.length; core++) {
        long word = core / 64, bit = 1L << (core % 64);
        long bits = allowed.getAtIndex(ValueLayout.JAVA_LONG, word);
        if ((bits & bit) == 0) continue;
        allowedBut[core] = arena.allocate(CPU_SET_BYTES, 8).copyFrom(allowed);
        allowedBut[core].setAtIndex(ValueLayout.JAVA_LONG, word, bits & ~bit);
      }
      return new CoreAffinity(threadId, allowedBut);
    } catch (Throwable t) {
      return null;
    }
  }

  /** The core the calling thread runs on now, or -1 where that cannot be asked. */
  public static int currentCore() {
    if (GET_CPU == null) return -1;
    try {
      return (int) GET_CPU.invokeExact();
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * Wakes {@code thread}, parked, from the calling thread: first, where {@code cores} (the thread's
   * handle) is known, lets it run anywhere it may but on the caller's own core.
   */
  public static void wake(Thread thread, CoreAffinity cores) {
    if (cores != null) cores.keepOffCallersCore();
    LockSupport.unpark(thread);
  }

  /**
   * Called by the waker before it wakes the thread: lets the thread run anywhere it may but on the
   * waker's own core, where one is left.
   */
  void keepOffCallersCore() {
    int core = currentCore();
    if (core < 0 || core >= allowedBut.length || allowedBut[core] == null) return;
    try {
      int _ = (int) SET_AFFINITY.invokeExact(threadId, CPU_SET_BYTES, allowedBut[core]);
    } catch (Throwable t) {
      // the placement is left to the kernel: only the time differs
    }
  }

  private static int coreCount(MemorySegment mask) {
    int count = 0;
    for (long w = 0; w < CPU_SET_BYTES / 8; w++) {
      count += Long.bitCount(mask.getAtIndex(ValueLayout.JAVA_LONG, w));
    }
    return count;
  }
}
