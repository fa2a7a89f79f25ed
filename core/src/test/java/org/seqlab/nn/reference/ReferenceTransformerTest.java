package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What the reference Transformer's masks and layout promise, independently of its gradients: the
 * causal mask hides the future, padding hides padded keys, attention rows are distributions,
 * parameters have PyTorch's names and shapes, and bad arguments are refused with a clear message.
 */
class ReferenceTransformerTest {
  static final int T = 5, B = 2, D = 6, HEADS = 3, F = 7;

  private static ReferenceTransformer randomBlocks(int layers, long seed) {
    ReferenceTransformer model = ReferenceTransformer.blocks(D, HEADS, F, layers);
    ReferenceTransformerGradientCheckTest.randomize(model, new Random(seed));
    return model;
  }

  /** Block output of sequence b at step t. */
  private static double[] output(ReferenceTransformer.Unrolled run, int t, int b) {
    return Arrays.copyOfRange(run.output(t).value(), b * D, (b + 1) * D);
  }

  @Test
  void causalOutputDoesNotSeeTheFuture() {
    ReferenceTransformer model = randomBlocks(2, 1);
    Random r = new Random(2);
    double[] x = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * D, 1);
    ReferenceTransformer.Unrolled before = model.unrollBlocks(x, T, B, null, true);
    for (int s = 1; s < T; s++) {
      double[] changed = x.clone();
      for (int i = s * B * D; i < changed.length; i++) changed[i] += r.nextGaussian();
      ReferenceTransformer.Unrolled after = model.unrollBlocks(changed, T, B, null, true);
      for (int t = 0; t < s; t++) {
        assertArrayEquals(
            before.output(t).value(),
            after.output(t).value(),
            0,
            "step " + t + " after changing steps ≥ " + s);
      }
      assertFalse(
          Arrays.equals(before.output(s).value(), after.output(s).value()),
          "step " + s + " sees its own input");
      // Without the mask the change reaches back to step 0.
      assertFalse(
          Arrays.equals(
              model.unrollBlocks(x, T, B, null, false).output(0).value(),
              model.unrollBlocks(changed, T, B, null, false).output(0).value()));
    }
  }

  @Test
  void paddedKeysDoNotReachValidSteps() {
    ReferenceTransformer model = randomBlocks(2, 3);
    Random r = new Random(4);
    int[] lengths = {T, 2};
    double[] x = ReferenceRecurrentGradientCheckTest.gaussian(r, T * B * D, 1);
    double[] changed = x.clone();
    for (int t = lengths[1]; t < T; t++) {
      for (int c = 0; c < D; c++) changed[(t * B + 1) * D + c] += r.nextGaussian();
    }
    for (boolean causal : new boolean[] {false, true}) {
      ReferenceTransformer.Unrolled before = model.unrollBlocks(x, T, B, lengths, causal);
      ReferenceTransformer.Unrolled after = model.unrollBlocks(changed, T, B, lengths, causal);
      for (int t = 0; t < T; t++) {
        assertArrayEquals(
            output(before, t, 0), output(after, t, 0), 0, "the other sequence, step " + t);
        if (t < lengths[1])
          assertArrayEquals(output(before, t, 1), output(after, t, 1), 0, "valid step " + t);
      }
    }
    // Without padding the valid steps do see the change.
    assertFalse(
        Arrays.equals(
            output(model.unrollBlocks(x, T, B, null, false), 0, 1),
            output(model.unrollBlocks(changed, T, B, null, false), 0, 1)));
  }

  @Test
  void attentionRowsAreDistributionsOverAllowedKeys() {
    ReferenceTransformer model = randomBlocks(2, 5);
    int[] lengths = {3, T};
    ReferenceTransformer.Unrolled run =
        model.unrollBlocks(
            ReferenceRecurrentGradientCheckTest.gaussian(new Random(6), T * B * D, 1),
            T,
            B,
            lengths,
            true);
    assertEquals(2, run.attention().length);
    for (Var[][] layer : run.attention()) {
      assertEquals(B, layer.length);
      for (int b = 0; b < B; b++) {
        assertEquals(HEADS, layer[b].length);
        for (Var p : layer[b]) {
          assertEquals(T, p.rows());
          assertEquals(T, p.cols());
          for (int t = 0; t < T; t++) {
            double sum = 0;
            for (int s = 0; s < T; s++) {
              boolean allowed = s <= t && s < lengths[b];
              if (allowed) assertTrue(p.get(t, s) > 0, "allowed key " + s + " of query " + t);
              else assertEquals(0.0, p.get(t, s), 0, "masked key " + s + " of query " + t);
              sum += p.get(t, s);
            }
            assertEquals(1, sum, 1e-14);
          }
        }
      }
    }
  }

  @Test
  void uniformAttentionAveragesThePastKnownAnswer() {
    // D = 2, one head, W_q = W_k = 0 (uniform attention), W_v = W_o = I, no feed-forward: the
    // output is x_t + mean_{s ≤ t} LN(x_s), and LN([a, b]) = ((a - b)/2) / √((a - b)²/4 + eps) [1,
    // -1].
    ReferenceTransformer model = ReferenceTransformer.blocks(2, 1, 1, 1);
    double[] inProj = model.parameter("blocks.0.self_attn.in_proj_weight");
    inProj[4 * 2] = 1;
    inProj[5 * 2 + 1] = 1;
    double[] outProj = model.parameter("blocks.0.self_attn.out_proj.weight");
    outProj[0] = 1;
    outProj[3] = 1;
    double[] x = {1, 3, 0.5, 0.5, 2, -1};
    ReferenceTransformer.Unrolled run = model.unrollBlocks(x, 3, 1, null, true);
    double eps = ReferenceTransformer.LAYER_NORM_EPS;
    double[] normalized = new double[3];
    for (int t = 0; t < 3; t++) {
      double half = (x[2 * t] - x[2 * t + 1]) / 2;
      normalized[t] = half / Math.sqrt(half * half + eps);
    }
    double mean = 0;
    for (int t = 0; t < 3; t++) {
      mean += (normalized[t] - mean) / (t + 1);
      assertArrayEquals(
          new double[] {x[2 * t] + mean, x[2 * t + 1] - mean},
          run.output(t).value(),
          1e-15,
          "step " + t);
    }
  }

  @Test
  void decoderLogitsDoNotSeeLaterTokens() {
    ReferenceTransformer model =
        ReferenceTransformer.decoder(
            9, T, ReferenceTransformer.Positions.SINUSOIDAL, D, HEADS, F, 2);
    ReferenceTransformerGradientCheckTest.randomize(model, new Random(7));
    int[] tokens = {1, 2, 3, 4, 5, 6, 7, 8, 0, 1};
    int[] changed = tokens.clone();
    changed[3 * B] = 8;
    ReferenceTransformer.UnrolledModel before = model.unrollModel(tokens, T, B, null);
    ReferenceTransformer.UnrolledModel after = model.unrollModel(changed, T, B, null);
    double[] a = before.logits().value(), c = after.logits().value();
    assertEquals(T * B * 9, a.length);
    int perStep = B * 9;
    assertArrayEquals(Arrays.copyOf(a, 3 * perStep), Arrays.copyOf(c, 3 * perStep), 0);
    assertFalse(
        Arrays.equals(
            Arrays.copyOfRange(a, 3 * perStep, 3 * perStep + 9),
            Arrays.copyOfRange(c, 3 * perStep, 3 * perStep + 9)));
    // The other sequence at step 3 is untouched.
    assertArrayEquals(
        Arrays.copyOfRange(a, 3 * perStep + 9, 4 * perStep),
        Arrays.copyOfRange(c, 3 * perStep + 9, 4 * perStep),
        0);
  }

  @Test
  void decoderEmbeddedInputIsTokenPlusPosition() {
    ReferenceTransformer model =
        ReferenceTransformer.decoder(4, 3, ReferenceTransformer.Positions.LEARNED, 2, 1, 1, 1);
    double[] tokenTable = model.parameter("token_embedding.weight");
    double[] positionTable = model.parameter("position_embedding.weight");
    for (int i = 0; i < tokenTable.length; i++) tokenTable[i] = i;
    for (int i = 0; i < positionTable.length; i++) positionTable[i] = 100 * i;
    ReferenceTransformer.UnrolledModel run = model.unrollModel(new int[] {3, 0, 2, 2}, 2, 2, null);
    assertArrayEquals(new double[] {6, 107, 0, 101}, run.embedded()[0].value());
    assertArrayEquals(new double[] {204, 305, 204, 305}, run.embedded()[1].value());
  }

  @Test
  void sinusoidalTable() {
    double[] table = ReferenceTransformer.sinusoidalTable(4, 5);
    assertArrayEquals(new double[] {0, 1, 0, 1, 0}, Arrays.copyOf(table, 5), 0);
    for (int p = 0; p < 4; p++) {
      assertEquals(Math.sin(p), table[p * 5], 1e-15);
      assertEquals(Math.cos(p), table[p * 5 + 1], 1e-15);
      double angle = p / Math.pow(10000, 2.0 / 5);
      assertEquals(Math.sin(angle), table[p * 5 + 2], 1e-15);
      assertEquals(Math.cos(angle), table[p * 5 + 3], 1e-15);
      assertEquals(Math.sin(p / Math.pow(10000, 4.0 / 5)), table[p * 5 + 4], 1e-15);
    }
  }

  @Test
  void parametersHavePyTorchNamesAndShapes() {
    ReferenceTransformer model =
        ReferenceTransformer.decoder(11, 8, ReferenceTransformer.Positions.LEARNED, 6, 2, 5, 1);
    assertEquals(
        List.of(
            "token_embedding.weight",
            "position_embedding.weight",
            "blocks.0.self_attn.in_proj_weight",
            "blocks.0.self_attn.in_proj_bias",
            "blocks.0.self_attn.out_proj.weight",
            "blocks.0.self_attn.out_proj.bias",
            "blocks.0.linear1.weight",
            "blocks.0.linear1.bias",
            "blocks.0.linear2.weight",
            "blocks.0.linear2.bias",
            "blocks.0.norm1.weight",
            "blocks.0.norm1.bias",
            "blocks.0.norm2.weight",
            "blocks.0.norm2.bias",
            "final_norm.weight",
            "final_norm.bias",
            "head.weight",
            "head.bias"),
        List.copyOf(model.parameters().keySet()));
    assertArrayEquals(new int[] {11, 6}, model.shape("token_embedding.weight"));
    assertArrayEquals(new int[] {8, 6}, model.shape("position_embedding.weight"));
    assertArrayEquals(new int[] {18, 6}, model.shape("blocks.0.self_attn.in_proj_weight"));
    assertArrayEquals(new int[] {18}, model.shape("blocks.0.self_attn.in_proj_bias"));
    assertArrayEquals(new int[] {6, 6}, model.shape("blocks.0.self_attn.out_proj.weight"));
    assertArrayEquals(new int[] {5, 6}, model.shape("blocks.0.linear1.weight"));
    assertArrayEquals(new int[] {6, 5}, model.shape("blocks.0.linear2.weight"));
    assertArrayEquals(new int[] {11, 6}, model.shape("head.weight"));
    assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, model.parameter("blocks.0.norm1.weight"));
    assertArrayEquals(new double[6], model.parameter("blocks.0.norm1.bias"));

    ReferenceTransformer sinusoidal =
        ReferenceTransformer.decoder(11, 8, ReferenceTransformer.Positions.SINUSOIDAL, 6, 2, 5, 1);
    assertFalse(sinusoidal.parameters().containsKey("position_embedding.weight"));
    ReferenceTransformer stack = ReferenceTransformer.blocks(6, 2, 5, 2);
    assertEquals(24, stack.parameters().size());
    assertTrue(stack.parameters().keySet().stream().allMatch(name -> name.startsWith("blocks.")));
  }

  @Test
  void badArgumentsAreRefusedClearly() {
    IllegalArgumentException heads =
        assertThrows(IllegalArgumentException.class, () -> ReferenceTransformer.blocks(6, 4, 5, 1));
    assertEquals("4 heads do not divide the model size 6", heads.getMessage());

    ReferenceTransformer decoder =
        ReferenceTransformer.decoder(5, 3, ReferenceTransformer.Positions.LEARNED, 4, 2, 3, 1);
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class, () -> decoder.unrollModel(new int[4], 4, 1, null));
    assertEquals("a sequence of 4 steps is longer than maxLength 3", tooLong.getMessage());
    IllegalArgumentException token =
        assertThrows(
            IllegalArgumentException.class,
            () -> decoder.unrollModel(new int[] {0, 5}, 2, 1, null));
    assertEquals("id 5 outside [0, 5)", token.getMessage());

    ReferenceTransformer stack = ReferenceTransformer.blocks(4, 2, 3, 1);
    double[] x = new double[3 * 2 * 4];
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class,
            () -> stack.unrollBlocks(x, 3, 2, new int[] {3, 0}, false));
    assertEquals("lengths[1] = 0 outside [1, 3]", zero.getMessage());
    IllegalArgumentException over =
        assertThrows(
            IllegalArgumentException.class,
            () -> stack.unrollBlocks(x, 3, 2, new int[] {4, 1}, true));
    assertEquals("lengths[0] = 4 outside [1, 3]", over.getMessage());
    IllegalArgumentException count =
        assertThrows(
            IllegalArgumentException.class, () -> stack.unrollBlocks(x, 3, 2, new int[] {3}, true));
    assertEquals("lengths has 1 values for a batch of 2", count.getMessage());
    IllegalArgumentException size =
        assertThrows(IllegalArgumentException.class, () -> stack.unrollBlocks(x, 2, 2, null, true));
    assertEquals("input has 24 values, expected [2, 2, 4]", size.getMessage());
    IllegalStateException noEmbedding =
        assertThrows(IllegalStateException.class, () -> stack.unrollModel(new int[2], 2, 1, null));
    assertEquals("a stack of blocks has no embedding: use unrollBlocks", noEmbedding.getMessage());
    assertThrows(IllegalArgumentException.class, () -> stack.parameter("head.weight"));
  }
}
