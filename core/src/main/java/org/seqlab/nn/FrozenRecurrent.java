package org.seqlab.nn;

import org.seqlab.tensor.Tensor;

/**
 * A unidirectional {@link Recurrent}'s weights laid out once for inference ({@link
 * Recurrent#freeze}): {@code W_hh^T} in the panels of the fused step, {@code W_ih} packed for the
 * input projections, the two biases folded. {@link #infer} is {@link Recurrent#infer} without
 * laying them out again on every call: the same result, bit for bit, as the model gave when it was
 * frozen. The snapshot does not follow later changes to the model's parameters. Calls from several
 * threads at once are safe (each call has its own states; the weights are only read).
 */
public final class FrozenRecurrent {
  private final Recurrent model;
  private final RecurrentInference.LayerWeights[] weights;

  FrozenRecurrent(Recurrent model, RecurrentInference.LayerWeights[] weights) {
    this.model = model;
    this.weights = weights;
  }

  /** The kind of recurrence: RNN, LSTM or GRU. */
  public RecurrentKind kind() {
    return model.kind();
  }

  /** Features of the input, {@code I}. */
  public int inputSize() {
    return model.inputSize();
  }

  /** Hidden units per layer, {@code H}. */
  public int hiddenSize() {
    return model.hiddenSize();
  }

  /** Stacked layers, {@code L}. */
  public int numLayers() {
    return model.numLayers();
  }

  /** {@link #infer(Tensor, Tensor, Tensor, int[])} with every sequence {@code T} steps long. */
  public RecurrentOutput infer(Tensor input, Tensor h0, Tensor c0) {
    return infer(input, h0, c0, null);
  }

  /**
   * Runs all layers over a batch of sequences: as {@link Recurrent#infer(Tensor, Tensor, Tensor,
   * int[])} of the model as it was frozen, with the same arguments and the same checks.
   *
   * @param input {@code [T, B, I]}, with {@code T, B >= 1}; past a sequence's end it is ignored
   * @param h0 initial hidden states {@code [L, B, H]}, or null for zeros
   * @param c0 LSTM: initial cell states {@code [L, B, H]}, or null for zeros; must be null
   *     otherwise
   * @param lengths the length of every sequence, {@code B} values in {@code [1, T]}, or null for
   *     {@code T} each
   * @throws IllegalArgumentException if a shape or a length is not as described
   */
  public RecurrentOutput infer(Tensor input, Tensor h0, Tensor c0, int[] lengths) {
    return model.inferWith(weights, input, h0, c0, lengths);
  }
}
