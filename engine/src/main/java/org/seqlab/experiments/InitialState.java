package org.seqlab.experiments;

import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.probe.Spectral;

/**
 * The failure-mode knobs of a recurrent model's initialisation, applied after PyTorch's default
 * draw: every {@code W_hh} gate block rescaled to a spectral radius {@code ρ} (below 1 the gradient
 * through time shrinks like {@code ρ^t}, above 1 it can grow), and the LSTM's forget-gate bias
 * {@code b_f = b_if + b_hf} (the gate starts at {@code σ(b_f)}, so the cell keeps {@code σ(b_f)^t}
 * of what it held {@code t} steps back). The sweeps and single runs set them through this one
 * place.
 */
public final class InitialState {
  private InitialState() {}

  /**
   * Applies the knobs to every layer of {@code rnn} (the forward direction).
   *
   * @param spectralRadius the radius of every {@code W_hh} gate block, or NaN to keep the draw
   * @param forgetBias the LSTM's forget-gate bias, or NaN to keep the draw
   * @throws IllegalArgumentException for a forget bias on a model that is not an LSTM
   */
  public static void apply(Recurrent rnn, double spectralRadius, double forgetBias) {
    if (!Double.isNaN(forgetBias) && rnn.kind() != RecurrentKind.LSTM) {
      throw new IllegalArgumentException("a forget-gate bias applies to the LSTM only");
    }
    int h = rnn.hiddenSize();
    for (int layer = 0; layer < rnn.numLayers(); layer++) {
      if (!Double.isNaN(spectralRadius)) {
        float[] w = rnn.weightHh(layer).value().data();
        int blocks = w.length / (h * h);
        for (int b = 0; b < blocks; b++) {
          double[] block = new double[h * h];
          for (int i = 0; i < block.length; i++) block[i] = w[b * h * h + i];
          block = Spectral.scaleToSpectralRadius(block, h, spectralRadius);
          for (int i = 0; i < block.length; i++) w[b * h * h + i] = (float) block[i];
        }
      }
      if (!Double.isNaN(forgetBias)) {
        // LSTM gate order i, f, g, o: the forget gate is rows [H, 2H)
        float[] bIh = rnn.biasIh(layer).value().data(), bHh = rnn.biasHh(layer).value().data();
        for (int j = h; j < 2 * h; j++) {
          bIh[j] = (float) forgetBias;
          bHh[j] = 0;
        }
      }
    }
  }
}
