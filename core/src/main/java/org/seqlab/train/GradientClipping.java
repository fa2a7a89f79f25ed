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
    checkMaxNorm(maxNorm);
    double sum = 0;
    for (Parameter p : parameters) sum += sumOfSquares(p);
    double norm = Math.sqrt(sum);
    scaleToNorm(parameters, norm, maxNorm);
    return norm;
  }

  /** {@code Σ g²} over the gradient of {@code p}, in double. */
  public static double sumOfSquares(Parameter p) {
    double sum = 0;
    for (float g : p.grad().data()) sum += (double) g * g;
    return sum;
  }

  /**
   * The second half of {@link #clipGlobalNorm} for a caller that has measured the global {@code
   * norm} already: scales every gradient by {@code maxNorm / (norm + 1e-6)} if that is below 1.
   */
  public static void scaleToNorm(List<Parameter> parameters, double norm, double maxNorm) {
    checkMaxNorm(maxNorm);
    double scale = maxNorm / (norm + 1e-6);
    if (scale < 1) {
      for (Parameter p : parameters) {
        float[] g = p.grad().data();
        for (int j = 0; j < g.length; j++) g[j] = (float) (g[j] * scale);
      }
    }
  }

  private static void checkMaxNorm(double maxNorm) {
    if (!(maxNorm > 0))
      throw new IllegalArgumentException("max norm must be positive, got " + maxNorm);
  }
}
