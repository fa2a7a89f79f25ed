package org.seqlab.nn;

import org.seqlab.tensor.Tensor;

/**
 * A named trainable tensor and its gradient, which has the same shape. Backward passes accumulate
 * ({@code +=}) into {@link #grad()}; call {@link #zeroGrad()} before a new backward pass.
 *
 * @param name PyTorch's name for the tensor in a {@code state_dict}, e.g. {@code weight_hh_l0}
 */
public record Parameter(String name, Tensor value, Tensor grad) {

  public Parameter {
    if (!value.sameShape(grad)) {
      throw new IllegalArgumentException("gradient of " + name + " must have the value's shape");
    }
  }

  /** A parameter with a zero gradient of the value's shape. */
  public static Parameter of(String name, Tensor value) {
    return new Parameter(name, value, Tensor.zeros(value.shape()));
  }

  public void zeroGrad() {
    grad.zero();
  }
}
