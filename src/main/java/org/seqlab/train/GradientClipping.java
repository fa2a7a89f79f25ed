package org.seqlab.train;

import java.util.List;
import org.seqlab.nn.Parameter;

/** Gradient clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * If the norm of all gradients taken together, {@code ‖g‖ = sqrt(Σ g²)}, exceeds {@code maxNorm},
   * scales every gradient by {@code maxNorm / (‖g‖ + 1e-6)} (PyTorch's formula) so that the
   * direction is kept and the length capped.
   *
   * @return the norm before clipping (NaN or infinite if a gradient is)
   */
  public static double clipGlobalNorm(List<Parameter> parameters, double maxNorm) {
    if (!(maxNorm > 0))
      throw new IllegalArgumentException("max norm must be positive, got " + maxNorm);
    double sum = 0;
    for (Parameter p : parameters) {
      for (float g : p.grad().data()) sum += (double) g * g;
    }
    double norm = Math.sqrt(sum);
    double scale = maxNorm / (norm + 1e-6);
    if (scale < 1) {
      for (Parameter p : parameters) {
        float[] g = p.grad().data();
        for (int j = 0; j < g.length; j++) g[j] = (float) (g[j] * scale);
      }
    }
    return norm;
  }
}
