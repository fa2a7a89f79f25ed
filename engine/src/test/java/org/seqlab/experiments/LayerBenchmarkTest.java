package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.seqlab.nn.Architecture;

/** Every recurrent row of the table, in every mode: a new row is timed with no change here. */
class LayerBenchmarkTest {

  static Stream<Arguments> recurrentRowsAndModes() {
    return Arrays.stream(Architecture.values())
        .filter(Architecture::isRecurrent)
        .flatMap(a -> Arrays.stream(LayerBenchmark.Mode.values()).map(m -> Arguments.of(a, m)));
  }

  @ParameterizedTest
  @MethodSource("recurrentRowsAndModes")
  void everyRecurrentRowRunsInEveryMode(Architecture architecture, LayerBenchmark.Mode mode) {
    LayerBenchmark.Config config = new LayerBenchmark.Config(architecture, 3, 8, 2, 2, 5, mode, 2);
    LayerBenchmark.Result result = LayerBenchmark.run(config, 1, 0);
    assertTrue(result.tokensPerSecond() > 0, result.toString());
    assertTrue(result.gflops() > 0, result.toString());
    assertEquals(2, result.allSeconds().length);
  }

  @Test
  void aMinimalLayerHasNoRecurrentProduct() {
    // minGRU: G = 2 blocks of W_ih only, 2·2·8·(3 + 8) forward FLOPs per token over two layers
    // (layer 0 reads 3 inputs, layer 1 reads 8); LSTM: G = 4, W_ih and W_hh.
    var mingru =
        new LayerBenchmark.Config(
            Architecture.MIN_GRU, 3, 8, 2, 2, 5, LayerBenchmark.Mode.INFER, 1);
    assertEquals(2.0 * 2 * 8 * (3 + 8) * 10, mingru.flops(), 1e-9);
    assertEquals(4L * 2 * 8 * (3 + 8), mingru.weightBytes());
    var lstm =
        new LayerBenchmark.Config(Architecture.LSTM, 3, 8, 2, 2, 5, LayerBenchmark.Mode.TRAIN, 1);
    assertEquals(3 * 2.0 * 4 * 8 * (3 + 8 + 8 + 8) * 10, lstm.flops(), 1e-9);
    assertEquals(4L * 4 * 8 * (3 + 8 + 8 + 8), lstm.weightBytes());
  }

  @Test
  void aTransformerIsNoRecurrentConfig() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new LayerBenchmark.Config(
                Architecture.TRANSFORMER, 8, 8, 1, 1, 1, LayerBenchmark.Mode.TRAIN, 1));
  }
}
