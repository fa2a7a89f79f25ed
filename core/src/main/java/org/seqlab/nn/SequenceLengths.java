package org.seqlab.nn;

import java.util.Arrays;
import org.seqlab.tensor.Elementwise;

/**
 * The lengths of a batch of {@code B} sequences padded to {@code T} steps, and the copies between
 * the two orders in which a recurrent layer sees them: by <em>position</em> {@code t} in the
 * sequence (the input, the layer's output) and by <em>step</em> {@code s} of one direction (the
 * direction's stored states and gates). The forward direction's step {@code s} reads position
 * {@code s}; the reverse direction's reads position {@code len_b - 1 - s}, so it starts at each
 * sequence's own end. Past a sequence's end ({@code t} or {@code s >= len_b}) there is padding,
 * which every copy here writes as zero.
 *
 * <p>Rows are {@code width} floats; a {@code [T, B, width]} array holds row {@code (t, b)} at
 * {@code (t*B + b)*width}.
 *
 * @param lengths each sequence's length in {@code [1, T]}, or null when every sequence has {@code
 *     T} steps
 */
record SequenceLengths(int steps, int batch, int[] lengths) {

  /**
   * A copy of {@code lengths} after checking it ({@code batch} values in {@code [1, steps]}), or
   * null when it is null or every sequence has all {@code steps} (then the padding code has nothing
   * to do).
   *
   * @throws IllegalArgumentException naming the first length out of range, or the wrong count
   */
  static int[] checked(int[] lengths, int steps, int batch) {
    if (lengths == null) return null;
    if (lengths.length != batch) {
      throw new IllegalArgumentException(
          "lengths has "
              + lengths.length
              + " entries, expected one per sequence of the batch ("
              + batch
              + ")");
    }
    boolean full = true;
    for (int b = 0; b < batch; b++) {
      if (lengths[b] < 1 || lengths[b] > steps) {
        throw new IllegalArgumentException(
            "lengths["
                + b
                + "] = "
                + lengths[b]
                + " is outside [1, "
                + steps
                + "] (every sequence has at least one step and at most T = "
                + steps
                + ")");
      }
      full &= lengths[b] == steps;
    }
    return full ? null : lengths.clone();
  }

  int length(int b) {
    return lengths == null ? steps : lengths[b];
  }

  /**
   * The position that step {@code s} of direction {@code d} reads in a sequence of {@code length}
   * steps, and equally the step that reads position {@code s} (the map is its own inverse): {@code
   * s} forward, {@code length - 1 - s} in reverse. Only for {@code s < length}.
   */
  static int step(int d, int s, int length) {
    return d == 0 ? s : length - 1 - s;
  }

  /** Sets the rows of {@code x [T, B, width]} past every sequence's end to zero. */
  void zeroPadding(float[] x, int width) {
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        int row = (t * batch + b) * width;
        if (t >= length(b)) Arrays.fill(x, row, row + width, 0f);
      }
    }
  }

  /**
   * Gathers rows by position into direction {@code d}'s order of steps: {@code out[s, b, :]} is the
   * row of {@code width} floats of {@code x} at {@code offset + (t*B + b)*stride} for the position
   * {@code t} that step {@code s} reads, zero for {@code s >= len_b}; {@code out} is {@code [T, B,
   * width]}. (A column block of a wider row is {@code offset} = its first column.)
   */
  void toSteps(float[] x, int offset, int stride, int d, int width, float[] out) {
    for (int s = 0; s < steps; s++) {
      for (int b = 0; b < batch; b++) {
        int len = length(b), to = (s * batch + b) * width;
        if (s < len) {
          int t = step(d, s, len);
          System.arraycopy(x, offset + (t * batch + b) * stride, out, to, width);
        } else {
          Arrays.fill(out, to, to + width, 0f);
        }
      }
    }
  }

  /**
   * The reverse of {@link #toSteps}: scatters direction {@code d}'s rows {@code bySteps [T, B,
   * width]} (from {@code offset}) to their positions, row {@code (t, b)} at {@code outOffset + (t*B
   * + b)*stride} of {@code out}, zero for {@code t >= len_b}.
   */
  void toPositions(
      float[] bySteps, int offset, int d, int width, float[] out, int outOffset, int stride) {
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < batch; b++) {
        int len = length(b), to = outOffset + (t * batch + b) * stride;
        if (t < len) {
          System.arraycopy(bySteps, offset + (step(d, t, len) * batch + b) * width, out, to, width);
        } else {
          Arrays.fill(out, to, to + width, 0f);
        }
      }
    }
  }

  /**
   * As {@link #toPositions} into rows of {@code width}, but adding: {@code out[t, b, :] +=
   * bySteps[s, b, :]} for every step {@code s < len_b} and the position {@code t} it reads. The
   * backward of {@link #toSteps}.
   */
  void addToPositions(float[] bySteps, int d, int width, float[] out) {
    for (int s = 0; s < steps; s++) {
      for (int b = 0; b < batch; b++) {
        int len = length(b);
        if (s >= len) continue;
        int t = step(d, s, len);
        Elementwise.addInPlace(
            out, (t * batch + b) * width, bySteps, (s * batch + b) * width, width);
      }
    }
  }
}
