package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.seqlab.io.DType;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentOutput;
import org.seqlab.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seqlab infer}: runs a saved recurrent model over a sequence stored as safetensors; the
 * file's metadata names its row of the table of architectures.
 */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a recurrent model saved as safetensors (seqlab's checkpoint of any recurrent row of the"
          + " table, minGRU and minLSTM included, or a PyTorch state_dict, bidirectional when it has"
          + " _reverse tensors) over 'input' [T, B, I] from --input,"
          + " starting from optional 'h0' (and 'c0' for the LSTM) [L*D, B, H] (D = 2 if"
          + " bidirectional, else 1; order: layer 0 forward, layer 0 reverse, layer 1 forward, ...).",
      "An optional int64 'lengths' [B] (each in [1, T]) gives every sequence's length, as PyTorch's"
          + " pack_padded_sequence(enforce_sorted=False): steps past a sequence's end are padding"
          + " (not for minGRU and minLSTM, whose scan runs every sequence to T).",
      "Writes 'output' [T, B, D*H] (zero past each sequence's end), 'h_n' (and 'c_n') [L*D, B, H]"
          + " (each sequence's state at its last step) as float32 to --output."
    })
public final class InferCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--weights", required = true, description = "the model, a .safetensors file")
  Path weights;

  @Option(
      names = "--input",
      required = true,
      description =
          "a .safetensors file with 'input' [T, B, I] (float), optional 'h0', 'c0' [L*D, B, H]"
              + " (float) and 'lengths' [B] (int64)")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "where to write 'output', 'h_n' (and 'c_n')")
  Path output;

  @Option(
      names = "--model",
      completionCandidates = ArchitectureNames.class,
      description =
          "the model (${COMPLETION-CANDIDATES}; rnn_tanh for rnn too), for a weights file without"
              + " seqlab's metadata")
  String model;

  /** The tensors an input file may hold. */
  static final List<String> INPUT_NAMES = List.of("input", "h0", "c0", "lengths");

  private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F64, DType.F16, DType.BF16);

  @Override
  public Integer call() throws IOException {
    Architecture named = model == null ? null : parseArchitecture(model);
    requireFile("--weights", weights);
    requireFile("--input", input);
    SafetensorsFile file = read("--weights", weights);
    Architecture architecture;
    try {
      architecture = RecurrentCheckpoint.architecture(file, named, weights.toString());
    } catch (IllegalArgumentException e) {
      throw new UserError("--weights: " + e.getMessage(), e);
    }
    return switch (architecture.recurrence()) {
      case MATRIX ->
          inferRecurrent(
              load(
                  () ->
                      RecurrentCheckpoint.fromFile(
                          file, architecture.recurrentKind().orElseThrow(), weights.toString())));
      case SCAN ->
          inferMinRecurrent(
              architecture,
              load(
                  () ->
                      RecurrentCheckpoint.minRecurrentFromFile(
                          file,
                          architecture.minRecurrentKind().orElseThrow(),
                          weights.toString())));
      case NONE ->
          throw new UserError(
              "--weights "
                  + weights
                  + " holds a transformer; infer runs a recurrent stack ("
                  + String.join(", ", Architecture.recurrentIds())
                  + ")");
    };
  }

  /** A model from the weights file, or a one-line error naming {@code --weights}. */
  private static <M> M load(java.util.function.Supplier<M> loader) {
    try {
      return loader.get();
    } catch (IllegalArgumentException e) {
      throw new UserError("--weights: " + e.getMessage(), e);
    }
  }

  /**
   * A minGRU or minLSTM stack over 'input' from an optional 'h0': 'output' and 'h_n', computed by
   * its scan ({@link MinRecurrent#infer}).
   */
  private int inferMinRecurrent(Architecture architecture, MinRecurrent net) throws IOException {
    String label = architecture.label();
    SafetensorsFile x = read("--input", input);
    if (!x.contains("input")) {
      throw new UserError("--input " + input + " has no tensor named 'input'; it has " + x.names());
    }
    for (String name : x.names()) {
      if (name.equals("c0")) {
        throw new UserError("--input has 'c0' but a " + label + " has no cell state");
      }
      if (name.equals("lengths")) {
        throw new UserError(
            "--input has 'lengths', which a "
                + label
                + " does not take (its scan runs every sequence to T); run sequences of one length");
      }
      if (!name.equals("input") && !name.equals("h0")) {
        throw new UserError(
            "--input: unexpected tensor '"
                + name
                + "'; an input file for a "
                + label
                + " holds 'input' and optionally 'h0'");
      }
    }
    int[] shape = inputShape(x, net.inputSize());
    int steps = shape[0], batch = shape[1];
    // infer keeps no trace: per layer its projections [T, B, G*H] and states [T+1, B, H].
    double need =
        4.0 * steps * batch * net.hiddenSize() * (net.kind().gateCount() + 3.0) * 2
            + 4.0 * steps * batch * net.inputSize();
    requireMemory(need, steps, batch);
    Tensor h0 = null;
    if (x.contains("h0")) {
      int[] expected = {net.numLayers(), batch, net.hiddenSize()};
      requireFloat(x, "h0", Arrays.toString(expected) + " [L, B, H]");
      if (!Arrays.equals(x.shape("h0"), expected)) {
        throw new UserError(
            String.format(
                Locale.ROOT,
                "--input: 'h0' has shape %s; expected %s [L, B, H]",
                Arrays.toString(x.shape("h0")),
                Arrays.toString(expected)));
      }
      h0 = x.tensor("h0");
    }
    MinRecurrent.Output result;
    try {
      result = net.infer(x.tensor("input"), h0);
    } catch (IllegalArgumentException e) {
      throw new UserError("--input: " + e.getMessage(), e);
    }
    Map<String, Tensor> outputs = new LinkedHashMap<>();
    outputs.put("output", result.output());
    outputs.put("h_n", result.hN());
    Map<String, String> meta = new LinkedHashMap<>(RecurrentCheckpoint.metadata(net));
    meta.remove("format");
    write(outputs, meta);
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "%s: %d layer(s), input %d, hidden %d; ran %d steps × batch %d; wrote %s to %s%n",
            architecture.id(),
            net.numLayers(),
            net.inputSize(),
            net.hiddenSize(),
            steps,
            batch,
            outputs.keySet(),
            output);
    return 0;
  }

  private void write(Map<String, Tensor> outputs, Map<String, String> meta) {
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new UserError("--output: directory " + parent + " does not exist");
    }
    try {
      Safetensors.write(output, outputs, meta);
    } catch (IOException e) {
      throw new UserError("--output: cannot write " + output + ": " + e.getMessage(), e);
    }
  }

  /** A {@code torch.nn.RNN/LSTM/GRU} stack, as before the table. */
  private int inferRecurrent(Recurrent net) throws IOException {
    SafetensorsFile x = read("--input", input);
    if (!x.contains("input")) {
      throw new UserError("--input " + input + " has no tensor named 'input'; it has " + x.names());
    }
    for (String name : x.names()) {
      if (!INPUT_NAMES.contains(name)) {
        throw new UserError(
            "--input: unexpected tensor '"
                + name
                + "'; an input file holds 'input' and optionally 'h0', 'c0' (LSTM) and 'lengths'");
      }
    }
    int[] shape = inputShape(x, net.inputSize());
    int steps = shape[0], batch = shape[1];
    if (x.contains("c0") && net.kind() != RecurrentKind.LSTM) {
      throw new UserError(
          "--input has 'c0' but a " + net.kind().metadataName() + " has no cell state");
    }
    requireMemory(net, steps, batch);
    Tensor h0 = initialState(x, "h0", net, batch);
    Tensor c0 = initialState(x, "c0", net, batch);
    int[] lengths = lengths(x, steps, batch);
    RecurrentOutput result;
    try {
      result = net.infer(x.tensor("input"), h0, c0, lengths);
    } catch (IllegalArgumentException e) {
      throw new UserError("--input: " + e.getMessage(), e);
    }

    Map<String, Tensor> outputs = new LinkedHashMap<>();
    outputs.put("output", result.output());
    outputs.put("h_n", result.hN());
    if (result.cN() != null) outputs.put("c_n", result.cN());
    Map<String, String> meta = new LinkedHashMap<>(RecurrentCheckpoint.metadata(net));
    meta.remove("format");
    write(outputs, meta);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "%s%s: %d layer(s), input %d, hidden %d; ran %d steps × batch %d%s; wrote %s to %s%n",
        net.bidirectional() ? "bidirectional " : "",
        net.kind().metadataName(),
        net.numLayers(),
        net.inputSize(),
        net.hiddenSize(),
        steps,
        batch,
        lengths == null ? "" : " (lengths " + Arrays.toString(lengths) + ")",
        outputs.keySet(),
        output);
    return 0;
  }

  /** A row of the table by its id, or by its cell's checkpoint name ({@code rnn_tanh}). */
  static Architecture parseArchitecture(String name) {
    try {
      return Architecture.fromName(name);
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

  /** Refuses a tensor stored as integers or booleans where numbers with a fraction are meant. */
  /** The shape {@code [T, B, I]} of the input file's 'input', checked against the model's I. */
  private static int[] inputShape(SafetensorsFile x, int inputSize) {
    requireFloat(x, "input", "[T, B, " + inputSize + "]");
    int[] shape = x.shape("input");
    if (shape.length != 3 || shape[2] != inputSize) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: 'input' has shape %s; expected [T, B, %d] for this model",
              Arrays.toString(shape),
              inputSize));
    }
    if (shape[0] == 0 || shape[1] == 0)
      throw new UserError("--input: 'input' is empty (shape " + Arrays.toString(shape) + ")");
    return shape;
  }

  private static void requireFloat(SafetensorsFile x, String name, String shape) {
    DType dtype = x.dtype(name);
    if (!FLOATS.contains(dtype)) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: '%s' is stored as %s; it must be a floating-point tensor %s (F32, F64, F16"
                  + " or BF16)",
              name,
              dtype,
              shape));
    }
  }

  private static Tensor initialState(SafetensorsFile x, String name, Recurrent net, int batch) {
    if (!x.contains(name)) return null;
    int states = net.numLayers() * net.directions();
    int[] expected = {states, batch, net.hiddenSize()};
    String layout =
        net.bidirectional()
            ? "[L*2, B, H], layer 0 forward, layer 0 reverse, layer 1 forward, ..."
            : "[L, B, H]";
    requireFloat(x, name, Arrays.toString(expected) + " " + layout);
    if (!Arrays.equals(x.shape(name), expected)) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--input: '%s' has shape %s; expected %s %s",
              name,
              Arrays.toString(x.shape(name)),
              Arrays.toString(expected),
              layout));
    }
    try {
      return x.tensor(name);
    } catch (IllegalArgumentException e) {
      throw new UserError("--input: " + e.getMessage(), e);
    }
  }

  /** The optional int64 {@code lengths [B]}, each in {@code [1, T]}; null when absent. */
  private static int[] lengths(SafetensorsFile x, int steps, int batch) {
    if (!x.contains("lengths")) return null;
    String allowed =
        "int64 (I64) of shape [" + batch + "] (one per sequence), each in [1, " + steps + "]";
    if (x.dtype("lengths") != DType.I64) {
      throw new UserError(
          "--input: 'lengths' is stored as " + x.dtype("lengths") + "; it must be " + allowed);
    }
    int[] shape = x.shape("lengths");
    if (!Arrays.equals(shape, new int[] {batch})) {
      throw new UserError(
          "--input: 'lengths' has shape " + Arrays.toString(shape) + "; it must be " + allowed);
    }
    long[] stored = x.longs("lengths");
    int[] lengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      if (stored[b] < 1 || stored[b] > steps) {
        throw new UserError(
            "--input: 'lengths'["
                + b
                + "] = "
                + stored[b]
                + " is outside [1, "
                + steps
                + "]; a sequence has at least one step and at most T = "
                + steps
                + ", the length of 'input'");
      }
      lengths[b] = (int) stored[b];
    }
    return lengths;
  }

  /** Refuses a run whose cached activations would not fit, before allocating them. */
  private static void requireMemory(Recurrent net, int steps, int batch) {
    // Recurrent.infer keeps no trace: the output and at most two outputs of the layers below it,
    // [T, B, H] each. A bidirectional model runs the traced forward: per layer and direction,
    // gates, states and its copy of the input, plus each layer's output.
    double need;
    if (net.bidirectional()) {
      double perDirection =
          4.0
              * steps
              * batch
              * (net.hiddenSize() * (net.kind().gateCount() + 4.0)
                  + Math.max(net.inputSize(), net.outputSize()));
      need = perDirection * net.numLayers() * net.directions();
    } else {
      need = 4.0 * steps * batch * net.hiddenSize() * Math.min(net.numLayers(), 3);
    }
    requireMemory(need, steps, batch);
  }

  private static void requireMemory(double need, int steps, int batch) {
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
