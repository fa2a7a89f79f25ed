package org.seqlab.nn;

/**
 * {@link Workspace}'s two ways of taking an array, for layers whose passes run with a workspace
 * (the block that owns them) or without one (called on their own): with none, every array is new.
 */
final class WorkspaceArrays {
  private WorkspaceArrays() {}

  /** {@code length} zeros: from {@code workspace} if there is one, else a new array. */
  static float[] zeroed(Workspace workspace, int length) {
    return workspace == null ? new float[length] : workspace.zeroed(length);
  }

  /**
   * {@code length} floats that the caller overwrites before reading: from {@code workspace} if
   * there is one (contents left over), else a new array.
   */
  static float[] overwritten(Workspace workspace, int length) {
    return workspace == null ? new float[length] : workspace.overwritten(length);
  }

  /** Hands {@code arrays} back to {@code workspace}; with none, drops them. */
  static void giveBack(Workspace workspace, float[]... arrays) {
    if (workspace != null) workspace.giveBack(arrays);
  }
}
