package org.seqlab.cli;

import java.util.Iterator;
import org.seqlab.experiments.Task;

/**
 * The names {@code --task} accepts, read from the table of tasks, for an option's help ({@code
 * ${COMPLETION-CANDIDATES}}) and shell completion.
 */
public final class TaskNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return Task.ids().iterator();
  }
}
