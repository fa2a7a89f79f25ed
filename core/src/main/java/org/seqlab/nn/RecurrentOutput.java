package org.seqlab.nn;

import java.util.Objects;
import org.seqlab.tensor.Tensor;

/**
 * The result of {@link Recurrent#forward} or {@link Recurrent#infer}.
 *
 * @param output the last layer's output at every step, {@code [T, B, D*H]}: the hidden state of
 *     each direction side by side (forward first), zero past a sequence's end
 * @param hN every layer's and direction's final hidden state, {@code [L*D, B, H]} (index {@code k*D
 *     + d}): the forward direction's after a sequence's last step, the reverse direction's after
 *     step 0
 * @param cN LSTM: the final cell states likewise, {@code [L*D, B, H]}; otherwise null
 * @param trace what the backward pass needs, and views of it for probes; null for the result of
 *     {@link Recurrent#infer}, which keeps none ({@link #trace()} then throws)
 */
public record RecurrentOutput(Tensor output, Tensor hN, Tensor cN, RecurrentTrace trace) {
  public RecurrentOutput {
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(hN, "hN");
    if (trace != null && (cN != null) != (trace.kind() == RecurrentKind.LSTM)) {
      throw new IllegalArgumentException("cN must be present exactly for LSTM");
    }
  }

  /** The last layer's output; refused once {@link #release} has handed it back. */
  @Override
  public Tensor output() {
    if (trace != null) trace.requireResultsHeld();
    return output;
  }

  /** The final hidden states; refused once {@link #release} has handed them back. */
  @Override
  public Tensor hN() {
    if (trace != null) trace.requireResultsHeld();
    return hN;
  }

  /** LSTM: the final cell states, else null; refused once {@link #release} has handed them back. */
  @Override
  public Tensor cN() {
    if (trace != null) trace.requireResultsHeld();
    return cN;
  }

  /**
   * What the backward pass needs.
   *
   * @throws IllegalStateException if this output came from {@link Recurrent#infer}, which keeps no
   *     trace
   */
  @Override
  public RecurrentTrace trace() {
    if (trace == null) {
      throw new IllegalStateException(
          "this output came from Recurrent.infer, which keeps no trace; run Recurrent.forward for"
              + " an output that backward or a probe can use");
    }
    return trace;
  }

  /**
   * Hands everything this pass holds back to its layer, whose next pass of the same shapes reuses
   * it instead of allocating: the trace ({@link RecurrentTrace#release}), the output and the final
   * states. Call it once nothing reads any of them (tensors taken from them included); the
   * gradients of a backward pass are handed back on their own ({@link RecurrentGradients#release}).
   * Calling it again does nothing; for an output of {@link Recurrent#infer}, which keeps no trace,
   * it does nothing at all.
   */
  public void release() {
    if (trace != null) {
      trace.releaseWith(output.data(), hN.data(), cN == null ? null : cN.data());
    }
  }

  /** Whether this output holds a trace: true for {@link Recurrent#forward}, false for infer. */
  public boolean hasTrace() {
    return trace != null;
  }
}
