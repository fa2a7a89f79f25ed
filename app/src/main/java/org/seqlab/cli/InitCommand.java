package org.seqlab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.Lstm;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tensor.NumpyRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code seqlab init}: a freshly initialised recurrent stack of any recurrent row of the table of
 * architectures, saved as a PyTorch-loadable checkpoint.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description =
        "Creates a recurrent stack with PyTorch's default initialisation (every parameter uniform in"
            + " ±1/sqrt(H)) and saves it as safetensors that torch.nn.RNN/LSTM/GRU.load_state_dict"
            + " accepts (minGRU and minLSTM: weight_ih_l{k} and bias_ih_l{k}, which seqlab infer and"
            + " the PyTorch snippet of the lab read).")
public final class InitCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      completionCandidates = RecurrentNames.class,
      description = "${COMPLETION-CANDIDATES} (rnn_tanh is rnn)")
  String model;

  /** What {@code --model} accepts: the rows of the table that carry a state. */
  public static final class RecurrentNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Architecture.recurrentIds().iterator();
    }
  }

  @Option(names = "--input", required = true, description = "input features I")
  int input;

  @Option(names = "--hidden", required = true, description = "hidden units H")
  int hidden;

  @Option(
      names = "--layers",
      description = "stacked layers L (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int layers;

  @Option(
      names = "--bidirectional",
      description =
          "a second, reverse direction in every layer (PyTorch's bidirectional=True): outputs are"
              + " 2H wide; rnn, rnn_relu, lstm and gru")
  boolean bidirectional;

  @Option(
      names = "--forget-bias",
      description = "lstm, minlstm: set the forget gate's bias to this value")
  Double forgetBias;

  @Option(
      names = "--seed",
      description = "numpy-compatible seed, 0 to 4294967295 (default: ${DEFAULT-VALUE})",
      defaultValue = "0")
  long seed;

  @Option(names = "--output", required = true, description = "the .safetensors file to write")
  Path output;

  /** Parameter count above which we refuse: 4 GiB of float32. */
  static final long MAX_PARAMETERS = 1L << 30;

  @Override
  public Integer call() throws IOException {
    Architecture architecture = InferCommand.parseArchitecture(model);
    if (input < 1 || input > 1 << 20)
      throw new UserError("--input must be between 1 and 1048576, got " + input);
    if (hidden < 1 || hidden > 1 << 16)
      throw new UserError("--hidden must be between 1 and 65536, got " + hidden);
    if (layers < 1 || layers > 64)
      throw new UserError("--layers must be between 1 and 64, got " + layers);
    if (seed < 0 || seed > 0xFFFF_FFFFL)
      throw new UserError("--seed must be between 0 and 4294967295, got " + seed);
    if (forgetBias != null && !architecture.hasForgetGate())
      throw new UserError("--forget-bias applies to a model with a forget gate, not " + model);
    if (forgetBias != null && !Double.isFinite(forgetBias))
      throw new UserError("--forget-bias must be finite");
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent))
      throw new UserError("--output: directory " + parent + " does not exist");
    return switch (architecture.recurrence()) {
      case MATRIX -> initRecurrent(architecture, architecture.recurrentKind().orElseThrow());
      case SCAN -> initMinRecurrent(architecture, architecture.minRecurrentKind().orElseThrow());
      case NONE ->
          throw new UserError(
              "--model transformer: init writes a recurrent stack ("
                  + String.join(", ", Architecture.recurrentIds())
                  + "); train a Transformer with seqlab train");
    };
  }

  private int initRecurrent(Architecture architecture, RecurrentKind kind) throws IOException {
    long g = kind.gateCount();
    long directions = bidirectional ? 2 : 1;
    // Per direction: layer 0 reads I inputs, every later layer the D*H outputs below it.
    long count =
        directions
            * (g * hidden * ((long) input + hidden + 2)
                + (layers - 1L) * g * hidden * (directions * hidden + hidden + 2));
    requireParameters(count);
    Recurrent net = Recurrent.create(kind, input, hidden, layers, bidirectional);
    net.initialize(new NumpyRandom(seed));
    if (forgetBias != null) ((Lstm) net).setForgetGateBias(forgetBias);
    try {
      RecurrentCheckpoint.save(output, net);
    } catch (IOException e) {
      throw new UserError("--output: cannot write " + output + ": " + e.getMessage(), e);
    }
    report(architecture, net.parameterCount());
    return 0;
  }

  /** minGRU, minLSTM: {@code weight_ih_l{k} [G*H, in_k]} and {@code bias_ih_l{k} [G*H]}. */
  private int initMinRecurrent(Architecture architecture, MinRecurrentKind kind)
      throws IOException {
    if (bidirectional) {
      throw new UserError(
          "--bidirectional applies to rnn, rnn_relu, lstm and gru; a "
              + architecture.label()
              + " stack has one direction");
    }
    long g = kind.gateCount();
    long count = g * hidden * ((long) input + 1) + (layers - 1L) * g * hidden * (hidden + 1L);
    requireParameters(count);
    MinRecurrent net = new MinRecurrent(kind, input, hidden, layers);
    net.initialize(new NumpyRandom(seed));
    if (forgetBias != null) net.setForgetGateBias(forgetBias);
    try {
      RecurrentCheckpoint.save(output, net);
    } catch (IOException e) {
      throw new UserError("--output: cannot write " + output + ": " + e.getMessage(), e);
    }
    report(architecture, net.parameterCount());
    return 0;
  }

  private void requireParameters(long count) {
    if (count > MAX_PARAMETERS || 4.0 * count * 2 > Runtime.getRuntime().maxMemory()) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--hidden %d --input %d --layers %d gives %,d parameters (%.1f GiB); the limit here is %,d",
              hidden,
              input,
              layers,
              count,
              4.0 * count / (1L << 30),
              Math.min(MAX_PARAMETERS, Runtime.getRuntime().maxMemory() / 8)));
    }
  }

  private void report(Architecture architecture, long parameters) {
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "%s%s: %d layer(s), input %d, hidden %d, %,d parameters (%s) -> %s%n",
            bidirectional ? "bidirectional " : "",
            architecture.id(),
            layers,
            input,
            hidden,
            parameters,
            GradientsCommand.bytes(4 * parameters),
            output);
  }
}
