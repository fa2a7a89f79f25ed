package org.seqlab.nn;

import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * For the tests of buffer reuse: fills every array a {@link Workspace} keeps with NaN, so that a
 * pass that reads a reused buffer before writing or clearing it shows in its results.
 */
final class WorkspacePoison {
  private WorkspacePoison() {}

  @SuppressWarnings("unchecked")
  static void poison(Workspace workspace) throws ReflectiveOperationException {
    Field free = Workspace.class.getDeclaredField("free");
    free.setAccessible(true);
    synchronized (workspace) {
      for (float[] kept : (ArrayDeque<float[]>) free.get(workspace)) Arrays.fill(kept, Float.NaN);
    }
  }
}
