package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PythonFormatTest {

  @Test
  void roundsTheExactBinaryValueTiesToEven() {
    // Values checked with CPython: format(x, '.3f') and format(x, '.1f').
    assertEquals("1.000", PythonFormat.fixed(1.0005, 3)); // stored just below the tie
    assertEquals("0.2", PythonFormat.fixed(0.25, 1)); // an exact tie goes to even
    assertEquals("0.3", PythonFormat.fixed(0.35, 1)); // stored just below the tie
    assertEquals("0.5", PythonFormat.fixed(0.45, 1)); // stored just above the tie
    assertEquals("2.744439", PythonFormat.fixed(2.7444387, 6));
    assertEquals("0.000000", PythonFormat.fixed(1.5e-12, 6));
    assertEquals("12", PythonFormat.fixed(12.5, 0));
  }

  @Test
  void keepsPythonsSignsAndSpecialValues() {
    assertEquals("-0.000", PythonFormat.fixed(-0.0001, 3));
    assertEquals("-0.000", PythonFormat.fixed(-0.0, 3));
    assertEquals("-1.250", PythonFormat.fixed(-1.25, 3));
    assertEquals("nan", PythonFormat.fixed(Double.NaN, 2));
    assertEquals("-inf", PythonFormat.fixed(Double.NEGATIVE_INFINITY, 2));
  }
}
