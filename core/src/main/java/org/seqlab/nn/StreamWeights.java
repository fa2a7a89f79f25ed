package org.seqlab.nn;

import org.seqlab.tensor.Int8PanelMatVec;
import org.seqlab.tensor.PanelMatVec;

/**
 * One weight matrix of a streamed layer, {@code W [G*H, in]}, as a step's product reads it: {@code
 * W^T} packed one gate block at a time in panels ({@link Recurrent#packTransposedGateBlocks}), in
 * float32 or in 8 bits ({@link WeightPrecision}). {@link #product} is the step's {@code out[b, :]
 * += v[b, :] · W^T[:, columns]} for a tile of batch rows and a range of hidden units, the same
 * contract as {@link RecurrentStepProduct#stepProduct}, so that {@link RecurrentStream} runs either
 * kind through one loop.
 */
sealed interface StreamWeights {

  /** {@code weight [gateRows, in]} packed at {@code precision}, hidden size {@code h}. */
  static StreamWeights of(WeightPrecision precision, float[] weight, int gateRows, int in, int h) {
    return switch (precision) {
      case FLOAT32 ->
          new Float32(Recurrent.packTransposedGateBlocks(weight, gateRows, in, h), in, h);
      case INT8 -> Int8.quantize(weight, gateRows, in, h);
    };
  }

  /**
   * {@code out[outOff + b*ldOut + c] += v[vOff + b*in + :] · W^T[:, first + c]} for {@code b <
   * rows} and the columns {@code c < columns} (whole gate blocks) whose hidden unit lies in {@code
   * [unitFrom, unitTo)}; see {@link RecurrentStepProduct#stepProduct}.
   */
  void product(
      int rows,
      int columns,
      int unitFrom,
      int unitTo,
      float[] v,
      int vOff,
      int first,
      float[] out,
      int outOff,
      int ldOut);

  /** The trained weights, read as {@link RecurrentStepProduct#stepProduct} reads them. */
  record Float32(float[] packed, int in, int h) implements StreamWeights {
    @Override
    public void product(
        int rows,
        int columns,
        int unitFrom,
        int unitTo,
        float[] v,
        int vOff,
        int first,
        float[] out,
        int outOff,
        int ldOut) {
      RecurrentStepProduct.stepProduct(
          rows, columns, in, h, unitFrom, unitTo, v, vOff, packed, first, out, outOff, ldOut);
    }
  }

  /**
   * 8-bit weights: {@code q} in the layout of {@link Recurrent#packTransposedGateBlocks}, a byte
   * per weight (and {@link Int8PanelMatVec#PADDING} bytes after), and {@code scale [gateRows]}, one
   * per row of {@code W}: {@code W[r, p] ≈ scale[r] · Q[r, p]} ({@link WeightPrecision#INT8}).
   * Every batch row reads all the weights, a panel at a time; at the small batches a stream serves
   * that is what the float32 path does too.
   */
  record Int8(byte[] q, float[] scale, int in, int h) implements StreamWeights {

    /** Quantizes {@code weight [gateRows, in]} row by row and packs it. */
    static Int8 quantize(float[] weight, int gateRows, int in, int h) {
      float[] scale = new float[gateRows];
      byte[] q = new byte[Math.toIntExact((long) gateRows * in + Int8PanelMatVec.PADDING)];
      for (int r = 0; r < gateRows; r++) {
        float largest = 0;
        for (int p = 0; p < in; p++) largest = Math.max(largest, Math.abs(weight[r * in + p]));
        scale[r] = largest / 127f;
      }
      int panelWidth = PanelMatVec.PANEL;
      for (int g = 0; g * h < gateRows; g++) {
        for (int q0 = 0; q0 < h; q0 += panelWidth) {
          int width = Math.min(panelWidth, h - q0);
          int panel = g * in * h + q0 * in;
          for (int j = 0; j < width; j++) {
            int r = g * h + q0 + j;
            for (int p = 0; p < in; p++) {
              q[panel + p * width + j] = quantized(weight[r * in + p], scale[r]);
            }
          }
        }
      }
      return new Int8(q, scale, in, h);
    }

    /** {@code round(w / s)} in {@code [-127, 127]}; 0 for a row of zeros. */
    static byte quantized(float w, float s) {
      if (s == 0) return 0;
      return (byte) Math.max(-127, Math.min(127, Math.round(w / s)));
    }

    @Override
    public void product(
        int rows,
        int columns,
        int unitFrom,
        int unitTo,
        float[] v,
        int vOff,
        int first,
        float[] out,
        int outOff,
        int ldOut) {
      int panel = PanelMatVec.PANEL;
      for (int b = 0; b < rows; b++) {
        int row = vOff + b * in, outRow = outOff + b * ldOut;
        int waiting = -1, waitingColumn = -1, waitingOut = -1;
        for (int column = 0; column < columns; column += h) {
          int block = (first + column) / h;
          for (int q0 = unitFrom; q0 < unitTo; q0 += panel) {
            int at = block * in * h + q0 * in;
            int scaleAt = block * h + q0;
            int to = outRow + column + q0;
            if (h - q0 < panel) {
              Int8PanelMatVec.narrowPanel(in, h - q0, v, row, q, at, scale, scaleAt, out, to);
            } else if (waiting < 0) {
              waiting = at;
              waitingColumn = scaleAt;
              waitingOut = to;
            } else {
              Int8PanelMatVec.fullPanelPair(
                  in, v, row, q, waiting, at, scale, waitingColumn, scaleAt, out, waitingOut, to);
              waiting = -1;
            }
          }
        }
        if (waiting >= 0) {
          Int8PanelMatVec.fullPanel(in, v, row, q, waiting, scale, waitingColumn, out, waitingOut);
        }
      }
    }
  }
}
