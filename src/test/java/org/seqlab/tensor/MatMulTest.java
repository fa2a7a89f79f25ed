package org.seqlab.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The three {@link MatMul} forms against a naive triple loop in double, on odd shapes, with
 * operands placed at offsets inside larger arrays whose leading dimension exceeds the row width.
 */
class MatMulTest {

  private static final int[] SIZES = {0, 1, 3, 7, 17, 33, 65};

  private enum Form {
    NN,
    NT,
    TN
  }

  /** One operand: a {@code rows x cols} matrix at {@code offset} with row stride {@code ld}. */
  private record Operand(float[] data, int offset, int ld, int rows, int cols) {
    static Operand random(SplittableRandom rng, int rows, int cols) {
      int offset = rng.nextInt(5);
      int ld = cols + rng.nextInt(4);
      float[] data = new float[offset + rows * ld + rng.nextInt(3)];
      for (int i = 0; i < data.length; i++) data[i] = (float) rng.nextDouble(-1, 1);
      return new Operand(data, offset, ld, rows, cols);
    }

    double at(int i, int j) {
      return data[offset + i * ld + j];
    }
  }

  private static void check(Form form, int m, int n, int k, SplittableRandom rng) {
    // Stored shapes: NN A[m,k] B[k,n]; NT A[m,k] B[n,k]; TN A[k,m] B[k,n].
    Operand a = form == Form.TN ? Operand.random(rng, k, m) : Operand.random(rng, m, k);
    Operand b = form == Form.NT ? Operand.random(rng, n, k) : Operand.random(rng, k, n);
    Operand c = Operand.random(rng, m, n); // non-zero: the product must be added to it
    float[] before = c.data().clone();
    switch (form) {
      case NN ->
          MatMul.gemmNN(
              m,
              n,
              k,
              a.data(),
              a.offset(),
              a.ld(),
              b.data(),
              b.offset(),
              b.ld(),
              c.data(),
              c.offset(),
              c.ld());
      case NT ->
          MatMul.gemmNT(
              m,
              n,
              k,
              a.data(),
              a.offset(),
              a.ld(),
              b.data(),
              b.offset(),
              b.ld(),
              c.data(),
              c.offset(),
              c.ld());
      case TN ->
          MatMul.gemmTN(
              m,
              n,
              k,
              a.data(),
              a.offset(),
              a.ld(),
              b.data(),
              b.offset(),
              b.ld(),
              c.data(),
              c.offset(),
              c.ld());
    }
    String where = form + " m=" + m + " n=" + n + " k=" + k;
    boolean[] inside = new boolean[before.length];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double expected = before[c.offset() + i * c.ld() + j];
        double magnitude = Math.abs(expected);
        for (int p = 0; p < k; p++) {
          double left = form == Form.TN ? a.at(p, i) : a.at(i, p);
          double right = form == Form.NT ? b.at(j, p) : b.at(p, j);
          expected += left * right;
          magnitude += Math.abs(left * right);
        }
        int index = c.offset() + i * c.ld() + j;
        inside[index] = true;
        // float accumulation error grows with k and the size of the terms
        assertEquals(
            expected,
            c.data()[index],
            1e-6 * (k + 1) * (magnitude + 1),
            where + " at (" + i + "," + j + ")");
      }
    }
    // Nothing outside the m x n window may change: padding, offset, and the rows' tails.
    for (int index = 0; index < before.length; index++) {
      if (!inside[index])
        assertEquals(before[index], c.data()[index], where + " wrote outside C at " + index);
    }
  }

  @Test
  void allFormsMatchANaiveLoopOnOddShapesWithOffsetsAndLeadingDimensions() {
    SplittableRandom rng = new SplittableRandom(61);
    for (Form form : Form.values()) {
      for (int m : SIZES) {
        for (int n : SIZES) {
          for (int k : SIZES) {
            check(form, m, n, k, rng);
          }
        }
      }
    }
  }

  @Test
  void knownAnswerForEachForm() {
    float[] a = {1, 2, 3, 4, 5, 6}; // [2,3]
    float[] b = {7, 8, 9, 10, 11, 12}; // [3,2] for NN, [2,3] for NT
    float[] nn = {1, 1, 1, 1};
    MatMul.gemmNN(2, 2, 3, a, 0, 3, b, 0, 2, nn, 0, 2);
    assertArrayEquals(new float[] {59, 65, 140, 155}, nn);
    float[] nt = new float[4];
    MatMul.gemmNT(2, 2, 3, a, 0, 3, b, 0, 3, nt, 0, 2);
    assertArrayEquals(new float[] {50, 68, 122, 167}, nt);
    float[] tn = new float[9]; // A^T [3,2] · B[2,3]
    MatMul.gemmTN(3, 3, 2, a, 0, 3, b, 0, 3, tn, 0, 3);
    assertArrayEquals(new float[] {47, 52, 57, 64, 71, 78, 81, 90, 99}, tn);
  }

  @Test
  void tensorFormsCheckShapes() {
    Tensor a = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor c = Tensor.zeros(2, 2);
    var wrong =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> MatMul.matmul(a, Tensor.zeros(2, 2), c));
    assertTrue(
        wrong.getMessage().contains("right operand has shape [2, 2], expected [3, 2]"),
        wrong.getMessage());
    MatMul.matmulTransB(a, a, c);
    assertArrayEquals(new float[] {14, 32, 32, 77}, c.data());
  }
}
