package org.seqlab.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.tensor.Tensor;

/**
 * Reads and writes the safetensors format, the weight format of PyTorch and Hugging Face models.
 *
 * <h2>Layout</h2>
 *
 * A file has three parts, one after the other:
 *
 * <pre>
 *   [ N : 8 bytes, unsigned little-endian ]
 *   [ header : N bytes of UTF-8 JSON, possibly followed by spaces ]
 *   [ data region : the raw elements of every tensor, little-endian ]
 * </pre>
 *
 * The header is one JSON object. Each key is a tensor name and maps to {@code {"dtype": "F32",
 * "shape": [2, 3], "data_offsets": [begin, end]}}: the element type (see {@link DType}), the
 * dimensions (an empty list for a scalar) and the byte range {@code [begin, end)} of the tensor's
 * elements, counted from the start of the data region, in row-major order. The one key that is not
 * a tensor, {@code "__metadata__"}, is optional and maps strings to strings (free-form notes such
 * as the framework or the training step).
 *
 * <h2>Rules a file must follow</h2>
 *
 * <ul>
 *   <li>{@code N} is at most {@link #MAX_HEADER_BYTES}, and the header fits in the file;
 *   <li>names are unique;
 *   <li>{@code end - begin} equals the element count times the element size;
 *   <li>the byte ranges do not overlap and together cover the data region exactly: no gaps between
 *       tensors and nothing after the last one.
 * </ul>
 *
 * Because every tensor's place is fixed by the header, a reader can check a file completely before
 * it allocates anything for the data, and the format can carry no code: loading it runs nothing.
 * {@link #read} enforces every rule above and refuses a bad file with a {@link
 * SafetensorsException} whose message names the file and the broken rule.
 *
 * <h2>What this class writes</h2>
 *
 * Compact JSON with {@code "__metadata__"} first (when there is metadata) and the tensors in the
 * order given, their data laid out back to back in that order; the header is padded with spaces to
 * a multiple of 8 bytes, so the data region starts aligned, as the reference implementation does.
 * Writes replace the target file atomically: readers see the old file or the new one, never half of
 * one.
 */
public final class Safetensors {

  /** Largest header the format allows, in bytes; larger claims are refused before reading them. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** The header key that holds the string-to-string metadata instead of a tensor. */
  public static final String METADATA_KEY = "__metadata__";

  /** Largest single tensor this reader holds, in bytes: the length limit of a Java array. */
  static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

  /**
   * Parses headers: duplicate names and anything after the closing brace are errors, and a single
   * string may be as long as the header itself (Jackson's default cap is lower than the format's).
   */
  static final JsonMapper JSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength((int) MAX_HEADER_BYTES)
                          .build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private Safetensors() {}

  /**
   * Reads and validates a whole safetensors file. The header is checked against every rule of the
   * format before any tensor memory is allocated, and then only the byte ranges the checked header
   * names are read.
   *
   * @throws SafetensorsException if the file breaks a rule of the format (the message says which)
   * @throws IOException if the file cannot be read at all
   */
  public static SafetensorsFile read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < Long.BYTES) {
        throw new SafetensorsException(
            file,
            "file has "
                + fileSize
                + " bytes; a safetensors file starts with an 8-byte header length");
      }
      long headerLength = readFully(channel, file, 0, Long.BYTES).getLong();
      if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
        throw new SafetensorsException(
            file,
            "header length "
                + Long.toUnsignedString(headerLength)
                + " exceeds the format's limit of "
                + MAX_HEADER_BYTES
                + " bytes");
      }
      if (headerLength > fileSize - Long.BYTES) {
        throw new SafetensorsException(
            file,
            "header length "
                + headerLength
                + " is larger than the "
                + (fileSize - Long.BYTES)
                + " bytes after the length prefix (file truncated?)");
      }
      ByteBuffer headerBytes = readFully(channel, file, Long.BYTES, (int) headerLength);
      Header header = parseHeader(file, headerBytes);

      long dataStart = Long.BYTES + headerLength;
      checkLayout(file, header.entries(), fileSize - dataStart);

      Map<String, SafetensorsFile.StoredTensor> tensors = new LinkedHashMap<>();
      for (Entry entry : header.entries()) {
        // Sizes were checked against the file and the array limit in checkLayout and parseEntry.
        ByteBuffer bytes =
            readFully(channel, file, dataStart + entry.begin(), (int) entry.byteLength());
        tensors.put(
            entry.name(),
            new SafetensorsFile.StoredTensor(entry.dtype(), entry.shape(), bytes.array()));
      }
      return new SafetensorsFile(file, header.metadata(), tensors);
    }
  }

  /**
   * Writes {@code tensors} as F32 in the map's iteration order, with {@code metadata} (may be
   * empty), replacing {@code file} atomically. Shorthand for the same calls on a {@link
   * SafetensorsWriter}.
   *
   * @throws IllegalArgumentException if a name is {@value #METADATA_KEY}
   * @throws IOException if writing fails; {@code file} is then left as it was
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    SafetensorsWriter writer = writer();
    tensors.forEach(writer::f32);
    metadata.forEach(writer::metadata);
    writer.write(file);
  }

  /** A new, empty writer for files that mix F32, F64 and I64 tensors. */
  public static SafetensorsWriter writer() {
    return new SafetensorsWriter();
  }

  // ---- reading ------------------------------------------------------------------------------

  /** One tensor's header entry, validated on its own (not yet against the other tensors). */
  private record Entry(String name, DType dtype, int[] shape, long begin, long end) {
    long byteLength() {
      return end - begin;
    }
  }

  private record Header(Map<String, String> metadata, List<Entry> entries) {}

  /** Reads exactly {@code length} bytes at {@code position}, little-endian, ready to get from. */
  private static ByteBuffer readFully(FileChannel channel, Path file, long position, int length)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) {
        throw new SafetensorsException(
            file,
            "file ended at byte "
                + (position + buffer.position())
                + " while "
                + length
                + " bytes from byte "
                + position
                + " were expected (was it changed while being read?)");
      }
    }
    return buffer.flip();
  }

  private static Header parseHeader(Path file, ByteBuffer headerBytes) throws SafetensorsException {
    String text = decodeUtf8(file, headerBytes);
    if (!text.startsWith("{")) {
      throw new SafetensorsException(
          file, "header must be a JSON object starting with '{', got " + excerpt(text));
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JacksonException e) {
      String reason = oneLine(e.getOriginalMessage());
      if (reason.startsWith("Duplicate")) {
        throw new SafetensorsException(
            file,
            "header names a key twice (" + reason + "); each tensor name must appear once",
            e);
      }
      throw new SafetensorsException(file, "header is not valid JSON (" + reason + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(file, "header must be a JSON object of tensor entries");
    }
    Map<String, String> metadata = Map.of();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA_KEY)) {
        metadata = parseMetadata(file, field.getValue());
      } else {
        entries.add(parseEntry(file, field.getKey(), field.getValue()));
      }
    }
    return new Header(metadata, entries);
  }

  private static String decodeUtf8(Path file, ByteBuffer bytes) throws SafetensorsException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsException(
          file,
          "header is not valid UTF-8 (bad byte near header offset "
              + bytes.position()
              + "); the header must be UTF-8 JSON",
          e);
    }
  }

  /** The optional {@code "__metadata__"} entry: JSON null (as the reference accepts) or strings. */
  private static Map<String, String> parseMetadata(Path file, JsonNode node)
      throws SafetensorsException {
    if (node.isNull()) return Map.of();
    if (!node.isObject()) {
      throw new SafetensorsException(
          file,
          METADATA_KEY + " must be a JSON object mapping strings to strings, got " + excerpt(node));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      if (!field.getValue().isTextual()) {
        throw new SafetensorsException(
            file,
            METADATA_KEY
                + " must map strings to strings, but "
                + quote(field.getKey())
                + " has the value "
                + excerpt(field.getValue()));
      }
      metadata.put(field.getKey(), field.getValue().textValue());
    }
    return metadata;
  }

  private static Entry parseEntry(Path file, String name, JsonNode node)
      throws SafetensorsException {
    String tensor = "tensor " + quote(name);
    if (!node.isObject()) {
      throw new SafetensorsException(
          file,
          tensor
              + " must map to an object with dtype, shape and data_offsets, got "
              + excerpt(node));
    }

    JsonNode dtypeNode = node.get("dtype");
    DType dtype =
        dtypeNode != null && dtypeNode.isTextual()
            ? DType.byHeaderName(dtypeNode.textValue())
            : null;
    if (dtype == null) {
      throw new SafetensorsException(
          file,
          tensor
              + " has "
              + (dtypeNode == null ? "no dtype" : "unknown dtype " + excerpt(dtypeNode))
              + "; known dtypes: "
              + DType.allNames());
    }

    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new SafetensorsException(
          file,
          tensor
              + " has shape "
              + excerpt(shapeNode)
              + "; shape must be a list of non-negative integers");
    }
    int[] shape = new int[shapeNode.size()];
    for (int axis = 0; axis < shape.length; axis++) {
      JsonNode dim = shapeNode.get(axis);
      if (!dim.isIntegralNumber() || !dim.canConvertToInt() || dim.intValue() < 0) {
        throw new SafetensorsException(
            file,
            tensor
                + " has shape "
                + excerpt(shapeNode)
                + "; shape must be a list of integers from 0 to "
                + Integer.MAX_VALUE);
      }
      shape[axis] = dim.intValue();
    }
    long elements;
    try {
      elements = Tensor.checkedSize(shape);
    } catch (IllegalArgumentException e) {
      throw new SafetensorsException(
          file,
          tensor
              + " has shape "
              + Arrays.toString(shape)
              + " with more elements than a Java array holds (at most "
              + Tensor.MAX_ELEMENTS
              + ")");
    }

    JsonNode offsets = node.get("data_offsets");
    if (offsets == null
        || !offsets.isArray()
        || offsets.size() != 2
        || !isNonNegativeLong(offsets.get(0))
        || !isNonNegativeLong(offsets.get(1))) {
      throw new SafetensorsException(
          file,
          tensor
              + " has data_offsets "
              + excerpt(offsets)
              + "; data_offsets must be [begin, end], two non-negative integers");
    }
    long begin = offsets.get(0).longValue();
    long end = offsets.get(1).longValue();
    if (begin > end) {
      throw new SafetensorsException(
          file,
          tensor
              + " has data_offsets ["
              + begin
              + ", "
              + end
              + "] with begin > end; begin must be <= end");
    }
    long expectedBytes = elements * dtype.byteSize();
    if (end - begin != expectedBytes) {
      throw new SafetensorsException(
          file,
          tensor
              + " has shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + ", which takes "
              + expectedBytes
              + " bytes, but data_offsets ["
              + begin
              + ", "
              + end
              + "] span "
              + (end - begin)
              + " bytes; the two must match");
    }
    if (expectedBytes > MAX_TENSOR_BYTES) {
      throw new SafetensorsException(
          file,
          tensor
              + " takes "
              + expectedBytes
              + " bytes; at most "
              + MAX_TENSOR_BYTES
              + " bytes per tensor can be loaded into one Java array");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static boolean isNonNegativeLong(JsonNode node) {
    return node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0;
  }

  /**
   * Checks the tensors against each other and against the data region: each range inside the
   * region, no two ranges overlapping, no bytes left over. Sorts {@code entries} into file order.
   */
  private static void checkLayout(Path file, List<Entry> entries, long dataLength)
      throws SafetensorsException {
    for (Entry entry : entries) {
      if (entry.end() > dataLength) {
        throw new SafetensorsException(
            file,
            "tensor "
                + quote(entry.name())
                + " has data_offsets ["
                + entry.begin()
                + ", "
                + entry.end()
                + "] beyond the data region, which has "
                + dataLength
                + " bytes (file truncated?)");
      }
    }
    // Stable sort: empty tensors sharing an offset keep their header order.
    entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long covered = 0;
    Entry previous = null;
    for (Entry entry : entries) {
      if (entry.begin() < covered) {
        throw new SafetensorsException(
            file,
            "tensors "
                + quote(previous.name())
                + " "
                + range(previous)
                + " and "
                + quote(entry.name())
                + " "
                + range(entry)
                + " overlap; every byte of the data region must belong to one tensor");
      }
      if (entry.begin() > covered) {
        throw new SafetensorsException(
            file,
            "bytes ["
                + covered
                + ", "
                + entry.begin()
                + ") of the data region belong to no tensor (a hole before "
                + quote(entry.name())
                + "); tensors must cover the data region without gaps");
      }
      covered = entry.end();
      previous = entry;
    }
    if (covered != dataLength) {
      throw new SafetensorsException(
          file,
          "data region has "
              + dataLength
              + " bytes but the tensors cover only "
              + covered
              + "; the file must end where the last tensor ends");
    }
  }

  private static String range(Entry entry) {
    return "[" + entry.begin() + ", " + entry.end() + ")";
  }

  // ---- messages -----------------------------------------------------------------------------

  private static final int EXCERPT_CHARS = 80;

  /** A name as JSON would write it (so control characters cannot break the line), shortened. */
  static String quote(String name) {
    try {
      return shorten(JSON.writeValueAsString(name));
    } catch (JacksonException e) {
      return shorten("\"" + name + "\"");
    }
  }

  private static String excerpt(JsonNode node) {
    return node == null ? "(missing)" : shorten(node.toString());
  }

  private static String excerpt(String text) {
    return text.isEmpty() ? "an empty header" : quote(text);
  }

  private static String shorten(String text) {
    return text.length() <= EXCERPT_CHARS ? text : text.substring(0, EXCERPT_CHARS) + "...";
  }

  private static String oneLine(String text) {
    if (text == null) return "";
    String line = text.replaceAll("\\s+", " ").strip();
    return line.length() <= 4 * EXCERPT_CHARS ? line : line.substring(0, 4 * EXCERPT_CHARS) + "...";
  }
}
