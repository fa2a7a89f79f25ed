package org.seqlab.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.nn.Parameter;

/**
 * Stochastic gradient descent with momentum, exactly as {@code torch.optim.SGD} with {@code
 * dampening=0, nesterov=False}: for every parameter θ with gradient g,
 *
 * <pre>
 *   g = g + λ θ                       (weight decay λ, if any)
 *   b = g            on the first step,
 *   b = μ b + g      afterwards        (momentum μ; no buffer when μ = 0)
 *   θ = θ - lr · b
 * </pre>
 *
 * The momentum buffer is kept in double precision; parameters stay float32.
 */
public final class Sgd implements Optimizer {
  private final List<Parameter> parameters;
  private final double momentum;
  private final double weightDecay;
  private final double[][] buffer;
  private long step;

  public Sgd(List<Parameter> parameters, double momentum, double weightDecay) {
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    }
    this.parameters = List.copyOf(parameters);
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.buffer = new double[this.parameters.size()][];
    for (int i = 0; i < buffer.length; i++) {
      buffer[i] = new double[this.parameters.get(i).value().size()];
    }
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public void step(double learningRate) {
    Adam.checkLearningRate(learningRate);
    boolean first = step == 0;
    step++;
    for (int i = 0; i < parameters.size(); i++) {
      float[] theta = parameters.get(i).value().data();
      float[] grad = parameters.get(i).grad().data();
      double[] b = buffer[i];
      for (int j = 0; j < theta.length; j++) {
        double g = grad[j] + weightDecay * theta[j];
        if (momentum > 0) {
          b[j] = first ? g : momentum * b[j] + g;
          g = b[j];
        }
        theta[j] = (float) (theta[j] - learningRate * g);
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
    if (momentum > 0) Optimizer.putSlots(state, "momentum_buffer", parameters, buffer);
    return state;
  }

  @Override
  public void restore(Map<String, double[]> state, long steps) {
    if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    if (momentum > 0) Optimizer.takeSlots(state, "momentum_buffer", parameters, buffer);
    this.step = steps;
  }
}
