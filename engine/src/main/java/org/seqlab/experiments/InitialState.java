package org.seqlab.experiments;

import org.seqlab.nn.Architecture;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentLanguageModel;
import org.seqlab.probe.Spectral;

/**
 * The failure-mode knobs of a recurrent model's initialisation, applied after PyTorch's default
 * draw: every {@code W_hh} gate block rescaled to a spectral radius {@code ρ} (below 1 the gradient
 * through time shrinks like {@code ρ^t}, above 1 it can grow), and the forget-gate bias {@code b_f
 * = b_if + b_hf} (the gate starts at {@code σ(b_f)}, so the cell keeps {@code σ(b_f)^t} of what it
 * held {@code t} steps back). Every face sets them through this one place.
 */
public final class InitialState {
  private InitialState() {}

  /**
   * Applies the knobs to every layer and direction of {@code model}.
   *
   * @param spectralRadius the radius of every {@code W_hh} gate block, or NaN to keep the draw
   * @param forgetBias the forget gate's bias, or NaN to keep the draw
   * @throws IllegalArgumentException for a knob the model does not have
   */
  public static void apply(LanguageModel model, double spectralRadius, double forgetBias) {
    if (!Double.isNaN(forgetBias)) Architecture.setForgetGateBias(model, forgetBias);
    if (Double.isNaN(spectralRadius)) return;
    if (!(model instanceof RecurrentLanguageModel r)) {
      throw new IllegalArgumentException("a spectral radius applies to models with a matrix W_hh");
    }
    Recurrent rnn = r.recurrent();
    int h = rnn.hiddenSize();
    for (int layer = 0; layer < rnn.numLayers(); layer++) {
      for (int direction = 0; direction < rnn.directions(); direction++) {
        float[] w = rnn.weightHh(layer, direction).value().data();
        int blocks = w.length / (h * h);
        for (int b = 0; b < blocks; b++) {
          double[] block = new double[h * h];
          for (int i = 0; i < block.length; i++) block[i] = w[b * h * h + i];
          block = Spectral.scaleToSpectralRadius(block, h, spectralRadius);
          for (int i = 0; i < block.length; i++) w[b * h * h + i] = (float) block[i];
        }
      }
    }
  }
}
