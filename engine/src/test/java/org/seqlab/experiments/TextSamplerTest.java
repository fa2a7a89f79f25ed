package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TextSamplerTest {

  private static final float[] LOGITS = {1.0f, 2.5f, -1.0f, 0.3f, 2.4f};

  private static TextSampler.Options options(double temperature, int topK) {
    return new TextSampler.Options("", 1, temperature, topK, 1);
  }

  private static int draw(TextSampler.Options o, SplittableRandom rng) {
    return TextSampler.draw(LOGITS, o, rng, new float[5], new Integer[5]);
  }

  @Test
  void temperatureZeroAndTopOneTakeTheLikeliest() {
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < 50; i++) {
      assertEquals(1, draw(options(0, 0), rng));
      assertEquals(1, draw(options(1.5, 1), rng));
    }
  }

  @Test
  void drawsFollowTheTemperedSoftmax() {
    for (double temperature : new double[] {1.0, 0.5, 2.0}) {
      SplittableRandom rng = new SplittableRandom(7);
      int n = 40_000;
      int[] counts = new int[5];
      for (int i = 0; i < n; i++) counts[draw(options(temperature, 0), rng)]++;
      double sum = 0;
      for (float z : LOGITS) sum += Math.exp(z / temperature);
      for (int c = 0; c < 5; c++) {
        double p = Math.exp(LOGITS[c] / temperature) / sum;
        double sigma = Math.sqrt(n * p * (1 - p));
        assertEquals(n * p, counts[c], 4 * sigma + 1, "T=" + temperature + " c=" + c);
      }
    }
  }

  @Test
  void topKNeverDrawsOutsideTheKLikeliest() {
    SplittableRandom rng = new SplittableRandom(3);
    int[] counts = new int[5];
    for (int i = 0; i < 5000; i++) counts[draw(options(5.0, 2), rng)]++;
    // The two largest logits are 2.5 (id 1) and 2.4 (id 4); at T = 5 the others would be common.
    assertEquals(0, counts[0] + counts[2] + counts[3]);
    assertTrue(counts[1] > 2000 && counts[4] > 2000);
  }

  @Test
  void optionsOutOfRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TextSampler.Options("", -1, 1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new TextSampler.Options("", 1, -0.1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new TextSampler.Options("", 1, 1, -2, 0));
    assertEquals("", new TextSampler.Options(null, 1, 1, 0, 0).prompt(), "no prompt is empty");
  }
}
