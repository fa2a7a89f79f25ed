package org.seqlab.nn.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Every {@link Graph} operation's backward against central finite differences. */
class GraphGradientCheckTest {
  private final Random random = new Random(20261124);

  private double[] randomArray(int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) a[i] = scale * random.nextGaussian();
    return a;
  }

  /**
   * Checks a binary operation {@code op(a, b)} reduced by a random weighting, so every output entry
   * contributes with a different weight.
   */
  private void checkBinary(String name, int ar, int ac, int br, int bc, Op2 op) {
    double[] a = randomArray(ar * ac, 1), b = randomArray(br * bc, 1);
    double[][] weights = new double[1][];
    Function<Boolean, double[][]> run =
        (wantGrad) -> {
          Graph g = new Graph();
          Var va = g.leaf(a, ar, ac), vb = g.leaf(b, br, bc);
          Var y = op.apply(g, va, vb);
          if (weights[0] == null) weights[0] = randomArray(y.value().length, 1);
          Var loss = g.weightedSum(y, weights[0]);
          if (wantGrad) g.backward(loss);
          return new double[][] {va.grad().clone(), vb.grad().clone(), loss.value().clone()};
        };
    double[][] analytic = run.apply(true);
    FiniteDifference.check(name + ".a", a, analytic[0], () -> run.apply(false)[2][0]);
    FiniteDifference.check(name + ".b", b, analytic[1], () -> run.apply(false)[2][0]);
  }

  private void checkUnary(String name, double[] a, int rows, int cols, Op1 op) {
    double[][] weights = new double[1][];
    Function<Boolean, double[][]> run =
        (wantGrad) -> {
          Graph g = new Graph();
          Var va = g.leaf(a, rows, cols);
          Var y = op.apply(g, va);
          if (weights[0] == null) weights[0] = randomArray(y.value().length, 1);
          Var loss = g.weightedSum(y, weights[0]);
          if (wantGrad) g.backward(loss);
          return new double[][] {va.grad().clone(), loss.value().clone()};
        };
    double[][] analytic = run.apply(true);
    FiniteDifference.check(name, a, analytic[0], () -> run.apply(false)[1][0]);
  }

  interface Op1 {
    Var apply(Graph g, Var a);
  }

  interface Op2 {
    Var apply(Graph g, Var a, Var b);
  }

  @Test
  void matmulTransposed() {
    checkBinary("matmulTransposed", 3, 5, 7, 5, Graph::matmulTransposed);
    checkBinary("matmulTransposed 1x1", 1, 1, 1, 1, Graph::matmulTransposed);
  }

  @Test
  void addBias() {
    checkBinary("addBias", 4, 3, 1, 3, Graph::addBias);
  }

  @Test
  void addAndMul() {
    checkBinary("add", 2, 5, 2, 5, Graph::add);
    checkBinary("mul", 2, 5, 2, 5, Graph::mul);
  }

  @Test
  void nonlinearities() {
    checkUnary("tanh", randomArray(12, 2), 3, 4, Graph::tanh);
    checkUnary("sigmoid", randomArray(12, 3), 3, 4, Graph::sigmoid);
    checkUnary("oneMinus", randomArray(6, 1), 2, 3, Graph::oneMinus);
    // relu: keep every input away from the kink at 0, where no derivative exists.
    double[] a = randomArray(12, 1);
    for (int i = 0; i < a.length; i++) a[i] += Math.signum(a[i]) * 0.1;
    checkUnary("relu", a, 3, 4, Graph::relu);
  }

  @Test
  void columnsAndGather() {
    checkUnary("columns", randomArray(15, 1), 3, 5, (g, v) -> g.columns(v, 1, 4));
    // Repeated ids: their gradients must add up in the shared row.
    checkUnary(
        "gatherRows", randomArray(12, 1), 4, 3, (g, v) -> g.gatherRows(v, new int[] {2, 0, 2, 3}));
  }

  @Test
  void shapeMismatchIsRefused() {
    Graph g = new Graph();
    Var a = g.leaf(new double[6], 2, 3), b = g.leaf(new double[6], 3, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.add(a, b));
    assertEquals("add: shapes [2, 3] and [3, 2] differ", e.getMessage());
  }

  @Test
  void gradientOfSharedNodeIsTheTotal() {
    // y = x ⊙ x through two paths: dy/dx = 2x, the sum of both paths' contributions.
    Graph g = new Graph();
    Var x = g.leaf(new double[] {3, -2}, 1, 2);
    Var loss = g.weightedSum(g.mul(x, x), new double[] {1, 1});
    g.backward(loss);
    assertEquals(6, x.grad()[0], 0);
    assertEquals(-4, x.grad()[1], 0);
  }
}
