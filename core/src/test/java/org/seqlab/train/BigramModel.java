package org.seqlab.train;

import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Parameter;
import org.seqlab.tensor.Tensor;

/**
 * The smallest language model there is, for testing the engine quickly: the logits of the next
 * token are a row of a table, {@code logits[t, b, :] = table[token[t, b], :] + bias}. It carries a
 * "state" (the count of windows seen, as a 1-element tensor) so that the engine's carrying of state
 * can be checked, and can be told to poison its bias gradient with NaN from a given step on.
 */
final class BigramModel implements LanguageModel {
  private final int vocabulary;
  private final Parameter table;
  private final Parameter bias;
  long poisonFromCall = Long.MAX_VALUE;
  private long backwardCalls;

  /** The carried window counts the model was handed, in order. */
  final java.util.List<Float> carriedSeen = new java.util.ArrayList<>();

  BigramModel(int vocabulary) {
    this.vocabulary = vocabulary;
    this.table = Parameter.of("table", Tensor.zeros(vocabulary, vocabulary));
    this.bias = Parameter.of("bias", Tensor.zeros(vocabulary));
  }

  @Override
  public void initialize(RandomGenerator rng) {
    for (int i = 0; i < table.value().size(); i++) {
      table.value().data()[i] = (float) (0.1 * rng.nextGaussian());
    }
  }

  @Override
  public int vocabularySize() {
    return vocabulary;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(table, bias);
  }

  private record BigramPass(int[] tokens, Tensor logits, State finalState) implements Pass {}

  @Override
  public Pass forward(int[] tokens, int steps, int batch, State carried, RandomGenerator dropout) {
    float windows = 0;
    if (carried != null && carried.tensors().containsKey("windows")) {
      windows = carried.tensors().get("windows").data()[0];
    }
    carriedSeen.add(carried == null ? -1f : windows);
    Tensor logits = Tensor.zeros(steps, batch, vocabulary);
    for (int r = 0; r < tokens.length; r++) {
      for (int v = 0; v < vocabulary; v++) {
        logits.data()[r * vocabulary + v] =
            table.value().data()[tokens[r] * vocabulary + v] + bias.value().data()[v];
      }
    }
    Tensor count = Tensor.wrap(new float[] {windows + 1}, 1);
    return new BigramPass(tokens, logits, new State(Map.of("windows", count)));
  }

  @Override
  public void backward(Pass pass, Tensor dLogits) {
    BigramPass p = (BigramPass) pass;
    backwardCalls++;
    for (int r = 0; r < p.tokens().length; r++) {
      for (int v = 0; v < vocabulary; v++) {
        float d = dLogits.data()[r * vocabulary + v];
        table.grad().data()[p.tokens()[r] * vocabulary + v] += d;
        bias.grad().data()[v] += d;
      }
    }
    if (backwardCalls >= poisonFromCall) bias.grad().data()[1] = Float.NaN;
  }

  @Override
  public Decoder decoder() {
    throw new UnsupportedOperationException("not needed by the engine tests");
  }
}
