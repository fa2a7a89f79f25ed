package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.tensor.PanelMatVec;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The time loops split the batch over threads: outputs, final states and every gradient must be the
 * same bits with 1, 2 or 3 threads, for odd batches that do not split evenly.
 */
class RecurrentThreadsTest {
  private final int savedThreads = Parallel.threads();
  private final long savedUnitSplitMinWork = Recurrent.unitSplitMinWork;

  @AfterEach
  void restore() {
    Parallel.setThreads(savedThreads);
    Recurrent.unitSplitMinWork = savedUnitSplitMinWork;
  }

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  /** Every float a forward and backward pass produces, in a fixed order. */
  private static List<float[]> run(RecurrentKind kind, int batch, int threads) {
    return run(kind, batch, threads, 40);
  }

  private static List<float[]> run(RecurrentKind kind, int batch, int threads, int hidden) {
    return run(kind, batch, threads, hidden, false);
  }

  /**
   * With {@code everything}: bidirectional, ragged lengths (unsorted, the shortest 1) and dropout
   * between the layers, masks included in the results.
   */
  private static List<float[]> run(
      RecurrentKind kind, int batch, int threads, int hidden, boolean everything) {
    int input = 11, layers = 2, steps = 9;
    int directions = everything ? 2 : 1, states = layers * directions;
    Parallel.setThreads(threads);
    Recurrent model = Recurrent.create(kind, input, hidden, layers, everything);
    model.initialize(new SplittableRandom(3));
    if (everything) model.setDropout(0.25);
    SplittableRandom r = new SplittableRandom(4);
    Tensor x = random(r, steps, batch, input);
    Tensor h0 = random(r, states, batch, hidden);
    Tensor c0 = kind == RecurrentKind.LSTM ? random(r, states, batch, hidden) : null;
    Tensor dOutput = random(r, steps, batch, directions * hidden);
    Tensor dhN = random(r, states, batch, hidden);
    Tensor dcN = kind == RecurrentKind.LSTM ? random(r, states, batch, hidden) : null;
    int[] lengths = null;
    if (everything) {
      lengths = new int[batch];
      for (int b = 0; b < batch; b++) lengths[b] = 1 + (b * 5) % steps;
    }
    RecurrentOutput out =
        model.forward(x, h0, c0, lengths, everything ? new SplittableRandom(6) : null);
    RecurrentGradients g = model.backward(out, dOutput, dhN, dcN);
    List<float[]> all = new ArrayList<>();
    all.add(out.output().data());
    all.add(out.hN().data());
    if (out.cN() != null) all.add(out.cN().data());
    if (everything) all.add(out.trace().dropoutMask(0).data());
    for (int k = 0; k < layers; k++) {
      for (int d = 0; d < directions; d++) all.add(out.trace().gates(k, d).data());
    }
    all.add(g.dInput().data());
    all.add(g.dh0().data());
    if (g.dc0() != null) all.add(g.dc0().data());
    all.add(g.hiddenGradients().data());
    for (Parameter p : model.parameters()) all.add(p.grad().data());
    return all;
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void resultsAreBitIdenticalForAnyThreadCount(RecurrentKind kind) {
    for (int batch : new int[] {5, 7}) {
      // Enough work that the time loop really is split (a small loop stays on one thread).
      long perRow = 9L * kind.gateCount() * 40 * 40;
      assertTrue(batch * perRow >= Parallel.MIN_PARALLEL_WORK, "test too small to split");
      List<float[]> one = run(kind, batch, 1);
      for (int threads : new int[] {2, 3}) {
        List<float[]> many = run(kind, batch, threads);
        for (int i = 0; i < one.size(); i++) {
          assertArrayEquals(
              one.get(i),
              many.get(i),
              kind + " batch " + batch + ", " + threads + " threads, result " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void splittingEachStepByHiddenUnitsGivesTheSameBits(RecurrentKind kind) {
    // Batches below the thread count split every step's units between threads that meet on a
    // barrier; three panels of units, the last one narrow, so 2 and 3 threads split unevenly.
    int hidden = 2 * PanelMatVec.PANEL + 5;
    Recurrent.unitSplitMinWork = Long.MAX_VALUE;
    List<float[]> reference = run(kind, 1, 1, hidden);
    List<float[]> referencePair = run(kind, 2, 1, hidden);
    Recurrent.unitSplitMinWork = 0;
    for (int threads : new int[] {2, 3}) {
      for (int batch = 1; batch < threads; batch++) {
        List<float[]> one = batch == 1 ? reference : referencePair;
        List<float[]> split = run(kind, batch, threads, hidden);
        for (int i = 0; i < one.size(); i++) {
          assertArrayEquals(
              one.get(i),
              split.get(i),
              kind + " batch " + batch + ", " + threads + " threads, result " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(RecurrentKind.class)
  void bidirectionalRaggedDropoutAreBitIdenticalForAnyThreadCount(RecurrentKind kind) {
    for (int batch : new int[] {5, 7}) {
      List<float[]> one = run(kind, batch, 1, 40, true);
      for (int threads : new int[] {2, 3}) {
        List<float[]> many = run(kind, batch, threads, 40, true);
        for (int i = 0; i < one.size(); i++) {
          assertArrayEquals(
              one.get(i),
              many.get(i),
              kind + " batch " + batch + ", " + threads + " threads, result " + i);
        }
      }
    }
    // The time loop split by hidden units, with held states at the ends.
    int hidden = 2 * PanelMatVec.PANEL + 5;
    Recurrent.unitSplitMinWork = Long.MAX_VALUE;
    List<float[]> reference = run(kind, 2, 1, hidden, true);
    Recurrent.unitSplitMinWork = 0;
    List<float[]> split = run(kind, 2, 3, hidden, true);
    for (int i = 0; i < reference.size(); i++) {
      assertArrayEquals(reference.get(i), split.get(i), kind + " split by units, result " + i);
    }
  }
}
