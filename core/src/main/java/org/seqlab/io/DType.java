package org.seqlab.io;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of the safetensors format, named as they appear in a header ({@code "F32"}). Every
 * type here takes a whole number of bytes; the sub-byte types some newer files use (F4, F6) are not
 * supported and are refused as unknown.
 */
public enum DType {
  BOOL(1, Kind.INTEGER),
  U8(1, Kind.INTEGER),
  I8(1, Kind.INTEGER),
  F8_E5M2(1, Kind.FLOAT),
  F8_E4M3(1, Kind.FLOAT),
  F8_E8M0(1, Kind.FLOAT),
  I16(2, Kind.INTEGER),
  U16(2, Kind.INTEGER),
  F16(2, Kind.FLOAT),
  BF16(2, Kind.FLOAT),
  I32(4, Kind.INTEGER),
  U32(4, Kind.INTEGER),
  F32(4, Kind.FLOAT),
  I64(8, Kind.INTEGER),
  U64(8, Kind.INTEGER),
  F64(8, Kind.FLOAT);

  private enum Kind {
    INTEGER,
    FLOAT
  }

  private final int byteSize;
  private final Kind kind;

  DType(int byteSize, Kind kind) {
    this.byteSize = byteSize;
    this.kind = kind;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the floating-point types (including the 8-bit ones this library cannot convert). */
  public boolean isFloatingPoint() {
    return kind == Kind.FLOAT;
  }

  /** The type named {@code name} in a header, or {@code null} if the name is not one of ours. */
  static DType byHeaderName(String name) {
    for (DType type : values()) {
      if (type.name().equals(name)) return type;
    }
    return null;
  }

  /** All header names, comma-separated, for error messages. */
  static String allNames() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
