package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArticleRnnVanishingTest {

  static List<String> golden(String name) throws IOException {
    try (InputStream in = ArticleRnnVanishingTest.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) throw new IllegalStateException("golden/" + name + " is missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  @Test
  void printsWhatTheArticlesCodePrints() throws IOException {
    List<String> expected =
        golden("article_rnn_vanishing.txt").stream().filter(l -> l.startsWith(" step ")).toList();
    List<String> got =
        ArticleRnnVanishing.run().gradientNorms().stream()
            .map(ArticleRnnVanishing.StepGradient::articleLine)
            .toList();
    assertEquals(50, expected.size());
    assertEquals(expected, got);
  }

  @Test
  void knownValuesAndLabels() {
    ArticleRnnVanishing.Result result = ArticleRnnVanishing.run();
    assertEquals(50, result.gradientNorms().getFirst().step());
    assertEquals(1, result.gradientNorms().getLast().step());
    assertEquals(2.744439, result.normAtStep(50), 5e-7);
    assertEquals(0.005430, result.normAtStep(40), 5e-7);
    assertEquals(0.000022, result.normAtStep(30), 5e-7);
    assertEquals(Math.sqrt(32), result.initialGradientNorm(), 1e-15);
  }

  @Test
  void spectrumOfRecurrentWeightsMatchesNumpy() {
    ArticleRnnVanishing.Result result = ArticleRnnVanishing.run();
    // max(abs(np.linalg.eigvals(W_h))) and np.linalg.norm(W_h, 2) for the article's W_h.
    assertEquals(0.6260118034440897, result.spectralRadius(), 1e-12);
    assertEquals(1.0640225427418866, result.spectralNorm(), 1e-12);
    assertEquals(32 * 32, result.recurrentWeights().length);
  }

  @Test
  void meanDecayIsGeometricMeanOfSuccessiveRatios() {
    ArticleRnnVanishing.Result result = ArticleRnnVanishing.run();
    List<ArticleRnnVanishing.StepGradient> norms = result.gradientNorms();
    double logSum = 0;
    for (int k = 1; k < norms.size(); k++)
      logSum += Math.log(norms.get(k).norm() / norms.get(k - 1).norm());
    assertEquals(Math.exp(logSum / (norms.size() - 1)), result.meanDecayPerStep(), 1e-12);
    assertTrue(result.meanDecayPerStep() < result.spectralRadius(), "tanh slopes only damp here");
  }

  @Test
  void explanationStatesTheComputedNumbers() {
    ArticleRnnVanishing.Result result = ArticleRnnVanishing.run();
    String text = String.join("\n", result.explanation());
    assertTrue(text.contains("0.555 per step"), text);
    assertTrue(text.contains("ρ(W_h) = 0.6260"), text);
    assertTrue(text.contains("‖W_h‖₂ = 1.0640"), text);
    assertTrue(text.contains("the bound holds at every step"), text);
    String prose = String.join("\n", result.proseComparison());
    assertTrue(prose.contains("prints 2.744439 at step 50"), prose);
    assertTrue(prose.contains("√32 = 5.6569"), prose);
    assertTrue(prose.contains("prints 0.000022 there"), prose);
    assertTrue(prose.contains("below 0.0001 at step 32"), prose);
  }

  @Test
  void otherSeedsSkipTheProseComparison() {
    ArticleRnnVanishing.Result result =
        ArticleRnnVanishing.run(ArticleRnnVanishing.Config.withSeed(7));
    assertTrue(result.proseComparison().isEmpty());
    assertTrue(result.normAtStep(50) != ArticleRnnVanishing.run().normAtStep(50));
  }

  @Test
  void configRefusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> ArticleRnnVanishing.Config.withSeed(-1));
    assertThrows(
        IllegalArgumentException.class, () -> new ArticleRnnVanishing.Config(1, 10, 32, 1, 0.1));
    assertThrows(
        IllegalArgumentException.class, () -> new ArticleRnnVanishing.Config(1, 0, 32, 5, 0.1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ArticleRnnVanishing.Config(1, 10, 32, 5, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> ArticleRnnVanishing.run().normAtStep(51));
  }
}
