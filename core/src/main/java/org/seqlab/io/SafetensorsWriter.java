package org.seqlab.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.seqlab.tensor.Tensor;

/**
 * Collects named tensors and metadata, then writes them as one safetensors file (see {@link
 * Safetensors} for the layout). Tensors are laid out in the order they were added; arrays are not
 * copied, so they are read when {@link #write} runs.
 *
 * <pre>{@code
 * Safetensors.writer()
 *     .f32("weight_hh_l0", weightHh)
 *     .i64("step", new int[0], new long[] {step})
 *     .metadata("format", "pt")
 *     .write(path);
 * }</pre>
 */
public final class SafetensorsWriter {

  /** Bytes handed to the file system per write call. */
  private static final int CHUNK_BYTES = 1 << 16;

  /** One tensor waiting to be written: its type, shape and a way to put a run of its elements. */
  private sealed interface Pending {
    DType dtype();

    int[] shape();

    int length();

    /** Puts elements {@code [from, from + count)} into {@code out}, little-endian. */
    void put(ByteBuffer out, int from, int count);
  }

  private record F32(int[] shape, float[] values) implements Pending {
    public DType dtype() {
      return DType.F32;
    }

    public int length() {
      return values.length;
    }

    public void put(ByteBuffer out, int from, int count) {
      for (int i = from; i < from + count; i++) out.putFloat(values[i]);
    }
  }

  private record F64(int[] shape, double[] values) implements Pending {
    public DType dtype() {
      return DType.F64;
    }

    public int length() {
      return values.length;
    }

    public void put(ByteBuffer out, int from, int count) {
      for (int i = from; i < from + count; i++) out.putDouble(values[i]);
    }
  }

  private record I64(int[] shape, long[] values) implements Pending {
    public DType dtype() {
      return DType.I64;
    }

    public int length() {
      return values.length;
    }

    public void put(ByteBuffer out, int from, int count) {
      for (int i = from; i < from + count; i++) out.putLong(values[i]);
    }
  }

  private final Map<String, Pending> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /** An empty writer; {@link Safetensors#writer()} is the same. */
  public SafetensorsWriter() {}

  /** Adds {@code tensor} as F32 with the tensor's shape. */
  public SafetensorsWriter f32(String name, Tensor tensor) {
    return add(name, new F32(tensor.shape(), tensor.data()));
  }

  /** Adds {@code values} (row-major) as an F64 tensor of {@code shape}. */
  public SafetensorsWriter f64(String name, int[] shape, double[] values) {
    return add(name, new F64(checkShape(name, shape, values.length), values));
  }

  /** Adds {@code values} (row-major) as an I64 tensor of {@code shape}. */
  public SafetensorsWriter i64(String name, int[] shape, long[] values) {
    return add(name, new I64(checkShape(name, shape, values.length), values));
  }

  /** Sets one metadata entry; a later call with the same key replaces the value. */
  public SafetensorsWriter metadata(String key, String value) {
    if (key == null || value == null) {
      throw new IllegalArgumentException("metadata keys and values must not be null");
    }
    metadata.put(key, value);
    return this;
  }

  /**
   * Writes everything added so far to {@code file}, replacing it atomically: the bytes go to a
   * temporary file in the same directory, which is forced to disk and then renamed over {@code
   * file}. Readers therefore see the old file or the complete new one, and a crash leaves at worst
   * a stray temporary file, never a truncated {@code file}.
   *
   * @throws IOException if anything fails; the temporary file is then deleted and {@code file} is
   *     left as it was
   */
  public void write(Path file) throws IOException {
    byte[] header = header(file);
    Path directory = file.toAbsolutePath().getParent();
    Path temp =
        directory.resolve(
            "."
                + file.getFileName()
                + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".tmp");
    try {
      // CREATE_NEW (not Files.createTempFile) so the file gets the usual permissions, not 0600.
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        chunk.putLong(header.length);
        writeAll(channel, chunk.flip());
        writeAll(channel, ByteBuffer.wrap(header));
        for (Pending tensor : tensors.values()) {
          int perChunk = CHUNK_BYTES / tensor.dtype().byteSize();
          for (int from = 0; from < tensor.length(); from += perChunk) {
            chunk.clear();
            tensor.put(chunk, from, Math.min(perChunk, tensor.length() - from));
            writeAll(channel, chunk.flip());
          }
        }
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanupFailure) {
        e.addSuppressed(cleanupFailure);
      }
      throw e;
    }
    forceDirectory(directory);
  }

  /** The header bytes: compact JSON padded with spaces to a multiple of 8 bytes. */
  byte[] header(Path file) throws IOException {
    ObjectNode root = Safetensors.JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject(Safetensors.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Pending> entry : tensors.entrySet()) {
      Pending tensor = entry.getValue();
      long end = offset + (long) tensor.length() * tensor.dtype().byteSize();
      ObjectNode info = root.putObject(entry.getKey());
      info.put("dtype", tensor.dtype().name());
      ArrayNode shape = info.putArray("shape");
      for (int dim : tensor.shape()) shape.add(dim);
      info.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = Safetensors.JSON.writeValueAsBytes(root);
    int padded = (json.length + 7) / 8 * 8;
    if (padded > Safetensors.MAX_HEADER_BYTES) {
      throw new SafetensorsException(
          file,
          "header would take "
              + padded
              + " bytes, more than the format's limit of "
              + Safetensors.MAX_HEADER_BYTES
              + "; nothing was written");
    }
    byte[] header = Arrays.copyOf(json, padded);
    Arrays.fill(header, json.length, padded, (byte) ' ');
    return header;
  }

  private SafetensorsWriter add(String name, Pending tensor) {
    if (name == null || name.equals(Safetensors.METADATA_KEY)) {
      throw new IllegalArgumentException(
          "tensor name "
              + name
              + " is not allowed; "
              + Safetensors.METADATA_KEY
              + " holds the metadata");
    }
    if (tensors.containsKey(name)) {
      throw new IllegalArgumentException(
          "tensor " + Safetensors.quote(name) + " was already added");
    }
    tensors.put(name, tensor);
    return this;
  }

  private static int[] checkShape(String name, int[] shape, int length) {
    long size = Tensor.checkedSize(shape);
    if (size != length) {
      throw new IllegalArgumentException(
          "tensor "
              + Safetensors.quote(name)
              + ": shape "
              + Arrays.toString(shape)
              + " holds "
              + size
              + " elements but "
              + length
              + " values were given");
    }
    return shape.clone();
  }

  private static void writeAll(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) channel.write(buffer);
  }

  /**
   * Makes the rename durable by forcing the directory entry to disk. Best effort: some platforms
   * cannot open a directory as a channel, and the new file is complete either way.
   */
  private static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // The data itself was forced before the rename; only the rename's durability is at stake.
    }
  }
}
