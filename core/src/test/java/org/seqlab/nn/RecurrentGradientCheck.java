package org.seqlab.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.seqlab.tensor.Tensor;

/**
 * Finite-difference check of a {@link Recurrent} model: with fixed random {@code R}, {@code L = Σ
 * output ⊙ R_out + Σ h_n ⊙ R_h (+ Σ c_n ⊙ R_c)}, so {@code R} is exactly the upstream gradient
 * handed to backward. Checks every parameter tensor, the input, h0 and (LSTM) c0.
 */
final class RecurrentGradientCheck {
  static final int STEPS = 4;
  static final int BATCH = 2;
  static final int INPUT = 3;
  static final int HIDDEN = 5;
  static final int LAYERS = 2;

  final Recurrent model;
  final Tensor input;
  final Tensor h0;
  final Tensor c0;
  final Tensor dOutput;
  final Tensor dhN;
  final Tensor dcN;

  /**
   * The finite-difference step. ReLU has a kink at 0, and a central difference across it is wrong;
   * a step of 1e-3 makes crossing one rare (none is crossed with the seed of RnnTest), at the cost
   * of more float32 noise in the quotient.
   */
  final float eps;

  RecurrentGradientCheck(RecurrentKind kind, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    boolean lstm = kind == RecurrentKind.LSTM;
    eps = kind == RecurrentKind.RNN_RELU ? 1e-3f : GradientCheck.EPS;
    model = Recurrent.create(kind, INPUT, HIDDEN, LAYERS);
    // Weights at about twice PyTorch's scale so the nonlinearities are exercised, not near-linear.
    for (Parameter p : model.parameters()) {
      System.arraycopy(
          GradientCheck.random(rng, 0.9, p.value().shape()).data(),
          0,
          p.value().data(),
          0,
          p.value().size());
    }
    input = GradientCheck.random(rng, 1.0, STEPS, BATCH, INPUT);
    h0 = GradientCheck.random(rng, 0.5, LAYERS, BATCH, HIDDEN);
    c0 = lstm ? GradientCheck.random(rng, 0.5, LAYERS, BATCH, HIDDEN) : null;
    dOutput = GradientCheck.random(rng, 1.0, STEPS, BATCH, HIDDEN);
    dhN = GradientCheck.random(rng, 1.0, LAYERS, BATCH, HIDDEN);
    dcN = lstm ? GradientCheck.random(rng, 1.0, LAYERS, BATCH, HIDDEN) : null;
  }

  RecurrentOutput forward() {
    return model.forward(input, h0, c0);
  }

  double loss() {
    RecurrentOutput out = forward();
    double loss = GradientCheck.dot(out.output(), dOutput) + GradientCheck.dot(out.hN(), dhN);
    if (dcN != null) loss += GradientCheck.dot(out.cN(), dcN);
    return loss;
  }

  RecurrentGradients backward() {
    return model.backward(forward(), dOutput, dhN, dcN);
  }

  /** Runs the check; returns the failing entries of every tensor. */
  List<String> run() {
    model.zeroGrad();
    RecurrentGradients grads = backward();
    List<String> failures = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      GradientCheck.assertNotNegligible("grad of " + p.name(), p.grad(), 1e-2);
      failures.addAll(GradientCheck.compare(p.name(), p.value(), p.grad(), eps, this::loss));
    }
    failures.addAll(GradientCheck.compare("input", input, grads.dInput(), eps, this::loss));
    failures.addAll(GradientCheck.compare("h0", h0, grads.dh0(), eps, this::loss));
    if (c0 != null) failures.addAll(GradientCheck.compare("c0", c0, grads.dc0(), eps, this::loss));
    return failures;
  }
}
