package org.seqlab.nn;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Float arrays that a layer hands back after a pass and takes again for the next one, so that a
 * training loop, whose every step has the same shapes, stops allocating its activations afresh.
 *
 * <p>Why: a recurrent layer's trace and backward buffers are tens of megabytes per step (the gates
 * alone are {@code T*B*G*H} floats). Allocated anew each step they are garbage a step later; the
 * collector keeps up, but sizes the heap for that rate of allocation, so the process holds several
 * times the memory the step needs. Reused, they are allocated once.
 *
 * <p>Arrays are matched by exact length. At most {@link #KEPT} arrays are kept; the oldest goes
 * first when more are handed back, so a pass of an unusual size (a long validation sequence) does
 * not pin its arrays for long. The methods are synchronized: two threads may run passes of one
 * layer at once, each then takes arrays of its own.
 */
final class Workspace {

  /** Most arrays kept; a training step of a 2-layer LSTM hands back about 16. */
  static final int KEPT = 48;

  private final ArrayDeque<float[]> free = new ArrayDeque<>();

  /** Arrays allocated because none of the kept ones had the length asked for. */
  private long allocated;

  /** An array of exactly {@code length} floats, all zero. */
  synchronized float[] zeroed(int length) {
    float[] kept = take(length);
    if (kept == null) return allocate(length);
    Arrays.fill(kept, 0f);
    return kept;
  }

  /**
   * An array of exactly {@code length} floats whose contents are left over from an earlier pass:
   * only for a caller that overwrites every element before reading any.
   */
  synchronized float[] overwritten(int length) {
    float[] kept = take(length);
    return kept == null ? allocate(length) : kept;
  }

  /**
   * Hands arrays back for later passes; nulls, and arrays held already, are skipped. The caller
   * must hold no other reference through which it still reads or writes them.
   */
  synchronized void giveBack(float[]... arrays) {
    for (float[] array : arrays) {
      // An array already held is not added twice: two later passes would each take it.
      if (array == null || holds(array)) continue;
      free.addLast(array);
      if (free.size() > KEPT) free.removeFirst();
    }
  }

  /** How many arrays this workspace has allocated so far: the passes that found none to reuse. */
  synchronized long allocated() {
    return allocated;
  }

  /** Arrays held for reuse now. */
  synchronized int kept() {
    return free.size();
  }

  private float[] allocate(int length) {
    allocated++;
    return new float[length];
  }

  /** Whether {@code array} is among the arrays held for reuse now. */
  synchronized boolean holds(float[] array) {
    for (float[] kept : free) {
      if (kept == array) return true;
    }
    return false;
  }

  private float[] take(int length) {
    // The newest first: the most recent pass's arrays are the ones the next pass wants.
    for (Iterator<float[]> it = free.descendingIterator(); it.hasNext(); ) {
      float[] candidate = it.next();
      if (candidate.length == length) {
        it.remove();
        return candidate;
      }
    }
    return null;
  }
}
