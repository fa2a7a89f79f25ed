package org.seqlab.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor stored row-major in one {@code float[]}.
 *
 * <p>Sequences are time-major, {@code [T, B, F]}: the slice for step {@code t} is the contiguous
 * block {@code data[t*B*F, (t+1)*B*F)}, so a recurrent step reads one {@code [B, F]} matrix without
 * copying. The class holds no per-element objects; kernels in {@link MatMul} and {@link
 * Elementwise} work on the backing array with explicit offsets.
 */
public final class Tensor {

  /** Largest element count a tensor may hold (the length limit of a Java array). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private final int[] shape;
  private final float[] data;

  private Tensor(int[] shape, float[] data) {
    this.shape = shape;
    this.data = data;
  }

  /** A new tensor of zeros. Refuses negative dimensions and sizes beyond {@link #MAX_ELEMENTS}. */
  public static Tensor zeros(int... shape) {
    int[] copy = shape.clone();
    return new Tensor(copy, new float[Math.toIntExact(checkedSize(copy))]);
  }

  /** Wraps {@code data} (not copied) as a tensor of the given shape. */
  public static Tensor wrap(float[] data, int... shape) {
    int[] copy = shape.clone();
    long size = checkedSize(copy);
    if (size != data.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(copy)
              + " holds "
              + size
              + " elements but data has "
              + data.length);
    }
    return new Tensor(copy, data);
  }

  /** A tensor holding {@code values} converted to float32. */
  public static Tensor of(double[] values, int... shape) {
    float[] data = new float[values.length];
    for (int i = 0; i < values.length; i++) data[i] = (float) values[i];
    return wrap(data, shape);
  }

  /**
   * The number of elements of {@code shape}, checked: every dimension must be non-negative and the
   * product at most {@link #MAX_ELEMENTS}. Call this before allocating anything sized by user
   * input.
   */
  public static long checkedSize(int... shape) {
    long size = 1;
    for (int d : shape) {
      if (d < 0)
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      size *= d;
      if (size > MAX_ELEMENTS) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " has more than " + MAX_ELEMENTS + " elements");
      }
    }
    return size;
  }

  public float[] data() {
    return data;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int axis) {
    return shape[axis];
  }

  public int size() {
    return data.length;
  }

  public float get(int... index) {
    return data[offset(index)];
  }

  public void set(float value, int... index) {
    data[offset(index)] = value;
  }

  /** Row-major offset of {@code index}, bounds-checked per axis. */
  public int offset(int... index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException(
          "index of rank " + index.length + " for tensor of shape " + Arrays.toString(shape));
    }
    int off = 0;
    for (int a = 0; a < shape.length; a++) {
      if (index[a] < 0 || index[a] >= shape[a]) {
        throw new IndexOutOfBoundsException(
            "index " + Arrays.toString(index) + " outside shape " + Arrays.toString(shape));
      }
      off = off * shape[a] + index[a];
    }
    return off;
  }

  /** Same data, new shape with the same number of elements. */
  public Tensor reshape(int... newShape) {
    return wrap(data, newShape);
  }

  public Tensor copy() {
    return new Tensor(shape.clone(), data.clone());
  }

  public void fill(float value) {
    Arrays.fill(data, value);
  }

  /** Sets every element to zero (gradients are zeroed explicitly, never implicitly). */
  public void zero() {
    Arrays.fill(data, 0f);
  }

  public boolean sameShape(Tensor other) {
    return Arrays.equals(shape, other.shape);
  }

  /** Throws a clear error unless this tensor has exactly {@code expected} as its shape. */
  public Tensor requireShape(String name, int... expected) {
    if (!Arrays.equals(shape, expected)) {
      throw new IllegalArgumentException(
          name
              + " has shape "
              + Arrays.toString(shape)
              + ", expected "
              + Arrays.toString(expected));
    }
    return this;
  }

  /** Euclidean norm of all elements, accumulated in double. */
  public double norm() {
    double s = 0;
    for (float v : data) s += (double) v * v;
    return Math.sqrt(s);
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape);
  }
}
