package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The operations a Transformer adds to {@link Graph} (matmul, scale, masked softmax, layer norm,
 * GELU, concatenation, row slices, cross entropy): each backward against central finite
 * differences, plus known answers and the edge cases of masking.
 */
class GraphAttentionOpsGradientCheckTest {
  private final Random random = new Random(20260301);

  private double[] randomArray(int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) a[i] = scale * random.nextGaussian();
    return a;
  }

  interface OpN {
    Var apply(Graph g, Var[] inputs);
  }

  /**
   * Checks {@code op} with respect to every input, reduced by a fixed random weighting so each
   * output entry contributes with a different weight. {@code shapes[k] = {rows, cols}} of input k.
   */
  private void check(String name, double[][] inputs, int[][] shapes, OpN op) {
    double[][] weights = new double[1][];
    java.util.function.Function<Boolean, double[][]> run =
        (wantGrad) -> {
          Graph g = new Graph();
          Var[] leaves = new Var[inputs.length];
          for (int k = 0; k < inputs.length; k++)
            leaves[k] = g.leaf(inputs[k], shapes[k][0], shapes[k][1]);
          Var y = op.apply(g, leaves);
          if (weights[0] == null) weights[0] = randomArray(y.value().length, 1);
          Var loss = g.weightedSum(y, weights[0]);
          if (wantGrad) g.backward(loss);
          double[][] out = new double[inputs.length + 1][];
          for (int k = 0; k < inputs.length; k++) out[k] = leaves[k].grad().clone();
          out[inputs.length] = loss.value().clone();
          return out;
        };
    double[][] analytic = run.apply(true);
    for (int k = 0; k < inputs.length; k++) {
      FiniteDifference.check(
          name + "." + k, inputs[k], analytic[k], () -> run.apply(false)[inputs.length][0]);
    }
  }

  private void checkUnary(String name, int rows, int cols, double scale, OpN op) {
    check(name, new double[][] {randomArray(rows * cols, scale)}, new int[][] {{rows, cols}}, op);
  }

  @Test
  void matmul() {
    check(
        "matmul",
        new double[][] {randomArray(12, 1), randomArray(20, 1)},
        new int[][] {{3, 4}, {4, 5}},
        (g, v) -> g.matmul(v[0], v[1]));
    check(
        "matmul 1x1",
        new double[][] {randomArray(1, 1), randomArray(1, 1)},
        new int[][] {{1, 1}, {1, 1}},
        (g, v) -> g.matmul(v[0], v[1]));
  }

  @Test
  void matmulKnownAnswer() {
    Graph g = new Graph();
    Var a = g.leaf(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Var b = g.leaf(new double[] {7, 8, 9, 10, 11, 12}, 3, 2);
    assertArrayEquals(new double[] {58, 64, 139, 154}, g.matmul(a, b).value());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.matmul(a, a));
    assertEquals("matmul: a is [2, 3], b is [2, 3]", e.getMessage());
  }

  @Test
  void scale() {
    checkUnary("scale", 3, 4, 1, (g, v) -> g.scale(v[0], -0.37));
  }

  @Test
  void softmaxRowsUnmasked() {
    checkUnary("softmaxRows", 3, 5, 2, (g, v) -> g.softmaxRows(v[0], null));
  }

  @Test
  void softmaxRowsMasked() {
    // A causal pattern with one more entry masked: rows keep 1, 2, 2 and 3 entries.
    boolean[] allowed = new boolean[16];
    for (int t = 0; t < 4; t++) for (int s = 0; s <= t; s++) allowed[t * 4 + s] = true;
    allowed[2 * 4 + 1] = false;
    checkUnary("softmaxRows masked", 4, 4, 2, (g, v) -> g.softmaxRows(v[0], allowed));

    double[] a = randomArray(16, 2);
    for (int i = 0; i < a.length; i++) if (!allowed[i]) a[i] = Double.NaN;
    Graph g = new Graph();
    Var x = g.leaf(a, 4, 4);
    Var p = g.softmaxRows(x, allowed);
    g.backward(g.weightedSum(p, randomArray(16, 1)));
    for (int t = 0; t < 4; t++) {
      double sum = 0;
      for (int s = 0; s < 4; s++) sum += p.get(t, s);
      assertEquals(1, sum, 1e-15, "row " + t + " sums to 1");
    }
    for (int i = 0; i < 16; i++) {
      if (!allowed[i]) {
        assertEquals(0.0, p.value()[i], 0, "masked probability " + i);
        assertEquals(0.0, x.grad()[i], 0, "masked gradient " + i);
      }
    }
  }

  @Test
  void softmaxRowsKnownAnswerAndErrors() {
    Graph g = new Graph();
    Var p = g.softmaxRows(g.leaf(new double[] {0, Math.log(2), 1000, 1000}, 2, 2), null);
    assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 0.5, 0.5}, p.value(), 1e-15);

    Var a = g.leaf(new double[4], 2, 2);
    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.softmaxRows(a, new boolean[] {true, false, false, false}));
    assertEquals("softmaxRows: row 1 has no allowed entry", empty.getMessage());
    IllegalArgumentException size =
        assertThrows(IllegalArgumentException.class, () -> g.softmaxRows(a, new boolean[3]));
    assertEquals("softmaxRows: mask has 3 entries for [2, 2]", size.getMessage());
  }

  @Test
  void layerNorm() {
    double[] gamma = randomArray(5, 0.5);
    for (int j = 0; j < gamma.length; j++) gamma[j] += 1;
    check(
        "layerNorm",
        new double[][] {randomArray(15, 2), gamma, randomArray(5, 0.5)},
        new int[][] {{3, 5}, {1, 5}, {1, 5}},
        (g, v) -> g.layerNorm(v[0], v[1], v[2], 1e-5));
  }

  @Test
  void layerNormKnownAnswer() {
    Graph g = new Graph();
    Var a = g.leaf(new double[] {1, 2, 3}, 1, 3);
    // Mean 2, biased variance 2/3: (x - 2) / √(2/3) = ±√1.5, then ⊙ γ + β.
    Var y =
        g.layerNorm(
            a, g.leaf(new double[] {1, 1, 2}, 1, 3), g.leaf(new double[] {0, 5, 0}, 1, 3), 0);
    assertArrayEquals(new double[] {-Math.sqrt(1.5), 5, 2 * Math.sqrt(1.5)}, y.value(), 1e-15);
    assertThrows(
        IllegalArgumentException.class,
        () -> g.layerNorm(a, g.leaf(new double[2], 1, 2), g.leaf(new double[3], 1, 3), 1e-5));
  }

  @Test
  void gelu() {
    checkUnary("gelu", 3, 4, 2, (g, v) -> g.gelu(v[0]));
  }

  @Test
  void geluKnownAnswer() {
    Graph g = new Graph();
    Var y = g.gelu(g.leaf(new double[] {0, 1, -1, 3, -10}, 1, 5));
    // Φ(1) = 0.841344746068542948...; gelu(-1) = -(1 - Φ(1)); gelu(-10) = -10 Φ(-10) ≈ -7.62e-23,
    // which 1 + erf would have rounded to 0.
    assertEquals(0, y.value()[0], 0);
    assertEquals(0.8413447460685429, y.value()[1], 1e-16);
    assertEquals(-0.15865525393145707, y.value()[2], 1e-16);
    assertEquals(2.99595030590511, y.value()[3], 1e-15);
    assertEquals(-7.619853024160593e-23, y.value()[4], 1e-36);
  }

  @Test
  void concatenation() {
    check(
        "concatColumns",
        new double[][] {randomArray(6, 1), randomArray(3, 1), randomArray(9, 1)},
        new int[][] {{3, 2}, {3, 1}, {3, 3}},
        (g, v) -> g.concatColumns(v));
    check(
        "concatRows",
        new double[][] {randomArray(6, 1), randomArray(3, 1)},
        new int[][] {{2, 3}, {1, 3}},
        (g, v) -> g.concatRows(v));

    Graph g = new Graph();
    Var a = g.leaf(new double[] {1, 2, 3, 4}, 2, 2), b = g.leaf(new double[] {5, 6}, 2, 1);
    assertArrayEquals(new double[] {1, 2, 5, 3, 4, 6}, g.concatColumns(a, b).value());
    assertArrayEquals(new double[] {1, 2, 3, 4, 1, 2, 3, 4}, g.concatRows(a, a).value());
    assertThrows(IllegalArgumentException.class, () -> g.concatRows(a, b));
    assertThrows(
        IllegalArgumentException.class, () -> g.concatColumns(a, g.leaf(new double[3], 3, 1)));
  }

  @Test
  void rows() {
    checkUnary("rows", 5, 3, 1, (g, v) -> g.rows(v[0], 1, 4));
    Graph g = new Graph();
    Var a = g.leaf(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
    assertArrayEquals(new double[] {3, 4, 5, 6}, g.rows(a, 1, 3).value());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> g.rows(a, 2, 4));
    assertEquals("rows [2, 4) of 3", e.getMessage());
  }

  @Test
  void crossEntropy() {
    checkUnary("crossEntropy", 4, 5, 2, (g, v) -> g.crossEntropy(v[0], new int[] {0, 4, 2, 2}));
    checkUnary(
        "crossEntropy ignoring",
        4,
        5,
        2,
        (g, v) -> g.crossEntropy(v[0], new int[] {1, -100, 3, -1}));
  }

  @Test
  void crossEntropyKnownAnswerAndErrors() {
    Graph g = new Graph();
    // Equal logits: -log(1/V) = log V, whatever the target; an ignored row changes nothing.
    Var uniform = g.leaf(new double[] {3, 3, 3, 3, 3, 3, 9, -9}, 2, 4);
    assertEquals(Math.log(4), g.crossEntropy(uniform, new int[] {2, -100}).value()[0], 1e-15);
    // Row 0: log(e^0 + e^(ln 3)) - ln 3 = log(4/3); row 1: log(2) - 0. Mean of the two.
    Var two = g.leaf(new double[] {0, Math.log(3), 0, 0}, 2, 2);
    assertEquals(
        0.5 * (Math.log(4.0 / 3) + Math.log(2)),
        g.crossEntropy(two, new int[] {1, 0}).value()[0],
        1e-15);

    assertThrows(IllegalArgumentException.class, () -> g.crossEntropy(two, new int[] {1}));
    assertThrows(IllegalArgumentException.class, () -> g.crossEntropy(two, new int[] {1, 2}));
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class, () -> g.crossEntropy(two, new int[] {-1, -100}));
    assertEquals("crossEntropy: every target is ignored", none.getMessage());
  }
}
