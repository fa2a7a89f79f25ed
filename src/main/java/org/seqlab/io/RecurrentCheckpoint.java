package org.seqlab.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tensor.Tensor;

/**
 * A recurrent model as a safetensors file that PyTorch reads with {@code load_state_dict}: the
 * tensors are the {@code state_dict} of the matching {@code torch.nn.RNN}/{@code LSTM}/{@code GRU}
 * (names {@code weight_ih_l0}, ...; float32), and {@code __metadata__} describes the model:
 *
 * <pre>
 * model        rnn_tanh | rnn_relu | lstm | gru
 * input_size   I
 * hidden_size  H
 * num_layers   L
 * </pre>
 *
 * A file without that metadata (a bare PyTorch {@code state_dict}) loads when the caller names the
 * kind; the sizes are then read off the tensor shapes.
 */
public final class RecurrentCheckpoint {
  private RecurrentCheckpoint() {}

  public static final String MODEL = "model";
  public static final String INPUT_SIZE = "input_size";
  public static final String HIDDEN_SIZE = "hidden_size";
  public static final String NUM_LAYERS = "num_layers";

  /** The metadata that describes {@code model}. */
  public static Map<String, String> metadata(Recurrent model) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(MODEL, model.kind().metadataName());
    meta.put(INPUT_SIZE, Integer.toString(model.inputSize()));
    meta.put(HIDDEN_SIZE, Integer.toString(model.hiddenSize()));
    meta.put(NUM_LAYERS, Integer.toString(model.numLayers()));
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
    checkMetadata(meta, INPUT_SIZE, input, where);
    checkMetadata(meta, HIDDEN_SIZE, hidden, where);
    checkMetadata(meta, NUM_LAYERS, layers, where);

    Recurrent model = Recurrent.create(kind, input, hidden, layers);
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : file.names()) state.put(name, file.tensor(name));
    try {
      model.loadStateDict(state);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    return model;
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
