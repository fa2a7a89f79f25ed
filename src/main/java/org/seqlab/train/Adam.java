package org.seqlab.train;

import java.util.List;
import org.seqlab.nn.Parameter;

/**
 * Adam (Kingma &amp; Ba, 2015) exactly as {@code torch.optim.Adam} with {@code weight_decay=0,
 * amsgrad=False}: for every parameter θ with gradient g, at step {@code t = 1, 2, ...}
 *
 * <pre>
 *   m = β1 m + (1 - β1) g
 *   v = β2 v + (1 - β2) g²
 *   m̂ = m / (1 - β1^t),   v̂ = v / (1 - β2^t)
 *   θ = θ - lr · m̂ / (sqrt(v̂) + ε)
 * </pre>
 *
 * The moments are kept in double precision; parameters stay float32.
 */
public final class Adam {
  private final List<Parameter> parameters;
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double[][] firstMoment;
  private final double[][] secondMoment;
  private long step;

  /** Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8. */
  public Adam(List<Parameter> parameters, double learningRate) {
    this(parameters, learningRate, 0.9, 0.999, 1e-8);
  }

  public Adam(
      List<Parameter> parameters, double learningRate, double beta1, double beta2, double epsilon) {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "learning rate must be a positive finite number, got " + learningRate);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(epsilon > 0))
      throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
    this.parameters = List.copyOf(parameters);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.firstMoment = new double[this.parameters.size()][];
    this.secondMoment = new double[this.parameters.size()][];
    for (int i = 0; i < this.parameters.size(); i++) {
      firstMoment[i] = new double[this.parameters.get(i).value().size()];
      secondMoment[i] = new double[this.parameters.get(i).value().size()];
    }
  }

  /** Updates every parameter from its current gradient. Gradients are left as they are. */
  public void step() {
    step++;
    double correction1 = 1 - Math.pow(beta1, step);
    double correction2 = 1 - Math.pow(beta2, step);
    for (int i = 0; i < parameters.size(); i++) {
      float[] theta = parameters.get(i).value().data();
      float[] g = parameters.get(i).grad().data();
      double[] m = firstMoment[i], v = secondMoment[i];
      for (int j = 0; j < theta.length; j++) {
        m[j] = beta1 * m[j] + (1 - beta1) * g[j];
        v[j] = beta2 * v[j] + (1 - beta2) * (double) g[j] * g[j];
        double mHat = m[j] / correction1;
        double vHat = v[j] / correction2;
        theta[j] = (float) (theta[j] - learningRate * mHat / (Math.sqrt(vHat) + epsilon));
      }
    }
  }

  /** Steps taken so far. */
  public long steps() {
    return step;
  }
}
