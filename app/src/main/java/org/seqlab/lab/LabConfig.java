package org.seqlab.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.Limits;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.Task;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.nn.Architecture;

/**
 * One training run as the web lab configures it: the architecture, its sizes, the task and its
 * difficulty, and the knobs that make the failure modes (the spectral radius of {@code W_hh}, the
 * activation, the forget-gate bias, clipping, the learning rate, the initialisation, the
 * truncated-BPTT window). It becomes a {@link TrainingRunConfig}, the very configuration {@code
 * seqlab train} runs, so the lab and the command line train the same model the same way.
 *
 * <p>The lab's limits are tighter than the command line's: a page anyone can reach must not start a
 * run that takes the machine for an hour. {@link #check} reads a request field by field against
 * {@link #CONTROLS}, clamps what is out of range (saying so) and names what cannot work together.
 *
 * @param model {@code rnn}, {@code lstm}, {@code gru} or {@code transformer}
 * @param activation the RNN's {@code tanh} or {@code relu}
 * @param task a row of the table of tasks ({@link Task}): {@code agreement}, {@code copy}, {@code
 *     adding}, {@code recall}, {@code mqar}, ... or {@code char-lm}
 * @param distance the synthetic task's knob ({@link Task#knob()}: agreement distance, copy delay,
 *     adding length, pairs), in the lab's range for the task ({@link #knobRange})
 * @param text char-lm: the name of one of the lab's texts
 * @param seqLen char-lm: the truncated-BPTT window
 * @param init {@code pytorch} or {@code spectral}
 * @param spectralRadius with {@code init = spectral}: each {@code W_hh} gate block's radius
 * @param forgetBias the LSTM's forget-gate bias at initialisation; null keeps PyTorch's draw
 * @param clip whether the global gradient norm is clipped
 * @param clipThreshold the clipping threshold
 */
public record LabConfig(
    String model,
    String activation,
    String task,
    int distance,
    String text,
    int seqLen,
    int hidden,
    int layers,
    int heads,
    String init,
    double spectralRadius,
    Double forgetBias,
    boolean clip,
    double clipThreshold,
    String optimizer,
    double lr,
    int steps,
    int batch,
    long seed) {

  /**
   * Where a control matters: every run, models with a capability of the table of architectures (a
   * recurrent matrix, a choice of activation, a forget gate, attention heads), or one task.
   */
  public enum Applies {
    ALL,
    RECURRENT_MATRIX,
    ACTIVATION,
    FORGET_GATE,
    ATTENTION,
    SPECTRAL,
    CLIP,
    CHAR_LM,
    SYNTHETIC;

    /** Whether the control matters for {@code c}, and if not, why not (null when it does). */
    String whyNot(LabConfig c) {
      Architecture a = c.architecture();
      String the = "the " + a.label();
      return switch (this) {
        case ALL -> null;
        case RECURRENT_MATRIX ->
            a.hasRecurrentMatrix() ? null : the + " has no recurrent matrix W_hh";
        case ACTIVATION ->
            a == Architecture.RNN || a == Architecture.RNN_RELU
                ? null
                : "only the vanilla RNN chooses its activation";
        case FORGET_GATE -> a.hasForgetGate() ? null : the + " has no forget gate";
        case ATTENTION -> a.hasAttention() ? null : the + " has no attention heads";
        case SPECTRAL ->
            !a.hasRecurrentMatrix()
                ? the + " has no recurrent matrix W_hh"
                : c.init.equals("spectral") ? null : "set the initialisation to spectral first";
        case CLIP -> c.clip ? null : "clipping is off";
        case CHAR_LM ->
            c.taskRow().isText()
                ? null
                : "a synthetic task's sequence is one window, trained through whole";
        case SYNTHETIC -> c.taskRow().isText() ? c.task + " has no difficulty knob" : null;
      };
    }
  }

  /**
   * The architectures the lab offers: every row of the table of architectures but the ReLU RNN,
   * which is the RNN with its activation set to relu.
   */
  public static final List<String> MODELS =
      java.util.Arrays.stream(Architecture.values())
          .filter(a -> a != Architecture.RNN_RELU)
          .map(Architecture::id)
          .toList();

  /**
   * The tasks the lab offers: every row of the table of tasks, the synthetic ones first (a text
   * needs a lab started with one).
   */
  public static final List<String> TASKS =
      java.util.stream.Stream.concat(
              java.util.Arrays.stream(Task.values()).filter(t -> !t.isText()),
              java.util.Arrays.stream(Task.values()).filter(Task::isText))
          .map(Task::id)
          .toList();

  /**
   * The range of a task's knob in the lab, inside the task's own ({@link Task#knobRange()}): runs
   * of a few hundred steps that end in seconds to a minute on a laptop. A text's knob is the window
   * ({@code seq_len}).
   */
  public static Limits.Range knobRange(Task task) {
    return switch (task) {
      case AGREEMENT -> task.knobRange().narrowed(2, 100);
      case COPY -> task.knobRange().narrowed(1, 100);
      case ADDING -> task.knobRange().narrowed(2, 200);
      case RECALL -> task.knobRange().narrowed(1, Task.RECALL_POOL);
      case MQAR -> task.knobRange().narrowed(1, 32);
      case CHAR_LM -> task.knobRange().narrowed(4, 256);
    };
  }

  /** The distance control's range: every synthetic task's range in the lab, together. */
  private static Limits.Range distanceRange() {
    long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
    for (Task t : Task.values()) {
      if (t.isText()) continue;
      min = Math.min(min, knobRange(t).min());
      max = Math.max(max, knobRange(t).max());
    }
    return Limits.DISTANCE.narrowed(min, max);
  }

  /** The distance control's help: each synthetic task's knob and its range in the lab. */
  private static String distanceHelp() {
    List<String> parts = new ArrayList<>();
    for (Task t : Task.values()) if (!t.isText()) parts.add(t.id() + " " + knobRangeWords(t));
    return "the task's difficulty: " + String.join(", ", parts);
  }

  /** A task's knob and its range in the lab, from {@link #knobRange}: "distance d, 2 to 100". */
  static String knobRangeWords(Task t) {
    Limits.Range r = knobRange(t);
    return String.format(Locale.ROOT, "%s, %d to %d", t.knobWords(), r.min(), r.max());
  }

  /**
   * The knob's help for one task, as the page shows it under the control when that task is chosen:
   * what the knob is and its range in the lab, both from {@link #knobRange}, so the help and the
   * slider cannot disagree.
   */
  static String knobHelp(Task t) {
    if (t.isText()) {
      return t.id() + " has no difficulty knob: its window is the truncated-BPTT window";
    }
    return "the task's difficulty: " + knobRangeWords(t) + " in the lab";
  }

  /** The task control's help: what each task asks. */
  private static String taskHelp() {
    List<String> parts = new ArrayList<>();
    for (String id : TASKS) parts.add(id + ": " + Task.fromId(id).summary());
    return String.join("; ", parts);
  }

  /**
   * The lab's tasks as the page's schema has them: for each task the page offers, its label, what
   * it asks, its knob (name, label, the option and the range of the table, the lab's range) and its
   * score, so that the page builds its task menu and the knob's slider without a list of its own.
   */
  public static List<Map<String, Object>> tasksJson() {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String id : TASKS) {
      Task t = Task.fromId(id);
      Limits.Range lab = knobRange(t);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", t.id());
      m.put("label", t.label());
      m.put("summary", t.summary());
      m.put("text", t.isText());
      m.put("knob", t.knob());
      m.put("knob_label", t.knobLabel());
      m.put("option", t.knobRange().option());
      m.put("min", t.knobRange().min());
      m.put("max", t.knobRange().max());
      m.put("lab_min", lab.min());
      m.put("lab_max", lab.max());
      m.put("knob_help", knobHelp(t));
      m.put("metric", t.scoredByAccuracy() ? "accuracy" : "loss");
      rows.add(m);
    }
    return rows;
  }

  /**
   * One setting as the page shows it.
   *
   * @param choices the allowed values of a choice, else empty
   * @param min the smallest allowed value of a number
   * @param max the largest
   * @param log whether a slider should move on a log scale
   * @param nullable whether the value may be null (meaning: keep the default draw)
   * @param row a number's row of the table of limits, whose range {@code [min, max]} narrows: the
   *     option's name and the range every face accepts (null for a choice)
   */
  public record Control(
      String name,
      String label,
      String type,
      List<String> choices,
      double min,
      double max,
      boolean log,
      boolean nullable,
      Object defaultValue,
      Applies applies,
      String help,
      Row row) {

    static Control choice(String name, String label, List<String> choices, Applies a, String h) {
      return new Control(
          name, label, "choice", choices, 0, 0, false, false, choices.get(0), a, h, null);
    }

    /** A whole number in {@code range}, a narrowing of a row of {@link Limits}. */
    static Control integer(
        String name, String label, Limits.Range range, int def, Applies a, String help) {
      Limits.Range table = range.row().range();
      return new Control(
          name,
          label,
          "int",
          List.of(),
          range.min(),
          range.max(),
          false,
          false,
          def,
          a,
          help,
          new Row(range.option(), v -> table.contains((long) v), v -> table.refusal((long) v)));
    }

    /** A real number in {@code range}, a narrowing of a row of {@link Limits.Real}. */
    static Control number(
        String name,
        String label,
        Limits.RealRange range,
        boolean log,
        Object def,
        Applies a,
        String help) {
      Limits.RealRange table = range.row().range();
      return new Control(
          name,
          label,
          "number",
          List.of(),
          range.min(),
          range.max(),
          log,
          def == null,
          def,
          a,
          help,
          new Row(range.option(), table::contains, table::refusal));
    }

    /** Whether {@code v} lies in the table's range (not only the lab's). */
    public boolean inTable(double v) {
      return row == null || row.contains().test(v);
    }

    /** The range in words: "2 to 256", "rnn, lstm, gru or transformer". */
    public String allowed() {
      return switch (type) {
        case "choice" -> String.join(", ", choices);
        case "bool" -> "true or false";
        default -> LabConfig.number(min) + " to " + LabConfig.number(max);
      };
    }

    /** The control as the page's JSON schema has it. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("label", label);
      m.put("type", type);
      if (!choices.isEmpty()) m.put("choices", choices);
      if (type.equals("int") || type.equals("number")) {
        m.put("option", row.option());
        m.put("min", min);
        m.put("max", max);
        if (log) m.put("log", true);
      }
      if (nullable) m.put("nullable", true);
      m.put("default", defaultValue);
      m.put("applies", applies.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      m.put("allowed", allowed());
      m.put("help", help);
      return m;
    }
  }

  /**
   * A control's row of the table of limits: the option that sets it on the command line, whether a
   * value lies in the table's range, and the table's sentence that refuses one outside it.
   */
  public record Row(
      String option,
      java.util.function.DoublePredicate contains,
      java.util.function.DoubleFunction<String> refusal) {}

  /**
   * The lab's architectures as the page's schema has them: for each model the page offers, its
   * label, equation and what it has, so that the page greys out what does not apply without a list
   * of its own.
   */
  public static List<Map<String, Object>> architecturesJson() {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String id : MODELS) {
      Architecture a = Architecture.fromId(id);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", a.id());
      m.put("label", a.label());
      m.put("equation", a.equation());
      m.put("recurrent", a.isRecurrent());
      m.put("cell_state", a.hasCellState());
      m.put("recurrent_matrix", a.hasRecurrentMatrix());
      m.put("forget_gate", a.hasForgetGate());
      m.put("attention", a.hasAttention());
      m.put("activation", a == Architecture.RNN);
      m.put("gates", a.gateNames());
      m.put("pytorch", a.pytorchModule());
      rows.add(m);
    }
    return rows;
  }

  /** The largest number of training steps one lab run may take. */
  public static final int MAX_STEPS = 5000;

  /** The wall-clock limit of one lab run, whatever its steps: no request runs for ever. */
  public static final double TIME_LIMIT_SECONDS = 600;

  /** Every setting, in the order the page shows them. */
  public static final List<Control> CONTROLS =
      List.of(
          Control.choice(
              "model",
              "Architecture",
              MODELS,
              Applies.ALL,
              "the vanilla RNN, the LSTM with its cell-state highway, the GRU, minGRU and minLSTM"
                  + " (gates from the input alone, trained by a parallel scan over time), or a"
                  + " causal Transformer"),
          Control.choice(
              "activation",
              "Activation",
              List.of("tanh", "relu"),
              Applies.ACTIVATION,
              "the RNN's nonlinearity: tanh saturates (gradients shrink), relu does not (they can"
                  + " grow)"),
          new Control(
              "task",
              "Task",
              "choice",
              TASKS,
              0,
              0,
              false,
              false,
              Task.AGREEMENT.id(),
              Applies.ALL,
              taskHelp(),
              null),
          Control.integer(
              "distance", "Distance", distanceRange(), 10, Applies.SYNTHETIC, distanceHelp()),
          new Control(
              "text",
              "Text",
              "choice",
              List.of(),
              0,
              0,
              false,
              true,
              null,
              Applies.CHAR_LM,
              "the text to learn, one the lab was started with (seqlab lab --text FILE)",
              null),
          Control.integer(
              "seq_len",
              "Truncated-BPTT window",
              Limits.SEQ_LEN.narrowed(4, 256),
              64,
              Applies.CHAR_LM,
              "steps the gradient flows back before the window is cut (the state still carries"
                  + " on)"),
          Control.integer(
              "hidden",
              "Hidden size",
              Limits.HIDDEN.narrowed(2, 256),
              32,
              Applies.ALL,
              "hidden units H (the Transformer's width D)"),
          Control.integer(
              "layers",
              "Layers",
              Limits.LAYERS.narrowed(1, 3),
              1,
              Applies.ALL,
              "stacked layers or blocks"),
          Control.integer(
              "heads",
              "Attention heads",
              Limits.HEADS.narrowed(1, 8),
              2,
              Applies.ATTENTION,
              "heads per block; they must divide the width"),
          Control.choice(
              "init",
              "Initialisation",
              List.of("pytorch", "spectral"),
              Applies.RECURRENT_MATRIX,
              "pytorch: every weight uniform in ±1/√H; spectral: each H×H block of W_hh rescaled"
                  + " to an exact spectral radius"),
          Control.number(
              "spectral_radius",
              "Spectral radius of W_hh",
              Limits.Real.SPECTRAL_RADIUS.narrowed(0.05, 5),
              false,
              1.0,
              Applies.SPECTRAL,
              "below 1 the gradient shrinks by about this factor per step back, above 1 it can"
                  + " grow"),
          Control.number(
              "forget_bias",
              "Forget-gate bias",
              Limits.Real.FORGET_BIAS.narrowed(-5, 10),
              false,
              null,
              Applies.FORGET_GATE,
              "a large bias opens the forget gate (σ(3) = 0.95) so the cell state carries the"
                  + " gradient far; empty keeps PyTorch's draw"),
          new Control(
              "clip",
              "Clip gradients",
              "bool",
              List.of(),
              0,
              0,
              false,
              false,
              true,
              Applies.ALL,
              "rescale the gradient when its global norm exceeds the threshold",
              null),
          Control.number(
              "clip_threshold",
              "Clipping threshold",
              Limits.Real.CLIP.narrowed(0.01, 100),
              true,
              1.0,
              Applies.CLIP,
              "the largest global gradient norm a step may use"),
          Control.choice(
              "optimizer",
              "Optimizer",
              List.of("adam", "sgd"),
              Applies.ALL,
              "Adam, or plain SGD (no momentum)"),
          Control.number(
              "lr",
              "Learning rate",
              Limits.Real.LEARNING_RATE.narrowed(1e-5, 1),
              true,
              3e-3,
              Applies.ALL,
              "the step size, constant"),
          Control.integer(
              "steps",
              "Training steps",
              Limits.MAX_STEPS.narrowed(1, MAX_STEPS),
              600,
              Applies.ALL,
              "optimizer steps"),
          Control.integer(
              "batch",
              "Batch",
              Limits.BATCH.narrowed(1, 128),
              32,
              Applies.ALL,
              "sequences per step"),
          Control.integer(
              "seed",
              "Seed",
              Limits.SEED.narrowed(0, Integer.MAX_VALUE),
              1,
              Applies.ALL,
              "the same seed gives the same numbers, bit for bit"));

  /** The control called {@code name}. */
  public static Control control(String name) {
    for (Control c : CONTROLS) if (c.name().equals(name)) return c;
    throw new IllegalArgumentException("no control " + name);
  }

  /** The settings a page starts with. */
  public static LabConfig defaults() {
    return new LabConfig(
        "rnn",
        "tanh",
        Task.AGREEMENT.id(),
        10,
        null,
        64,
        32,
        1,
        2,
        "pytorch",
        1.0,
        null,
        true,
        1.0,
        "adam",
        3e-3,
        600,
        32,
        1);
  }

  /**
   * What {@link #check} made of a request.
   *
   * @param config the request, every value in range (clamped where it was not)
   * @param changes what was changed to get there, one sentence each
   * @param problems what cannot work together; a run starts only when there are none
   * @param fields the field each change or problem is about, in the same order (changes first)
   * @param refusals for each change, the sentence that refuses the value where the lab refuses
   *     rather than clamps (its API's start): the table of limits' own ("--hidden must be in [1,
   *     8192], got 9000") for a value outside the table's range, else the change without its remedy
   *     ("hidden 999 is above its maximum 256")
   */
  public record Checked(
      LabConfig config,
      List<String> changes,
      List<String> problems,
      List<String> fields,
      List<String> refusals) {

    /** Whether the request was taken as it was: nothing clamped, nothing in conflict. */
    public boolean exact() {
      return changes.isEmpty() && problems.isEmpty();
    }
  }

  /**
   * Reads a request: every known key is parsed and clamped into its range, unknown keys are ignored
   * (said in {@code changes}), and combinations that cannot work are named in {@code problems}.
   *
   * @param request field name (snake case) to value: JSON values, or strings from a link's query
   * @param texts the names of the texts the lab may train on
   */
  public static Checked check(Map<String, ?> request, List<String> texts) {
    LabConfig d = defaults();
    Map<String, Object> values = new LinkedHashMap<>(d.toJson());
    if (!texts.isEmpty()) values.put("text", texts.get(0));
    List<String> changes = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> changeFields = new ArrayList<>();
    List<String> problemFields = new ArrayList<>();
    Map<String, String> tableRefusals = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : request.entrySet()) {
      String name = e.getKey();
      Object raw = e.getValue();
      Control control =
          CONTROLS.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
      if (control == null) {
        changes.add("ignored '" + name + "': the lab has no such setting");
        changeFields.add(name);
        continue;
      }
      Object value = read(control, raw, texts, changes, changeFields, tableRefusals);
      if (value != null || control.nullable()) values.put(name, value);
    }
    // The distance's range depends on the task: the lab's, inside the task's own.
    Task task = Task.fromId((String) values.get("task"));
    long distance = ((Number) values.get("distance")).longValue();
    Limits.Range range = knobRange(task);
    if (!task.isText() && !range.contains(distance)) {
      long clamped = Math.max(range.min(), Math.min(range.max(), distance));
      changes.add(
          String.format(
              Locale.ROOT,
              "distance %d is outside %s's range %d to %d; using %d",
              distance,
              task.id(),
              range.min(),
              range.max(),
              clamped));
      changeFields.add("distance");
      values.put("distance", clamped);
      // Outside the task's own range, refused in the table's words: "--distance must be in [1,
      // 8], got 9".
      if (!task.knobRange().contains(distance)) {
        tableRefusals.put("distance", task.knobRange().refusal(distance));
      }
    } else if (task.isText()) {
      // Not used; kept as it came, within an int.
      values.put("distance", Math.max(-1_000_000, Math.min(1_000_000, distance)));
    }
    LabConfig config = fromJson(values);
    if (config.architecture().hasAttention() && config.hidden % config.heads != 0) {
      problems.add(
          String.format(
              Locale.ROOT,
              "%d heads do not divide the width %d: each head takes width/heads columns; try %s",
              config.heads,
              config.hidden,
              dividingHeads(config.hidden)));
      problemFields.add("heads");
    }
    if (config.taskRow().isText() && texts.isEmpty()) {
      problems.add(
          config.task
              + " needs a text, and this lab was started without one: start it with seqlab lab"
              + " --text FILE, or pick a synthetic task");
      problemFields.add("task");
    }
    List<String> fields = new ArrayList<>(changeFields);
    fields.addAll(problemFields);
    List<String> refusals = new ArrayList<>();
    for (int i = 0; i < changes.size(); i++) {
      String change = changes.get(i);
      int cut = change.indexOf("; using");
      refusals.add(
          tableRefusals.getOrDefault(
              changeFields.get(i), cut > 0 ? change.substring(0, cut) : change));
    }
    return new Checked(
        config,
        List.copyOf(changes),
        List.copyOf(problems),
        List.copyOf(fields),
        List.copyOf(refusals));
  }

  private static String dividingHeads(int width) {
    List<String> ok = new ArrayList<>();
    for (int h = 1; h <= 8; h++) if (width % h == 0) ok.add(Integer.toString(h));
    return String.join(", ", ok);
  }

  /**
   * One value of a request, parsed and clamped into the control's range (the lab's, inside the
   * table's); null if it could not be read (said why).
   */
  private static Object read(
      Control c,
      Object raw,
      List<String> texts,
      List<String> changes,
      List<String> fields,
      Map<String, String> tableRefusals) {
    String name = c.name();
    if (raw == null || (raw instanceof String s && s.isBlank())) {
      if (c.nullable()) return null;
      changes.add("'" + name + "' was empty; using the default " + c.defaultValue());
      fields.add(name);
      return null;
    }
    switch (c.type()) {
      case "choice" -> {
        String v = raw.toString().trim();
        List<String> allowed = name.equals("text") ? texts : c.choices();
        if (allowed.contains(v)) return v;
        changes.add(
            "'"
                + name
                + "' cannot be '"
                + v
                + "'; allowed: "
                + (allowed.isEmpty() ? "none" : String.join(", ", allowed))
                + "; using the default");
        fields.add(name);
        return null;
      }
      case "bool" -> {
        String v = raw.toString().trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("on") || v.equals("1")) return true;
        if (v.equals("false") || v.equals("off") || v.equals("0")) return false;
        changes.add("'" + name + "' must be true or false, got '" + raw + "'; using the default");
        fields.add(name);
        return null;
      }
      default -> {
        double v;
        try {
          v = raw instanceof Number n ? n.doubleValue() : Double.parseDouble(raw.toString().trim());
        } catch (NumberFormatException e) {
          changes.add("'" + name + "' must be a number, got '" + raw + "'; using the default");
          fields.add(name);
          return null;
        }
        if (!Double.isFinite(v)) {
          changes.add("'" + name + "' must be finite, got " + raw + "; using the default");
          fields.add(name);
          return null;
        }
        boolean integer = c.type().equals("int");
        if (integer && v != Math.rint(v)) {
          changes.add(
              String.format(
                  Locale.ROOT,
                  "%s %s is not a whole number; using %d",
                  name,
                  number(v),
                  Math.round(v)));
          fields.add(name);
          v = Math.round(v);
        }
        // The distance's range depends on the task; check() clamps it (and says so, in the task's
        // words) once the task is known.
        if (name.equals("distance")) return (long) v;
        // Outside the table's range, refused in the table's words wherever the lab refuses.
        if (!c.inTable(v)) tableRefusals.put(name, c.row().refusal().apply(v));
        if (v < c.min() || v > c.max()) {
          double clamped = Math.max(c.min(), Math.min(c.max(), v));
          changes.add(
              String.format(
                  Locale.ROOT,
                  "%s %s is %s its %s %s; using %s",
                  name,
                  number(v),
                  v < c.min() ? "below" : "above",
                  v < c.min() ? "minimum" : "maximum",
                  number(v < c.min() ? c.min() : c.max()),
                  number(clamped)));
          fields.add(name);
          v = clamped;
        }
        return integer ? (Object) (long) v : (Object) v;
      }
    }
  }

  static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    String s = String.format(Locale.ROOT, "%.4g", v);
    int e = s.indexOf('e');
    String mantissa = e < 0 ? s : s.substring(0, e), exponent = e < 0 ? "" : s.substring(e);
    if (mantissa.contains(".")) mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
    return mantissa + exponent;
  }

  /** The config as the page's JSON has it: snake-case keys, one per control. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("activation", activation);
    m.put("task", task);
    m.put("distance", distance);
    m.put("text", text);
    m.put("seq_len", seqLen);
    m.put("hidden", hidden);
    m.put("layers", layers);
    m.put("heads", heads);
    m.put("init", init);
    m.put("spectral_radius", spectralRadius);
    m.put("forget_bias", forgetBias);
    m.put("clip", clip);
    m.put("clip_threshold", clipThreshold);
    m.put("optimizer", optimizer);
    m.put("lr", lr);
    m.put("steps", steps);
    m.put("batch", batch);
    m.put("seed", seed);
    return m;
  }

  /** From checked values (every key present, every value in range). */
  static LabConfig fromJson(Map<String, Object> v) {
    return new LabConfig(
        (String) v.get("model"),
        (String) v.get("activation"),
        (String) v.get("task"),
        ((Number) v.get("distance")).intValue(),
        (String) v.get("text"),
        ((Number) v.get("seq_len")).intValue(),
        ((Number) v.get("hidden")).intValue(),
        ((Number) v.get("layers")).intValue(),
        ((Number) v.get("heads")).intValue(),
        (String) v.get("init"),
        ((Number) v.get("spectral_radius")).doubleValue(),
        v.get("forget_bias") == null ? null : ((Number) v.get("forget_bias")).doubleValue(),
        (Boolean) v.get("clip"),
        ((Number) v.get("clip_threshold")).doubleValue(),
        (String) v.get("optimizer"),
        ((Number) v.get("lr")).doubleValue(),
        ((Number) v.get("steps")).intValue(),
        ((Number) v.get("batch")).intValue(),
        ((Number) v.get("seed")).longValue());
  }

  /** The engine's model name: the RNN's activation is part of it. */
  public String engineModel() {
    return model.equals("rnn") && activation.equals("relu") ? "rnn_relu" : model;
  }

  /** The row of the table of architectures. */
  public Architecture architecture() {
    return Architecture.fromId(engineModel());
  }

  /** Whether a matrix {@code W_hh} carries the state, so its spectral radius can be set. */
  public boolean recurrent() {
    return architecture().hasRecurrentMatrix();
  }

  /** Steps between validations: about twenty over the run. */
  int validateEvery() {
    return Math.max(1, steps / 20);
  }

  /**
   * The configuration {@code seqlab train} would run: constant learning rate, no dropout (so every
   * number the page shows is a function of the seed), one thread per run (runs go side by side).
   *
   * @param textFile the file behind {@link #text} (null for a synthetic task)
   */
  public TrainingRunConfig toRunConfig(java.nio.file.Path textFile) {
    boolean charLm = taskRow().isText();
    String opt = optimizer;
    return new TrainingRunConfig(
        task,
        charLm ? textFile.toString() : null,
        null,
        charLm ? 0 : distance,
        charLm ? seqLen : 64,
        batch,
        engineModel(),
        layers,
        hidden,
        hidden,
        0,
        architecture().hasAttention() ? heads : 1,
        ModelSpec.defaultFeedForward(hidden),
        opt,
        lr,
        0,
        0.9,
        0.999,
        1e-8,
        0,
        "constant",
        0,
        lr,
        clip ? clipThreshold : 0,
        steps,
        TIME_LIMIT_SECONDS,
        validateEvery(),
        0,
        0,
        seed,
        1,
        recurrent() && init.equals("spectral") ? spectralRadius : null,
        architecture().hasForgetGate() ? forgetBias : null,
        null,
        null,
        null);
  }

  /**
   * The lab's view of a run the command line started: what each control was. Values outside the
   * lab's ranges are kept as they were (the run exists; the lab only shows it).
   */
  public static LabConfig fromRunConfig(TrainingRunConfig c) {
    String model = c.model().equals("rnn_relu") ? "rnn" : c.model();
    String text =
        c.text() == null ? null : java.nio.file.Path.of(c.text()).getFileName().toString();
    return new LabConfig(
        model,
        c.model().equals("rnn_relu") ? "relu" : "tanh",
        c.task(),
        c.distance(),
        text,
        c.seqLen(),
        c.hidden(),
        c.layers(),
        c.heads(),
        c.spectralRadius() == null ? "pytorch" : "spectral",
        c.spectralRadius() == null ? 1.0 : c.spectralRadius(),
        c.forgetBias(),
        c.clip() > 0,
        c.clip() > 0 ? c.clip() : 1.0,
        c.optimizer(),
        c.lr(),
        (int) Math.min(Integer.MAX_VALUE, c.maxSteps()),
        c.batch(),
        c.seed());
  }

  /** A short name: "LSTM H 32 on agreement distance 10", "GRU H 32 on mqar k 8". */
  public String title() {
    Architecture a = architecture();
    String size = a.hasAttention() ? "D " + hidden + " ×" + layers : "H " + hidden;
    if (layers > 1 && !a.hasAttention()) size += " ×" + layers;
    Task t = Task.ids().contains(task) ? taskRow() : null;
    String on = t == null ? task : t.isText() ? task : task + " " + t.knob() + " " + distance;
    return a.label() + " " + size + " on " + on;
  }

  /** The row of the table of tasks. */
  public Task taskRow() {
    return Task.fromId(task);
  }

  /** Each control that does not matter for this config, with why not. */
  public Map<String, String> inactive() {
    Map<String, String> m = new LinkedHashMap<>();
    for (Control c : CONTROLS) {
      String why = c.applies().whyNot(this);
      if (why != null) m.put(c.name(), why);
    }
    return m;
  }
}
