package org.seqlab.cli;

import java.util.Iterator;
import org.seqlab.nn.WeightPrecision;

/**
 * The names {@code --weights} accepts, read from {@link WeightPrecision}, for an option's help
 * ({@code ${COMPLETION-CANDIDATES}}) and shell completion, and the one way to read them.
 */
public final class PrecisionNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return WeightPrecision.ids().iterator();
  }

  /** {@code --weights} as a precision, or a one-line refusal naming what is allowed. */
  static WeightPrecision parse(String weights) {
    try {
      return WeightPrecision.fromId(weights);
    } catch (IllegalArgumentException e) {
      throw new UserError("--weights: " + e.getMessage(), e);
    }
  }
}
