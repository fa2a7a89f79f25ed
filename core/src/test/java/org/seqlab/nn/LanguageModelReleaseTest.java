package org.seqlab.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent language model whose passes are released after every step (as the training engine
 * does: {@link LanguageModel.Pass#release}) trains bit for bit as one whose passes never are, with
 * dropout, a state carried from window to window, and every array its workspaces keep filled with
 * NaN before each pass; and once its first steps are done, a step of the same shapes allocates no
 * array in the stack's or the head's workspace. Sizes where the fast paths run: H 64, batch 17.
 */
class LanguageModelReleaseTest {

  private static LanguageModel model(String kind) {
    LanguageModel m =
        switch (kind) {
          case "min_gru", "min_lstm" ->
              new MinRecurrentLanguageModel(
                  new MinRecurrentLanguageModel.Config(
                      13, 24, MinRecurrentKind.fromMetadataName(kind), 64, 2, 0.3, 0));
          default ->
              new RecurrentLanguageModel(
                  new RecurrentLanguageModel.Config(
                      13, 24, RecurrentKind.valueOf(kind), 64, 2, 0.3, 0));
        };
    m.initialize(new SplittableRandom(9));
    return m;
  }

  private static List<Workspace> workspaces(LanguageModel m) {
    return switch (m) {
      case RecurrentLanguageModel r -> List.of(r.recurrent().workspace(), r.headWorkspace());
      case MinRecurrentLanguageModel r -> List.of(r.recurrent().workspace(), r.headWorkspace());
      default -> throw new AssertionError(m);
    };
  }

  private static long allocated(LanguageModel m) {
    return workspaces(m).stream().mapToLong(Workspace::allocated).sum();
  }

  @ParameterizedTest
  @ValueSource(strings = {"LSTM", "GRU", "RNN_TANH", "min_gru", "min_lstm"})
  void releasingEveryPassChangesNoNumberAndStopsAllocating(String kind) throws Exception {
    LanguageModel releasing = model(kind), keeping = model(kind);
    SplittableRandom data = new SplittableRandom(4);
    int steps = 9, batch = 17, vocabulary = 13;
    LanguageModel.State carriedA = null, carriedB = null;
    long allocatedAfterFirstSteps = 0;
    for (int window = 0; window < 5; window++) {
      int[] tokens = new int[steps * batch];
      for (int i = 0; i < tokens.length; i++) tokens[i] = data.nextInt(vocabulary);
      Tensor dLogits = Tensor.zeros(steps, batch, vocabulary);
      for (int i = 0; i < dLogits.size(); i++) dLogits.data()[i] = (float) data.nextGaussian();
      if (window == 2) allocatedAfterFirstSteps = allocated(releasing);
      for (Workspace w : workspaces(releasing)) WorkspacePoison.poison(w);
      releasing.zeroGrad();
      keeping.zeroGrad();
      LanguageModel.Pass a =
          releasing.forward(tokens, steps, batch, carriedA, new SplittableRandom(50 + window));
      LanguageModel.Pass b =
          keeping.forward(tokens, steps, batch, carriedB, new SplittableRandom(50 + window));
      assertArrayEquals(b.logits().data(), a.logits().data(), "logits, window " + window);
      releasing.backward(a, dLogits);
      keeping.backward(b, dLogits);
      for (int p = 0; p < releasing.parameters().size(); p++) {
        assertArrayEquals(
            keeping.parameters().get(p).grad().data(),
            releasing.parameters().get(p).grad().data(),
            releasing.parameters().get(p).name() + ", window " + window);
      }
      a.release();
      a.release(); // a second call does nothing
      // The final state stays valid after the release: the next window starts from it.
      carriedA = a.finalState();
      carriedB = b.finalState();
      for (String name : carriedB.tensors().keySet()) {
        assertArrayEquals(
            carriedB.tensors().get(name).data(),
            carriedA.tensors().get(name).data(),
            name + ", window " + window);
      }
    }
    assertTrue(allocatedAfterFirstSteps > 0, "the first steps allocate their arrays");
    assertEquals(
        allocatedAfterFirstSteps,
        allocated(releasing),
        "steps 3 to 5 take every array from the workspaces");
  }
}
