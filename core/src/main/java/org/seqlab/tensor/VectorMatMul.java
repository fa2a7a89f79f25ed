package org.seqlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast path of {@link MatMul}: one packed, register-blocked kernel that all three forms reduce
 * to.
 *
 * <h2>One product for every form</h2>
 *
 * Every form is written as {@code C[r, q] += Σ_p S[r, p] · V[p, q]}, where each of S, V and C is
 * addressed by an array, an offset and one stride per index. S is the <em>broadcast side</em>: its
 * elements are read one at a time and broadcast to every lane. V is the <em>vector side</em>: it is
 * read a whole vector at a time along {@code q}. Choosing which operand plays which part, and
 * whether {@code r} runs along the rows or the columns of C, turns {@code C += A B}, {@code C += A
 * B^T} and {@code C += A^T B} into this one product (see {@link MatMul} for the choice).
 *
 * <h2>Packing</h2>
 *
 * V is first copied into <em>panels</em> of {@link #PANEL} columns (two vectors): panel {@code t}
 * holds, for every {@code p}, the elements {@code V[p, t*PANEL ..< (t+1)*PANEL]} next to each
 * other, and the last panel is padded with zeros. The kernel then reads V as one sequential stream
 * whatever its layout: a transposed operand ({@code B^T} in {@code x W^T}) costs one transposition
 * while packing instead of a strided read per multiply-add, and power-of-two leading dimensions
 * stop evicting each other from the same cache sets. The packed copy lives in a per-thread buffer
 * that grows and is reused, so steady-state calls do not allocate. Panels are packed in parallel.
 *
 * <h2>Register tile</h2>
 *
 * The kernel keeps a tile of {@link #TILE_ROWS} rows × {@link #TILE_VECTORS} vectors of C in
 * accumulator registers. For each {@code p} it loads the panel's vectors, and for each row
 * broadcasts one element of S and issues one fused multiply-add per vector. The shape is chosen for
 * the machine's register file: where there are 32 vector registers (AVX-512, Arm SIMD) the tile is
 * 6 rows × 4 vectors, 24 accumulators + 4 panel vectors + 1 broadcast, 24 FMAs for 4 loads and 6
 * broadcasts; with AVX2's 16 registers it is 6 × 2 (12 accumulators), rather than spill some to the
 * stack at every step. An 8 × 2 tile (16 FMAs for 2 loads and 8 broadcasts) is the other choice,
 * kept to compare: on a Zen 5 core (two full-width 512-bit FMA pipes) 6 × 4 measured about 15% more
 * FLOP/s than 8 × 2, on a Zen 3 core 6 × 2 about 25% more than 8 × 2.
 *
 * <h2>Cache blocking</h2>
 *
 * The depth is cut into blocks of {@link #DEPTH_BLOCK} and the panels into groups of {@link
 * #PANELS_PER_BLOCK}, so that one group of packed panels (about 512 KiB) stays in the L2 cache
 * while every row tile of the thread sweeps over it, and one row tile's 8 rows of S (8 × 256
 * floats, read where they lie when S is row-major, else first copied into a strip) stays in L1.
 *
 * <h2>Same bits whatever the split</h2>
 *
 * Each element of C is computed by one fixed sequence: for each depth block in order, a sum that
 * starts at zero and adds {@code S[r,p] · V[p,q]} with a fused multiply-add for each {@code p} in
 * order, then one addition into C. Full tiles, the last tile (its missing rows computed from a copy
 * of the first row and dropped) and the last panel (padded with zeros) all follow this sequence
 * lane by lane, so the result does not depend on which tile, or which thread, computed an element:
 * splitting rows over threads gives bit-identical results. Only exactly specified lanewise
 * operations are used (no {@code reduceLanes}), so compiled and interpreted code agree too.
 *
 * <h2>Few rows</h2>
 *
 * {@link #dotProducts} is the other kernel, for {@code C += A B^T} when A has only a few rows:
 * there, transposing B into panels would cost as much as the product itself.
 */
final class VectorMatMul {
  private VectorMatMul() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  /** Floats per vector on this machine (16 with AVX-512, 8 with AVX2, 4 with Arm SIMD). */
  static final int LANES = SPECIES.length();

  /**
   * Rows of the register tile: 6 by default, whatever the vector width ({@link #TILE_VECTORS} sets
   * the columns). The system property {@code seqlab.tileRows} (6 or 8) overrides the choice, 8
   * meaning the 8 × 2 tile, to compare the two on one machine. Either gives the same bits: each
   * element's sum does not depend on its tile.
   */
  static final int TILE_ROWS = tileRows(Integer.getInteger("seqlab.tileRows", 6));

  private static int tileRows(int rows) {
    if (rows != 6 && rows != 8) {
      throw new IllegalArgumentException("seqlab.tileRows must be 6 or 8, got " + rows);
    }
    return rows;
  }

  /**
   * Whether the machine has 32 vector registers: AVX-512 (16 float lanes) and Arm SIMD (4); AVX2 (8
   * lanes) has 16.
   */
  static final boolean WIDE_REGISTER_FILE = LANES != 8;

  /**
   * Vectors of columns in the register tile: 4 for a 6-row tile where 24 accumulators fit in the
   * registers ({@link #WIDE_REGISTER_FILE}), else 2.
   */
  static final int TILE_VECTORS = TILE_ROWS == 6 && WIDE_REGISTER_FILE ? 4 : 2;

  /** Columns of a packed panel: the register tile's {@link #TILE_VECTORS} vectors. */
  static final int PANEL = TILE_VECTORS * LANES;

  /** Depth of one cache block: a row tile's strip of S is {@code 8 × 256} floats, 8 KiB. */
  static final int DEPTH_BLOCK = 256;

  /** Panels of one cache block: {@code 256 × 512} floats of packed V, 512 KiB. */
  static final int PANELS_PER_BLOCK = Math.max(1, 512 / PANEL);

  /** Pieces of rows per thread that the threads share out as they finish. */
  static final int ROW_PIECES_PER_THREAD = 4;

  /** Most floats packed at once; wider products are done in column chunks of this size. */
  private static final int PACK_LIMIT = 1 << 22;

  private static final ThreadLocal<float[]> PACKED = ThreadLocal.withInitial(() -> new float[0]);

  /** Offsets of consecutive depth steps in a panel, for scattering a vector down a column. */
  private static final int[] DEPTH_STEPS = new int[LANES];

  static {
    for (int l = 0; l < LANES; l++) DEPTH_STEPS[l] = l * PANEL;
  }

  /**
   * {@code C[r, q] += Σ_p S[r, p] · V[p, q]} for {@code r < rows}, {@code q < cols}, {@code p <
   * depth}, where {@code S[r, p] = s[sOff + r*sRowStride + p*sDepthStride]}, {@code V[p, q] =
   * v[vOff + p*vDepthStride + q*vColStride]} and {@code C[r, q] = c[cOff + r*cRowStride +
   * q*cColStride]}. Only C is modified.
   */
  static void product(
      int rows,
      int cols,
      int depth,
      float[] s,
      int sOff,
      int sRowStride,
      int sDepthStride,
      float[] v,
      int vOff,
      int vDepthStride,
      int vColStride,
      float[] c,
      int cOff,
      int cRowStride,
      int cColStride) {
    if (rows == 0 || cols == 0 || depth == 0) return;
    int chunkCols =
        Math.min(roundUp(cols, PANEL), Math.max(PANEL, PACK_LIMIT / depth / PANEL * PANEL));
    float[] packed = packBuffer((long) depth * chunkCols);
    for (int q0 = 0; q0 < cols; q0 += chunkCols) {
      int width = Math.min(chunkCols, cols - q0);
      packPanels(width, depth, v, vOff + q0 * vColStride, vDepthStride, vColStride, packed);
      productPacked(
          rows,
          width,
          depth,
          s,
          sOff,
          sRowStride,
          sDepthStride,
          packed,
          c,
          cOff + q0 * cColStride,
          cRowStride,
          cColStride);
    }
  }

  /**
   * V packed into panels once, for many {@link #productPacked} calls with the same V: panel {@code
   * t} (columns {@code t*PANEL ..< (t+1)*PANEL}, zero-padded past {@code cols}) from {@code
   * t*depth*PANEL}, each depth step {@code PANEL} floats, exactly the layout {@link #product} packs
   * into for a chunk holding every column. Arguments as in {@link #product}.
   */
  static float[] pack(int cols, int depth, float[] v, int vOff, int vDepthStride, int vColStride) {
    float[] packed = new float[Math.toIntExact((long) ceilDiv(cols, PANEL) * PANEL * depth)];
    packPanels(cols, depth, v, vOff, vDepthStride, vColStride, packed);
    return packed;
  }

  /** Packs the {@code cols} columns of V into {@code packed}, as {@link #pack} lays them out. */
  private static void packPanels(
      int cols, int depth, float[] v, int vOff, int vDepthStride, int vColStride, float[] packed) {
    Parallel.forRange(
        ceilDiv(cols, PANEL),
        (long) depth * PANEL,
        (from, to) -> {
          for (int t = from; t < to; t++) {
            packPanel(
                v,
                vOff + t * PANEL * vColStride,
                vDepthStride,
                vColStride,
                depth,
                Math.min(PANEL, cols - t * PANEL),
                packed,
                t * depth * PANEL);
          }
        });
  }

  /**
   * {@link #product} with V already packed by {@link #pack} (of the same {@code cols} and {@code
   * depth}): every element of C is computed by the same sequence as there, so the result is
   * bit-identical to {@link #product}'s.
   */
  static void productPacked(
      int rows,
      int cols,
      int depth,
      float[] s,
      int sOff,
      int sRowStride,
      int sDepthStride,
      float[] packed,
      float[] c,
      int cOff,
      int cRowStride,
      int cColStride) {
    if (rows == 0 || cols == 0 || depth == 0) return;
    // Pieces of rows rather than one block per thread: on a core shared with other work one
    // thread can run well behind the other, and then it takes fewer pieces.
    Parallel.forRangeBalanced(
        ceilDiv(rows, TILE_ROWS),
        Parallel.threads() * ROW_PIECES_PER_THREAD,
        (long) TILE_ROWS * cols * depth,
        (from, to) ->
            multiplyRows(
                from * TILE_ROWS,
                Math.min(rows, to * TILE_ROWS),
                cols,
                depth,
                s,
                sOff,
                sRowStride,
                sDepthStride,
                packed,
                c,
                cOff,
                cRowStride,
                cColStride));
  }

  private static float[] packBuffer(long size) {
    float[] buffer = PACKED.get();
    if (buffer.length < size) {
      buffer = new float[(int) size];
      PACKED.set(buffer);
    }
    return buffer;
  }

  /**
   * Copies {@code V[0..depth, 0..panelCols)} (starting at {@code vFirst}) into one panel at {@code
   * packed[base..]}: {@code PANEL} floats per depth step, zeros beyond {@code panelCols}.
   */
  private static void packPanel(
      float[] v,
      int vFirst,
      int vDepthStride,
      int vColStride,
      int depth,
      int panelCols,
      float[] packed,
      int base) {
    if (vColStride == 1 && panelCols == PANEL) {
      // Rows of the panel are contiguous in V: copy them a vector at a time.
      for (int p = 0; p < depth; p++) {
        int from = vFirst + p * vDepthStride, to = base + p * PANEL;
        for (int q = 0; q < PANEL; q += LANES) {
          FloatVector.fromArray(SPECIES, v, from + q).intoArray(packed, to + q);
        }
      }
      return;
    }
    if (vColStride == 1) {
      for (int p = 0; p < depth; p++) {
        int from = vFirst + p * vDepthStride, to = base + p * PANEL;
        for (int q = 0; q < panelCols; q++) packed[to + q] = v[from + q];
        for (int q = panelCols; q < PANEL; q++) packed[to + q] = 0f;
      }
      return;
    }
    if (vDepthStride == 1) {
      // Transposing: read each column of the panel (a row of the stored operand) a vector at a
      // time, one row after another so the reads stream, and scatter it down the panel.
      int vectorEnd = SPECIES.loopBound(depth);
      for (int q = 0; q < panelCols; q++) {
        int from = vFirst + q * vColStride;
        for (int p = 0; p < vectorEnd; p += LANES) {
          FloatVector.fromArray(SPECIES, v, from + p)
              .intoArray(packed, base + p * PANEL + q, DEPTH_STEPS, 0);
        }
        for (int p = vectorEnd; p < depth; p++) packed[base + p * PANEL + q] = v[from + p];
      }
      for (int q = panelCols; q < PANEL; q++) {
        for (int p = 0; p < depth; p++) packed[base + p * PANEL + q] = 0f;
      }
      return;
    }
    for (int q = 0; q < panelCols; q++) {
      int from = vFirst + q * vColStride;
      for (int p = 0; p < depth; p++) packed[base + p * PANEL + q] = v[from + p * vDepthStride];
    }
    for (int q = panelCols; q < PANEL; q++) {
      for (int p = 0; p < depth; p++) packed[base + p * PANEL + q] = 0f;
    }
  }

  /** The rows {@code [rowFrom, rowTo)} of one column chunk, all of its columns and depth. */
  private static void multiplyRows(
      int rowFrom,
      int rowTo,
      int width,
      int depth,
      float[] s,
      int sOff,
      int sRowStride,
      int sDepthStride,
      float[] packed,
      float[] c,
      int cOff,
      int cRowStride,
      int cColStride) {
    float[] spill = new float[TILE_ROWS * PANEL];
    // Rows of S that lie along the depth are read where they are. Others (S = A^T) are first
    // copied into strips, STRIP_ROWS rows at a time, so that the kernel reads them as rows too.
    boolean direct = sDepthStride == 1;
    float[] strips =
        direct ? null : stripBuffer(Math.min(STRIP_ROWS, roundUp(rowTo - rowFrom, TILE_ROWS)));
    int panels = ceilDiv(width, PANEL);
    for (int t0 = 0; t0 < panels; t0 += PANELS_PER_BLOCK) {
      int t1 = Math.min(panels, t0 + PANELS_PER_BLOCK);
      for (int p0 = 0; p0 < depth; p0 += DEPTH_BLOCK) {
        int blockDepth = Math.min(DEPTH_BLOCK, depth - p0);
        for (int r0 = rowFrom; r0 < rowTo; r0 += STRIP_ROWS) {
          int r1 = Math.min(rowTo, r0 + STRIP_ROWS);
          if (!direct) {
            packStrips(
                s,
                sOff + r0 * sRowStride + p0 * sDepthStride,
                sRowStride,
                sDepthStride,
                r1 - r0,
                blockDepth,
                strips);
          }
          for (int r = r0; r < r1; r += TILE_ROWS) {
            int tileRows = Math.min(TILE_ROWS, r1 - r);
            float[] rowsOfS = direct ? s : strips;
            int first = direct ? sOff + r * sRowStride + p0 : (r - r0) * DEPTH_BLOCK;
            int rowStride = direct ? sRowStride : 1;
            int depthStride = direct ? 1 : TILE_ROWS;
            for (int t = t0; t < t1; t++) {
              tile(
                  blockDepth,
                  rowsOfS,
                  first,
                  rowStride,
                  depthStride,
                  packed,
                  t * depth * PANEL + p0 * PANEL,
                  c,
                  cOff + r * cRowStride + t * PANEL * cColStride,
                  cRowStride,
                  cColStride,
                  tileRows,
                  Math.min(PANEL, width - t * PANEL),
                  spill);
            }
          }
        }
      }
    }
  }

  private static final ThreadLocal<float[]> STRIPS = ThreadLocal.withInitial(() -> new float[0]);

  /**
   * This thread's buffer for {@code rows} rows of strips, kept from call to call: a training step
   * makes dozens of products, each of which would otherwise allocate up to 512 KiB per piece of
   * rows. What it holds from an earlier call is never read ({@link #packStrips} writes every row
   * the kernel reads).
   */
  private static float[] stripBuffer(int rows) {
    float[] buffer = STRIPS.get();
    int length = roundUp(rows, TILE_ROWS) * DEPTH_BLOCK; // a partial last tile takes a whole one
    if (buffer.length < length) {
      buffer = new float[length];
      STRIPS.set(buffer);
    }
    return buffer;
  }

  /**
   * Rows of S copied into strips at once: about 512 rows × 256 depth steps, 512 KiB, which stays in
   * the L2 cache while every panel of the group sweeps over it. A whole number of tiles (510 with
   * tiles of 6), so that only the last strip of a product ends in a partial tile.
   */
  static final int STRIP_ROWS = 512 / TILE_ROWS * TILE_ROWS;

  /**
   * Copies {@code rows} rows of S, {@code depth} long, into strips of {@link #TILE_ROWS} rows: tile
   * {@code i} (rows {@code 8i ..< 8i+8}) from {@code i*TILE_ROWS*DEPTH_BLOCK}, laid out as {@code
   * strip[p*TILE_ROWS + row]}. For S = A^T the rows of S at one depth step are contiguous in A, so
   * depth step by depth step every row of A is read once, sequentially, and each tile's 8 floats of
   * it are one short copy. (Copying a tile at a time instead would read A a column of 8 floats at a
   * time, its rows a power of two apart, which the caches handle badly.) Rows of a last partial
   * tile beyond {@code rows} are left as they are: the kernel never reads them.
   */
  private static void packStrips(
      float[] s,
      int sFirst,
      int sRowStride,
      int sDepthStride,
      int rows,
      int depth,
      float[] strips) {
    int fullTiles = rows / TILE_ROWS;
    int tileSize = TILE_ROWS * DEPTH_BLOCK;
    if (sRowStride == 1) {
      for (int p = 0; p < depth; p++) {
        int from = sFirst + p * sDepthStride, to = p * TILE_ROWS;
        for (int tile = 0; tile < fullTiles; tile++) {
          if (STRIP_SPECIES != null) {
            FloatVector.fromArray(STRIP_SPECIES, s, from + tile * TILE_ROWS)
                .intoArray(strips, tile * tileSize + to);
          } else {
            System.arraycopy(s, from + tile * TILE_ROWS, strips, tile * tileSize + to, TILE_ROWS);
          }
        }
        for (int row = fullTiles * TILE_ROWS; row < rows; row++) {
          strips[fullTiles * tileSize + to + row % TILE_ROWS] = s[from + row];
        }
      }
      return;
    }
    for (int row = 0; row < rows; row++) {
      int from = sFirst + row * sRowStride;
      int base = row / TILE_ROWS * tileSize + row % TILE_ROWS;
      for (int p = 0; p < depth; p++) strips[base + p * TILE_ROWS] = s[from + p * sDepthStride];
    }
  }

  /**
   * Vectors of {@link #TILE_ROWS} floats, for copying the rows of S at one depth; null where no
   * vector has that many lanes (6), and the rows are copied by {@code System.arraycopy}.
   */
  private static final VectorSpecies<Float> STRIP_SPECIES =
      Integer.bitCount(TILE_ROWS) == 1
          ? VectorSpecies.of(
              float.class, jdk.incubator.vector.VectorShape.forBitSize(32 * TILE_ROWS))
          : null;

  /**
   * Eight rows of S times one panel, added to the {@code tileRows × panelCols} corner of an 8 ×
   * PANEL tile of C. {@code S[i, p]} is {@code s[s0 + i*sRowStride + p*sDepthStride]}; rows past
   * {@code tileRows} are read as copies of row 0 (any readable row would do) and their sums
   * dropped.
   */
  private static void tile(
      int depth,
      float[] s,
      int s0,
      int sRowStride,
      int sDepthStride,
      float[] packed,
      int panelStart,
      float[] c,
      int c0,
      int cRowStride,
      int cColStride,
      int tileRows,
      int panelCols,
      float[] spill) {
    if (TILE_VECTORS == 4) { // constants: the compiled kernel keeps one of the three
      tileSixWide(
          depth,
          s,
          s0,
          sRowStride,
          sDepthStride,
          packed,
          panelStart,
          c,
          c0,
          cRowStride,
          cColStride,
          tileRows,
          panelCols,
          spill);
      return;
    }
    if (TILE_ROWS == 6) {
      tileSix(
          depth,
          s,
          s0,
          sRowStride,
          sDepthStride,
          packed,
          panelStart,
          c,
          c0,
          cRowStride,
          cColStride,
          tileRows,
          panelCols,
          spill);
      return;
    }
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
    FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
    FloatVector c60 = zero, c61 = zero, c70 = zero, c71 = zero;
    int r0 = s0, r1 = s0 + (tileRows > 1 ? sRowStride : 0);
    int r2 = s0 + (tileRows > 2 ? 2 * sRowStride : 0),
        r3 = s0 + (tileRows > 3 ? 3 * sRowStride : 0);
    int r4 = s0 + (tileRows > 4 ? 4 * sRowStride : 0),
        r5 = s0 + (tileRows > 5 ? 5 * sRowStride : 0);
    int r6 = s0 + (tileRows > 6 ? 6 * sRowStride : 0),
        r7 = s0 + (tileRows > 7 ? 7 * sRowStride : 0);
    for (int p = 0; p < depth; p++) {
      int at = panelStart + p * PANEL;
      FloatVector b0 = FloatVector.fromArray(SPECIES, packed, at);
      FloatVector b1 = FloatVector.fromArray(SPECIES, packed, at + LANES);
      FloatVector a = FloatVector.broadcast(SPECIES, s[r0 + p * sDepthStride]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(SPECIES, s[r1 + p * sDepthStride]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(SPECIES, s[r2 + p * sDepthStride]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(SPECIES, s[r3 + p * sDepthStride]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      a = FloatVector.broadcast(SPECIES, s[r4 + p * sDepthStride]);
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      a = FloatVector.broadcast(SPECIES, s[r5 + p * sDepthStride]);
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
      a = FloatVector.broadcast(SPECIES, s[r6 + p * sDepthStride]);
      c60 = a.fma(b0, c60);
      c61 = a.fma(b1, c61);
      a = FloatVector.broadcast(SPECIES, s[r7 + p * sDepthStride]);
      c70 = a.fma(b0, c70);
      c71 = a.fma(b1, c71);
    }
    if (cColStride == 1 && panelCols == PANEL && tileRows == TILE_ROWS) {
      // The common case, kept inline: handing vectors to a method that is not inlined would
      // box them.
      int c1 = c0 + cRowStride, c2 = c1 + cRowStride, c3 = c2 + cRowStride;
      int c4 = c3 + cRowStride, c5 = c4 + cRowStride, c6 = c5 + cRowStride, c7 = c6 + cRowStride;
      c00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
      c01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
      c10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
      c11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
      c20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
      c21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
      c30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
      c31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
      c40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
      c41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
      c50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
      c51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
      c60.add(FloatVector.fromArray(SPECIES, c, c6)).intoArray(c, c6);
      c61.add(FloatVector.fromArray(SPECIES, c, c6 + LANES)).intoArray(c, c6 + LANES);
      c70.add(FloatVector.fromArray(SPECIES, c, c7)).intoArray(c, c7);
      c71.add(FloatVector.fromArray(SPECIES, c, c7 + LANES)).intoArray(c, c7 + LANES);
      return;
    }
    c00.intoArray(spill, 0);
    c01.intoArray(spill, LANES);
    c10.intoArray(spill, PANEL);
    c11.intoArray(spill, PANEL + LANES);
    c20.intoArray(spill, 2 * PANEL);
    c21.intoArray(spill, 2 * PANEL + LANES);
    c30.intoArray(spill, 3 * PANEL);
    c31.intoArray(spill, 3 * PANEL + LANES);
    c40.intoArray(spill, 4 * PANEL);
    c41.intoArray(spill, 4 * PANEL + LANES);
    c50.intoArray(spill, 5 * PANEL);
    c51.intoArray(spill, 5 * PANEL + LANES);
    c60.intoArray(spill, 6 * PANEL);
    c61.intoArray(spill, 6 * PANEL + LANES);
    c70.intoArray(spill, 7 * PANEL);
    c71.intoArray(spill, 7 * PANEL + LANES);
    addSpilled(spill, tileRows, c, c0, cRowStride, cColStride, panelCols);
  }

  /**
   * {@link #tile} for a tile of six rows ({@link #TILE_ROWS} on a machine with 16 vector
   * registers): the same sums in the same order, twelve accumulators.
   */
  private static void tileSix(
      int depth,
      float[] s,
      int s0,
      int sRowStride,
      int sDepthStride,
      float[] packed,
      int panelStart,
      float[] c,
      int c0,
      int cRowStride,
      int cColStride,
      int tileRows,
      int panelCols,
      float[] spill) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
    FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
    int r0 = s0, r1 = s0 + (tileRows > 1 ? sRowStride : 0);
    int r2 = s0 + (tileRows > 2 ? 2 * sRowStride : 0),
        r3 = s0 + (tileRows > 3 ? 3 * sRowStride : 0);
    int r4 = s0 + (tileRows > 4 ? 4 * sRowStride : 0),
        r5 = s0 + (tileRows > 5 ? 5 * sRowStride : 0);
    for (int p = 0; p < depth; p++) {
      int at = panelStart + p * PANEL;
      FloatVector b0 = FloatVector.fromArray(SPECIES, packed, at);
      FloatVector b1 = FloatVector.fromArray(SPECIES, packed, at + LANES);
      FloatVector a = FloatVector.broadcast(SPECIES, s[r0 + p * sDepthStride]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(SPECIES, s[r1 + p * sDepthStride]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(SPECIES, s[r2 + p * sDepthStride]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(SPECIES, s[r3 + p * sDepthStride]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      a = FloatVector.broadcast(SPECIES, s[r4 + p * sDepthStride]);
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      a = FloatVector.broadcast(SPECIES, s[r5 + p * sDepthStride]);
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
    }
    if (cColStride == 1 && panelCols == PANEL && tileRows == 6) {
      int c1 = c0 + cRowStride, c2 = c1 + cRowStride, c3 = c2 + cRowStride;
      int c4 = c3 + cRowStride, c5 = c4 + cRowStride;
      c00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
      c01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
      c10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
      c11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
      c20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
      c21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
      c30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
      c31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
      c40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
      c41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
      c50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
      c51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
      return;
    }
    c00.intoArray(spill, 0);
    c01.intoArray(spill, LANES);
    c10.intoArray(spill, PANEL);
    c11.intoArray(spill, PANEL + LANES);
    c20.intoArray(spill, 2 * PANEL);
    c21.intoArray(spill, 2 * PANEL + LANES);
    c30.intoArray(spill, 3 * PANEL);
    c31.intoArray(spill, 3 * PANEL + LANES);
    c40.intoArray(spill, 4 * PANEL);
    c41.intoArray(spill, 4 * PANEL + LANES);
    c50.intoArray(spill, 5 * PANEL);
    c51.intoArray(spill, 5 * PANEL + LANES);
    addSpilled(spill, tileRows, c, c0, cRowStride, cColStride, panelCols);
  }

  /**
   * {@link #tile} for the 6 × 4 tile ({@link #TILE_VECTORS} = 4, a machine with 32 vector
   * registers): the same sums in the same order, 24 accumulators.
   */
  private static void tileSixWide(
      int depth,
      float[] s,
      int s0,
      int sRowStride,
      int sDepthStride,
      float[] packed,
      int panelStart,
      float[] c,
      int c0,
      int cRowStride,
      int cColStride,
      int tileRows,
      int panelCols,
      float[] spill) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero;
    FloatVector c10 = zero, c11 = zero, c12 = zero, c13 = zero;
    FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero;
    FloatVector c30 = zero, c31 = zero, c32 = zero, c33 = zero;
    FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero;
    FloatVector c50 = zero, c51 = zero, c52 = zero, c53 = zero;
    int r0 = s0, r1 = s0 + (tileRows > 1 ? sRowStride : 0);
    int r2 = s0 + (tileRows > 2 ? 2 * sRowStride : 0),
        r3 = s0 + (tileRows > 3 ? 3 * sRowStride : 0);
    int r4 = s0 + (tileRows > 4 ? 4 * sRowStride : 0),
        r5 = s0 + (tileRows > 5 ? 5 * sRowStride : 0);
    for (int p = 0; p < depth; p++) {
      int at = panelStart + p * PANEL;
      FloatVector b0 = FloatVector.fromArray(SPECIES, packed, at);
      FloatVector b1 = FloatVector.fromArray(SPECIES, packed, at + LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, packed, at + 2 * LANES);
      FloatVector b3 = FloatVector.fromArray(SPECIES, packed, at + 3 * LANES);
      FloatVector a = FloatVector.broadcast(SPECIES, s[r0 + p * sDepthStride]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      c02 = a.fma(b2, c02);
      c03 = a.fma(b3, c03);
      a = FloatVector.broadcast(SPECIES, s[r1 + p * sDepthStride]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      c12 = a.fma(b2, c12);
      c13 = a.fma(b3, c13);
      a = FloatVector.broadcast(SPECIES, s[r2 + p * sDepthStride]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      c22 = a.fma(b2, c22);
      c23 = a.fma(b3, c23);
      a = FloatVector.broadcast(SPECIES, s[r3 + p * sDepthStride]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      c32 = a.fma(b2, c32);
      c33 = a.fma(b3, c33);
      a = FloatVector.broadcast(SPECIES, s[r4 + p * sDepthStride]);
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      c42 = a.fma(b2, c42);
      c43 = a.fma(b3, c43);
      a = FloatVector.broadcast(SPECIES, s[r5 + p * sDepthStride]);
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
      c52 = a.fma(b2, c52);
      c53 = a.fma(b3, c53);
    }
    if (cColStride == 1 && panelCols == PANEL && tileRows == 6) {
      int c1 = c0 + cRowStride, c2 = c1 + cRowStride, c3 = c2 + cRowStride;
      int c4 = c3 + cRowStride, c5 = c4 + cRowStride;
      c00.add(FloatVector.fromArray(SPECIES, c, c0)).intoArray(c, c0);
      c01.add(FloatVector.fromArray(SPECIES, c, c0 + LANES)).intoArray(c, c0 + LANES);
      c02.add(FloatVector.fromArray(SPECIES, c, c0 + 2 * LANES)).intoArray(c, c0 + 2 * LANES);
      c03.add(FloatVector.fromArray(SPECIES, c, c0 + 3 * LANES)).intoArray(c, c0 + 3 * LANES);
      c10.add(FloatVector.fromArray(SPECIES, c, c1)).intoArray(c, c1);
      c11.add(FloatVector.fromArray(SPECIES, c, c1 + LANES)).intoArray(c, c1 + LANES);
      c12.add(FloatVector.fromArray(SPECIES, c, c1 + 2 * LANES)).intoArray(c, c1 + 2 * LANES);
      c13.add(FloatVector.fromArray(SPECIES, c, c1 + 3 * LANES)).intoArray(c, c1 + 3 * LANES);
      c20.add(FloatVector.fromArray(SPECIES, c, c2)).intoArray(c, c2);
      c21.add(FloatVector.fromArray(SPECIES, c, c2 + LANES)).intoArray(c, c2 + LANES);
      c22.add(FloatVector.fromArray(SPECIES, c, c2 + 2 * LANES)).intoArray(c, c2 + 2 * LANES);
      c23.add(FloatVector.fromArray(SPECIES, c, c2 + 3 * LANES)).intoArray(c, c2 + 3 * LANES);
      c30.add(FloatVector.fromArray(SPECIES, c, c3)).intoArray(c, c3);
      c31.add(FloatVector.fromArray(SPECIES, c, c3 + LANES)).intoArray(c, c3 + LANES);
      c32.add(FloatVector.fromArray(SPECIES, c, c3 + 2 * LANES)).intoArray(c, c3 + 2 * LANES);
      c33.add(FloatVector.fromArray(SPECIES, c, c3 + 3 * LANES)).intoArray(c, c3 + 3 * LANES);
      c40.add(FloatVector.fromArray(SPECIES, c, c4)).intoArray(c, c4);
      c41.add(FloatVector.fromArray(SPECIES, c, c4 + LANES)).intoArray(c, c4 + LANES);
      c42.add(FloatVector.fromArray(SPECIES, c, c4 + 2 * LANES)).intoArray(c, c4 + 2 * LANES);
      c43.add(FloatVector.fromArray(SPECIES, c, c4 + 3 * LANES)).intoArray(c, c4 + 3 * LANES);
      c50.add(FloatVector.fromArray(SPECIES, c, c5)).intoArray(c, c5);
      c51.add(FloatVector.fromArray(SPECIES, c, c5 + LANES)).intoArray(c, c5 + LANES);
      c52.add(FloatVector.fromArray(SPECIES, c, c5 + 2 * LANES)).intoArray(c, c5 + 2 * LANES);
      c53.add(FloatVector.fromArray(SPECIES, c, c5 + 3 * LANES)).intoArray(c, c5 + 3 * LANES);
      return;
    }
    c00.intoArray(spill, 0);
    c01.intoArray(spill, LANES);
    c02.intoArray(spill, 2 * LANES);
    c03.intoArray(spill, 3 * LANES);
    c10.intoArray(spill, 4 * LANES);
    c11.intoArray(spill, 5 * LANES);
    c12.intoArray(spill, 6 * LANES);
    c13.intoArray(spill, 7 * LANES);
    c20.intoArray(spill, 8 * LANES);
    c21.intoArray(spill, 9 * LANES);
    c22.intoArray(spill, 10 * LANES);
    c23.intoArray(spill, 11 * LANES);
    c30.intoArray(spill, 12 * LANES);
    c31.intoArray(spill, 13 * LANES);
    c32.intoArray(spill, 14 * LANES);
    c33.intoArray(spill, 15 * LANES);
    c40.intoArray(spill, 16 * LANES);
    c41.intoArray(spill, 17 * LANES);
    c42.intoArray(spill, 18 * LANES);
    c43.intoArray(spill, 19 * LANES);
    c50.intoArray(spill, 20 * LANES);
    c51.intoArray(spill, 21 * LANES);
    c52.intoArray(spill, 22 * LANES);
    c53.intoArray(spill, 23 * LANES);
    addSpilled(spill, tileRows, c, c0, cRowStride, cColStride, panelCols);
  }

  /**
   * Adds a spilled tile ({@code rows} rows of {@code PANEL} floats) into C element by element, for
   * a partial last panel or a transposed C; each addition rounds exactly as the vector one would.
   */
  private static void addSpilled(
      float[] spill, int rows, float[] c, int c0, int cRowStride, int cColStride, int panelCols) {
    for (int row = 0; row < rows; row++) {
      int from = row * PANEL, to = c0 + row * cRowStride;
      for (int q = 0; q < panelCols; q++) c[to + q * cColStride] += spill[from + q];
    }
  }

  /**
   * {@code C[m,n] += A[m,k] · B[n,k]^T} as dot products of rows, for an A of a few rows, where
   * packing B^T would cost as much as the product. Blocks of 4 rows of A × 4 rows of B keep 16
   * vector sums in registers, so each vector loaded from A or B feeds four FMAs. Each element of C
   * is one fixed sequence whatever the split over threads: a vector sum over whole vectors of
   * {@code p}, its lanes added in lane order, then the remaining {@code p} added with scalar FMAs,
   * then one addition into C. The lanes are added by plain code rather than {@code reduceLanes},
   * whose order is left open and does differ between compiled and interpreted code, which would
   * make the result depend on which thread had warmed up.
   */
  static void dotProducts(
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc) {
    if (m == 0 || n == 0) return;
    Parallel.forRange(
        ceilDiv(n, 4),
        4L * m * k,
        (from, to) -> {
          float[] lanes = new float[16 * LANES];
          for (int i = 0; i < m; i += 4) {
            for (int jBlock = from; jBlock < to; jBlock++) {
              int j = 4 * jBlock;
              dot4x4(
                  Math.min(4, m - i),
                  Math.min(4, n - j),
                  k,
                  a,
                  aOff + i * lda,
                  lda,
                  b,
                  bOff + j * ldb,
                  ldb,
                  c,
                  cOff + i * ldc + j,
                  ldc,
                  lanes);
            }
          }
        });
  }

  /**
   * Dot products of {@code rowsA ≤ 4} rows of A with {@code rowsB ≤ 4} rows of B, added into C.
   * Missing rows are read as copies of the first one and their sums are dropped, so one kernel
   * serves every edge.
   */
  private static void dot4x4(
      int rowsA,
      int rowsB,
      int k,
      float[] a,
      int a0,
      int lda,
      float[] b,
      int b0,
      int ldb,
      float[] c,
      int c0,
      int ldc,
      float[] lanes) {
    int a1 = a0 + Math.min(1, rowsA - 1) * lda, a2 = a0 + Math.min(2, rowsA - 1) * lda;
    int a3 = a0 + Math.min(3, rowsA - 1) * lda;
    int b1 = b0 + Math.min(1, rowsB - 1) * ldb, b2 = b0 + Math.min(2, rowsB - 1) * ldb;
    int b3 = b0 + Math.min(3, rowsB - 1) * ldb;
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector d00 = zero,
        d01 = zero,
        d02 = zero,
        d03 = zero,
        d10 = zero,
        d11 = zero,
        d12 = zero,
        d13 = zero;
    FloatVector d20 = zero,
        d21 = zero,
        d22 = zero,
        d23 = zero,
        d30 = zero,
        d31 = zero,
        d32 = zero,
        d33 = zero;
    int vectorEnd = SPECIES.loopBound(k);
    for (int p = 0; p < vectorEnd; p += LANES) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, a, a0 + p);
      FloatVector x1 = FloatVector.fromArray(SPECIES, a, a1 + p);
      FloatVector x2 = FloatVector.fromArray(SPECIES, a, a2 + p);
      FloatVector x3 = FloatVector.fromArray(SPECIES, a, a3 + p);
      FloatVector y0 = FloatVector.fromArray(SPECIES, b, b0 + p);
      FloatVector y1 = FloatVector.fromArray(SPECIES, b, b1 + p);
      FloatVector y2 = FloatVector.fromArray(SPECIES, b, b2 + p);
      FloatVector y3 = FloatVector.fromArray(SPECIES, b, b3 + p);
      d00 = x0.fma(y0, d00);
      d01 = x0.fma(y1, d01);
      d02 = x0.fma(y2, d02);
      d03 = x0.fma(y3, d03);
      d10 = x1.fma(y0, d10);
      d11 = x1.fma(y1, d11);
      d12 = x1.fma(y2, d12);
      d13 = x1.fma(y3, d13);
      d20 = x2.fma(y0, d20);
      d21 = x2.fma(y1, d21);
      d22 = x2.fma(y2, d22);
      d23 = x2.fma(y3, d23);
      d30 = x3.fma(y0, d30);
      d31 = x3.fma(y1, d31);
      d32 = x3.fma(y2, d32);
      d33 = x3.fma(y3, d33);
    }
    d00.intoArray(lanes, 0 * LANES);
    d01.intoArray(lanes, 1 * LANES);
    d02.intoArray(lanes, 2 * LANES);
    d03.intoArray(lanes, 3 * LANES);
    d10.intoArray(lanes, 4 * LANES);
    d11.intoArray(lanes, 5 * LANES);
    d12.intoArray(lanes, 6 * LANES);
    d13.intoArray(lanes, 7 * LANES);
    d20.intoArray(lanes, 8 * LANES);
    d21.intoArray(lanes, 9 * LANES);
    d22.intoArray(lanes, 10 * LANES);
    d23.intoArray(lanes, 11 * LANES);
    d30.intoArray(lanes, 12 * LANES);
    d31.intoArray(lanes, 13 * LANES);
    d32.intoArray(lanes, 14 * LANES);
    d33.intoArray(lanes, 15 * LANES);
    for (int r = 0; r < rowsA; r++) {
      int aRow = a0 + r * lda;
      for (int q = 0; q < rowsB; q++) {
        int bRow = b0 + q * ldb;
        float sum = 0f;
        for (int l = 0, at = (4 * r + q) * LANES; l < LANES; l++) sum += lanes[at + l];
        for (int p = vectorEnd; p < k; p++) sum = Math.fma(a[aRow + p], b[bRow + p], sum);
        c[c0 + r * ldc + q] += sum;
      }
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static int roundUp(int a, int b) {
    return ceilDiv(a, b) * b;
  }
}
