package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab infer}: runs a saved recurrent model over a sequence stored as safetensors. */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a recurrent model saved as safetensors (seqlab's or a PyTorch state_dict) over 'input' [T, B, I]"
          + " from --input, starting from optional 'h0' (and 'c0' for the LSTM) [L, B, H].",
      "Writes 'output' [T, B, H], 'h_n' (and 'c_n') [L, B, H] as float32 to --output."
    })
public final class InferCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--weights", required = true, description = "the model, a .safetensors file")
  Path weights;

  @Option(
      names = "--input",
      required = true,
      description = "a .safetensors file with 'input' [T, B, I], optional 'h0', 'c0'")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "where to write 'output', 'h_n' (and 'c_n')")
  Path output;

  @Option(
      names = "--model",
      description = "rnn_tanh, rnn_relu, lstm or gru, for a weights file without seqlab's metadata")
  String model;

  @Override
  public Integer call() throws IOException {
    RecurrentKind kind = model == null ? null : parseKind(model);
    requireFile("--weights", weights);
    requireFile("--input", input);
    Recurrent net = loadModel(kind);
    SafetensorsFile x = read("--input", input);
    if (!x.contains("input")) {
      throw new UserError("--input " + input + " has no tensor named 'input'; it has " + x.names());
    }
    int[] shape = x.shape("input");
    if (shape.length != 3 || shape[2] != net.inputSize()) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: 'input' has shape %s; expected [T, B, %d] for this model",
              java.util.Arrays.toString(shape),
              net.inputSize()));
    }
    int steps = shape[0], batch = shape[1];
    if (steps == 0 || batch == 0)
      throw new UserError(
          "--input: 'input' is empty (shape " + java.util.Arrays.toString(shape) + ")");
    requireMemory(net, steps, batch);
    Tensor h0 = initialState(x, "h0", net, batch);
    Tensor c0 = initialState(x, "c0", net, batch);
    if (c0 != null && net.kind() != RecurrentKind.LSTM) {
      throw new UserError(
          "--input has 'c0' but a " + net.kind().metadataName() + " has no cell state");
    }
    RecurrentOutput result = net.forward(x.tensor("input"), h0, c0);

    Map<String, Tensor> outputs = new LinkedHashMap<>();
    outputs.put("output", result.output());
    outputs.put("h_n", result.hN());
    if (result.cN() != null) outputs.put("c_n", result.cN());
    Map<String, String> meta = new LinkedHashMap<>(RecurrentCheckpoint.metadata(net));
    meta.remove("format");
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new UserError("--output: directory " + parent + " does not exist");
    }
    try {
      Safetensors.write(output, outputs, meta);
    } catch (IOException e) {
      throw new UserError("--output: cannot write " + output + ": " + e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "%s: %d layer(s), input %d, hidden %d; ran %d steps × batch %d; wrote %s to %s%n",
        net.kind().metadataName(),
        net.numLayers(),
        net.inputSize(),
        net.hiddenSize(),
        steps,
        batch,
        outputs.keySet(),
        output);
    return 0;
  }

  static RecurrentKind parseKind(String name) {
    try {
      return RecurrentKind.fromMetadataName(name);
    } catch (IllegalArgumentException e) {
      throw new UserError("--model: " + e.getMessage());
    }
  }

  private static void requireFile(String option, Path path) {
    if (!Files.isRegularFile(path)) throw new UserError(option + ": no such file: " + path);
  }

  private static SafetensorsFile read(String option, Path path) {
    try {
      return Safetensors.read(path);
    } catch (IOException e) {
      throw new UserError(option + ": " + e.getMessage(), e);
    }
  }

  private Recurrent loadModel(RecurrentKind kind) {
    try {
      return RecurrentCheckpoint.load(weights, kind);
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("--weights: " + e.getMessage(), e);
    }
  }

  private static Tensor initialState(SafetensorsFile x, String name, Recurrent net, int batch) {
    if (!x.contains(name)) return null;
    int[] expected = {net.numLayers(), batch, net.hiddenSize()};
    if (!java.util.Arrays.equals(x.shape(name), expected)) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: '%s' has shape %s; expected %s [L, B, H]",
              name,
              java.util.Arrays.toString(x.shape(name)),
              java.util.Arrays.toString(expected)));
    }
    try {
      return x.tensor(name);
    } catch (IllegalArgumentException e) {
      throw new UserError("--input: " + e.getMessage(), e);
    }
  }

  /** Refuses a run whose cached activations would not fit, before allocating them. */
  private static void requireMemory(Recurrent net, int steps, int batch) {
    double perLayer = 4.0 * steps * batch * net.hiddenSize() * (net.kind().gateCount() + 4);
    double need = perLayer * net.numLayers();
    long have = Runtime.getRuntime().maxMemory();
    if (need > have / 2.0) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: %d steps × batch %d needs about %.1f GiB for this model; this JVM may use %.1f GiB (raise it with SEQLAB_JAVA_OPTS=-Xmx...)",
              steps,
              batch,
              need / (1L << 30),
              have / (double) (1L << 30)));
    }
  }
}
