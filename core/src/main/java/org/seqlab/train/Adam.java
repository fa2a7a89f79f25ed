package org.seqlab.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.nn.Parameter;

/**
 * Adam (Kingma &amp; Ba, 2015) exactly as {@code torch.optim.Adam} with {@code amsgrad=False}, and
 * AdamW (Loshchilov &amp; Hutter, 2019) as {@code torch.optim.AdamW}: for every parameter θ with
 * gradient g, at step {@code t = 1, 2, ...}
 *
 * <pre>
 *   θ = θ - lr λ θ                     (AdamW: decoupled weight decay λ)
 *   g = g + λ θ                        (Adam: L2 weight decay λ, if any)
 *   m = β1 m + (1 - β1) g
 *   v = β2 v + (1 - β2) g²
 *   m̂ = m / (1 - β1^t),   v̂ = v / (1 - β2^t)
 *   θ = θ - lr · m̂ / (sqrt(v̂) + ε)
 * </pre>
 *
 * The moments are kept in double precision; parameters stay float32.
 */
public final class Adam implements Optimizer {
  private final List<Parameter> parameters;
  private final double defaultLearningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final boolean decoupled;
  private final double[][] firstMoment;
  private final double[][] secondMoment;
  private long step;

  /** Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8, no weight decay. */
  public Adam(List<Parameter> parameters, double learningRate) {
    this(parameters, learningRate, 0.9, 0.999, 1e-8);
  }

  public Adam(
      List<Parameter> parameters, double learningRate, double beta1, double beta2, double epsilon) {
    this(parameters, learningRate, beta1, beta2, epsilon, 0, false);
  }

  /**
   * @param decoupled true for AdamW (decay applied to the weights), false for Adam (decay added to
   *     the gradient)
   */
  public Adam(
      List<Parameter> parameters,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      boolean decoupled) {
    this(parameters, Double.NaN, beta1, beta2, epsilon, weightDecay, decoupled);
  }

  private Adam(
      List<Parameter> parameters,
      double learningRate,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      boolean decoupled) {
    if (!Double.isNaN(learningRate)) checkLearningRate(learningRate);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(epsilon > 0))
      throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    }
    this.parameters = List.copyOf(parameters);
    this.defaultLearningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
    this.firstMoment = new double[this.parameters.size()][];
    this.secondMoment = new double[this.parameters.size()][];
    for (int i = 0; i < this.parameters.size(); i++) {
      firstMoment[i] = new double[this.parameters.get(i).value().size()];
      secondMoment[i] = new double[this.parameters.get(i).value().size()];
    }
  }

  static void checkLearningRate(double learningRate) {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException(
          "learning rate must be a positive finite number, got " + learningRate);
    }
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** A step at the learning rate given to the constructor. */
  public void step() {
    if (Double.isNaN(defaultLearningRate)) {
      throw new IllegalStateException("this Adam was made without a learning rate: use step(lr)");
    }
    step(defaultLearningRate);
  }

  @Override
  public void step(double learningRate) {
    checkLearningRate(learningRate);
    step++;
    double correction1 = 1 - Math.pow(beta1, step);
    double correction2 = 1 - Math.pow(beta2, step);
    double decay = decoupled ? 1 - learningRate * weightDecay : 1;
    double l2 = decoupled ? 0 : weightDecay;
    for (int i = 0; i < parameters.size(); i++) {
      float[] theta = parameters.get(i).value().data();
      float[] grad = parameters.get(i).grad().data();
      double[] m = firstMoment[i], v = secondMoment[i];
      for (int j = 0; j < theta.length; j++) {
        // PyTorch rounds the decayed weight to the parameter's float32 before the update.
        float decayed = decoupled ? (float) (theta[j] * decay) : theta[j];
        double g = grad[j] + l2 * theta[j];
        m[j] = beta1 * m[j] + (1 - beta1) * g;
        v[j] = beta2 * v[j] + (1 - beta2) * g * g;
        double mHat = m[j] / correction1;
        double vHat = v[j] / correction2;
        theta[j] = (float) (decayed - learningRate * mHat / (Math.sqrt(vHat) + epsilon));
      }
    }
  }

  @Override
  public long steps() {
    return step;
  }

  @Override
  public Map<String, double[]> state() {
    Map<String, double[]> state = new LinkedHashMap<>();
    Optimizer.putSlots(state, "exp_avg", parameters, firstMoment);
    Optimizer.putSlots(state, "exp_avg_sq", parameters, secondMoment);
    return state;
  }

  @Override
  public void restore(Map<String, double[]> state, long steps) {
    if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    Optimizer.takeSlots(state, "exp_avg", parameters, firstMoment);
    Optimizer.takeSlots(state, "exp_avg_sq", parameters, secondMoment);
    this.step = steps;
  }
}
