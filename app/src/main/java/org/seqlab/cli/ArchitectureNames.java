package org.seqlab.cli;

import java.util.Iterator;
import org.seqlab.nn.Architecture;

/**
 * The names {@code --model} accepts, read from the table of architectures, for an option's help
 * ({@code ${COMPLETION-CANDIDATES}}) and shell completion.
 */
public final class ArchitectureNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return Architecture.ids().iterator();
  }
}
