package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.seqlab.nn.ReferenceComparison.assertClose;
import static org.seqlab.nn.ReferenceComparison.gaussian;
import static org.seqlab.nn.ReferenceComparison.stack;
import static org.seqlab.nn.ReferenceComparison.toDouble;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.seqlab.nn.reference.ReferenceTransformer;
import org.seqlab.tensor.FmaPeak;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The Transformer block's vector and threaded paths at the sizes where they run: widths of several
 * full vectors (and heads narrower than one, where the tails run), and work well above the
 * threshold at which the loops go parallel. Forward and backward against the double-precision
 * reference on one thread and on two, and the two runs bit for bit the same.
 */
class TransformerFastPathsTest {
  private final int savedThreads = Parallel.threads();

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
  }

  /** Everything one run produced: output, attention, every gradient. */
  private record Run(List<float[]> values) {}

  private static Run run(
      int threads, int T, int B, int D, int heads, int F, Random seed, ReferenceTransformer ref) {
    Parallel.setThreads(threads);
    Random r = new Random(seed.nextLong());
    TransformerBlock block = new TransformerBlock(D, heads, F);
    TransformerAgreesWithReferenceTest.shareParameters(r, block, ref, "blocks.0.");
    int[] lengths = new int[B];
    for (int b = 0; b < B; b++) lengths[b] = b == 0 ? T : 1 + r.nextInt(T);
    float[] x = gaussian(r, T * B * D, 1), dz = gaussian(r, T * B * D, 1);
    TransformerBlock.Output out = block.forward(Tensor.wrap(x, T, B, D), true, lengths);
    Tensor dx = block.backward(out, Tensor.wrap(dz, T, B, D));
    List<float[]> values = new ArrayList<>();
    values.add(out.output().data());
    values.add(out.attentionWeights().data());
    values.add(dx.data());
    for (Parameter p : block.parameters()) values.add(p.grad().data());

    if (ref != null) {
      ReferenceTransformer.Unrolled u = ref.unrollBlocks(toDouble(x), T, B, lengths, true);
      u.backward(toDouble(dz));
      double tol = TransformerAgreesWithReferenceTest.TOL;
      assertClose("output", out.output().data(), stack(u.blockOutputs()[0], false), tol);
      for (Parameter p : block.parameters()) {
        assertClose(
            "grad " + p.name(),
            p.grad().data(),
            u.parameters().get("blocks.0." + p.name()).grad(),
            tol);
      }
      assertClose("grad input", dx.data(), stack(u.inputs(), true), tol);
    }
    return new Run(values);
  }

  @ParameterizedTest(name = "T={0} B={1} D={2} heads={3} F={4}")
  @CsvSource({
    // full vectors everywhere: D and the head width multiples of 16 lanes
    "24, 4, 64, 4, 256",
    // heads of 20 and 10 columns: a full vector and a tail, or a tail alone
    "33, 3, 80, 4, 160",
    "29, 3, 40, 4, 120",
  })
  void matchesTheReferenceOnOneAndTwoThreadsAndTheThreadsAgreeBitForBit(
      int T, int B, int D, int heads, int F) {
    assertTrue(D >= FmaPeak.lanes(), "the widths hold at least one full vector");
    // The feed-forward alone is T*B*D*F multiply-adds, far above the parallel threshold.
    assertTrue((long) T * B * D * F > 8 * Parallel.MIN_PARALLEL_WORK);
    long seed = T * 1000L + B * 100L + D + heads + F;
    Run one =
        run(1, T, B, D, heads, F, new Random(seed), ReferenceTransformer.blocks(D, heads, F, 1));
    Run two =
        run(2, T, B, D, heads, F, new Random(seed), ReferenceTransformer.blocks(D, heads, F, 1));
    for (int i = 0; i < one.values().size(); i++) {
      assertArrayEquals(
          one.values().get(i), two.values().get(i), "value " + i + " on 1 and 2 threads");
    }
  }
}
