package org.seqlab.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Safetensors bytes assembled directly from the format description, without our writer. */
final class HandBuiltFile {

  private HandBuiltFile() {}

  /** Length prefix of the header's UTF-8 bytes, the header as given (no padding), then data. */
  static byte[] of(String header, byte[] data) {
    return of(header.getBytes(StandardCharsets.UTF_8), data);
  }

  static byte[] of(byte[] header, byte[] data) {
    return concat(lengthPrefix(header.length), header, data);
  }

  static byte[] lengthPrefix(long length) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
  }

  /** Little-endian bytes of {@code values} as F32. */
  static byte[] f32(float... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) buffer.putFloat(v);
    return buffer.array();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) out.writeBytes(part);
    return out.toByteArray();
  }
}
