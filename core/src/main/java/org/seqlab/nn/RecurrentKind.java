package org.seqlab.nn;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The recurrent cells seqlab implements, with the names used in a checkpoint's metadata and the
 * number of {@code H}-row gate blocks stacked in their weight matrices.
 */
public enum RecurrentKind {
  RNN_TANH("rnn_tanh", 1),
  RNN_RELU("rnn_relu", 1),
  LSTM("lstm", 4),
  GRU("gru", 3);

  private final String metadataName;
  private final int gateCount;

  RecurrentKind(String metadataName, int gateCount) {
    this.metadataName = metadataName;
    this.gateCount = gateCount;
  }

  public String metadataName() {
    return metadataName;
  }

  /** Gate blocks per weight matrix: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n). */
  public int gateCount() {
    return gateCount;
  }

  public static RecurrentKind fromMetadataName(String name) {
    for (RecurrentKind k : values()) {
      if (k.metadataName.equals(name)) return k;
    }
    throw new IllegalArgumentException(
        "unknown model '"
            + name
            + "'; allowed: "
            + Arrays.stream(values())
                .map(RecurrentKind::metadataName)
                .collect(Collectors.joining(", ")));
  }
}
