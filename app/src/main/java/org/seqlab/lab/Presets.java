package org.seqlab.lab;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The article's stories as one click each: a configuration that shows the failure (or its cure)
 * within seconds on a laptop, what to look at, and why it happens.
 */
public final class Presets {
  private Presets() {}

  /**
   * @param name the key in links and tests
   * @param story what happens and why, in two sentences
   * @param watch which chart shows it
   * @param settings the controls that differ from {@link LabConfig#defaults()}
   */
  public record Preset(
      String name, String title, String story, String watch, Map<String, Object> settings) {

    /** The full configuration. */
    public LabConfig config() {
      return LabConfig.check(settings, List.of()).config();
    }

    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("title", title);
      m.put("story", story);
      m.put("watch", watch);
      m.put("config", config().toJson());
      return m;
    }
  }

  private static Map<String, Object> settings(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) m.put((String) keyValues[i], keyValues[i + 1]);
    return m;
  }

  public static final List<Preset> ALL =
      List.of(
          new Preset(
              "vanishing",
              "Vanishing gradient",
              "A vanilla RNN must carry the subject's number 10 words to the verb. Every step back"
                  + " multiplies the gradient by W_hh and tanh' (both below 1 here), so almost"
                  + " nothing of the loss reaches the subject, and accuracy stays at the 50% of a"
                  + " guess.",
              "The gradient-flow chart falls by orders of magnitude over the sequence; in the live"
                  + " heat map the early steps stay dark for the whole run.",
              settings(
                  "model",
                  "rnn",
                  "task",
                  "agreement",
                  "distance",
                  10,
                  "hidden",
                  32,
                  "steps",
                  2000,
                  "lr",
                  3e-3)),
          new Preset(
              "exploding",
              "Exploding gradient",
              "A ReLU RNN whose W_hh has spectral radius 2.5, trained with plain SGD and no"
                  + " clipping: every step back can multiply the gradient by up to 2.5, and within"
                  + " a few steps it overflows.",
              "The run stops where it broke, naming the parameter and the gradient norm; resume it"
                  + " with clipping on and it trains.",
              settings(
                  "model",
                  "rnn",
                  "activation",
                  "relu",
                  "task",
                  "adding",
                  "distance",
                  10,
                  "hidden",
                  32,
                  "init",
                  "spectral",
                  "spectral_radius",
                  2.5,
                  "clip",
                  false,
                  "optimizer",
                  "sgd",
                  "lr",
                  0.05,
                  "steps",
                  1000)),
          new Preset(
              "highway",
              "LSTM highway",
              "The same task for an LSTM with its forget gate opened (bias 1): the cell state"
                  + " c_t = f_t·c_(t-1) + i_t·g_t passes the gradient back through f_t alone, not"
                  + " through W_hh, so it reaches the subject and the LSTM learns the agreement.",
              "‖∂L/∂c_t‖ (dashed) stays level where ‖∂L/∂h_t‖ of the RNN falls; accuracy jumps"
                  + " from 0.5 to 1.",
              settings(
                  "model",
                  "lstm",
                  "task",
                  "agreement",
                  "distance",
                  10,
                  "hidden",
                  32,
                  "forget_bias",
                  1.0,
                  "steps",
                  2500,
                  "lr",
                  3e-3)),
          new Preset(
              "bottleneck",
              "The bottleneck",
              "A recurrent model keeps everything it has read in one vector of H numbers. Asked"
                  + " for the value of one key among 8 pairs, an LSTM with H = 16 runs out of room;"
                  + " raise the hidden size and watch the score climb.",
              "The score curve stops well below 1; compare runs at H 16 and H 64.",
              settings(
                  "model",
                  "lstm",
                  "task",
                  "recall",
                  "distance",
                  8,
                  "hidden",
                  16,
                  "steps",
                  2000,
                  "lr",
                  3e-3)),
          new Preset(
              "attention",
              "Attention reaches everything",
              "A two-head Transformer on agreement 20 words apart, where the RNN and the LSTM"
                  + " fail: attention links the verb's position to the subject in one step,"
                  + " whatever the distance between them.",
              "The attention maps: the last word's row lights up at the subject, near the first"
                  + " token, 20 positions back.",
              settings(
                  "model",
                  "transformer",
                  "task",
                  "agreement",
                  "distance",
                  20,
                  "hidden",
                  32,
                  "heads",
                  2,
                  "layers",
                  2,
                  "steps",
                  800,
                  "lr",
                  3e-3)));

  public static Preset named(String name) {
    for (Preset p : ALL) if (p.name().equals(name)) return p;
    throw new IllegalArgumentException("no preset " + name);
  }
}
