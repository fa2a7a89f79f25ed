package org.seqlab.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.MinRecurrentKind;
import org.seqlab.nn.Module;
import org.seqlab.nn.Parameter;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent stack as a safetensors file that PyTorch reads with {@code load_state_dict}: the
 * tensors are the {@code state_dict} of the matching {@code torch.nn.RNN}/{@code LSTM}/{@code GRU}
 * (names {@code weight_ih_l0}, ..., and for a bidirectional model {@code weight_ih_l0_reverse},
 * ...; float32), or of a {@link MinRecurrent} stack (minGRU, minLSTM: {@code weight_ih_l{k}},
 * {@code bias_ih_l{k}}, no {@code weight_hh}; one direction), and {@code __metadata__} describes
 * the model:
 *
 * <pre>
 * model          rnn_tanh | rnn_relu | lstm | gru | mingru | minlstm
 * input_size     I
 * hidden_size    H
 * num_layers     L
 * bidirectional  true | false
 * </pre>
 *
 * {@code model} is read by {@link Architecture#fromName}: the table's ids ({@code rnn}) as well as
 * the cells' older names ({@code rnn_tanh}, which is what a {@link Recurrent} stack still writes,
 * so that files stay readable by older versions). Which kind of stack a file holds is {@link
 * #architecture}; {@link #load} reads a {@link Recurrent} stack, {@link #loadMinRecurrent} a {@link
 * MinRecurrent} one.
 *
 * <p>A file without that metadata (a bare PyTorch {@code state_dict}) loads when the caller names
 * the kind; the sizes are then read off the tensor shapes, and the model is bidirectional when it
 * has {@code _reverse} tensors. A file written before {@code bidirectional} existed has no such key
 * and no such tensors, and loads as unidirectional.
 */
public final class RecurrentCheckpoint {
  private RecurrentCheckpoint() {}

  public static final String MODEL = "model";
  public static final String INPUT_SIZE = "input_size";
  public static final String HIDDEN_SIZE = "hidden_size";
  public static final String NUM_LAYERS = "num_layers";
  public static final String BIDIRECTIONAL = "bidirectional";

  /** The metadata that describes {@code model}. */
  public static Map<String, String> metadata(Recurrent model) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(MODEL, model.kind().metadataName());
    meta.put(INPUT_SIZE, Integer.toString(model.inputSize()));
    meta.put(HIDDEN_SIZE, Integer.toString(model.hiddenSize()));
    meta.put(NUM_LAYERS, Integer.toString(model.numLayers()));
    meta.put(BIDIRECTIONAL, Boolean.toString(model.bidirectional()));
    return meta;
  }

  /** The metadata that describes {@code model}: its {@code model} is the table's id. */
  public static Map<String, String> metadata(MinRecurrent model) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(MODEL, architectureOf(model.kind()).id());
    meta.put(INPUT_SIZE, Integer.toString(model.inputSize()));
    meta.put(HIDDEN_SIZE, Integer.toString(model.hiddenSize()));
    meta.put(NUM_LAYERS, Integer.toString(model.numLayers()));
    meta.put(BIDIRECTIONAL, "false");
    return meta;
  }

  /** Writes {@code model} atomically: a reader never sees a half-written file. */
  public static void save(Path path, Recurrent model) throws IOException {
    Safetensors.write(path, model.stateDict(), metadata(model));
  }

  /** Writes {@code model} atomically: a reader never sees a half-written file. */
  public static void save(Path path, MinRecurrent model) throws IOException {
    Safetensors.write(path, model.stateDict(), metadata(model));
  }

  /**
   * The architecture {@code file} holds: the one its metadata names, else {@code ifMissing}; when
   * both are given they must agree.
   *
   * @throws IllegalArgumentException for an unknown name, a disagreement, or neither
   */
  public static Architecture architecture(
      SafetensorsFile file, Architecture ifMissing, String where) {
    String named = file.metadata().get(MODEL);
    if (named == null) {
      if (ifMissing != null) return ifMissing;
      throw new IllegalArgumentException(
          where
              + " has no '"
              + MODEL
              + "' metadata; name the model ("
              + String.join(", ", Architecture.recurrentIds())
              + ")");
    }
    Architecture a;
    try {
      a = Architecture.fromName(named);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    if (ifMissing != null && ifMissing != a) {
      throw new IllegalArgumentException(
          where + " describes a " + a.id() + " model, not " + ifMissing.id());
    }
    return a;
  }

  private static Architecture architectureOf(MinRecurrentKind kind) {
    return switch (kind) {
      case MIN_GRU -> Architecture.MIN_GRU;
      case MIN_LSTM -> Architecture.MIN_LSTM;
    };
  }

  /**
   * Reads a minGRU or minLSTM stack. The kind comes from the file's metadata, or from {@code
   * kindIfMissing} when the file has none; if both are given they must agree.
   *
   * @throws SafetensorsException for a malformed file
   * @throws IllegalArgumentException when the tensors do not form the described model
   */
  public static MinRecurrent loadMinRecurrent(Path path, MinRecurrentKind kindIfMissing)
      throws IOException {
    return minRecurrentFromFile(Safetensors.read(path), kindIfMissing, path.toString());
  }

  /** {@link #loadMinRecurrent} of a file already read; {@code where} names it in messages. */
  public static MinRecurrent minRecurrentFromFile(
      SafetensorsFile file, MinRecurrentKind kindIfMissing, String where) {
    Architecture a =
        architecture(file, kindIfMissing == null ? null : architectureOf(kindIfMissing), where);
    MinRecurrentKind kind =
        a.minRecurrentKind()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        where
                            + " describes a "
                            + a.id()
                            + " model, not a minGRU or minLSTM stack; load it with"
                            + " RecurrentCheckpoint.load"));
    if (!file.contains("weight_ih_l0")) {
      throw new IllegalArgumentException(
          where + " has no tensor 'weight_ih_l0'; it is not a recurrent model's state_dict");
    }
    int[] wih = file.shape("weight_ih_l0");
    if (wih.length != 2 || wih[0] % kind.gateCount() != 0) {
      throw new IllegalArgumentException(
          String.format(
              "%s: weight_ih_l0 has shape %s; a %s needs [%d*H, I]",
              where, java.util.Arrays.toString(wih), a.label(), kind.gateCount()));
    }
    int hidden = wih[0] / kind.gateCount(), input = wih[1];
    int layers = 0;
    while (file.contains("weight_ih_l" + layers)) layers++;
    String declared = file.metadata().get(BIDIRECTIONAL);
    if ("true".equals(declared)) {
      throw new IllegalArgumentException(
          where
              + ": metadata says bidirectional = true; a "
              + a.label()
              + " stack has one direction");
    }
    checkMetadata(file.metadata(), INPUT_SIZE, input, where);
    checkMetadata(file.metadata(), HIDDEN_SIZE, hidden, where);
    checkMetadata(file.metadata(), NUM_LAYERS, layers, where);
    MinRecurrent model;
    try {
      model = new MinRecurrent(kind, input, hidden, layers);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    String described = layers + "-layer " + a.id() + " with input " + input + ", hidden " + hidden;
    loadExactly(file, model, described, where);
    return model;
  }

  /**
   * Loads every parameter of {@code model} from {@code file}, which must hold exactly those
   * tensors: names first (missing, unexpected), so that a stray tensor of another type is reported
   * as unexpected rather than as unreadable.
   */
  private static void loadExactly(
      SafetensorsFile file, Module model, String described, String where) {
    List<String> expected = new ArrayList<>();
    for (Parameter p : model.parameters()) expected.add(p.name());
    for (String name : expected) {
      if (!file.contains(name)) {
        throw new IllegalArgumentException(
            where
                + " has no tensor '"
                + name
                + "', which a "
                + described
                + " needs; it holds "
                + file.names());
      }
    }
    for (String name : file.names()) {
      if (!expected.contains(name)) {
        throw new IllegalArgumentException(
            where
                + " has the tensor '"
                + name
                + "', which is not a parameter of a "
                + described
                + " (expected "
                + expected
                + ")");
      }
    }
    Map<String, Tensor> state = new LinkedHashMap<>();
    try {
      for (String name : expected) state.put(name, file.tensor(name));
      model.loadStateDict(state);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a model. The kind comes from the file's metadata, or from {@code kindIfMissing} when the
   * file has none; if both are given they must agree.
   *
   * @throws SafetensorsException for a malformed file
   * @throws IllegalArgumentException when the tensors do not form the described model
   */
  public static Recurrent load(Path path, RecurrentKind kindIfMissing) throws IOException {
    SafetensorsFile file = Safetensors.read(path);
    return fromFile(file, kindIfMissing, path.toString());
  }

  /** {@link #load} of a file already read; {@code where} names it in messages. */
  public static Recurrent fromFile(
      SafetensorsFile file, RecurrentKind kindIfMissing, String where) {
    Map<String, String> meta = file.metadata();
    Architecture a =
        architecture(file, kindIfMissing == null ? null : Architecture.of(kindIfMissing), where);
    RecurrentKind kind =
        a.recurrentKind()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        where
                            + " describes a "
                            + a.id()
                            + " model, not a torch.nn.RNN/LSTM/GRU stack"
                            + (a.minRecurrentKind().isPresent()
                                ? "; load it with RecurrentCheckpoint.loadMinRecurrent"
                                : "")));
    for (String required : new String[] {"weight_ih_l0", "weight_hh_l0"}) {
      if (!file.contains(required)) {
        throw new IllegalArgumentException(
            where + " has no tensor '" + required + "'; it is not a recurrent model's state_dict");
      }
    }
    int[] wih = file.shape("weight_ih_l0"), whh = file.shape("weight_hh_l0");
    if (wih.length != 2 || whh.length != 2) {
      throw new IllegalArgumentException(
          where + ": weight_ih_l0 and weight_hh_l0 must be matrices");
    }
    int hidden = whh[1];
    int input = wih[1];
    int layers = 0;
    while (file.contains("weight_ih_l" + layers)) layers++;
    if (whh[0] != kind.gateCount() * hidden) {
      throw new IllegalArgumentException(
          String.format(
              "%s: weight_hh_l0 has %d rows; a %s with hidden size %d needs %d (%d gate blocks)",
              where,
              whh[0],
              kind.metadataName(),
              hidden,
              kind.gateCount() * hidden,
              kind.gateCount()));
    }
    boolean bidirectional = bidirectional(file, meta, layers, where);
    checkMetadata(meta, INPUT_SIZE, input, where);
    checkMetadata(meta, HIDDEN_SIZE, hidden, where);
    checkMetadata(meta, NUM_LAYERS, layers, where);

    Recurrent model;
    try {
      model = Recurrent.create(kind, input, hidden, layers, bidirectional);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    loadExactly(file, model, describe(model), where);
    return model;
  }

  /** "2-layer bidirectional lstm with input 4, hidden 5". */
  private static String describe(Recurrent model) {
    return model.numLayers()
        + "-layer "
        + (model.bidirectional() ? "bidirectional " : "")
        + model.kind().metadataName()
        + " with input "
        + model.inputSize()
        + ", hidden "
        + model.hiddenSize();
  }

  /**
   * Whether the file holds a bidirectional model: its metadata says so, or (a bare state_dict) it
   * has {@code _reverse} tensors, which must then be there for every layer.
   */
  private static boolean bidirectional(
      SafetensorsFile file, Map<String, String> meta, int layers, String where) {
    List<Integer> withReverse = new ArrayList<>(), without = new ArrayList<>();
    for (int k = 0; k < layers; k++) {
      (file.contains("weight_ih_l" + k + "_reverse") ? withReverse : without).add(k);
    }
    String declared = meta.get(BIDIRECTIONAL);
    if (declared != null && !declared.equals("true") && !declared.equals("false")) {
      throw new IllegalArgumentException(
          where
              + ": metadata says "
              + BIDIRECTIONAL
              + " = '"
              + declared
              + "'; allowed: true, false");
    }
    if (!withReverse.isEmpty() && !without.isEmpty()) {
      throw new IllegalArgumentException(
          where
              + " has _reverse tensors for layer(s) "
              + withReverse
              + " but not for layer(s) "
              + without
              + "; a bidirectional model has them for every layer, a unidirectional one for none");
    }
    boolean fromTensors = !withReverse.isEmpty();
    if (declared != null && Boolean.parseBoolean(declared) != fromTensors) {
      throw new IllegalArgumentException(
          where
              + ": metadata says "
              + BIDIRECTIONAL
              + " = "
              + declared
              + " but the file has "
              + (fromTensors ? "" : "no ")
              + "_reverse tensors (weight_ih_l0_reverse, ...)");
    }
    return fromTensors;
  }

  private static void checkMetadata(
      Map<String, String> meta, String key, int fromShapes, String where) {
    String value = meta.get(key);
    if (value == null) return;
    if (!value.equals(Integer.toString(fromShapes))) {
      throw new IllegalArgumentException(
          where + ": metadata says " + key + " = " + value + " but the tensors have " + fromShapes);
    }
  }
}
