package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * A released block result's arrays are reused by the block's next passes ({@link
 * TransformerBlock.Output#release}), and that changes no number: a block, or a Transformer language
 * model, that releases every step trains bit for bit as one that never does, even when every kept
 * buffer is filled with NaN before it is reused (so a buffer that a pass forgot to overwrite or
 * clear would show). Sizes where the fast paths run: D 32 over 4 heads, and a shape with more rows
 * ({@code T*B}) than {@link Parallel#MIN_PARALLEL_WORK}, alternating with a small one, on 1 and 2
 * threads.
 */
class TransformerWorkspaceTest {

  private static final int D = 32, HEADS = 4, FF = 64;

  private static Tensor random(SplittableRandom r, int... shape) {
    Tensor t = Tensor.zeros(shape);
    float[] d = t.data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
    return t;
  }

  private static TransformerBlock block() {
    TransformerBlock block = new TransformerBlock(D, HEADS, FF);
    block.initialize(new SplittableRandom(7));
    // Norm parameters away from ones and zeros, so that their gradients carry information.
    for (Parameter p : block.parameters()) {
      if (p.name().startsWith("norm")) {
        float[] v = p.value().data();
        SplittableRandom r = new SplittableRandom(p.name().hashCode());
        for (int i = 0; i < v.length; i++) v[i] += (float) (r.nextDouble() - 0.5);
      }
    }
    return block;
  }

  /** {T, B, causal, padded}: the large shape has T*B rows above MIN_PARALLEL_WORK. */
  private static final int[][] SHAPES = {
    {48, 700, 1, 0}, {9, 5, 0, 1}, {48, 700, 1, 1}, {9, 5, 1, 0}, {48, 700, 0, 0}, {48, 700, 1, 0}
  };

  @Test
  void releasingABlockChangesNoNumber() throws Exception {
    assertTrue(48L * 700 > Parallel.MIN_PARALLEL_WORK);
    int defaultThreads = Parallel.threads();
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      try {
        TransformerBlock releasing = block();
        TransformerBlock keeping = block();
        SplittableRandom data = new SplittableRandom(11);
        for (int step = 0; step < SHAPES.length; step++) {
          int steps = SHAPES[step][0], batch = SHAPES[step][1];
          boolean causal = SHAPES[step][2] == 1;
          int[] lengths = null;
          if (SHAPES[step][3] == 1) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + data.nextInt(steps);
          }
          Tensor x = random(data, steps, batch, D);
          Tensor dz = random(data, steps, batch, D);
          String at = " at step " + step + " on " + threads + " threads";
          releasing.zeroGrad();
          keeping.zeroGrad();
          WorkspacePoison.poison(releasing.workspace());
          TransformerBlock.Output a = releasing.forward(x, causal, lengths);
          TransformerBlock.Output b = keeping.forward(x, causal, lengths);
          assertArrayEquals(b.output().data(), a.output().data(), "output" + at);
          assertArrayEquals(
              b.attentionWeights().data(), a.attentionWeights().data(), "attention" + at);
          WorkspacePoison.poison(releasing.workspace());
          Tensor dxa = releasing.backward(a, dz);
          Tensor dxb = keeping.backward(b, dz);
          assertArrayEquals(dxb.data(), dxa.data(), "dx" + at);
          for (int p = 0; p < releasing.parameters().size(); p++) {
            assertArrayEquals(
                keeping.parameters().get(p).grad().data(),
                releasing.parameters().get(p).grad().data(),
                releasing.parameters().get(p).name() + at);
          }
          float[] output = a.output().data().clone();
          a.release();
          assertTrue(releasing.workspace().kept() > 0, "the result's buffers are kept");
          assertArrayEquals(output, a.output().data(), "the output is not released" + at);
        }
      } finally {
        Parallel.setThreads(defaultThreads);
      }
    }
  }

  private static TransformerLanguageModel languageModel() {
    TransformerLanguageModel model =
        new TransformerLanguageModel(
            new TransformerDecoder.Config(
                40, D, HEADS, FF, 2, 48, PositionalEncoding.Kind.LEARNED));
    model.initialize(new SplittableRandom(5));
    return model;
  }

  private static void poison(TransformerLanguageModel model) throws ReflectiveOperationException {
    for (int i = 0; i < model.config().numLayers(); i++) {
      WorkspacePoison.poison(model.transformer().block(i).workspace());
    }
  }

  @Test
  void releasingALanguageModelsPassChangesNoNumber() throws Exception {
    int defaultThreads = Parallel.threads();
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      try {
        TransformerLanguageModel releasing = languageModel();
        TransformerLanguageModel keeping = languageModel();
        SplittableRandom data = new SplittableRandom(13);
        int[][] shapes = {{48, 700}, {9, 5}, {48, 700}, {9, 5}, {48, 700}};
        for (int step = 0; step < shapes.length; step++) {
          int steps = shapes[step][0], batch = shapes[step][1];
          int[] tokens = new int[steps * batch];
          for (int i = 0; i < tokens.length; i++) tokens[i] = data.nextInt(40);
          Tensor dLogits = random(data, steps, batch, 40);
          String at = " at step " + step + " on " + threads + " threads";
          releasing.zeroGrad();
          keeping.zeroGrad();
          poison(releasing);
          LanguageModel.Pass a = releasing.forward(tokens, steps, batch, null, null);
          LanguageModel.Pass b = keeping.forward(tokens, steps, batch, null, null);
          assertArrayEquals(b.logits().data(), a.logits().data(), "logits" + at);
          poison(releasing);
          releasing.backward(a, dLogits);
          keeping.backward(b, dLogits);
          for (int p = 0; p < releasing.parameters().size(); p++) {
            assertArrayEquals(
                keeping.parameters().get(p).grad().data(),
                releasing.parameters().get(p).grad().data(),
                releasing.parameters().get(p).name() + at);
          }
          float[] logits = a.logits().data().clone();
          a.release();
          assertArrayEquals(logits, a.logits().data(), "the logits stay valid" + at);
        }
      } finally {
        Parallel.setThreads(defaultThreads);
      }
    }
  }

  @Test
  void theNextPassOfTheSameShapeTakesTheReleasedBuffers() {
    TransformerBlock block = block();
    Tensor x = random(new SplittableRandom(3), 6, 8, D);
    TransformerBlock.Output first = block.forward(x, true, null);
    block.backward(first, random(new SplittableRandom(4), 6, 8, D));
    int afterBackward = block.workspace().kept();
    assertTrue(afterBackward > 0, "the backward pass's work buffers are kept");
    first.release();
    int afterRelease = block.workspace().kept();
    assertEquals(afterBackward + 14, afterRelease, "the result's 14 arrays are kept");
    TransformerBlock.Output second = block.forward(x, true, null);
    assertEquals(afterRelease - 14, block.workspace().kept(), "the next pass takes all 14");
    assertArrayEquals(first.output().data(), second.output().data());
  }

  @Test
  void aReleasedResultIsRefusedByName() {
    TransformerBlock block = block();
    TransformerBlock.Output out =
        block.forward(random(new SplittableRandom(4), 5, 3, D), true, null);
    Tensor output = out.output().copy();
    out.release();
    out.release(); // a second call does nothing
    assertTrue(out.isReleased());
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> block.backward(out, Tensor.zeros(5, 3, D)));
    assertTrue(e.getMessage().contains("released"), e.getMessage());
    assertTrue(e.getMessage().contains("TransformerBlock.Output"), e.getMessage());
    assertThrows(IllegalStateException.class, out::attentionWeights);
    assertThrows(IllegalStateException.class, out::attention);
    assertArrayEquals(output.data(), out.output().data(), "the output stays valid");

    TransformerLanguageModel model = languageModel();
    int[] tokens = new int[5 * 3];
    LanguageModel.Pass pass = model.forward(tokens, 5, 3, null, null);
    pass.release();
    pass.release();
    e =
        assertThrows(
            IllegalStateException.class, () -> model.backward(pass, Tensor.zeros(5, 3, 40)));
    assertTrue(e.getMessage().contains("released"), e.getMessage());
    assertThrows(IllegalStateException.class, pass::attentionWeights);
  }
}
