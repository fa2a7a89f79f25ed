package org.seqlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
 *   <li>the coefficients {@code a_t, b_t} of every step, from the pre-activations ({@link
 *       MinRecurrentKind#coefficients}), parallel over the {@code T*B} rows;
 *   <li>every chunk {@code [t0, t1]}, independently, runs the recurrence from a zero state:
 *       <pre>
 *   A_t = a_t A_{t-1},        A_{t0} = a_{t0}     (the chunk's product of a)
 *   B_t = a_t B_{t-1} + b_t,  B_{t0} = b_{t0}     (the chunk's h_t from h_{t0-1} = 0)
 * </pre>
 *   <li>one pass over the chunks, parallel over channels, carries the state from chunk to chunk:
 *       {@code h_{t1} = A_{t1} h_{t0-1} + B_{t1}} at every chunk's last step {@code t1};
 *   <li>every chunk applies its carry: {@code h_t = A_t h_{t0-1} + B_t}.
 * </ol>
 *
 * <p>Why in linear space, where the public implementations (Heinsen 2023; Feng et al. 2024) scan in
 * log space: their log-space form exists to turn a cumulative product and sum into the cumulative
 * sums a tensor library offers. Here a chunk is a plain loop, and with {@code a ∈ (0, 1)} and
 * {@code b > 0} every product and sum in it is of positive numbers, so nothing cancels: each step
 * adds a rounding or two, and {@code a < 1} shrinks what earlier steps left. The incoming state
 * enters as a multiply-add, so {@code h0} may be any real. Every channel's loop runs in float
 * vectors, as wide as the machine's ({@link FloatVector#SPECIES_PREFERRED}).
 */
final class ChunkedScan {
  private ChunkedScan() {}

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  /** Steps per chunk of time. */
  static final int CHUNK = 32;

  /** Channels per unit of parallel work. */
  static final int CHANNELS = 64;

  /** Rough cost of a row's coefficients, per unit, in multiply-adds (an exponential or two). */
  private static final long COEFFICIENT_WORK = 30;

  /**
   * Fills {@code coefficients [T, B, H]} with every {@code a_t} and {@code inputs [T, B, H]} with
   * every {@code b_t}, from the pre-activations {@code projection [T, B, G*H]}; only the {@code
   * a_t} where {@code inputs} is null.
   */
  static void coefficients(
      MinRecurrentKind kind,
      float[] projection,
      int steps,
      int batch,
      int h,
      float[] coefficients,
      float[] inputs) {
    Parallel.forRange(
        steps * batch,
        COEFFICIENT_WORK * kind.gateCount() * h,
        (from, to) -> kind.coefficients(projection, from, to, h, coefficients, inputs));
  }

  /**
   * Fills {@code hidden [T+1, B, H]} from block 0 ({@code h0}, given) and the coefficients {@code
   * a_t} and {@code inputs} {@code b_t} ({@link #coefficients}): block {@code t+1} is {@code h_t}.
   * {@code products [T, B, H]} is scratch (the chunk products {@code A_t}).
   */
  static void forward(
      float[] coefficients,
      float[] inputs,
      int steps,
      int batch,
      int h,
      float[] hidden,
      float[] products) {
    int channels = batch * h;
    int chunks = chunks(steps), blocks = channelBlocks(channels);
    // 1. each chunk from a zero state: B_t into hidden, A_t into products
    Parallel.forRange(
        chunks * blocks,
        2L * CHUNK * CHANNELS,
        (from, to) -> {
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, t1 = Math.min(steps, t0 + CHUNK);
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            int first = t0 * channels;
            System.arraycopy(inputs, first + c0, hidden, first + channels + c0, c1 - c0);
            System.arraycopy(coefficients, first + c0, products, first + c0, c1 - c0);
            for (int t = t0 + 1; t < t1; t++) {
              int at = t * channels;
              // B_t = a_t B_{t-1} + b_t, A_t = a_t A_{t-1}; block t+1 of hidden is B_t
              int c = c0;
              for (int end = c0 + SPECIES.loopBound(c1 - c0); c < end; c += SPECIES.length()) {
                FloatVector a = FloatVector.fromArray(SPECIES, coefficients, at + c);
                a.fma(
                        FloatVector.fromArray(SPECIES, hidden, at + c),
                        FloatVector.fromArray(SPECIES, inputs, at + c))
                    .intoArray(hidden, at + channels + c);
                a.mul(FloatVector.fromArray(SPECIES, products, at - channels + c))
                    .intoArray(products, at + c);
              }
              for (; c < c1; c++) {
                float a = coefficients[at + c];
                hidden[at + channels + c] = Math.fma(a, hidden[at + c], inputs[at + c]);
                products[at + c] = a * products[at - channels + c];
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
            applyCarry(products, hidden, last, t0, channels, c0, c1);
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
            for (int t = t0; t < last; t++) applyCarry(products, hidden, t, t0, channels, c0, c1);
          }
        });
  }

  /** {@code h_t = A_t h_{t0-1} + B_t} for channels {@code [c0, c1)}; block {@code s+1} is h_s. */
  private static void applyCarry(
      float[] products, float[] hidden, int t, int t0, int channels, int c0, int c1) {
    int at = t * channels, ht = (t + 1) * channels, start = t0 * channels;
    for (int c = c0; c < c1; c++) {
      hidden[ht + c] = Math.fma(products[at + c], hidden[start + c], hidden[ht + c]);
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
   * g_{t1}}. Gradients have either sign. {@code coefficients [T, B, H]} holds every {@code a_t};
   * {@code products [T, B, H]} is scratch.
   */
  static void reverse(
      float[] coefficients,
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
    // 1. each chunk backwards from a zero carry
    Parallel.forRange(
        chunks * blocks,
        2L * CHUNK * CHANNELS,
        (from, to) -> {
          for (int item = from; item < to; item++) {
            int t0 = item / blocks * CHUNK, t1 = Math.min(steps, t0 + CHUNK);
            int c0 = item % blocks * CHANNELS, c1 = Math.min(channels, c0 + CHANNELS);
            for (int t = t1 - 1; t >= t0; t--) {
              int at = t * channels;
              if (t == steps - 1) {
                for (int c = c0; c < c1; c++) {
                  gradients[at + c] = dStates[at + c] + (dhN == null ? 0f : dhN[dhNOffset + c]);
                  products[at + c] = 0f;
                }
              } else if (t == t1 - 1) {
                // the chunk's last step: G_t = dy_t, M_t = a_{t+1}
                System.arraycopy(dStates, at + c0, gradients, at + c0, c1 - c0);
                System.arraycopy(coefficients, at + channels + c0, products, at + c0, c1 - c0);
              } else {
                int c = c0;
                for (int end = c0 + SPECIES.loopBound(c1 - c0); c < end; c += SPECIES.length()) {
                  FloatVector next =
                      FloatVector.fromArray(SPECIES, coefficients, at + channels + c);
                  next.fma(
                          FloatVector.fromArray(SPECIES, gradients, at + channels + c),
                          FloatVector.fromArray(SPECIES, dStates, at + c))
                      .intoArray(gradients, at + c);
                  next.mul(FloatVector.fromArray(SPECIES, products, at + channels + c))
                      .intoArray(products, at + c);
                }
                for (; c < c1; c++) {
                  float next = coefficients[at + channels + c];
                  gradients[at + c] = Math.fma(next, gradients[at + channels + c], dStates[at + c]);
                  products[at + c] = next * products[at + channels + c];
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
