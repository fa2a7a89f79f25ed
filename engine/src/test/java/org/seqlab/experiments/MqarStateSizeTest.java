package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.seqlab.nn.Architecture;

/** The state in floats, per row of the table of architectures, by hand. */
class MqarStateSizeTest {

  @Test
  void everyRowOfTheTableHasItsStateSize() {
    int layers = 3, hidden = 8, steps = 10;
    Map<Architecture, Long> expected = new EnumMap<>(Architecture.class);
    expected.put(Architecture.RNN, 24L); // L × H
    expected.put(Architecture.RNN_RELU, 24L);
    expected.put(Architecture.LSTM, 48L); // L × 2H: h and c
    expected.put(Architecture.GRU, 24L);
    expected.put(Architecture.MIN_GRU, 24L);
    expected.put(Architecture.MIN_LSTM, 24L);
    expected.put(Architecture.TRANSFORMER, 480L); // 2 × L × T × D
    assertEquals(Architecture.values().length, expected.size(), "a new row needs its size here");
    expected.forEach(
        (a, floats) -> assertEquals(floats, StateSize.floats(a, layers, hidden, steps), a.id()));
  }

  @Test
  void onlyAttentionGrowsWithTheSequence() {
    for (Architecture a : Architecture.values()) {
      long short_ = StateSize.floats(a, 1, 16, 4), long_ = StateSize.floats(a, 1, 16, 64);
      assertEquals(a.isRecurrent(), short_ == long_, a.id());
    }
    assertEquals(4096, StateSize.floats(ModelSpec.of("transformer", 16, 2, 1, 2), 64));
    assertEquals(32, StateSize.floats(ModelSpec.of("lstm", 16, 1, 16, 1), 64));
  }

  @Test
  void refusesEmptySizes() {
    assertThrows(IllegalArgumentException.class, () -> StateSize.floats(Architecture.GRU, 0, 8, 1));
    assertThrows(
        IllegalArgumentException.class, () -> StateSize.floats(Architecture.TRANSFORMER, 1, 8, 0));
  }
}
