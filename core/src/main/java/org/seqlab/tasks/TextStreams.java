package org.seqlab.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A character language model's task: predict every next character of a text, trained by truncated
 * backpropagation through time (TBPTT) over {@code B} long streams.
 *
 * <p>The training ids (length {@code n}) are cut into {@code B} contiguous streams of {@code S =
 * (n-1)/B} characters, one per batch row, and each stream into {@code W = S/T} windows of {@code T}
 * steps. Training step {@code s} of epoch {@code e = s / W} reads window {@code w = s mod W} of
 * every stream:
 *
 * <pre>
 *   inputs[t, b]  = ids[b*S + o_e + w*T + t]
 *   targets[t, b] = ids[b*S + o_e + w*T + t + 1]
 * </pre>
 *
 * so row {@code b} of window {@code w+1} continues row {@code b} of window {@code w}, and the model
 * carries its hidden state from one window to the next while the gradient stops at the window's
 * edge. Each epoch starts at a small offset {@code o_e} in {@code [0, S - W*T]} drawn from the
 * seed, so that windows do not always cut the text at the same places. Validation reads the
 * validation ids the same way (offset 0), as {@code B_v = min(B, (n_v-1)/T)} streams, and covers
 * every window once.
 */
public final class TextStreams implements SequenceTask {

  private final int[] train;
  private final int[] validation;
  private final int vocabularySize;
  private final int steps;
  private final int batch;
  private final long seed;
  private final int streamLength;
  private final int windowsPerEpoch;
  private final List<Batch> validationBatches;

  /**
   * @param corpus the text, split into training and validation ids
   * @param steps {@code T}, the TBPTT window
   * @param batch {@code B}, the number of streams
   * @param seed draws each epoch's offset
   * @throws IllegalArgumentException when the text is too short for one batch of training or one
   *     window of validation
   */
  public TextStreams(CharCorpus corpus, int steps, int batch, long seed) {
    if (steps <= 0 || batch <= 0) {
      throw new IllegalArgumentException(
          "the window and batch must be positive, got T=" + steps + ", B=" + batch);
    }
    this.train = corpus.train();
    this.validation = corpus.validation();
    this.vocabularySize = corpus.vocabulary().size();
    this.steps = steps;
    this.batch = batch;
    this.seed = seed;
    this.streamLength = (train.length - 1) / batch;
    this.windowsPerEpoch = streamLength / steps;
    if (windowsPerEpoch == 0) {
      throw new IllegalArgumentException(
          String.format(
              "the text is too short for one batch: training needs at least B*T+1 = %d*%d+1 = %d"
                  + " characters (90%% of the text), it has %d; use a smaller --batch or --seq-len",
              batch, steps, (long) batch * steps + 1, train.length));
    }
    int validationStreams = Math.min(batch, (validation.length - 1) / steps);
    if (validationStreams == 0) {
      throw new IllegalArgumentException(
          String.format(
              "the text is too short to validate on: its last 10%% (%d characters) must hold one"
                  + " window of T+1 = %d; use a longer text or a smaller --seq-len",
              validation.length, steps + 1));
    }
    this.validationBatches = cut(validation, validationStreams, 0);
  }

  private List<Batch> cut(int[] ids, int streams, int offset) {
    int length = (ids.length - 1) / streams;
    int windows = length / steps;
    List<Batch> batches = new ArrayList<>(windows);
    for (int w = 0; w < windows; w++) batches.add(window(ids, streams, length, offset, w));
    return List.copyOf(batches);
  }

  private Batch window(int[] ids, int streams, int length, int offset, int w) {
    int[] inputs = new int[steps * streams];
    int[] targets = new int[steps * streams];
    for (int t = 0; t < steps; t++) {
      for (int b = 0; b < streams; b++) {
        int at = b * length + offset + w * steps + t;
        inputs[t * streams + b] = ids[at];
        targets[t * streams + b] = ids[at + 1];
      }
    }
    return new Batch(steps, streams, inputs, targets, w > 0);
  }

  /** The offset at which epoch {@code epoch} starts, in {@code [0, S - W*T]}. */
  int epochOffset(long epoch) {
    int slack = streamLength - windowsPerEpoch * steps;
    if (slack == 0) return 0;
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch).nextInt(slack + 1);
  }

  @Override
  public String name() {
    return "char-lm";
  }

  @Override
  public int vocabularySize() {
    return vocabularySize;
  }

  @Override
  public int steps() {
    return steps;
  }

  @Override
  public int batchSize() {
    return batch;
  }

  /** {@code W}, the training windows in one pass over the text. */
  public int windowsPerEpoch() {
    return windowsPerEpoch;
  }

  @Override
  public Batch trainingBatch(long step) {
    if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
    long epoch = step / windowsPerEpoch;
    int w = (int) (step % windowsPerEpoch);
    return window(train, batch, streamLength, epochOffset(epoch), w);
  }

  @Override
  public String position(long step) {
    return String.format(
        "epoch %d, window %d of %d",
        step / windowsPerEpoch + 1, step % windowsPerEpoch + 1, windowsPerEpoch);
  }

  @Override
  public List<Batch> validationBatches() {
    return validationBatches;
  }
}
