package org.seqlab.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.seqlab.io.AtomicFiles;
import org.seqlab.train.StepReport;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;
import org.seqlab.train.TrainingState;
import org.seqlab.train.ValidationReport;

/**
 * What a run measured as it trained, step by step: the one format of a run's curve, whichever face
 * started the run. A training run keeps it as {@code metrics.csv} in its directory (appended as it
 * trains), each run of a sweep as {@code metrics/RUN.csv} in the sweep's directory (written when
 * the run finishes). The columns, always all of them and in this order:
 *
 * <pre>
 *   step          the training steps done
 *   seconds       wall-clock seconds since the run began, at the end of the step
 *   train_loss    the step's training loss
 *   val_loss      the validation loss, where one was measured at this step
 *   grad_norm     the global gradient norm before clipping
 *   lr            the learning rate the step used (a sweep's runs: their constant rate)
 *   tokens_per_s  training throughput so far
 *   val_score     where validated, the task's score: the accuracy of a task scored by accuracy
 *                 (agreement, recall), else the validation loss again (char-lm, adding, copy)
 * </pre>
 *
 * A cell is empty where the run has no value: the validation columns between validations, the
 * step's columns of a validation with no step of its own (before the first step). Losses, norms,
 * rates and scores are written in full (the shortest decimal that reads back to the same {@code
 * double}), seconds to the millisecond, throughput to a tenth.
 *
 * <p>{@link #fromCsv} takes the columns by their header names, so the curves written before this
 * format still read: {@code metrics.csv} without {@code val_score}, and a sweep's {@code step,
 * seconds, train_loss, grad_norm, val_loss, val_score}.
 */
public final class RunCurve {

  /** The columns, in the order every curve file has them. */
  public static final List<String> COLUMNS =
      List.of(
          "step",
          "seconds",
          "train_loss",
          "val_loss",
          "grad_norm",
          "lr",
          "tokens_per_s",
          "val_score");

  /** The header line. */
  public static final String HEADER = String.join(",", COLUMNS);

  /** One row of the curve; NaN where the row has no value. */
  public record Point(
      long step,
      double seconds,
      double trainLoss,
      double validationLoss,
      double gradNorm,
      double learningRate,
      double tokensPerSecond,
      double validationScore) {

    /** The row as a line of the file, without its line end. */
    public String toCsv() {
      return step
          + ","
          + fixed(seconds, "%.3f")
          + ","
          + full(trainLoss)
          + ","
          + full(validationLoss)
          + ","
          + full(gradNorm)
          + ","
          + full(learningRate)
          + ","
          + fixed(tokensPerSecond, "%.1f")
          + ","
          + full(validationScore);
    }

    /** Whether a validation was measured at this row's step. */
    public boolean validated() {
      return !Double.isNaN(validationLoss);
    }
  }

  private final List<Point> points = new ArrayList<>();

  public List<Point> points() {
    return points;
  }

  public void add(Point p) {
    points.add(p);
  }

  /**
   * How far the validation score moved over the last {@code share} of the steps: the score of the
   * last validation minus that of the last validation at or before {@code (1 - share)} of its step;
   * NaN where the curve has no such pair of validations.
   */
  public double lateChange(double share) {
    Point last = null;
    for (Point p : points) if (p.validated() && !Double.isNaN(p.validationScore())) last = p;
    if (last == null) return Double.NaN;
    double cut = last.step() * (1 - share);
    Point before = null;
    for (Point p : points) {
      if (p.step() > cut) break;
      if (p.validated() && !Double.isNaN(p.validationScore())) before = p;
    }
    return before == null || before == last
        ? Double.NaN
        : last.validationScore() - before.validationScore();
  }

  /** Writes the curve whole, atomically. */
  public void write(Path file) throws IOException {
    if (file.getParent() != null) Files.createDirectories(file.getParent());
    AtomicFiles.writeString(file, toCsv());
  }

  /** The curve as the text of its file. */
  public String toCsv() {
    StringBuilder s = new StringBuilder(HEADER).append('\n');
    for (Point p : points) s.append(p.toCsv()).append('\n');
    return s.toString();
  }

  /** Reads a curve file, in this format or an older one. */
  public static RunCurve read(Path file) throws IOException {
    return fromCsv(Files.readString(file));
  }

  /**
   * The curve in the text of a curve file: this format, or either older one (columns are taken by
   * name; a column the file lacks reads as NaN). A row cut short (a process killed while writing)
   * is skipped.
   */
  public static RunCurve fromCsv(String csv) {
    RunCurve curve = new RunCurve();
    List<String> lines = csv.lines().toList();
    if (lines.isEmpty()) return curve;
    List<String> header = List.of(lines.getFirst().trim().split(",", -1));
    int[] at = new int[COLUMNS.size()];
    for (int c = 0; c < at.length; c++) at[c] = header.indexOf(COLUMNS.get(c));
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",", -1);
      if (f.length != header.size()) continue;
      try {
        curve.add(
            new Point(
                Long.parseLong(f[at[0]]),
                cell(f, at[1]),
                cell(f, at[2]),
                cell(f, at[3]),
                cell(f, at[4]),
                cell(f, at[5]),
                cell(f, at[6]),
                cell(f, at[7])));
      } catch (NumberFormatException torn) {
        // a row cut short by a kill
      }
    }
    return curve;
  }

  /**
   * Rewrites the curve file {@code file} in this format if it holds an older one, keeping every
   * row: what a resumed run does before it appends rows of its own.
   */
  public static void upgrade(Path file) throws IOException {
    if (!Files.isRegularFile(file)) return;
    List<String> lines = Files.readAllLines(file);
    if (lines.isEmpty() || lines.getFirst().equals(HEADER)) return;
    read(file).write(file);
  }

  private static double cell(String[] f, int at) {
    if (at < 0 || f[at].isEmpty()) return Double.NaN;
    return Double.parseDouble(f[at]);
  }

  private static String full(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  private static String fixed(double v, String format) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
  }

  /**
   * Makes the rows of a curve from the engine's reports, the same for every face: a step's row
   * waits for the validation measured at its step, if any, and is handed to {@code rows} once
   * complete (at the next step, a checkpoint, or the end).
   */
  public static final class Rows implements TrainingListener {
    private final boolean scoredByAccuracy;
    private final Consumer<Point> rows;
    private StepReport pending;

    /**
     * @param scoredByAccuracy whether the task's score is the validation accuracy (else the
     *     validation loss)
     * @param rows where each finished row goes
     */
    public Rows(boolean scoredByAccuracy, Consumer<Point> rows) {
      this.scoredByAccuracy = scoredByAccuracy;
      this.rows = rows;
    }

    @Override
    public void onStep(StepReport r) {
      flush();
      pending = r;
    }

    @Override
    public void onValidation(ValidationReport v) {
      double score = scoredByAccuracy ? v.accuracy() : v.loss();
      if (pending != null && pending.step() == v.step()) {
        StepReport r = pending;
        pending = null;
        rows.accept(
            new Point(
                r.step(),
                r.seconds(),
                r.loss(),
                v.loss(),
                r.gradientNorm(),
                r.learningRate(),
                r.tokensPerSecond(),
                score));
      } else {
        flush();
        double n = Double.NaN;
        rows.accept(new Point(v.step(), v.seconds(), n, v.loss(), n, n, n, score));
      }
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      flush();
    }

    @Override
    public void onFinish(TrainingResult result) {
      flush();
    }

    /** Hands over the row of the last step, if it still waits. */
    public void flush() {
      if (pending == null) return;
      StepReport r = pending;
      pending = null;
      double n = Double.NaN;
      rows.accept(
          new Point(
              r.step(),
              r.seconds(),
              r.loss(),
              n,
              r.gradientNorm(),
              r.learningRate(),
              r.tokensPerSecond(),
              n));
    }
  }
}
