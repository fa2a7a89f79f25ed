package org.seqlab.experiments;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Python's fixed-point formatting ({@code f"{x:.6f}"}), so reproduced programs print the same
 * digits as the numpy original.
 *
 * <p>Python rounds the exact binary value of the double, ties to even. Java's {@code %.6f} rounds
 * the shortest decimal that identifies the double, ties away from zero; the two disagree on values
 * such as 1.0005 (stored as 1.000499999…, which Python prints as 1.000 at three decimals and Java
 * as 1.001).
 */
public final class PythonFormat {

  private PythonFormat() {}

  /**
   * {@code format(value, f".{decimals}f")} as Python writes it, including "-0.000", "nan", "inf".
   */
  public static String fixed(double value, int decimals) {
    if (decimals < 0) throw new IllegalArgumentException("negative number of decimals " + decimals);
    if (Double.isNaN(value)) return "nan";
    if (Double.isInfinite(value)) return value > 0 ? "inf" : "-inf";
    String digits =
        new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    // BigDecimal has no negative zero; Python keeps the sign of a negative value that rounds to 0.
    boolean negative = Double.doubleToRawLongBits(value) < 0;
    return negative && !digits.startsWith("-") ? "-" + digits : digits;
  }
}
