package org.seqlab.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.seqlab.tensor.Tensor;

/**
 * The contents of a safetensors file that {@link Safetensors#read} has read and validated: its
 * metadata and its tensors in file order (by position in the data region). Each accessor converts
 * from the stored element type into a fresh array, so callers may modify what they get.
 *
 * <p>Asking for a name the file lacks, or for a conversion the stored type does not allow (float
 * values from an integer tensor or the reverse), is a mistake of the caller and throws {@link
 * IllegalArgumentException}; {@link #contains} and {@link #dtype} let a caller check first.
 */
public final class SafetensorsFile {

  /** Raw little-endian elements of one tensor as they were in the file. */
  record StoredTensor(DType dtype, int[] shape, byte[] bytes) {
    int elementCount() {
      return bytes.length / dtype.byteSize();
    }

    ByteBuffer littleEndian() {
      return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  private static final int NAMES_IN_MESSAGES = 20;

  private final Path source;
  private final Map<String, String> metadata;
  private final Map<String, StoredTensor> tensors;

  SafetensorsFile(Path source, Map<String, String> metadata, Map<String, StoredTensor> tensors) {
    this.source = source;
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /** The file this was read from. */
  public Path source() {
    return source;
  }

  /** The {@code "__metadata__"} map of the header, in header order; empty if there was none. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Tensor names in file order, the order of their data in the file. */
  public Set<String> names() {
    return tensors.keySet();
  }

  /** Whether the file holds a tensor called {@code name}. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The shape of tensor {@code name}; empty for a scalar. */
  public int[] shape(String name) {
    return stored(name).shape().clone();
  }

  /** The element type tensor {@code name} is stored in. */
  public DType dtype(String name) {
    return stored(name).dtype();
  }

  /**
   * Tensor {@code name} as float32, converted from F32 (as is), F64 (rounded to nearest; values
   * beyond the float range become infinite), F16 or BF16 (exact).
   *
   * @throws IllegalArgumentException if the file has no such tensor or stores it in another type
   */
  public Tensor tensor(String name) {
    StoredTensor stored = stored(name);
    float[] values = new float[stored.elementCount()];
    ByteBuffer bytes = stored.littleEndian();
    switch (stored.dtype()) {
      case F32 -> bytes.asFloatBuffer().get(values);
      case F64 -> {
        for (int i = 0; i < values.length; i++)
          values[i] = (float) bytes.getDouble(i * Double.BYTES);
      }
      case F16 -> {
        for (int i = 0; i < values.length; i++)
          values[i] = Float.float16ToFloat(bytes.getShort(i * 2));
      }
      case BF16 -> {
        for (int i = 0; i < values.length; i++) values[i] = bfloat16ToFloat(bytes.getShort(i * 2));
      }
      default -> throw conversionRefused(name, stored.dtype(), "float32", "F32, F64, F16 or BF16");
    }
    return Tensor.wrap(values, stored.shape());
  }

  /**
   * The elements of tensor {@code name}, row-major, as doubles, converted exactly from F64, F32,
   * F16 or BF16.
   *
   * @throws IllegalArgumentException if the file has no such tensor or stores it in another type
   */
  public double[] doubles(String name) {
    StoredTensor stored = stored(name);
    double[] values = new double[stored.elementCount()];
    ByteBuffer bytes = stored.littleEndian();
    switch (stored.dtype()) {
      case F64 -> bytes.asDoubleBuffer().get(values);
      case F32 -> {
        for (int i = 0; i < values.length; i++) values[i] = bytes.getFloat(i * Float.BYTES);
      }
      case F16 -> {
        for (int i = 0; i < values.length; i++)
          values[i] = Float.float16ToFloat(bytes.getShort(i * 2));
      }
      case BF16 -> {
        for (int i = 0; i < values.length; i++) values[i] = bfloat16ToFloat(bytes.getShort(i * 2));
      }
      default -> throw conversionRefused(name, stored.dtype(), "doubles", "F64, F32, F16 or BF16");
    }
    return values;
  }

  /**
   * The elements of tensor {@code name}, row-major, as longs, converted exactly from I64, I32, I16,
   * I8, U32, U16, U8 or BOOL (0 or 1). U64 is refused: its upper half does not fit a long.
   *
   * @throws IllegalArgumentException if the file has no such tensor or stores it in another type
   */
  public long[] longs(String name) {
    StoredTensor stored = stored(name);
    long[] values = new long[stored.elementCount()];
    ByteBuffer bytes = stored.littleEndian();
    switch (stored.dtype()) {
      case I64 -> bytes.asLongBuffer().get(values);
      case I32 -> {
        for (int i = 0; i < values.length; i++) values[i] = bytes.getInt(i * 4);
      }
      case U32 -> {
        for (int i = 0; i < values.length; i++)
          values[i] = Integer.toUnsignedLong(bytes.getInt(i * 4));
      }
      case I16 -> {
        for (int i = 0; i < values.length; i++) values[i] = bytes.getShort(i * 2);
      }
      case U16 -> {
        for (int i = 0; i < values.length; i++)
          values[i] = Short.toUnsignedLong(bytes.getShort(i * 2));
      }
      case I8 -> {
        for (int i = 0; i < values.length; i++) values[i] = bytes.get(i);
      }
      case U8, BOOL -> {
        for (int i = 0; i < values.length; i++) values[i] = Byte.toUnsignedLong(bytes.get(i));
      }
      default ->
          throw conversionRefused(
              name, stored.dtype(), "longs", "I64, I32, I16, I8, U32, U16, U8 or BOOL");
    }
    return values;
  }

  /** bfloat16 is the upper half of a float32, so widening is a shift. */
  private static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  private StoredTensor stored(String name) {
    StoredTensor stored = tensors.get(name);
    if (stored == null) {
      throw new IllegalArgumentException(
          source + " has no tensor " + Safetensors.quote(name) + "; it holds " + describeNames());
    }
    return stored;
  }

  private String describeNames() {
    if (tensors.isEmpty()) return "no tensors";
    String listed =
        tensors.keySet().stream()
            .limit(NAMES_IN_MESSAGES)
            .map(Safetensors::quote)
            .collect(Collectors.joining(", "));
    int more = tensors.size() - NAMES_IN_MESSAGES;
    return tensors.size() + " tensors: " + listed + (more > 0 ? ", and " + more + " more" : "");
  }

  private IllegalArgumentException conversionRefused(
      String name, DType stored, String wanted, String allowed) {
    return new IllegalArgumentException(
        source
            + ": tensor "
            + Safetensors.quote(name)
            + " is stored as "
            + stored
            + " and cannot be read as "
            + wanted
            + "; that needs "
            + allowed);
  }

  @Override
  public String toString() {
    return "SafetensorsFile["
        + source
        + ", "
        + tensors.size()
        + " tensors: "
        + tensors.entrySet().stream()
            .limit(NAMES_IN_MESSAGES)
            .map(
                e ->
                    e.getKey() + " " + e.getValue().dtype() + Arrays.toString(e.getValue().shape()))
            .collect(Collectors.joining(", "))
        + (tensors.size() > NAMES_IN_MESSAGES ? ", ..." : "")
        + "]";
  }
}
