package org.seqlab.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.seqlab.tensor.Elementwise;
import org.seqlab.tensor.MatMul;
import org.seqlab.tensor.Parallel;
import org.seqlab.tensor.Tensor;

/**
 * The position-wise feed-forward network of a Transformer block, as the {@code linear1 → GELU →
 * linear2} path of {@code torch.nn.TransformerEncoderLayer(activation="gelu", dropout=0.0)}:
 *
 * <pre>
 *   a = x W1^T + b1          [*, F]
 *   h = gelu(a)              [*, F]
 *   y = h W2^T + b2          [*, D]
 * </pre>
 *
 * <p>Backward reads the same path in reverse: {@code dh = dy W2}, {@code da = dh ⊙ gelu'(a)},
 * {@code dx = da W1}, with the weight gradients accumulated by the two {@link Linear} layers.
 *
 * <p>Fusions: the first product is written without its bias, and one pass over its rows then adds
 * {@code b1} in place (keeping {@code a} for the backward pass) and writes {@code h = gelu(a)}
 * ({@link Gelu#forwardAddingBias}); backward turns {@code dh} into {@code da} in place. Each of
 * these {@code [*, F]} arrays, the widest of the block, is so streamed through the cache once
 * instead of two or three times. The passes are split over the cores by rows; the GELU is evaluated
 * per element, so the split does not change the result.
 *
 * <p>Shapes: input {@code x [*, D]}, output {@code y [*, D]}, with {@code D = dModel} and {@code F
 * = dFF}. Parameters, with PyTorch's names: {@code linear1.weight [F, D]}, {@code linear1.bias
 * [F]}, {@code linear2.weight [D, F]}, {@code linear2.bias [D]}, initialised by {@link #initialize}
 * as PyTorch's Linear ({@code U(±1/sqrt(fan_in))}).
 */
public final class FeedForward implements Module {

  private final Linear linear1;
  private final Linear linear2;
  private final List<Parameter> parameters;

  public FeedForward(int dModel, int dFF) {
    if (dModel <= 0 || dFF <= 0) {
      throw new IllegalArgumentException(
          "FeedForward needs positive sizes, got dModel=" + dModel + ", dFF=" + dFF);
    }
    this.linear1 = new Linear(dModel, dFF);
    this.linear2 = new Linear(dFF, dModel);
    List<Parameter> all = new ArrayList<>(4);
    all.addAll(ParameterNames.prefixed("linear1.", linear1.parameters()));
    all.addAll(ParameterNames.prefixed("linear2.", linear2.parameters()));
    this.parameters = List.copyOf(all);
  }

  /** Initialises {@code linear1} then {@code linear2}, each as PyTorch's Linear. */
  public void initialize(RandomGenerator rng) {
    linear1.initialize(rng);
    linear2.initialize(rng);
  }

  public int dModel() {
    return linear1.inFeatures();
  }

  public int dFF() {
    return linear1.outFeatures();
  }

  public Linear linear1() {
    return linear1;
  }

  public Linear linear2() {
    return linear2;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * The result of {@link #forward}.
   *
   * @param output {@code y [*, D]}
   * @param input {@code x [*, D]} (not copied)
   * @param preActivation {@code a [*, F]}, the input of the GELU
   * @param activation {@code h [*, F]}, the output of the GELU
   */
  public record Output(Tensor output, Tensor input, Tensor preActivation, Tensor activation) {
    public Output {
      Objects.requireNonNull(output, "output");
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(preActivation, "preActivation");
      Objects.requireNonNull(activation, "activation");
    }
  }

  /** {@code y [*, D] = gelu(x W1^T + b1) W2^T + b2}. */
  public Output forward(Tensor x) {
    return forward(x, null);
  }

  /**
   * {@link #forward(Tensor)} with {@code a}, {@code h} and {@code y} taken from {@code workspace}
   * (or new if it is null).
   */
  Output forward(Tensor x, Workspace workspace) {
    int dModel = dModel(), dFF = dFF();
    if (x.rank() < 2 || x.dim(x.rank() - 1) != dModel) {
      throw new IllegalArgumentException(
          "x has shape " + Arrays.toString(x.shape()) + ", expected [*, " + dModel + "]");
    }
    int rows = x.size() / dModel;
    int[] hiddenShape = x.shape();
    hiddenShape[hiddenShape.length - 1] = dFF;
    int hiddenSize = rows * dFF;
    // Zeroed: the product is added into it. h is written whole by the GELU pass.
    Tensor a = Tensor.wrap(WorkspaceArrays.zeroed(workspace, hiddenSize), hiddenShape);
    MatMul.gemmNT(
        rows,
        dFF,
        dModel,
        x.data(),
        0,
        dModel,
        linear1.weight().value().data(),
        0,
        dModel,
        a.data(),
        0,
        dFF);
    Tensor h = Tensor.wrap(WorkspaceArrays.overwritten(workspace, hiddenSize), hiddenShape);
    float[] pre = a.data(), act = h.data(), bias = linear1.bias().value().data();
    Parallel.forRange(
        rows,
        GELU_WORK_PER_ELEMENT * dFF,
        (from, to) -> {
          for (int r = from; r < to; r++)
            Gelu.forwardAddingBias(act, r * dFF, pre, r * dFF, bias, 0, dFF);
        });
    return new Output(linear2.forward(h, workspace), x, a, h);
  }

  /**
   * {@code y [*, D] = gelu(x W1^T + b1) W2^T + b2} written into a given {@code y} (overwritten),
   * with {@code hidden [*, F]} as scratch for {@code a} and then, in place, {@code h = gelu(a)}:
   * the inference path that reuses its buffers (one decoding step of {@link
   * TransformerDecoder#step}) and keeps nothing for a backward pass. The additions come in {@link
   * #forward}'s order: the product, then {@code b1}, then the GELU.
   */
  public void forwardInto(Tensor x, Tensor y, Tensor hidden) {
    int dModel = dModel(), dFF = dFF();
    if (x.rank() < 2 || x.dim(x.rank() - 1) != dModel) {
      throw new IllegalArgumentException(
          "x has shape " + Arrays.toString(x.shape()) + ", expected [*, " + dModel + "]");
    }
    int rows = x.size() / dModel;
    int[] hiddenShape = x.shape();
    hiddenShape[hiddenShape.length - 1] = dFF;
    hidden.requireShape("hidden", hiddenShape);
    float[] h = hidden.data(), bias = linear1.bias().value().data();
    Arrays.fill(h, 0f);
    MatMul.gemmNT(
        rows,
        dFF,
        dModel,
        x.data(),
        0,
        dModel,
        linear1.weight().value().data(),
        0,
        dModel,
        h,
        0,
        dFF);
    for (int r = 0; r < rows; r++) {
      Elementwise.addInPlace(h, r * dFF, bias, 0, dFF);
      Gelu.forward(h, r * dFF, h, r * dFF, dFF);
    }
    linear2.forwardInto(hidden, y);
  }

  /**
   * Rough cost of one GELU (or its derivative) in multiply-adds, for splitting the passes over
   * cores.
   */
  private static final long GELU_WORK_PER_ELEMENT = 8;

  /** Accumulates all four gradients and returns {@code dx [*, D]}. */
  public Tensor backward(Output forward, Tensor dy) {
    return backward(forward, dy, null);
  }

  /**
   * {@link #backward(Output, Tensor)} with its buffers taken from {@code workspace} (or new if it
   * is null): {@code dh} goes back to it at the end; the caller owns {@code dx}.
   */
  Tensor backward(Output forward, Tensor dy, Workspace workspace) {
    Tensor dh = linear2.backward(forward.activation(), dy, workspace);
    Tensor a = forward.preActivation();
    int dFF = dFF(), rows = a.size() / dFF;
    float[] pre = a.data(), grad = dh.data();
    // da = dh ⊙ gelu'(a), written over dh: nothing else reads dh.
    Parallel.forRange(
        rows,
        GELU_WORK_PER_ELEMENT * dFF,
        (from, to) -> {
          for (int r = from; r < to; r++)
            Gelu.backwardOverwrite(grad, r * dFF, pre, r * dFF, grad, r * dFF, dFF);
        });
    Tensor dx = linear1.backward(forward.input(), dh, workspace);
    WorkspaceArrays.giveBack(workspace, dh.data());
    return dx;
  }
}
