package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.tasks.TextStreams;

/**
 * A character language model on a text file as a task of the sweeps: {@link TextStreams} with a
 * score (the validation loss, nats per character) and a trivial baseline, the unigram model: each
 * character's frequency in the training text (add-one smoothed), which knows nothing of context.
 */
final class TextTask implements SyntheticTask {

  /** Texts read once per process: every run of a sweep reads the same file. */
  private static final Map<Path, CharCorpus> CORPORA = new ConcurrentHashMap<>();

  private final CharCorpus corpus;
  private final TextStreams streams;
  private final double baseline;

  TextTask(Path text, int seqLen, int batch, long seed) {
    this.corpus =
        CORPORA.computeIfAbsent(
            text.toAbsolutePath().normalize(),
            p -> {
              try {
                return CharCorpus.read(p);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    this.streams = new TextStreams(corpus, seqLen, batch, seed);
    this.baseline = unigramCrossEntropy(corpus);
  }

  CharCorpus corpus() {
    return corpus;
  }

  /** {@code -(1/n) Σ_val ln p(c)} with {@code p} the training text's add-one frequencies. */
  static double unigramCrossEntropy(CharCorpus corpus) {
    int v = corpus.vocabulary().size();
    double[] counts = new double[v];
    for (int id : corpus.train()) counts[id]++;
    double total = corpus.train().length + v;
    double sum = 0;
    for (int id : corpus.validation()) sum -= Math.log((counts[id] + 1) / total);
    return sum / corpus.validation().length;
  }

  @Override
  public String name() {
    return "char-lm";
  }

  @Override
  public int vocabularySize() {
    return streams.vocabularySize();
  }

  @Override
  public int steps() {
    return streams.steps();
  }

  @Override
  public int batchSize() {
    return streams.batchSize();
  }

  @Override
  public Batch trainingBatch(long step) {
    return streams.trainingBatch(step);
  }

  @Override
  public String position(long step) {
    return streams.position(step);
  }

  @Override
  public List<Batch> validationBatches() {
    return streams.validationBatches();
  }

  @Override
  public Metric metric() {
    return Metric.LOSS;
  }

  @Override
  public double baseline() {
    return baseline;
  }

  @Override
  public String baselineWords() {
    return "predicts each character by its frequency";
  }

  @Override
  public int difficulty() {
    return streams.steps();
  }

  @Override
  public String difficultyName() {
    return "window";
  }
}
