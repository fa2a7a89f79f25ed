package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArticleLstmGatesTest {

  @ParameterizedTest
  @ValueSource(longs = {42, 7})
  void printsWhatTheArticlesCodePrints(long seed) throws IOException {
    List<String> expected =
        ArticleRnnVanishingTest.golden("article_lstm_gates_seed" + seed + ".txt");
    List<String> got =
        ArticleLstmGates.run(seed).printedSteps().stream()
            .map(ArticleLstmGates.StepGates::articleLine)
            .toList();
    assertEquals(4, expected.size());
    assertEquals(expected, got);
  }

  @Test
  void recordsEveryStep() {
    ArticleLstmGates.Result result = ArticleLstmGates.run(ArticleLstmGates.DEFAULT_SEED);
    assertEquals(20, result.steps().size());
    assertEquals(
        List.of(0, 5, 10, 15),
        result.printedSteps().stream().map(ArticleLstmGates.StepGates::step).toList());
    double sum = 0;
    for (ArticleLstmGates.StepGates step : result.steps()) {
      sum += step.forgetGateMean();
      // Small weights keep every gate input near 0, so every mean is near σ(0) = 0.5.
      assertEquals(0.5, step.forgetGateMean(), 0.05);
      assertTrue(step.cellNorm() > 0);
    }
    assertEquals(sum / 20, result.meanForgetGate(), 1e-15);
  }

  @Test
  void cellPathGainsAreProductsOfForgetGates() {
    ArticleLstmGates.Result result = ArticleLstmGates.run(42);
    assertEquals(32, result.cellPathGains().length);
    for (double gain : result.cellPathGains()) {
      // 19 gates, each between 0.3 and 0.7 with these weights.
      assertTrue(gain > Math.pow(0.3, 19) && gain < Math.pow(0.7, 19), "gain " + gain);
    }
    String text = String.join("\n", result.interpretation());
    assertTrue(text.contains("average 0.503"), text);
    assertTrue(text.contains("about 50% of the cell per step"), text);
    assertTrue(text.contains("σ(1) = 0.731"), text);
  }

  @Test
  void sigmoidClipsLikeTheArticle() {
    assertEquals(0.5, ArticleLstmGates.sigmoid(0), 0);
    assertEquals(ArticleLstmGates.sigmoid(20), ArticleLstmGates.sigmoid(1000), 0);
    assertEquals(ArticleLstmGates.sigmoid(-20), ArticleLstmGates.sigmoid(-1e300), 0);
    assertTrue(ArticleLstmGates.sigmoid(-1e300) > 0);
  }

  @Test
  void configRefusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> ArticleLstmGates.run(1L << 32));
    assertThrows(
        IllegalArgumentException.class, () -> new ArticleLstmGates.Config(1, 10, 0, 20, 0.1));
    assertThrows(
        IllegalArgumentException.class, () -> new ArticleLstmGates.Config(1, 10, 32, 0, 0.1));
  }
}
