package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * Adds a vector per position to a sequence, so that attention, which by itself ignores order, can
 * tell positions apart:
 *
 * <pre>
 *   y[t, b, :] = x[t, b, :] + PE[t, :]        x, y [T, B, D],  PE [maxLen, D],  T ≤ maxLen
 * </pre>
 *
 * <p>Two kinds of table:
 *
 * <ul>
 *   <li>{@link Kind#LEARNED}: {@code PE} is the parameter {@code position_embedding.weight [maxLen,
 *       D]}, initialised by {@link #initialize} from {@code N(0, 1)} like an Embedding; backward
 *       accumulates {@code dPE[t, :] += Σ_b dy[t, b, :]}.
 *   <li>{@link Kind#SINUSOIDAL}: the fixed table of "Attention Is All You Need", no parameters,
 *       <pre>
 *   PE[p, 2i]   = sin(p / 10000^(2i/D))
 *   PE[p, 2i+1] = cos(p / 10000^(2i/D))
 * </pre>
 *       An odd {@code D} simply ends with a sine column.
 * </ul>
 *
 * <p>Either way {@code dx = dy}: the encoding is added, so the input gradient passes unchanged.
 */
public final class PositionalEncoding implements Module {

  /** How the table of position vectors is made. */
  public enum Kind {
    /** A trained table, {@code position_embedding.weight}. */
    LEARNED,
    /** The fixed sine and cosine table. */
    SINUSOIDAL
  }

  private final Kind kind;
  private final int maxLen;
  private final int dModel;
  private final Tensor table;
  private final List<Parameter> parameters;

  public PositionalEncoding(Kind kind, int maxLen, int dModel) {
    this.kind = Objects.requireNonNull(kind, "kind");
    if (maxLen <= 0 || dModel <= 0) {
      throw new IllegalArgumentException(
          "PositionalEncoding needs positive sizes, got maxLen=" + maxLen + ", dModel=" + dModel);
    }
    Tensor.checkedSize(maxLen, dModel);
    this.maxLen = maxLen;
    this.dModel = dModel;
    this.table = Tensor.zeros(maxLen, dModel);
    if (kind == Kind.LEARNED) {
      this.parameters = List.of(Parameter.of("position_embedding.weight", table));
    } else {
      this.parameters = List.of();
      fillSinusoidal(table.data(), maxLen, dModel);
    }
  }

  private static void fillSinusoidal(float[] pe, int maxLen, int dModel) {
    for (int col = 0; col < dModel; col += 2) {
      // 10000^(-2i/D) for the column pair (2i, 2i+1).
      double frequency = Math.exp(-Math.log(10000.0) * col / dModel);
      for (int p = 0; p < maxLen; p++) {
        double angle = p * frequency;
        pe[p * dModel + col] = (float) Math.sin(angle);
        if (col + 1 < dModel) pe[p * dModel + col + 1] = (float) Math.cos(angle);
      }
    }
  }

  /** LEARNED: draws every table entry from {@code N(0, 1)}. SINUSOIDAL: does nothing. */
  public void initialize(RandomGenerator rng) {
    if (kind != Kind.LEARNED) return;
    float[] pe = table.data();
    for (int i = 0; i < pe.length; i++) pe[i] = (float) rng.nextGaussian();
  }

  public Kind kind() {
    return kind;
  }

  public int maxLen() {
    return maxLen;
  }

  public int dModel() {
    return dModel;
  }

  /**
   * The table {@code PE [maxLen, D]}: for LEARNED the parameter's value itself, for SINUSOIDAL the
   * fixed table (do not modify).
   */
  public Tensor table() {
    return table;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /** Adds {@code PE[t, :]} to every {@code x[t, b, :]}, in place. */
  public void addInPlace(Tensor x) {
    checkSequence(x, "x");
    int steps = x.dim(0);
    int batch = x.dim(1);
    float[] v = x.data();
    float[] pe = table.data();
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        int row = (t * batch + b) * dModel;
        int peRow = t * dModel;
        for (int j = 0; j < dModel; j++) v[row + j] += pe[peRow + j];
      }
    }
  }

  /**
   * Accumulates the table's gradient from {@code dy [T, B, D]} (LEARNED only; the sinusoidal table
   * has none). The input gradient is {@code dy} itself.
   */
  public void backward(Tensor dy) {
    checkSequence(dy, "dy");
    if (kind != Kind.LEARNED) return;
    int steps = dy.dim(0);
    int batch = dy.dim(1);
    float[] d = dy.data();
    float[] g = parameters.getFirst().grad().data();
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        int row = (t * batch + b) * dModel;
        int peRow = t * dModel;
        for (int j = 0; j < dModel; j++) g[peRow + j] += d[row + j];
      }
    }
  }

  /** Fails unless {@code x} is {@code [T, B, D]} with {@code T ≤ maxLen}. */
  void checkSequence(Tensor x, String name) {
    if (x.rank() != 3 || x.dim(2) != dModel) {
      throw new IllegalArgumentException(
          name + " has shape " + Arrays.toString(x.shape()) + ", expected [T, B, " + dModel + "]");
    }
    checkLength(x.dim(0));
  }

  /** Fails unless a sequence of {@code steps} positions fits in the table. */
  public void checkLength(int steps) {
    if (steps > maxLen) {
      throw new IllegalArgumentException(
          "sequence length T=" + steps + " exceeds the positional table's maxLen=" + maxLen);
    }
  }
}
