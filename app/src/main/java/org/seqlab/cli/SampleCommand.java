package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.seqlab.experiments.TextSampler;
import org.seqlab.nn.WeightPrecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab sample}: generates text from a trained character model. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generates text from a model trained by seqlab train, printing each character as it is"
          + " generated: the prompt first, then what the model writes after it (an autocomplete).",
      "",
      "Example: seqlab sample --checkpoint runs/shakespeare --prompt \"ROMEO:\" --length 400",
      ""
    })
public final class SampleCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR|FILE",
      description = "a run directory (its best model) or a model .safetensors file")
  Path checkpoint;

  @Option(
      names = "--prompt",
      defaultValue = "",
      description = "text to continue (default: a new line)")
  String prompt;

  @Option(
      names = "--length",
      defaultValue = "500",
      description = "characters to generate (default 500)")
  int length;

  @Option(
      names = "--temperature",
      defaultValue = "0.8",
      description = "below 1 safer, above 1 wilder, 0 always the likeliest (default 0.8)")
  double temperature;

  @Option(
      names = "--top-k",
      defaultValue = "0",
      description = "draw only among the k likeliest characters (default 0: all)")
  int topK;

  @Option(names = "--seed", defaultValue = "42", description = "seed of the draws (default 42)")
  long seed;

  @Option(
      names = "--weights",
      completionCandidates = PrecisionNames.class,
      defaultValue = "float32",
      description =
          "the recurrent weights of an RNN, LSTM or GRU as trained (float32) or in 8 bits (int8:"
              + " a byte per weight and a scale per row; what it costs on a text: seqlab precision)"
              + " (default: ${DEFAULT-VALUE})")
  String weights;

  @Override
  public Integer call() throws IOException {
    TextSampler.Options options;
    TextSampler.Loaded loaded;
    try {
      options =
          new TextSampler.Options(
              prompt, length, temperature, topK, seed, PrecisionNames.parse(weights));
      loaded = TextSampler.load(checkpoint);
    } catch (IllegalArgumentException e) {
      throw new UserError(
          e.getMessage().startsWith("--") ? e.getMessage() : "--checkpoint: " + e.getMessage(), e);
    } catch (org.seqlab.io.SafetensorsException e) {
      // An empty, garbage or truncated file: refused in one line, as infer refuses it.
      throw new UserError("--checkpoint: " + e.getMessage(), e);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new UserError(
          "--checkpoint: "
              + checkpoint
              + " holds a description that is not JSON ("
              + e.getOriginalMessage()
              + "); it is not a model seqlab train wrote",
          e);
    }
    try {
      // Check the prompt before printing it.
      loaded.vocabulary().encode(prompt);
    } catch (IllegalArgumentException e) {
      throw new UserError("--prompt: " + e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (options.weights() != WeightPrecision.FLOAT32) {
      // Checked before the prompt is printed: a model without 8-bit weights refuses in one line.
      try {
        loaded.model().decoder(options.weights()).close();
      } catch (UnsupportedOperationException e) {
        throw new UserError("--weights " + options.weights().id() + ": " + e.getMessage(), e);
      }
    }
    out.print(prompt);
    out.flush();
    TextSampler.generate(
        loaded,
        options,
        c -> {
          out.print(c);
          out.flush();
        });
    out.println();
    out.flush();
    // Said after the text, so that it never lands in the middle of it.
    err.printf(
        "%s, %d layer(s) x %d, %s weights, vocabulary %d (%s)%n",
        loaded.config().model(),
        loaded.config().layers(),
        loaded.config().hidden(),
        options.weights().id(),
        loaded.vocabulary().size(),
        loaded.note());
    err.flush();
    return 0;
  }
}
