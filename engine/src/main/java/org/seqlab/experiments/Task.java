package org.seqlab.experiments;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.seqlab.tasks.AddingProblem;
import org.seqlab.tasks.Agreement;
import org.seqlab.tasks.CopyMemory;
import org.seqlab.tasks.MultiQueryRecall;
import org.seqlab.tasks.Recall;
import org.seqlab.tasks.SyntheticTask;
import org.seqlab.tasks.SyntheticTask.Metric;

/**
 * The table of tasks: everything a run can train on, with its name on the command line and in
 * files, its label in tables and on the lab's page, what it asks in one line, its difficulty knob
 * (name, words, the option that sets it and the range every face accepts), the figure it is scored
 * by, and the factory that makes its sequences.
 *
 * <p>A row is one task: a text ({@link #CHAR_LM}, whose knob is the truncated-BPTT window, {@code
 * --seq-len}) or a seeded generator of {@code org.seqlab.tasks} whose knob is {@code --distance}.
 * Everything that lists tasks (the options and help of {@code train}, the checks of {@link
 * TrainingRunConfig}, a sweep's {@code TaskSpec}, the lab's schema and page, its probes) reads this
 * table, and everything that treats tasks differently does so with an exhaustive {@code switch}
 * over it.
 *
 * <p>To add a task: write its generator in {@code org.seqlab.tasks} (a {@link SyntheticTask}), add
 * a row here with its knob's range (inside {@link Limits#DISTANCE}) and its metric, and give {@link
 * #create} its case; then compile: every exhaustive {@code switch} over the table that must say
 * something about the new row (the lab's range of the knob, how its tokens are shown, ...) is named
 * by the compiler. The tests that go over every row (train's configuration, the lab's schema, a lab
 * run) then cover it without a change.
 */
public enum Task {
  CHAR_LM(
      "char-lm",
      "Character LM",
      "the next character of a text",
      "window",
      "Window T",
      Limits.SEQ_LEN.range(),
      Metric.LOSS),
  ADDING(
      "adding",
      "Adding problem",
      "the sum of the two marked numbers among T",
      "length",
      "Length T",
      Limits.DISTANCE.narrowed(2, AddingProblem.MAX_LENGTH),
      Metric.LOSS),
  COPY(
      "copy",
      "Copy memory",
      "write back 10 symbols after a delay",
      "delay",
      "Delay",
      Limits.DISTANCE.narrowed(1, CopyMemory.MAX_DELAY),
      Metric.LOSS),
  AGREEMENT(
      "agreement",
      "Subject–verb agreement",
      "the verb's number, from the subject d words back",
      "distance",
      "Distance d",
      Limits.DISTANCE.narrowed(2, Agreement.MAX_DISTANCE),
      Metric.ACCURACY),
  RECALL(
      "recall",
      "Key–value recall",
      "the value of the one key asked, among k pairs (of " + Task.RECALL_POOL + " keys)",
      "k",
      "Pairs k",
      Limits.DISTANCE.narrowed(1, Task.RECALL_POOL),
      Metric.ACCURACY),
  MQAR(
      "mqar",
      "Multi-query recall",
      "the values of all k keys, asked after the k pairs (of "
          + MultiQueryRecall.DEFAULT_KEYS
          + " keys)",
      "k",
      "Pairs k",
      Limits.DISTANCE.narrowed(1, MultiQueryRecall.DEFAULT_KEYS),
      Metric.ACCURACY);

  /** The keys (and values) a recall task draws from: the same for a run and a sweep's runs. */
  public static final int RECALL_POOL = 8;

  private final String id;
  private final String label;
  private final String summary;
  private final String knob;
  private final String knobLabel;
  private final Limits.Range knobRange;
  private final Metric metric;

  Task(
      String id,
      String label,
      String summary,
      String knob,
      String knobLabel,
      Limits.Range knobRange,
      Metric metric) {
    this.id = id;
    this.label = label;
    this.summary = summary;
    this.knob = knob;
    this.knobLabel = knobLabel;
    this.knobRange = knobRange;
    this.metric = metric;
  }

  /** The name on the command line, in {@code config.json} and in the lab: {@code agreement}. */
  public String id() {
    return id;
  }

  /** The name in tables and on the page: {@code Subject–verb agreement}. */
  public String label() {
    return label;
  }

  /** What the model must predict, in one line, for help texts and the lab. */
  public String summary() {
    return summary;
  }

  /**
   * The knob's name, as the task itself and a sweep's run name it ({@link
   * SyntheticTask#difficultyName()}): {@code length}, {@code delay}, {@code distance}, {@code k},
   * {@code window}.
   */
  public String knob() {
    return knob;
  }

  /** The knob in the page's words, with its symbol: {@code Distance d}, {@code Pairs k}. */
  public String knobLabel() {
    return knobLabel;
  }

  /** The knob in a sentence's words: {@code distance d}, {@code pairs k}, {@code length T}. */
  public String knobWords() {
    return Character.toLowerCase(knobLabel.charAt(0)) + knobLabel.substring(1);
  }

  /**
   * The option that sets the knob ({@code --distance}, or {@code --seq-len} for a text) and the
   * range every face accepts; a face that accepts less narrows it.
   */
  public Limits.Range knobRange() {
    return knobRange;
  }

  /** Which validation figure is the task's score: an accuracy, or a loss. */
  public Metric metric() {
    return metric;
  }

  /** Whether the task's score is its validation accuracy (else its validation loss). */
  public boolean scoredByAccuracy() {
    return metric == Metric.ACCURACY;
  }

  /**
   * Whether the task is cut from a text ({@code --text}), rather than drawn from a seeded generator
   * at a difficulty ({@code --distance}).
   */
  public boolean isText() {
    return this == CHAR_LM;
  }

  /**
   * The task at difficulty {@code difficulty}, its data drawn from {@code seed}. Recall runs in the
   * {@link Recall.Layout#PAIRED} layout, one token per pair.
   *
   * @param difficulty the knob's value, in {@link #knobRange()}
   * @param pool recall only: the number of distinct keys (and values), {@link #RECALL_POOL} for a
   *     run; ignored by the other tasks
   * @throws IllegalArgumentException for a value out of its range, or for a text (it is cut into
   *     streams from its file: {@code TextStreams})
   */
  public SyntheticTask create(int difficulty, int batch, int validation, int pool, long seed) {
    return switch (this) {
      case ADDING -> new AddingProblem(difficulty, batch, validation, seed);
      case COPY -> new CopyMemory(difficulty, batch, validation, seed);
      case AGREEMENT -> new Agreement(difficulty, batch, validation, seed);
      case RECALL -> new Recall(difficulty, batch, validation, seed, pool, Recall.Layout.PAIRED);
      case MQAR -> new MultiQueryRecall(difficulty, batch, validation, seed);
      case CHAR_LM ->
          throw new IllegalArgumentException(
              "char-lm is cut from a text (--text FILE), not drawn from a generator");
    };
  }

  /**
   * The row in one line, for help texts: {@code agreement: the verb's number, from the subject d
   * words back (--distance: distance d, 2 to 1000; scored by accuracy)}.
   */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s: %s (%s: %s, %d to %d; scored by %s)",
        id,
        summary,
        knobRange.option(),
        knobWords(),
        knobRange.min(),
        knobRange.max(),
        scoredByAccuracy() ? "accuracy" : "loss");
  }

  /** Every name, in the table's order: {@code char-lm, adding, copy, agreement, recall, mqar}. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(Task::id).toList();
  }

  /** The names of the generated tasks (every row but the text), in the table's order. */
  public static List<String> syntheticIds() {
    return Arrays.stream(values()).filter(t -> !t.isText()).map(Task::id).toList();
  }

  /**
   * The task named {@code id}.
   *
   * @throws IllegalArgumentException "unknown task 'sorting'; use char-lm, adding, ..."
   */
  public static Task fromId(String id) {
    for (Task t : values()) {
      if (t.id.equals(id)) return t;
    }
    throw new IllegalArgumentException(
        "unknown task '"
            + id
            + "'; use "
            + Arrays.stream(values()).map(Task::id).collect(Collectors.joining(", ")));
  }
}
