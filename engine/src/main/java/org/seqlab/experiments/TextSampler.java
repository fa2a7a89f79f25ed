package org.seqlab.experiments;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.seqlab.io.RunDirectory;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.WeightPrecision;
import org.seqlab.tasks.Vocabulary;
import org.seqlab.tensor.Tensor;

/**
 * Generates text from a trained character model, a character at a time: the prompt is fed through
 * the model's {@link LanguageModel.Decoder} (recurrent models step by step on the streaming path,
 * the Transformer over its context), then each next character is drawn from
 *
 * <pre>
 *   p(c) ∝ exp(z_c / τ)   over the k characters with the largest logits z (all when k = 0)
 * </pre>
 *
 * and fed back. Temperature {@code τ = 0} takes the most likely character every time.
 */
public final class TextSampler {

  /**
   * How to sample.
   *
   * @param prompt text to start from (every character must be in the vocabulary); empty to start
   *     from a newline, or from a random character if the vocabulary has no newline
   * @param length characters to generate after the prompt
   * @param temperature {@code τ >= 0}; below 1 sharper, above 1 flatter, 0 greedy
   * @param topK sample among the {@code k} most likely characters only (0: all)
   * @param seed seeds the draws
   * @param weights the precision the model decodes with ({@link LanguageModel#decoder(
   *     WeightPrecision)}): float32 as trained, or 8-bit recurrent weights
   */
  public record Options(
      String prompt, int length, double temperature, int topK, long seed, WeightPrecision weights) {

    /** Options that decode with the weights as trained (float32). */
    public Options(String prompt, int length, double temperature, int topK, long seed) {
      this(prompt, length, temperature, topK, seed, WeightPrecision.FLOAT32);
    }

    public Options {
      java.util.Objects.requireNonNull(weights, "weights");
      if (prompt == null) prompt = "";
      if (length < 0 || length > 10_000_000) {
        throw new IllegalArgumentException("--length must be in [0, 10000000], got " + length);
      }
      if (!(temperature >= 0 && temperature <= 100)) {
        throw new IllegalArgumentException("--temperature must be in [0, 100], got " + temperature);
      }
      if (topK < 0) throw new IllegalArgumentException("--top-k must be >= 0, got " + topK);
    }
  }

  /** A trained model ready to sample, with its vocabulary and where it came from. */
  public record Loaded(
      LanguageModel model,
      Vocabulary vocabulary,
      TrainingRunConfig config,
      Path file,
      String note) {}

  private TextSampler() {}

  /**
   * Loads a model from a run directory (its best model, {@code model.safetensors}, else the latest
   * checkpoint) or from one such file.
   *
   * @throws IllegalArgumentException if there is nothing seqlab can sample from there
   */
  public static Loaded load(Path where) throws IOException {
    Path file;
    if (Files.isDirectory(where)) {
      if (Files.isRegularFile(where.resolve(RunDirectory.MODEL))) {
        file = where.resolve(RunDirectory.MODEL);
      } else if (Files.isRegularFile(where.resolve(RunDirectory.CHECKPOINT))) {
        file = where.resolve(RunDirectory.CHECKPOINT);
      } else {
        throw new IllegalArgumentException(
            where
                + " holds no trained model (no "
                + RunDirectory.MODEL
                + " or "
                + RunDirectory.CHECKPOINT
                + "); train one with seqlab train --out "
                + where);
      }
    } else if (Files.isRegularFile(where)) {
      file = where;
    } else {
      throw new IllegalArgumentException("no such run directory or model file: " + where);
    }
    SafetensorsFile tensors = Safetensors.read(file);
    Map<String, String> meta = tensors.metadata();
    String configJson = meta.get(TrainingRun.CONFIG_KEY);
    String vocabularyJson = meta.get(TrainingRun.VOCABULARY_KEY);
    if (configJson != null && vocabularyJson == null) {
      String task = RunDirectory.JSON.readTree(configJson).path("task").asText();
      if (!TrainingRunConfig.CHAR_LM.equals(task)) {
        throw new IllegalArgumentException(
            file
                + " was trained on the "
                + task
                + " task; sample generates text from a model trained with --task char-lm");
      }
    }
    if (configJson == null || vocabularyJson == null) {
      throw new IllegalArgumentException(
          file
              + " is not a seqlab language model (its metadata has no '"
              + TrainingRun.CONFIG_KEY
              + "' and '"
              + TrainingRun.VOCABULARY_KEY
              + "')");
    }
    TrainingRunConfig config = RunDirectory.JSON.readValue(configJson, TrainingRunConfig.class);
    List<String> characters =
        RunDirectory.JSON.readValue(vocabularyJson, new TypeReference<List<String>>() {});
    Vocabulary vocabulary = Vocabulary.fromCharacters(characters);
    LanguageModel model = config.newModel(vocabulary.size());
    String prefix = file.getFileName().toString().equals(RunDirectory.CHECKPOINT) ? "model." : "";
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : tensors.names()) {
      if (name.startsWith(prefix)) state.put(name.substring(prefix.length()), tensors.tensor(name));
    }
    try {
      model.loadStateDict(state);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          file + " does not fit its own description: " + e.getMessage(), e);
    }
    String note =
        meta.containsKey("val_loss")
            ? "best validation loss " + meta.get("val_loss") + " at step " + meta.get("step")
            : "checkpoint at step " + meta.get("step");
    return new Loaded(model, vocabulary, config, file, note);
  }

  /**
   * Feeds the prompt and generates {@code options.length()} characters, handing each generated
   * character to {@code out} as soon as it exists.
   *
   * @throws IllegalArgumentException if the prompt has a character outside the vocabulary
   */
  public static void generate(Loaded loaded, Options options, Consumer<String> out) {
    generate(loaded.model(), loaded.vocabulary(), options, out);
  }

  /** As {@link #generate(Loaded, Options, Consumer)}, from a model in memory and its characters. */
  public static void generate(
      LanguageModel model, Vocabulary vocabulary, Options options, Consumer<String> out) {
    int[] prompt;
    try {
      prompt = vocabulary.encode(options.prompt());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--prompt: " + e.getMessage(), e);
    }
    SplittableRandom rng = new SplittableRandom(options.seed());
    if (prompt.length == 0) {
      int newline = vocabulary.id('\n');
      prompt = new int[] {newline >= 0 ? newline : rng.nextInt(vocabulary.size())};
    }
    float[] probabilities = new float[vocabulary.size()];
    Integer[] order = new Integer[vocabulary.size()];
    LanguageModel.Decoder opened;
    try {
      opened = model.decoder(options.weights());
    } catch (UnsupportedOperationException e) {
      throw new IllegalArgumentException(
          "--weights " + options.weights().id() + ": " + e.getMessage(), e);
    }
    try (LanguageModel.Decoder decoder = opened) {
      float[] logits = null;
      for (int token : prompt) logits = decoder.next(token);
      for (int i = 0; i < options.length(); i++) {
        int next = draw(logits, options, rng, probabilities, order);
        out.accept(vocabulary.character(next));
        if (i + 1 < options.length()) logits = decoder.next(next);
      }
    }
  }

  /** One draw from the tempered, top-k-truncated softmax of {@code logits}. */
  static int draw(
      float[] logits,
      Options options,
      SplittableRandom rng,
      float[] probabilities,
      Integer[] order) {
    int v = logits.length;
    if (options.temperature() == 0) {
      int best = 0;
      for (int c = 1; c < v; c++) if (logits[c] > logits[best]) best = c;
      return best;
    }
    boolean[] allowed = new boolean[v];
    if (options.topK() > 0 && options.topK() < v) {
      for (int c = 0; c < v; c++) order[c] = c;
      Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
      for (int i = 0; i < options.topK(); i++) allowed[order[i]] = true;
    } else {
      Arrays.fill(allowed, true);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < v; c++) if (allowed[c]) max = Math.max(max, logits[c]);
    double sum = 0;
    for (int c = 0; c < v; c++) {
      double p = allowed[c] ? Math.exp((logits[c] - max) / options.temperature()) : 0;
      probabilities[c] = (float) p;
      sum += p;
    }
    double u = rng.nextDouble() * sum;
    double cumulative = 0;
    int last = 0;
    for (int c = 0; c < v; c++) {
      if (probabilities[c] == 0) continue;
      cumulative += probabilities[c];
      last = c;
      if (u < cumulative) return c;
    }
    return last;
  }
}
