package org.seqlab.nn;

import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/** Parameter initialisers shared by the layers. */
final class Init {
  private Init() {}

  /** Fills {@code t} with draws from {@code U(-bound, bound)}, in storage order. */
  static void uniform(Tensor t, double bound, RandomGenerator rng) {
    float[] v = t.data();
    for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextDouble(-bound, bound);
  }
}
