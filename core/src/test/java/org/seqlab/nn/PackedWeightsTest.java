package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.PanelMatVec;

/** The per-step products' weight layout is W^T cut into gate blocks, each in the panel layout. */
class PackedWeightsTest {

  @Test
  void packingFromTheWeightEqualsTransposingThenPackingEachGateBlock() {
    SplittableRandom r = new SplittableRandom(3);
    int panel = PanelMatVec.PANEL;
    for (int gates : new int[] {1, 3, 4}) {
      for (int h : new int[] {1, 5, panel, panel + 6, 2 * panel + 1}) {
        for (int in : new int[] {1, 7, 33}) {
          int gateRows = gates * h;
          float[] weight = new float[gateRows * in];
          for (int i = 0; i < weight.length; i++) weight[i] = (float) r.nextDouble(-1, 1);
          // The definition: W^T [in, gateRows], then PanelMatVec.pack of each [in, h] block.
          float[] transposed = new float[weight.length];
          for (int row = 0; row < gateRows; row++) {
            for (int p = 0; p < in; p++) transposed[p * gateRows + row] = weight[row * in + p];
          }
          float[] expected = new float[weight.length];
          for (int g = 0; g < gates; g++) {
            float[] block = PanelMatVec.pack(in, h, transposed, g * h, gateRows);
            System.arraycopy(block, 0, expected, g * in * h, block.length);
          }
          assertArrayEquals(
              expected,
              Recurrent.packTransposedGateBlocks(weight, gateRows, in, h),
              "G=" + gates + " H=" + h + " in=" + in);
        }
      }
    }
  }
}
