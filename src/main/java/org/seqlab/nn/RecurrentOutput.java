package org.seqlab.nn;

import java.util.Objects;
import org.seqlab.tensor.Tensor;

/**
 * The result of {@link Recurrent#forward}.
 *
 * @param output the last layer's hidden state after every step, {@code [T, B, H]}
 * @param hN every layer's hidden state after the last step, {@code [L, B, H]}
 * @param cN LSTM: every layer's cell state after the last step, {@code [L, B, H]}; otherwise null
 * @param trace what the backward pass needs, and views of it for probes
 */
public record RecurrentOutput(Tensor output, Tensor hN, Tensor cN, RecurrentTrace trace) {
  public RecurrentOutput {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(hN, "hN");
    Objects.requireNonNull(trace, "trace");
    if ((cN != null) != (trace.kind() == RecurrentKind.LSTM)) {
      throw new IllegalArgumentException("cN must be present exactly for LSTM");
    }
  }
}
