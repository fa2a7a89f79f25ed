package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.experiments.PrecisionComparison;
import org.seqlab.experiments.TextSampler;
import org.seqlab.experiments.Units;
import org.seqlab.nn.WeightPrecision;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.view.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seqlab precision}: what a trained character model loses and gains when its recurrent
 * weights are held in fewer bits ({@link PrecisionComparison}).
 */
@Command(
    name = "precision",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Decodes the validation text of a character model trained by seqlab train (RNN, LSTM or GRU)"
          + " a character at a time with its recurrent weights in float32 and in 8 bits, side by"
          + " side: the loss in nats per character, the largest change of a logit, the time per"
          + " character and the bytes of the recurrent weights. sample --weights int8 then writes"
          + " with the 8-bit weights.",
      "",
      "Example: seqlab precision --checkpoint runs/shakespeare",
      ""
    })
public final class PrecisionCommand implements Callable<Integer> {

  /** Characters decoded when {@code --characters} is not given: a few seconds per precision. */
  static final int DEFAULT_CHARACTERS = 20_000;

  @Spec CommandSpec spec;

  /** The precisions below float32, for {@code --weights}. */
  public static final class Reduced implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Arrays.stream(WeightPrecision.values())
          .filter(p -> p != WeightPrecision.FLOAT32)
          .map(WeightPrecision::id)
          .iterator();
    }
  }

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR|FILE",
      description = "a run directory (its best model) or a model .safetensors file")
  Path checkpoint;

  @Option(
      names = "--text",
      paramLabel = "FILE",
      description = "the text whose last 10% is decoded (default: the text the model trained on)")
  Path text;

  @Option(
      names = "--weights",
      split = ",",
      paramLabel = "P",
      completionCandidates = Reduced.class,
      description = "precisions compared with float32: ${COMPLETION-CANDIDATES} (default int8)")
  List<String> weights = List.of(WeightPrecision.INT8.id());

  @Option(
      names = "--characters",
      paramLabel = "N",
      description = "validation characters decoded, from its start (default 20000; 0: all)")
  int characters = DEFAULT_CHARACTERS;

  @Override
  public Integer call() throws IOException {
    if (characters < 0)
      throw new UserError("--characters must be 0 (all) or more, got " + characters);
    List<WeightPrecision> precisions = new ArrayList<>();
    for (String w : weights) {
      try {
        precisions.add(WeightPrecision.fromId(w));
      } catch (IllegalArgumentException e) {
        throw new UserError("--weights: " + e.getMessage());
      }
    }
    TextSampler.Loaded loaded;
    try {
      loaded = TextSampler.load(checkpoint);
    } catch (IllegalArgumentException e) {
      throw new UserError("--checkpoint: " + e.getMessage(), e);
    }
    Path file = text != null ? text : Path.of(loaded.config().text());
    if (!Files.isRegularFile(file)) {
      throw new UserError(
          (text != null ? "--text: no such file: " : "the text the model trained on is not at ")
              + file
              + (text != null ? "" : "; give it with --text FILE"));
    }
    int[] tokens;
    try {
      tokens = CharCorpus.read(file, loaded.vocabulary()).validation();
    } catch (IllegalArgumentException e) {
      throw new UserError((text != null ? "--text: " : "") + e.getMessage(), e);
    }
    if (characters > 0 && characters < tokens.length) tokens = Arrays.copyOf(tokens, characters);
    if (tokens.length < 2) {
      throw new UserError(file + "'s validation part is too short to predict a character");
    }
    List<PrecisionComparison.Row> rows;
    int total = tokens.length - 1;
    try (ProgressBar bar =
        new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
      rows =
          PrecisionComparison.compare(
              loaded.model(),
              tokens,
              precisions,
              done -> bar.update("decoding", (double) done / total));
    } catch (UnsupportedOperationException e) {
      throw new UserError("--checkpoint: " + loaded.config().model() + ": " + e.getMessage());
    }
    print(spec.commandLine().getOut(), loaded, file, tokens.length, rows);
    return 0;
  }

  private static void print(
      PrintWriter out,
      TextSampler.Loaded loaded,
      Path file,
      int decoded,
      List<PrecisionComparison.Row> rows) {
    out.printf(
        Locale.ROOT,
        "%s, %d layer(s) x %d (%s): the first %s characters of %s's validation part, decoded a"
            + " character at a time (one thread, state carried over the whole text)%n%n",
        loaded.config().model(),
        loaded.config().layers(),
        loaded.config().hidden(),
        loaded.note(),
        Units.count(decoded),
        file.getFileName());
    out.printf(
        Locale.ROOT,
        "%-9s  %17s  %10s  %20s  %13s  %17s%n",
        "weights",
        "loss (nats/char)",
        "vs float32",
        "largest logit change",
        "time per char",
        "recurrent weights");
    PrecisionComparison.Row reference = rows.getFirst();
    for (PrecisionComparison.Row r : rows) {
      boolean first = r == reference;
      out.printf(
          Locale.ROOT,
          "%-9s  %17.4f  %10s  %20s  %10.2f µs  %17s%n",
          r.precision().id(),
          r.loss(),
          first ? "—" : String.format(Locale.ROOT, "%+.4f", r.loss() - reference.loss()),
          first ? "—" : String.format(Locale.ROOT, "%.4f", r.largestLogitChange()),
          r.microsPerCharacter(),
          megabytes(r.weightBytes()));
    }
    for (PrecisionComparison.Row r : rows) {
      if (r == reference) continue;
      out.printf(
          Locale.ROOT,
          "%n%s: %.2fx the speed per character, %.2fx fewer weight bytes, loss %+.2f%%%n",
          r.precision().id(),
          reference.microsPerCharacter() / r.microsPerCharacter(),
          (double) reference.weightBytes() / r.weightBytes(),
          100 * (r.loss() - reference.loss()) / reference.loss());
    }
    out.flush();
  }

  private static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%.3f MB", bytes / 1e6);
  }
}
