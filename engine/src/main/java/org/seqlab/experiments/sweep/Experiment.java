package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.RunCurve;
import org.seqlab.tasks.SyntheticTask;

/**
 * A named, reproducible experiment: options with defaults, a plan of independent runs, and a report
 * that says in words what the runs measured. The command line ({@code seqlab run NAME}), the web
 * lab and a sweep on a cluster all go through this one description.
 */
public interface Experiment {

  /** The name on the command line: {@code long-range}, {@code adding}, ... */
  String name();

  /** One line: what is measured. */
  String title();

  /**
   * The hypothesis the experiment tests, in a sentence: what the article leads one to expect, which
   * every face prints before the run as "expected: …" and the report's last line checks ({@link
   * #test}).
   */
  String claim();

  /**
   * What the finished runs say about {@link #claim}, from the counts: confirmed, not confirmed at
   * these settings, or inconclusive. Untested unless the experiment writes the comparison its
   * hypothesis names.
   */
  default Hypothesis test(Summary summary) {
    return Hypothesis.untested();
  }

  /**
   * The settings (by option, without dashes) the experiment tunes per model itself, from a grid of
   * its own around the given value ({@link Tuning}): a {@code --grid} over one of them is refused,
   * since its runs would not be at the value named.
   */
  default List<String> tunes() {
    return List.of();
  }

  /**
   * The end of every report: the hypothesis as {@code seqlab run} printed it before the run, and
   * what the counts say about it.
   */
  default String expectedAndFound(Summary summary) {
    return "expected: " + claim() + "\n" + test(summary).words() + "\n";
  }

  /**
   * How the tuning grid's point is chosen: by the runs that reached the experiment's goal, or, for
   * an experiment without one, by the mean score.
   */
  default Tuning.Judged judged() {
    return Tuning.Judged.BY_GOAL;
  }

  /** The defaults; every field an experiment reads is set. */
  ExperimentSettings defaults();

  /**
   * The options a user may set for this experiment ({@code --models}, {@code --distances}, ...).
   */
  List<String> options();

  /**
   * Checks settings, defaults applied, before anything trains.
   *
   * @throws IllegalArgumentException naming the option and what is allowed
   */
  void check(ExperimentSettings settings);

  /** Every run, in the order they should start (longest first, where it matters). */
  List<SweepRun> plan(ExperimentSettings settings);

  /** Whether the score is an accuracy (higher is better) or a loss (lower is better). */
  SyntheticTask.Metric metric();

  /** The x axis in a word or two, for tables and sentences ("distance", "k"). */
  String xName();

  /** What the x axis of the main plot holds, with its unit ("distance (words)"). */
  String xLabel();

  /** What the score is ("accuracy", "mean squared error", "nats per step"). */
  String scoreName();

  /**
   * Called once for each finished run, with its trained model, before the model is dropped: for
   * what needs the weights (samples of a language model). Nothing by default.
   */
  default void afterRun(Sweep.Finished finished, Path dir) throws IOException {}

  /**
   * The report of finished rows: the table and the verdicts as text, with the plots written into
   * {@code dir}: the experiment describes them, and {@code figures} draws them.
   *
   * @param curves each finished run's curve, by run id
   * @param figures where the plots go
   */
  String report(
      ExperimentSettings settings,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException;
}
