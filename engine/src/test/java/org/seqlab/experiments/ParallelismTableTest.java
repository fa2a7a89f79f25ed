package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.nn.Architecture;

/**
 * Every row of the table of architectures in the parallelism experiment: its size and its critical
 * path come from the table, so a new row is measured with no change here.
 */
class ParallelismTableTest {

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void everyRowTrainsWithTheTablesCriticalPath(Architecture architecture) {
    int width = 8, heads = 2, layers = 2, batch = 2;
    for (int steps : new int[] {1, 4, 16}) {
      Parallelism.Model model =
          Parallelism.model(architecture, width, heads, layers, steps, batch, 1);
      assertEquals(architecture, model.architecture());
      assertEquals(architecture.label(), model.name());
      assertEquals(architecture.criticalPath(steps, layers), model.criticalPath());
      // The formula the width search uses is the model's own count.
      assertEquals(
          layers * Parallelism.layerParameters(architecture, width), model.parameterCount());
      model.trainStep();
    }
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void theSpanGrowsWithTOnlyForARecurrenceThroughAMatrix(Architecture architecture) {
    long shortPath = architecture.criticalPath(16, 1),
        longPath = architecture.criticalPath(1024, 1);
    switch (architecture.recurrence()) {
      // 64 times the steps, 64 times the path: every step waits for the one before.
      case MATRIX -> assertEquals(64 * shortPath, longPath);
      // A scan grows with log T: from 2(2·4+2) = 20 to 2(2·10+2) = 44, far from 64 times.
      case SCAN -> {
        assertEquals(20, shortPath);
        assertEquals(44, longPath);
        assertTrue(longPath < 4 * shortPath);
      }
      case NONE -> assertEquals(shortPath, longPath);
    }
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void everyRowIsSizedToTheBudget(Architecture architecture) {
    long budget = Parallelism.layerParameters(Architecture.LSTM, 64);
    int width = Parallelism.widthFor(architecture, budget, 4);
    long params = Parallelism.layerParameters(architecture, width);
    assertTrue(Math.abs(params - budget) < 0.05 * budget, architecture + ": " + params);
  }
}
