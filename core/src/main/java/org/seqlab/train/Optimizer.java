package org.seqlab.train;

import java.util.List;
import java.util.Map;
import org.seqlab.nn.Parameter;

/**
 * Updates parameters from their gradients. The learning rate is given at every step, so that a
 * {@link LearningRateSchedule} can change it; everything else an optimizer keeps (momentum,
 * moments) can be read out and put back, so a resumed run continues exactly.
 */
public sealed interface Optimizer permits Sgd, Adam {

  /** The parameters this optimizer updates, in order. */
  List<Parameter> parameters();

  /** Updates every parameter from its current gradient; gradients are left as they are. */
  void step(double learningRate);

  /** Steps taken so far. */
  long steps();

  /**
   * The optimizer's state as named arrays ({@code exp_avg.rnn.weight_hh_l0}, ...), copies. Together
   * with {@link #steps()} it is all a resumed run needs.
   */
  Map<String, double[]> state();

  /** Puts back a {@link #state()} and step count; every array must be present with its size. */
  void restore(Map<String, double[]> state, long steps);

  /** The kinds, with their command-line names. */
  enum Kind {
    SGD("sgd"),
    ADAM("adam"),
    ADAMW("adamw");

    private final String cliName;

    Kind(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    public static Kind fromName(String name) {
      for (Kind k : values()) if (k.cliName.equals(name)) return k;
      throw new IllegalArgumentException(
          "unknown optimizer '" + name + "'; use sgd, adam or adamw");
    }
  }

  /**
   * An optimizer's settings.
   *
   * @param kind SGD (with momentum), Adam (L2 weight decay added to the gradient) or AdamW
   *     (decoupled weight decay)
   * @param momentum SGD: the momentum, in {@code [0, 1)}; ignored otherwise
   * @param beta1 Adam: the first moment's decay, in {@code [0, 1)}
   * @param beta2 Adam: the second moment's decay, in {@code [0, 1)}
   * @param epsilon Adam: added to the denominator, positive
   * @param weightDecay {@code >= 0}
   */
  record Settings(
      Kind kind, double momentum, double beta1, double beta2, double epsilon, double weightDecay) {
    public Settings {
      java.util.Objects.requireNonNull(kind, "kind");
      if (!(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
      }
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
      }
      if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
        throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
      }
      if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
        throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
      }
    }

    /** PyTorch's defaults for {@code kind}: momentum 0.9 for SGD, AdamW's decay 0.01. */
    public static Settings defaults(Kind kind) {
      return new Settings(kind, 0.9, 0.9, 0.999, 1e-8, kind == Kind.ADAMW ? 0.01 : 0);
    }

    /** A new optimizer of these settings over {@code parameters}. */
    public Optimizer create(List<Parameter> parameters) {
      return switch (kind) {
        case SGD -> new Sgd(parameters, momentum, weightDecay);
        case ADAM -> new Adam(parameters, beta1, beta2, epsilon, weightDecay, false);
        case ADAMW -> new Adam(parameters, beta1, beta2, epsilon, weightDecay, true);
      };
    }
  }

  /** Copies {@code from} into a state map under {@code slot.name}. */
  static void putSlots(
      Map<String, double[]> into, String slot, List<Parameter> params, double[][] from) {
    for (int i = 0; i < params.size(); i++)
      into.put(slot + "." + params.get(i).name(), from[i].clone());
  }

  /** Copies the arrays {@code slot.name} of {@code state} into {@code into}, checking sizes. */
  static void takeSlots(
      Map<String, double[]> state, String slot, List<Parameter> params, double[][] into) {
    for (int i = 0; i < params.size(); i++) {
      String key = slot + "." + params.get(i).name();
      double[] values = state.get(key);
      if (values == null) throw new IllegalArgumentException("optimizer state lacks '" + key + "'");
      if (values.length != into[i].length) {
        throw new IllegalArgumentException(
            "optimizer state '"
                + key
                + "' has "
                + values.length
                + " values, expected "
                + into[i].length);
      }
      System.arraycopy(values, 0, into[i], 0, values.length);
    }
  }
}
