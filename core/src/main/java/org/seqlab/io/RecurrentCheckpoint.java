package org.seqlab.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.seqlab.nn.Parameter;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent model as a safetensors file that PyTorch reads with {@code load_state_dict}: the
 * tensors are the {@code state_dict} of the matching {@code torch.nn.RNN}/{@code LSTM}/{@code GRU}
 * (names {@code weight_ih_l0}, ..., and for a bidirectional model {@code weight_ih_l0_reverse},
 * ...; float32), and {@code __metadata__} describes the model:
 *
 * <pre>
 * model          rnn_tanh | rnn_relu | lstm | gru
 * input_size     I
 * hidden_size    H
 * num_layers     L
 * bidirectional  true | false
 * </pre>
 *
 * A file without that metadata (a bare PyTorch {@code state_dict}) loads when the caller names the
 * kind; the sizes are then read off the tensor shapes, and the model is bidirectional when it has
 * {@code _reverse} tensors. A file written before {@code bidirectional} existed has no such key and
 * no such tensors, and loads as unidirectional.
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

  /** Writes {@code model} atomically: a reader never sees a half-written file. */
  public static void save(Path path, Recurrent model) throws IOException {
    Safetensors.write(path, model.stateDict(), metadata(model));
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

  static Recurrent fromFile(SafetensorsFile file, RecurrentKind kindIfMissing, String where) {
    Map<String, String> meta = file.metadata();
    RecurrentKind kind;
    String named = meta.get(MODEL);
    if (named != null) {
      kind = RecurrentKind.fromMetadataName(named);
      if (kindIfMissing != null && kindIfMissing != kind) {
        throw new IllegalArgumentException(
            where
                + " describes a "
                + kind.metadataName()
                + " model, not "
                + kindIfMissing.metadataName());
      }
    } else if (kindIfMissing != null) {
      kind = kindIfMissing;
    } else {
      throw new IllegalArgumentException(
          where
              + " has no '"
              + MODEL
              + "' metadata; name the model (rnn_tanh, rnn_relu, lstm or gru)");
    }
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
    // Names first (missing, unexpected), so that a stray tensor of another type is reported as
    // unexpected rather than as unreadable.
    List<String> expected = new ArrayList<>();
    for (Parameter p : model.parameters()) expected.add(p.name());
    for (String name : expected) {
      if (!file.contains(name)) {
        throw new IllegalArgumentException(
            where
                + " has no tensor '"
                + name
                + "', which a "
                + describe(model)
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
                + describe(model)
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
