package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.seqlab.tensor.Parallel;
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
 * {@code rstd [N]} for the backward pass.
 *
 * <p>Both passes run a vector at a time. Forward reads each row twice while it is in the L1 cache:
 * once for the mean, once for the variance about it (two passes, not the one-pass {@code E[x²] -
 * mean²}, which cancels when the mean is large against the spread), then writes {@code y}; the sums
 * are float lanes added in lane order, {@code rstd} is taken in double. Rows are split over the
 * cores. Backward computes {@code dx} by rows, split over the cores, and {@code dweight}, {@code
 * dbias} by columns, split over the cores, each column summed over the rows in order: no per-thread
 * partial sums, so the result does not depend on the number of threads.
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
    return forward(x, null);
  }

  /**
   * {@link #forward(Tensor)} with its output, mean and rstd taken from {@code workspace} (or new if
   * it is null): every element of each is written.
   */
  Output forward(Tensor x, Workspace workspace) {
    int rows = rows(x, "x");
    Tensor y = Tensor.wrap(WorkspaceArrays.overwritten(workspace, x.size()), x.shape());
    Tensor mean = Tensor.wrap(WorkspaceArrays.overwritten(workspace, rows), rows);
    Tensor rstd = Tensor.wrap(WorkspaceArrays.overwritten(workspace, rows), rows);
    Parallel.forRange(
        rows,
        4L * dim,
        (from, to) -> normalizeRows(x.data(), y.data(), from, to, mean.data(), rstd.data()));
    return new Output(y, x, mean, rstd);
  }

  /**
   * {@code y [*, D] = LayerNorm(x [*, D])} written into a given {@code y} of the same shape (its
   * contents are overwritten), keeping no statistics: for inference paths that reuse their buffers,
   * such as one decoding step of {@link TransformerDecoder#step}. The arithmetic is that of {@link
   * #forward}, so the two give the same bits. {@code x} and {@code y} may be the same tensor.
   */
  public void forwardInto(Tensor x, Tensor y) {
    int rows = rows(x, "x");
    y.requireShape("y", x.shape());
    Parallel.forRange(
        rows, 4L * dim, (from, to) -> normalizeRows(x.data(), y.data(), from, to, null, null));
  }

  /**
   * Rows {@code [from, to)} of {@code out = LayerNorm(in)}; each row's mean and rstd are stored in
   * {@code means} and {@code rstds} unless they are null. A row is read entirely before it is
   * written, so {@code in} and {@code out} may be the same array.
   */
  private void normalizeRows(
      float[] in, float[] out, int from, int to, float[] means, float[] rstds) {
    float[] w = weight.value().data();
    float[] b = bias.value().data();
    float[] lanes = new float[LANES];
    int vectorEnd = SPECIES.loopBound(dim);
    for (int r = from; r < to; r++) {
      int row = r * dim;
      FloatVector sum = FloatVector.zero(SPECIES);
      int j = 0;
      for (; j < vectorEnd; j += LANES) sum = sum.add(FloatVector.fromArray(SPECIES, in, row + j));
      float total = addLanes(sum, lanes);
      for (; j < dim; j++) total += in[row + j];
      float m = total / dim;
      FloatVector meanVector = FloatVector.broadcast(SPECIES, m);
      FloatVector squares = FloatVector.zero(SPECIES);
      for (j = 0; j < vectorEnd; j += LANES) {
        FloatVector d = FloatVector.fromArray(SPECIES, in, row + j).sub(meanVector);
        squares = d.fma(d, squares);
      }
      float squareTotal = addLanes(squares, lanes);
      for (; j < dim; j++) {
        float d = in[row + j] - m;
        squareTotal = Math.fma(d, d, squareTotal);
      }
      float s = (float) (1.0 / Math.sqrt((double) squareTotal / dim + EPS));
      FloatVector scale = FloatVector.broadcast(SPECIES, s);
      for (j = 0; j < vectorEnd; j += LANES) {
        FloatVector xhat = FloatVector.fromArray(SPECIES, in, row + j).sub(meanVector).mul(scale);
        xhat.fma(FloatVector.fromArray(SPECIES, w, j), FloatVector.fromArray(SPECIES, b, j))
            .intoArray(out, row + j);
      }
      for (; j < dim; j++) out[row + j] = Math.fma((in[row + j] - m) * s, w[j], b[j]);
      if (means != null) {
        means[r] = m;
        rstds[r] = s;
      }
    }
  }

  /**
   * Given a forward result and {@code dy = dL/dy [*, D]}, accumulates {@code dweight} and {@code
   * dbias} and returns {@code dx [*, D]}.
   */
  public Tensor backward(Output forward, Tensor dy) {
    return backward(forward, dy, null);
  }

  /**
   * {@link #backward(Output, Tensor)} with {@code dx} taken from {@code workspace} (or new if it is
   * null); the caller owns it.
   */
  Tensor backward(Output forward, Tensor dy, Workspace workspace) {
    Tensor x = forward.input();
    int rows = rows(x, "forward input");
    dy.requireShape("dy", x.shape());
    // Zeroed: each element is accumulated into (a fused multiply-add onto what is there).
    Tensor dx = Tensor.wrap(WorkspaceArrays.zeroed(workspace, x.size()), x.shape());
    float[] in = x.data();
    float[] g = dy.data();
    float[] out = dx.data();
    float[] w = weight.value().data();
    float[] dw = weight.grad().data();
    float[] db = bias.grad().data();
    float[] means = forward.mean().data();
    float[] rstds = forward.rstd().data();
    // dx, by rows: two reductions over the row, mean(g) and mean(g ⊙ xhat), then one pass.
    Parallel.forRange(
        rows,
        6L * dim,
        (from, to) -> {
          float[] lanes = new float[LANES];
          int vectorEnd = SPECIES.loopBound(dim);
          for (int r = from; r < to; r++) {
            int row = r * dim;
            float m = means[r];
            float s = rstds[r];
            FloatVector meanVector = FloatVector.broadcast(SPECIES, m);
            FloatVector scale = FloatVector.broadcast(SPECIES, s);
            FloatVector gSum = FloatVector.zero(SPECIES);
            FloatVector gxSum = FloatVector.zero(SPECIES);
            int j = 0;
            for (; j < vectorEnd; j += LANES) {
              FloatVector xhat =
                  FloatVector.fromArray(SPECIES, in, row + j).sub(meanVector).mul(scale);
              FloatVector gj =
                  FloatVector.fromArray(SPECIES, g, row + j)
                      .mul(FloatVector.fromArray(SPECIES, w, j));
              gSum = gSum.add(gj);
              gxSum = gj.fma(xhat, gxSum);
            }
            float gMean = addLanes(gSum, lanes);
            float gxMean = addLanes(gxSum, lanes);
            for (; j < dim; j++) {
              float xhat = (in[row + j] - m) * s;
              float gj = g[row + j] * w[j];
              gMean += gj;
              gxMean = Math.fma(gj, xhat, gxMean);
            }
            gMean /= dim;
            gxMean /= dim;
            FloatVector gMeanVector = FloatVector.broadcast(SPECIES, gMean);
            FloatVector gxMeanVector = FloatVector.broadcast(SPECIES, gxMean);
            for (j = 0; j < vectorEnd; j += LANES) {
              FloatVector xhat =
                  FloatVector.fromArray(SPECIES, in, row + j).sub(meanVector).mul(scale);
              FloatVector gj =
                  FloatVector.fromArray(SPECIES, g, row + j)
                      .mul(FloatVector.fromArray(SPECIES, w, j));
              FloatVector centred = gj.sub(gMeanVector).sub(xhat.mul(gxMeanVector));
              centred
                  .fma(scale, FloatVector.fromArray(SPECIES, out, row + j))
                  .intoArray(out, row + j);
            }
            for (; j < dim; j++) {
              float xhat = (in[row + j] - m) * s;
              out[row + j] += s * (g[row + j] * w[j] - gMean - xhat * gxMean);
            }
          }
        });
    // dweight and dbias, by columns: each column sums its rows in order. Items are whole vectors
    // of columns (the last one possibly partial).
    int columnVectors = (dim + LANES - 1) / LANES;
    Parallel.forRange(
        columnVectors,
        3L * rows * LANES,
        (from, to) -> {
          for (int c = from; c < to; c++) {
            int j0 = c * LANES;
            if (j0 + LANES <= dim) {
              FloatVector dbSum = FloatVector.fromArray(SPECIES, db, j0);
              FloatVector dwSum = FloatVector.fromArray(SPECIES, dw, j0);
              for (int r = 0; r < rows; r++) {
                int row = r * dim;
                FloatVector dyj = FloatVector.fromArray(SPECIES, g, row + j0);
                FloatVector xhat =
                    FloatVector.fromArray(SPECIES, in, row + j0)
                        .sub(FloatVector.broadcast(SPECIES, means[r]))
                        .mul(FloatVector.broadcast(SPECIES, rstds[r]));
                dbSum = dbSum.add(dyj);
                dwSum = dwSum.add(dyj.mul(xhat));
              }
              dbSum.intoArray(db, j0);
              dwSum.intoArray(dw, j0);
            } else {
              for (int r = 0; r < rows; r++) {
                int row = r * dim;
                for (int j = j0; j < dim; j++) {
                  float dyj = g[row + j];
                  db[j] += dyj;
                  dw[j] += dyj * ((in[row + j] - means[r]) * rstds[r]);
                }
              }
            }
          }
        });
    return dx;
  }

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  /** The lanes of {@code v} added in lane order (a fixed order, unlike {@code reduceLanes}). */
  private static float addLanes(FloatVector v, float[] lanes) {
    v.intoArray(lanes, 0);
    float total = 0f;
    for (float lane : lanes) total += lane;
    return total;
  }

  private int rows(Tensor x, String name) {
    if (x.rank() < 2 || x.dim(x.rank() - 1) != dim) {
      throw new IllegalArgumentException(
          name + " has shape " + Arrays.toString(x.shape()) + ", expected [*, " + dim + "]");
    }
    return x.size() / dim;
  }
}
