package org.seqlab.nn;

import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.PanelMatVec;

/**
 * The per-step recurrent product {@code u_t = h_{t-1} W_hh^T} (and the like {@code x_t W_ih^T} of a
 * streamed step) over weights packed by {@link Recurrent#packTransposedGateBlocks}, for a tile of
 * batch rows and a range of hidden units, and how the split-units time loops share out those units.
 * Used by the traced forward ({@link RecurrentForward}), the streaming step ({@link
 * RecurrentStream}) and, for the split of units, {@link RecurrentInference}; the backward pass
 * reads {@code W_hh} in its own layout ({@link RecurrentBackward}).
 */
final class RecurrentStepProduct {
  private RecurrentStepProduct() {}

  /**
   * A step's product {@code out[b, 0 ..< columns] += v[b, :] · W^T[:, first ..< first + columns]}
   * for {@code rows} batch rows, with {@code v [rows, in]} from {@code v[vOff]} (rows {@code in}
   * apart), {@code out}'s rows from {@code outOff}, {@code ldOut} apart, {@code first} and {@code
   * columns} multiples of {@code h}; but only for hidden units {@code [unitFrom, unitTo)} of each
   * gate block ({@code 0, h} for all; otherwise on panel boundaries, or {@code unitTo = h}), so
   * that threads that split the units compute their columns of every gate without touching the
   * others'. {@code packedWeightT} is {@code W^T [in, gateRows]} packed by {@link
   * Recurrent#packTransposedGateBlocks}: every panel of {@link PanelMatVec#PANEL} columns lies
   * contiguous, so the product streams through it instead of striding a row of {@code gateRows}
   * floats per multiply-add (with {@code gateRows} a power of two those strides also evict each
   * other from the cache; the packed layout measured about 12% faster at batch 64, {@code H =
   * 256}).
   *
   * <p>From {@link Recurrent#PANEL_BATCH} rows up, each panel is one {@link
   * MatMul#gemmNNSingleThread}, which computes a tile of rows together ({@link MatMul#TILE_ROWS}, 6
   * or 8) so that every weight loaded serves each of them; below that each row reads all the
   * weights anyway, a panel at a time ({@link PanelMatVec}). Either way every element is the same
   * chain of fused multiply-adds: the choice never changes a bit.
   */
  static void stepProduct(
      int rows,
      int columns,
      int in,
      int h,
      int unitFrom,
      int unitTo,
      float[] v,
      int vOff,
      float[] packedWeightT,
      int first,
      float[] out,
      int outOff,
      int ldOut) {
    if (rows >= Recurrent.PANEL_BATCH) {
      for (int column = 0; column < columns; column += h) {
        int block = (first + column) / h;
        for (int q0 = unitFrom; q0 < unitTo; q0 += PanelMatVec.PANEL) {
          int width = Math.min(PanelMatVec.PANEL, h - q0);
          MatMul.gemmNNSingleThread(
              rows,
              width,
              in,
              v,
              vOff,
              in,
              packedWeightT,
              block * in * h + q0 * in,
              width,
              out,
              outOff + column + q0,
              ldOut);
        }
      }
      return;
    }
    for (int b = 0; b < rows; b++) {
      rowProduct(
          columns,
          in,
          h,
          unitFrom,
          unitTo,
          v,
          vOff + b * in,
          packedWeightT,
          first,
          out,
          outOff + b * ldOut);
    }
  }

  /**
   * {@link #stepProduct} of one batch row, a panel at a time: full panels two at a time, also
   * across gate blocks (a thread's share of each gate may be a single panel), so that eight
   * multiply-add chains are in flight.
   */
  private static void rowProduct(
      int columns,
      int in,
      int h,
      int unitFrom,
      int unitTo,
      float[] v,
      int row,
      float[] packedWeightT,
      int first,
      float[] out,
      int outRow) {
    int panel = PanelMatVec.PANEL;
    int waiting = -1, waitingOut = -1;
    for (int column = 0; column < columns; column += h) {
      int block = (first + column) / h;
      for (int q0 = unitFrom; q0 < unitTo; q0 += panel) {
        int at = block * in * h + q0 * in;
        int to = outRow + column + q0;
        if (h - q0 < panel) {
          // the block's narrow last panel
          PanelMatVec.multiplyAdd(in, h - q0, 0, h - q0, v, row, packedWeightT, at, out, to);
        } else if (waiting < 0) {
          waiting = at;
          waitingOut = to;
        } else {
          PanelMatVec.multiplyAddTwoPanels(
              in, v, row, packedWeightT, waiting, at, out, waitingOut, to);
          waiting = -1;
        }
      }
    }
    if (waiting >= 0) {
      PanelMatVec.multiplyAdd(in, panel, 0, panel, v, row, packedWeightT, waiting, out, waitingOut);
    }
  }

  /**
   * Where party {@code party} of {@code parties} starts when the {@code h} hidden units are split
   * between them in whole panels of {@link PanelMatVec#PANEL} (the split-units time loops of this
   * pass and of {@link RecurrentInference}); {@code party = parties} gives {@code h}.
   */
  static int firstUnitOf(int party, int parties, int h) {
    int panels = panelCount(h);
    return Math.min(h, party * panels / parties * PanelMatVec.PANEL);
  }

  /** Panels of {@link PanelMatVec#PANEL} hidden units in {@code h}, the last one maybe narrower. */
  static int panelCount(int h) {
    return (h + PanelMatVec.PANEL - 1) / PanelMatVec.PANEL;
  }
}
