package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.Tensor;

/**
 * A fully connected layer, as {@code torch.nn.Linear}:
 *
 * <pre>
 *   y = x W^T + b
 * </pre>
 *
 * <p>Shapes: input {@code x [*, in]} with any number of leading dimensions (at least one), output
 * {@code y [*, out]}; below, {@code N} is the product of the leading dimensions.
 *
 * <p>Parameters:
 *
 * <ul>
 *   <li>{@code weight [out, in]}, initialised by {@link #initialize} from {@code U(-k, k)}, {@code
 *       k = 1/sqrt(in)}
 *   <li>{@code bias [out]}, initialised from the same {@code U(-k, k)}
 * </ul>
 *
 * <p>(PyTorch draws the weight with Kaiming-uniform at {@code a = sqrt(5)}, which is exactly this
 * bound.) Parameters are zero until initialised or loaded.
 */
public final class Linear implements Module {

  private final int inFeatures;
  private final int outFeatures;
  private final Parameter weight;
  private final Parameter bias;

  public Linear(int inFeatures, int outFeatures) {
    if (inFeatures <= 0 || outFeatures <= 0) {
      throw new IllegalArgumentException(
          "Linear needs positive sizes, got in=" + inFeatures + ", out=" + outFeatures);
    }
    Tensor.checkedSize(outFeatures, inFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = Parameter.of("weight", Tensor.zeros(outFeatures, inFeatures));
    this.bias = Parameter.of("bias", Tensor.zeros(outFeatures));
  }

  /** Draws weight and bias, in that order, from {@code U(-1/sqrt(in), 1/sqrt(in))}. */
  public void initialize(RandomGenerator rng) {
    double bound = 1.0 / Math.sqrt(inFeatures);
    Init.uniform(weight.value(), bound, rng);
    Init.uniform(bias.value(), bound, rng);
  }

  public int inFeatures() {
    return inFeatures;
  }

  public int outFeatures() {
    return outFeatures;
  }

  public Parameter weight() {
    return weight;
  }

  public Parameter bias() {
    return bias;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  /** {@code y [*, out] = x [*, in] · W^T + b}. */
  public Tensor forward(Tensor x) {
    return forward(x, null);
  }

  /**
   * {@link #forward(Tensor)} with {@code y} taken from {@code workspace} (or new if it is null):
   * {@link #forwardInto} writes every element.
   */
  Tensor forward(Tensor x, Workspace workspace) {
    rows(x, "x");
    int[] outShape = x.shape();
    outShape[outShape.length - 1] = outFeatures;
    Tensor y =
        Tensor.wrap(
            WorkspaceArrays.overwritten(workspace, x.size() / inFeatures * outFeatures), outShape);
    forwardInto(x, y);
    return y;
  }

  /**
   * {@code y [*, out] = x [*, in] · W^T + b} written into a given {@code y} (its contents are
   * overwritten), for inference paths that reuse their buffers. Each row of {@code y} is set to
   * {@code b}, then the product is added: the order of {@link #forward}'s additions.
   */
  public void forwardInto(Tensor x, Tensor y) {
    int n = rows(x, "x");
    int[] outShape = x.shape();
    outShape[outShape.length - 1] = outFeatures;
    y.requireShape("y", outShape);
    float[] out = y.data();
    for (int r = 0; r < n; r++) {
      System.arraycopy(bias.value().data(), 0, out, r * outFeatures, outFeatures);
    }
    MatMul.gemmNT(
        n,
        outFeatures,
        inFeatures,
        x.data(),
        0,
        inFeatures,
        weight.value().data(),
        0,
        inFeatures,
        out,
        0,
        outFeatures);
  }

  /**
   * Given the forward input {@code x [*, in]} and {@code dy = dL/dy [*, out]}, returns {@code dx =
   * dy · W} and accumulates {@code dW += dy^T · x}, {@code db += Σ_rows dy}.
   */
  public Tensor backward(Tensor x, Tensor dy) {
    return backward(x, dy, null);
  }

  /**
   * {@link #backward(Tensor, Tensor)} with {@code dx} taken from {@code workspace} (or new if it is
   * null); the caller owns it.
   */
  Tensor backward(Tensor x, Tensor dy, Workspace workspace) {
    int n = rows(x, "x");
    int[] outShape = x.shape();
    outShape[outShape.length - 1] = outFeatures;
    dy.requireShape("dy", outShape);
    // Zeroed: the product is added into it.
    Tensor dx = Tensor.wrap(WorkspaceArrays.zeroed(workspace, x.size()), x.shape());
    // A row whose dy is all zero (a step the loss does not ask about: a recall task's keys and
    // values, every step but the verb in agreement) adds nothing to dW and db and leaves its dx
    // row zero: the products run over the other rows only, gathered together.
    int[] asked = rowsNotZero(dy.data(), n);
    if (asked.length == n || 4 * asked.length > 3 * n) {
      backwardRows(n, x.data(), dy.data(), dx.data());
      return dx;
    }
    float[] xAsked = WorkspaceArrays.overwritten(workspace, asked.length * inFeatures);
    float[] dyAsked = WorkspaceArrays.overwritten(workspace, asked.length * outFeatures);
    float[] dxAsked = WorkspaceArrays.zeroed(workspace, asked.length * inFeatures);
    for (int i = 0; i < asked.length; i++) {
      System.arraycopy(x.data(), asked[i] * inFeatures, xAsked, i * inFeatures, inFeatures);
      System.arraycopy(dy.data(), asked[i] * outFeatures, dyAsked, i * outFeatures, outFeatures);
    }
    backwardRows(asked.length, xAsked, dyAsked, dxAsked);
    for (int i = 0; i < asked.length; i++) {
      System.arraycopy(dxAsked, i * inFeatures, dx.data(), asked[i] * inFeatures, inFeatures);
    }
    WorkspaceArrays.giveBack(workspace, xAsked, dyAsked, dxAsked);
    return dx;
  }

  /** {@code dx += dy · W}, {@code dW += dy^T · x}, {@code db += Σ_rows dy} over {@code n} rows. */
  private void backwardRows(int n, float[] x, float[] dy, float[] dx) {
    if (n == 0) return;
    MatMul.gemmNN(
        n,
        inFeatures,
        outFeatures,
        dy,
        0,
        outFeatures,
        weight.value().data(),
        0,
        inFeatures,
        dx,
        0,
        inFeatures);
    MatMul.gemmTN(
        outFeatures,
        inFeatures,
        n,
        dy,
        0,
        outFeatures,
        x,
        0,
        inFeatures,
        weight.grad().data(),
        0,
        inFeatures);
    Elementwise.sumRowsInto(dy, 0, n, outFeatures, bias.grad().data(), 0);
  }

  /** The rows of {@code dy [n, out]} with an entry that is not zero (NaN counts), in order. */
  private int[] rowsNotZero(float[] dy, int n) {
    int[] rows = new int[n];
    int count = 0;
    for (int r = 0; r < n; r++) {
      if (!Elementwise.allZero(dy, r * outFeatures, outFeatures)) rows[count++] = r;
    }
    return count == n ? rows : Arrays.copyOf(rows, count);
  }

  /**
   * The number of rows {@code N} of {@code x} seen as {@code [N, in]}, after checking its shape.
   */
  private int rows(Tensor x, String name) {
    if (x.rank() < 2 || x.dim(x.rank() - 1) != inFeatures) {
      throw new IllegalArgumentException(
          name + " has shape " + Arrays.toString(x.shape()) + ", expected [*, " + inFeatures + "]");
    }
    return x.size() / inFeatures;
  }
}
