package org.seqlab.nn;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Tensor;

/**
 * A lookup table of vectors, as {@code torch.nn.Embedding}:
 *
 * <pre>
 *   y[..., :] = W[ids[...], :]
 * </pre>
 *
 * <p>Shapes: {@code ids} of any shape {@code [*]} with values in {@code [0, num)}, output {@code
 * [*, dim]}.
 *
 * <p>Parameter: {@code weight [num, dim]}, initialised by {@link #initialize} from {@code N(0, 1)}.
 * It is zero until initialised or loaded.
 */
public final class Embedding implements Module {

  private final int numEmbeddings;
  private final int embeddingDim;
  private final Parameter weight;

  public Embedding(int numEmbeddings, int embeddingDim) {
    if (numEmbeddings <= 0 || embeddingDim <= 0) {
      throw new IllegalArgumentException(
          "Embedding needs positive sizes, got num=" + numEmbeddings + ", dim=" + embeddingDim);
    }
    Tensor.checkedSize(numEmbeddings, embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.weight = Parameter.of("weight", Tensor.zeros(numEmbeddings, embeddingDim));
  }

  /** Draws every entry of the weight from {@code N(0, 1)}. */
  public void initialize(RandomGenerator rng) {
    float[] w = weight.value().data();
    for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
  }

  public int numEmbeddings() {
    return numEmbeddings;
  }

  public int embeddingDim() {
    return embeddingDim;
  }

  public Parameter weight() {
    return weight;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
  }

  /**
   * Looks up {@code ids}, read as a tensor of the given {@code shape} (a flat {@code [ids.length]}
   * when no shape is given), and returns {@code [shape..., dim]}.
   */
  public Tensor forward(int[] ids, int... shape) {
    int[] idShape = shape.length == 0 ? new int[] {ids.length} : shape;
    if (Tensor.checkedSize(idShape) != ids.length) {
      throw new IllegalArgumentException(
          "ids has "
              + ids.length
              + " elements but shape "
              + Arrays.toString(idShape)
              + " holds "
              + Tensor.checkedSize(idShape));
    }
    checkIds(ids);
    int[] outShape = Arrays.copyOf(idShape, idShape.length + 1);
    outShape[idShape.length] = embeddingDim;
    Tensor y = Tensor.zeros(outShape);
    float[] w = weight.value().data();
    for (int r = 0; r < ids.length; r++) {
      System.arraycopy(w, ids[r] * embeddingDim, y.data(), r * embeddingDim, embeddingDim);
    }
    return y;
  }

  /**
   * Scatter-adds {@code dy [*, dim]} into the weight gradient: {@code dW[ids[r], :] += dy[r, :]}.
   * An id that occurs several times collects the sum of its rows.
   */
  public void backward(int[] ids, Tensor dy) {
    checkIds(ids);
    if (dy.rank() < 1
        || dy.dim(dy.rank() - 1) != embeddingDim
        || (long) ids.length * embeddingDim != dy.size()) {
      throw new IllegalArgumentException(
          "dy has shape "
              + Arrays.toString(dy.shape())
              + ", expected "
              + ids.length
              + " rows of "
              + embeddingDim);
    }
    float[] g = weight.grad().data();
    float[] d = dy.data();
    for (int r = 0; r < ids.length; r++) {
      int row = ids[r] * embeddingDim;
      int src = r * embeddingDim;
      for (int j = 0; j < embeddingDim; j++) g[row + j] += d[src + j];
    }
  }

  private void checkIds(int[] ids) {
    for (int r = 0; r < ids.length; r++) {
      if (ids[r] < 0 || ids[r] >= numEmbeddings) {
        throw new IllegalArgumentException(
            "id " + ids[r] + " at position " + r + " is outside [0, " + numEmbeddings + ")");
      }
    }
  }
}
