package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * minGRU and minLSTM take their arrays (scratch, trace, results) from the last pass of the same
 * shape once it is released, and that changes no number: a model whose kept arrays are all filled
 * with NaN before every pass (so an array a pass read before writing it would show) gives, bit for
 * bit, what a fresh model gives. Sizes where the vector paths run: H 40 (full vectors and a tail),
 * B 17, T 70 (two chunks of the scan and a short third), 2 layers with dropout, on 1 and 2 threads.
 */
class MinRecurrentWorkspaceTest {

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 4 - 2);
    return t;
  }

  private static MinRecurrent model(MinRecurrentKind kind) {
    MinRecurrent m = new MinRecurrent(kind, 24, 40, 2);
    m.initialize(new Random(7));
    m.setDropout(0.25);
    return m;
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void reusedScratchChangesNoNumber(MinRecurrentKind kind) throws Exception {
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      try {
        MinRecurrent reusing = model(kind);
        SplittableRandom data = new SplittableRandom(11);
        // Two shapes, alternating, so that kept arrays of the wrong size must be passed over.
        int[][] shapes = {{70, 17}, {70, 17}, {5, 3}, {70, 17}, {5, 3}};
        for (int step = 0; step < shapes.length; step++) {
          int steps = shapes[step][0], batch = shapes[step][1];
          Tensor x = random(data, steps, batch, 24);
          Tensor dy = step == 2 ? null : random(data, steps, batch, 40);
          Tensor h0 = step % 2 == 1 ? random(data, 2, batch, 40) : null;
          MinRecurrent fresh = model(kind);
          reusing.zeroGrad();
          WorkspacePoison.poison(reusing.workspace());
          MinRecurrent.Output a = reusing.forward(x, h0, new SplittableRandom(100 + step));
          MinRecurrent.Output b = fresh.forward(x, h0, new SplittableRandom(100 + step));
          assertArrayEquals(b.output().data(), a.output().data(), "output at step " + step);
          assertArrayEquals(b.hN().data(), a.hN().data(), "hN at step " + step);
          WorkspacePoison.poison(reusing.workspace());
          RecurrentGradients ga = reusing.backward(a, dy, null);
          RecurrentGradients gb = fresh.backward(b, dy, null);
          assertArrayEquals(gb.dInput().data(), ga.dInput().data(), "dInput at step " + step);
          assertArrayEquals(gb.dh0().data(), ga.dh0().data(), "dh0 at step " + step);
          assertArrayEquals(
              gb.hiddenGradients().data(), ga.hiddenGradients().data(), "dL/dh at step " + step);
          for (int p = 0; p < reusing.parameters().size(); p++) {
            assertArrayEquals(
                fresh.parameters().get(p).grad().data(),
                reusing.parameters().get(p).grad().data(),
                reusing.parameters().get(p).name() + " at step " + step);
          }
          assertTrue(reusing.workspace().kept() > 0, "the scratch arrays are kept");
          // Everything goes back for the next step: the trace, output and final states, gradients.
          ga.release();
          a.release();
        }
      } finally {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void aTrainingStepOfTheSameShapesAllocatesNothingOnceThePreviousIsReleased(
      MinRecurrentKind kind) {
    MinRecurrent model = model(kind);
    SplittableRandom data = new SplittableRandom(6);
    Tensor x = random(data, 70, 17, 24);
    Tensor dy = random(data, 70, 17, 40);
    long[] allocatedBefore = new long[3];
    for (int step = 0; step < 3; step++) {
      allocatedBefore[step] = model.workspace().allocated();
      MinRecurrent.Output out = model.forward(x, null, new SplittableRandom(step));
      model.backward(out, dy, null).release();
      out.release();
    }
    assertTrue(allocatedBefore[1] > 0, "the first step allocates its arrays");
    assertEquals(
        allocatedBefore[1],
        model.workspace().allocated(),
        "the second and third steps take every array from the workspace");
  }

  @ParameterizedTest
  @EnumSource(MinRecurrentKind.class)
  void aReleasedPassIsRefusedByName(MinRecurrentKind kind) {
    MinRecurrent model = model(kind);
    MinRecurrent.Output out = model.forward(random(new SplittableRandom(4), 6, 3, 24), null);
    float[] output = out.output().data();
    out.release();
    int kept = model.workspace().kept();
    out.release(); // a second call does nothing
    assertEquals(kept, model.workspace().kept(), "a second release hands nothing back again");
    assertTrue(model.workspace().holds(output), "the output's array is kept for reuse");
    assertTrue(out.trace().isReleased());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> model.backward(out, null, null));
    assertTrue(e.getMessage().contains("released"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> out.trace().gates(0));
    assertThrows(IllegalStateException.class, () -> out.trace().hiddenStates(0));
    assertThrows(IllegalStateException.class, out::output);
    assertThrows(IllegalStateException.class, out::hN);
  }
}
