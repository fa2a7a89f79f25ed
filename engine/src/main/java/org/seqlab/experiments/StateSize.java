package org.seqlab.experiments;

import org.seqlab.nn.Architecture;

/**
 * What a model carries from the part of a sequence it has read to the part it has not, counted in
 * floats: the memory a recall task can fill. Symbols: {@code L} layers (blocks), {@code H} the
 * hidden size, {@code D} a Transformer's model width, {@code T} the steps read.
 *
 * <ul>
 *   <li>RNN, GRU, minGRU, minLSTM: {@code h} per layer, {@code L × H};
 *   <li>LSTM: {@code h} and {@code c} per layer, {@code L × 2H};
 *   <li>Transformer: the key–value cache after {@code T} steps, a key and a value of width {@code
 *       D} per step and block, {@code 2 × L × T × D}. It grows with {@code T}: a recurrent state is
 *       fixed before the sequence starts, attention's is not.
 * </ul>
 */
public final class StateSize {
  private StateSize() {}

  /**
   * The floats {@code architecture} carries after {@code steps} steps.
   *
   * @param layers {@code L}, recurrent layers or Transformer blocks, at least 1
   * @param hidden {@code H} or {@code D}, at least 1
   * @param steps {@code T}, the steps read, at least 1 (read by the Transformer alone)
   */
  public static long floats(Architecture architecture, int layers, int hidden, int steps) {
    if (layers < 1 || hidden < 1 || steps < 1) {
      throw new IllegalArgumentException(
          "layers, hidden and steps must be at least 1, got "
              + layers
              + ", "
              + hidden
              + ", "
              + steps);
    }
    return switch (architecture) {
      case RNN, RNN_RELU, GRU, MIN_GRU, MIN_LSTM -> (long) layers * hidden;
      case LSTM -> 2L * layers * hidden;
      case TRANSFORMER -> 2L * layers * steps * hidden;
    };
  }

  /** The floats {@code model} carries after {@code steps} steps. */
  public static long floats(ModelSpec model, int steps) {
    return floats(model.architecture(), model.layers(), model.hidden(), steps);
  }
}
