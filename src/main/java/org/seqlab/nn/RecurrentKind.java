package org.seqlab.nn;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The recurrent cells seqlab knows, with the number of gate blocks each one stacks in its weight
 * matrices: a layer of hidden size {@code H} has {@code weight_ih [G*H, in]} and {@code weight_hh
 * [G*H, H]}, with {@code G = }{@link #gateCount()}.
 */
public enum RecurrentKind {
  /** Elman RNN, {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)}. */
  RNN_TANH("rnn_tanh", 1),
  /** Elman RNN with ReLU, {@code h' = relu(W_ih x + b_ih + W_hh h + b_hh)}. */
  RNN_RELU("rnn_relu", 1),
  /** LSTM with gate blocks i, f, g, o in PyTorch's order. */
  LSTM("lstm", 4),
  /** GRU with gate blocks r, z, n in PyTorch's order. */
  GRU("gru", 3);

  private final String metadataName;
  private final int gateCount;

  RecurrentKind(String metadataName, int gateCount) {
    this.metadataName = metadataName;
    this.gateCount = gateCount;
  }

  /** The name used in file metadata and on the command line, e.g. {@code "lstm"}. */
  public String metadataName() {
    return metadataName;
  }

  /** The number of {@code H}-row blocks stacked in each weight matrix and bias. */
  public int gateCount() {
    return gateCount;
  }

  /** The kind whose {@link #metadataName()} is {@code name}. */
  public static RecurrentKind fromMetadataName(String name) {
    for (RecurrentKind kind : values()) {
      if (kind.metadataName.equals(name)) return kind;
    }
    String allowed =
        Arrays.stream(values()).map(RecurrentKind::metadataName).collect(Collectors.joining(", "));
    throw new IllegalArgumentException(
        "unknown recurrent model '" + name + "'; expected one of: " + allowed);
  }
}
