package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a streamed recurrent model ({@link RecurrentStream}) holds its weights: as trained, in
 * float32, or in 8 bits, for the embedded case where a step at batch 1 is bound by reading them.
 *
 * <p>{@link #INT8} quantizes each row of {@code W_ih} and {@code W_hh} (one gate unit's weights)
 * symmetrically: {@code s = max_p |W[r, p]| / 127}, {@code Q[r, p] = round(W[r, p] / s)}, so that a
 * weight is off by at most {@code s / 2}, about 0.4% of its row's largest. The products are still
 * summed in float32 and the biases, the state and the cell stay float32; only the bytes read per
 * weight change, from 4 to 1.
 */
public enum WeightPrecision {
  /** The trained float32 weights. */
  FLOAT32("float32", 4),
  /** A byte per weight and a float32 scale per row. */
  INT8("int8", 1);

  private final String id;
  private final int bytesPerWeight;

  WeightPrecision(String id, int bytesPerWeight) {
    this.id = id;
    this.bytesPerWeight = bytesPerWeight;
  }

  /** The name options and files use: {@code float32}, {@code int8}. */
  public String id() {
    return id;
  }

  /** Bytes a step reads per weight. */
  public int bytesPerWeight() {
    return bytesPerWeight;
  }

  /** Every name, in order. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(WeightPrecision::id).toList();
  }

  /**
   * The precision named {@code id}.
   *
   * @throws IllegalArgumentException naming what is allowed, for any other name
   */
  public static WeightPrecision fromId(String id) {
    for (WeightPrecision p : values()) {
      if (p.id.equals(id.toLowerCase(Locale.ROOT))) return p;
    }
    throw new IllegalArgumentException(
        "unknown weight precision '" + id + "'; use " + String.join(" or ", ids()));
  }
}
