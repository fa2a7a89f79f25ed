package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.seqlab.tensor.Tensor;

/**
 * Layer normalisation over the last axis, as {@code torch.nn.LayerNorm(dim)} with {@code eps =
 * 1e-5}. For every row {@code x} of length {@code D}:
 *
 * <pre>
 *   mean = (1/D) Σ_j x_j
 *   rstd = 1 / sqrt((1/D) Σ_j (x_j - mean)^2 + eps)       (biased variance, as PyTorch)
 *   xhat = (x - mean) · rstd
 *   y    = xhat ⊙ weight + bias
 * </pre>
 *
 * <p>Backward, with {@code g = dy ⊙ weight}:
 *
 * <pre>
 *   dweight += Σ_rows dy ⊙ xhat        dbias += Σ_rows dy
 *   dx = rstd · (g - mean_j(g) - xhat · mean_j(g ⊙ xhat))
 * </pre>
 *
 * <p>Shapes: input {@code x [*, D]} with at least one leading dimension, output {@code [*, D]};
 * {@code N} is the product of the leading dimensions. The forward pass caches {@code mean [N]} and
 * {@code rstd [N]} (computed in double, stored in float) for the backward pass.
 *
 * <p>Parameters: {@code weight [D]} (ones) and {@code bias [D]} (zeros), PyTorch's initialisation.
 */
public final class LayerNorm implements Module {

  /** The constant PyTorch adds to the variance. */
  public static final double EPS = 1e-5;

  private final int dim;
  private final Parameter weight;
  private final Parameter bias;

  public LayerNorm(int dim) {
    if (dim <= 0) throw new IllegalArgumentException("LayerNorm needs a positive dim, got " + dim);
    this.dim = dim;
    this.weight = Parameter.of("weight", Tensor.zeros(dim));
    this.bias = Parameter.of("bias", Tensor.zeros(dim));
    initialize();
  }

  /** Resets the weight to ones and the bias to zeros. */
  public void initialize() {
    weight.value().fill(1f);
    bias.value().zero();
  }

  public int dim() {
    return dim;
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

  /**
   * The result of {@link #forward}: the output and what {@link #backward} needs.
   *
   * @param output {@code y [*, D]}
   * @param input {@code x [*, D]}, the forward input (not copied)
   * @param mean {@code [N]}, each row's mean
   * @param rstd {@code [N]}, each row's reciprocal standard deviation
   */
  public record Output(Tensor output, Tensor input, Tensor mean, Tensor rstd) {
    public Output {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(mean, "mean");
      Objects.requireNonNull(rstd, "rstd");
    }
  }

  /** {@code y [*, D] = LayerNorm(x [*, D])}. */
  public Output forward(Tensor x) {
    int rows = rows(x, "x");
    Tensor y = Tensor.zeros(x.shape());
    Tensor mean = Tensor.zeros(rows);
    Tensor rstd = Tensor.zeros(rows);
    float[] in = x.data();
    float[] out = y.data();
    float[] w = weight.value().data();
    float[] b = bias.value().data();
    for (int r = 0; r < rows; r++) {
      int row = r * dim;
      double sum = 0;
      for (int j = 0; j < dim; j++) sum += in[row + j];
      double m = sum / dim;
      double squares = 0;
      for (int j = 0; j < dim; j++) {
        double d = in[row + j] - m;
        squares += d * d;
      }
      double s = 1.0 / Math.sqrt(squares / dim + EPS);
      for (int j = 0; j < dim; j++) {
        out[row + j] = (float) ((in[row + j] - m) * s) * w[j] + b[j];
      }
      mean.data()[r] = (float) m;
      rstd.data()[r] = (float) s;
    }
    return new Output(y, x, mean, rstd);
  }

  /**
   * Given a forward result and {@code dy = dL/dy [*, D]}, accumulates {@code dweight} and {@code
   * dbias} and returns {@code dx [*, D]}.
   */
  public Tensor backward(Output forward, Tensor dy) {
    Tensor x = forward.input();
    int rows = rows(x, "forward input");
    dy.requireShape("dy", x.shape());
    Tensor dx = Tensor.zeros(x.shape());
    float[] in = x.data();
    float[] g = dy.data();
    float[] out = dx.data();
    float[] w = weight.value().data();
    float[] dw = weight.grad().data();
    float[] db = bias.grad().data();
    float[] means = forward.mean().data();
    float[] rstds = forward.rstd().data();
    for (int r = 0; r < rows; r++) {
      int row = r * dim;
      float m = means[r];
      float s = rstds[r];
      // Two reductions over the row: mean(g) and mean(g ⊙ xhat).
      float gMean = 0f;
      float gxMean = 0f;
      for (int j = 0; j < dim; j++) {
        float xhat = (in[row + j] - m) * s;
        float gj = g[row + j] * w[j];
        gMean += gj;
        gxMean += gj * xhat;
      }
      gMean /= dim;
      gxMean /= dim;
      for (int j = 0; j < dim; j++) {
        float xhat = (in[row + j] - m) * s;
        float dyj = g[row + j];
        db[j] += dyj;
        dw[j] += dyj * xhat;
        out[row + j] += s * (dyj * w[j] - gMean - xhat * gxMean);
      }
    }
    return dx;
  }

  private int rows(Tensor x, String name) {
    if (x.rank() < 2 || x.dim(x.rank() - 1) != dim) {
      throw new IllegalArgumentException(
          name + " has shape " + Arrays.toString(x.shape()) + ", expected [*, " + dim + "]");
    }
    return x.size() / dim;
  }
}
