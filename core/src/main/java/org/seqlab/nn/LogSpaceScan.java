package org.seqlab.nn;

import org.seqlab.tensor.Parallel;

/**
 * The linear recurrence {@code h_t = a_t ⊙ h_{t-1} + b_t} of {@link MinRecurrent} over all {@code
 * T} steps at once, and its reverse {@code g_t = dy_t + a_{t+1} ⊙ g_{t+1}}, each as a two-level
 * scan that is parallel over time as well as over the {@code C = B*H} channels.
 *
 * <p>Time is cut into chunks of {@link #CHUNK} steps, fixed whatever the number of threads, so the
 * result is the same bits on one thread or many. Forward:
 *
 * <ol>
 *   <li>every chunk, independently, scans its own steps from a zero state in log space (Heinsen
 *       2023): with {@code a*_t = Σ_{t0≤s≤t} log a_s},
 *       <pre>
 *   A_t = exp(a*_t)                                          (the chunk's product of a)
 *   B_t = exp(a*_t + logcumsumexp_{t0≤s≤t}(log b_s - a*_s))  (the chunk's h_t from h_{t0-1} = 0)
 * </pre>
 *   <li>one pass over the chunks, parallel over channels, carries the state from chunk to chunk:
 *       {@code h_{t1} = A_{t1} h_{t0-1} + B_{t1}} at every chunk's last step {@code t1};
 *   <li>every chunk applies its carry: {@code h_t = A_t h_{t0-1} + B_t}.
 * </ol>
 *
 * <p>The incoming state enters linearly, outside the logarithms: the paper folds {@code h0} into
 * the log-sum-exp as the term {@code s = -1}, which needs {@code h0 > 0} (and {@code log 0 = -∞}
 * for zeros); here {@code h0} may be any real, zero and negative included, and a chunk's carry is a
 * plain multiply-add. Only {@code b > 0} has to hold, which {@code g > 0} guarantees. The sums
 * inside a chunk run in double, so {@code a*_t} of a long chunk loses nothing to cancellation.
 */
final class LogSpaceScan {
  private LogSpaceScan() {}

  /** Steps per chunk of time. */
  static final int CHUNK = 32;

  /** Channels per unit of parallel work. */
  static final int CHANNELS = 64;

  /** Rough cost of one element of a chunk's scan, in multiply-adds (a few exp and log). */
  private static final long SCAN_WORK = 40;

  /**
   * Fills {@code hidden [T+1, B, H]} from block 0 ({@code h0}, given) and the pre-activations
   * {@code projection [T, B, G*H]}: block {@code t+1} is {@code h_t}. {@code decay [T, B, H]} is
   * scratch (the chunk products {@code A_t}).
   */
  static void forward(
      MinRecurrentKind kind,
      float[] projection,
      int steps,
      int batch,
      int h,
      float[] hidden,
      float[] decay) {
    int channels = batch * h;
    int chunks = chunks(steps), blocks = channelBlocks(channels);
    int gateRows = kind.gateCount() * h;
    // 1. each chunk from a zero state, in log space
    Parallel.forRange(
        chunks * blocks,
        SCAN_WORK * CHUNK * CHANNELS,
        (from, to) -> {
          double[] logs = new double[2];
          double[] aStar = new double[CHANNELS], max = new double[CHANNELS];
          double[] sum = new double[CHANNELS];
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, t1 = Math.min(steps, t0 + CHUNK);
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            java.util.Arrays.fill(aStar, 0);
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
            java.util.Arrays.fill(sum, 0);
            for (int t = t0; t < t1; t++) {
              for (int c = c0; c < c1; c++) {
                int b = c / h, j = c - b * h, w = c - c0;
                kind.logCoefficients(projection, (t * batch + b) * gateRows, j, h, logs);
                aStar[w] += logs[0];
                // logcumsumexp of v_s = log b_s - a*_s as a running maximum and a sum scaled by it
                double v = logs[1] - aStar[w];
                if (v > max[w]) {
                  sum[w] = sum[w] * Math.exp(max[w] - v) + 1;
                  max[w] = v;
                } else {
                  sum[w] += Math.exp(v - max[w]);
                }
                decay[t * channels + c] = (float) Math.exp(aStar[w]);
                hidden[(t + 1) * channels + c] =
                    (float) Math.exp(aStar[w] + max[w] + Math.log(sum[w]));
              }
            }
          }
        });
    // 2. the carries, chunk after chunk: h_{t1} = A_{t1} h_{t0-1} + B_{t1}
    Parallel.forRange(
        blocks,
        (long) chunks * CHANNELS,
        (from, to) -> {
          int c0 = from * CHANNELS, c1 = Math.min(channels, to * CHANNELS);
          for (int t0 = 0; t0 < steps; t0 += CHUNK) {
            int last = Math.min(steps, t0 + CHUNK) - 1;
            applyCarry(decay, hidden, last, t0, channels, c0, c1);
          }
        });
    // 3. every other step of a chunk: h_t = A_t h_{t0-1} + B_t
    Parallel.forRange(
        chunks * blocks,
        (long) CHUNK * CHANNELS,
        (from, to) -> {
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, last = Math.min(steps, t0 + CHUNK) - 1;
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            for (int t = t0; t < last; t++) applyCarry(decay, hidden, t, t0, channels, c0, c1);
          }
        });
  }

  /** {@code h_t = A_t h_{t0-1} + B_t} for channels {@code [c0, c1)}; block {@code s+1} is h_s. */
  private static void applyCarry(
      float[] decay, float[] hidden, int t, int t0, int channels, int c0, int c1) {
    int at = t * channels, ht = (t + 1) * channels, start = t0 * channels;
    for (int c = c0; c < c1; c++) {
      hidden[ht + c] = Math.fma(decay[at + c], hidden[start + c], hidden[ht + c]);
    }
  }

  /**
   * The reverse recurrence of the gradient: from {@code dStates [T, B, H]}, what reaches each
   * {@code h_t} from the layer's output, and {@code dhN [B, H]} (from {@code dhNOffset}, or null
   * for zeros), fills {@code gradients [T, B, H]} with the total {@code dL/dh_t}:
   *
   * <pre>
   *   g_{T-1} = dy_{T-1} + dhN,   g_t = dy_t + a_{t+1} ⊙ g_{t+1}
   * </pre>
   *
   * It is linear too, so the same chunks are scanned backwards from a zero carry (the local {@code
   * G_t} and the product {@code M_t = Π_{t<s≤t1} a_s} up to the next chunk's first step {@code
   * t1}), then the carries go from the last chunk to the first, then {@code g_t = G_t + M_t
   * g_{t1}}. In linear space: gradients have either sign. {@code products [T, B, H]} is scratch.
   */
  static void reverse(
      MinRecurrentKind kind,
      float[] projection,
      int steps,
      int batch,
      int h,
      float[] dStates,
      float[] dhN,
      int dhNOffset,
      float[] gradients,
      float[] products) {
    int channels = batch * h;
    int chunks = chunks(steps), blocks = channelBlocks(channels);
    int gateRows = kind.gateCount() * h;
    // 1. each chunk backwards from a zero carry
    Parallel.forRange(
        chunks * blocks,
        (SCAN_WORK / 4) * CHUNK * CHANNELS,
        (from, to) -> {
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, t1 = Math.min(steps, t0 + CHUNK);
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            for (int t = t1 - 1; t >= t0; t--) {
              int at = t * channels;
              for (int c = c0; c < c1; c++) {
                if (t == steps - 1) {
                  gradients[at + c] = dStates[at + c] + (dhN == null ? 0f : dhN[dhNOffset + c]);
                  products[at + c] = 0f;
                } else {
                  int b = c / h, j = c - b * h;
                  float next =
                      (float) kind.decay(projection, ((t + 1) * batch + b) * gateRows, j, h);
                  boolean chunkEnd = t == t1 - 1;
                  float carried = chunkEnd ? 0f : gradients[at + channels + c];
                  gradients[at + c] = Math.fma(next, carried, dStates[at + c]);
                  products[at + c] = chunkEnd ? next : next * products[at + channels + c];
                }
              }
            }
          }
        });
    // 2. the carries, last chunk first: g_{t0} = G_{t0} + M_{t0} g_{t1}
    Parallel.forRange(
        blocks,
        (long) chunks * CHANNELS,
        (from, to) -> {
          int c0 = from * CHANNELS, c1 = Math.min(channels, to * CHANNELS);
          for (int t0 = (chunks - 2) * CHUNK; t0 >= 0; t0 -= CHUNK) {
            addCarry(products, gradients, t0, t0 + CHUNK, channels, c0, c1);
          }
        });
    // 3. every other step of a chunk: g_t = G_t + M_t g_{t1}
    Parallel.forRange(
        chunks * blocks,
        (long) CHUNK * CHANNELS,
        (from, to) -> {
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, t1 = t0 + CHUNK;
            if (t1 >= steps) continue; // the last chunk has no carry
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            for (int t = t0 + 1; t < t1; t++)
              addCarry(products, gradients, t, t1, channels, c0, c1);
          }
        });
  }

  /** {@code g_t = G_t + M_t g_{t1}} for channels {@code [c0, c1)}. */
  private static void addCarry(
      float[] products, float[] gradients, int t, int t1, int channels, int c0, int c1) {
    int at = t * channels, next = t1 * channels;
    for (int c = c0; c < c1; c++) {
      gradients[at + c] = Math.fma(products[at + c], gradients[next + c], gradients[at + c]);
    }
  }

  private static int chunks(int steps) {
    return (steps + CHUNK - 1) / CHUNK;
  }

  private static int channelBlocks(int channels) {
    return (channels + CHANNELS - 1) / CHANNELS;
  }
}
