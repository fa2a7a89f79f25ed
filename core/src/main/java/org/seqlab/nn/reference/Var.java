package org.seqlab.nn.reference;

/**
 * A value in a {@link Graph}: a {@code [rows, cols]} matrix of doubles (row-major) and the gradient
 * of the graph's loss with respect to it, which has the same shape and is filled by {@link
 * Graph#backward(Var)}.
 *
 * <p>The gradient of an intermediate value is the <em>total</em> derivative: for a hidden state
 * {@code h_t} it sums what flows back from the output at step {@code t} and from step {@code t+1}.
 * That is exactly the quantity the gradient-flow probes report.
 */
public final class Var {
  final double[] value;
  final double[] grad;
  final int rows;
  final int cols;

  /** Propagates this node's gradient to its inputs; null for leaves. */
  Runnable backward;

  Var(double[] value, int rows, int cols) {
    if ((long) rows * cols != value.length) {
      throw new IllegalArgumentException(
          "value of length " + value.length + " is not a [" + rows + ", " + cols + "] matrix");
    }
    this.value = value;
    this.grad = new double[value.length];
    this.rows = rows;
    this.cols = cols;
  }

  public double[] value() {
    return value;
  }

  public double[] grad() {
    return grad;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public double get(int row, int col) {
    return value[row * cols + col];
  }

  /** Euclidean norm of the gradient. */
  public double gradNorm() {
    double s = 0;
    for (double g : grad) s += g * g;
    return Math.sqrt(s);
  }
}
