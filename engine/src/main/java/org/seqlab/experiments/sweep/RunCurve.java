package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.seqlab.io.AtomicFiles;

/**
 * What one run measured as it trained, step by step: the curve behind its row, kept as {@code
 * metrics/RUN.csv} with the columns {@code step, seconds, train_loss, grad_norm, val_loss,
 * val_score} (the validation columns empty between validations).
 */
public final class RunCurve {

  static final String HEADER = "step,seconds,train_loss,grad_norm,val_loss,val_score";

  /** One line of the curve. */
  public record Point(
      long step,
      double seconds,
      double trainLoss,
      double gradNorm,
      double validationLoss,
      double validationScore) {}

  private final List<Point> points = new ArrayList<>();

  public List<Point> points() {
    return points;
  }

  void add(Point p) {
    points.add(p);
  }

  /** Writes the curve atomically. */
  public void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    AtomicFiles.writeString(file, toCsv());
  }

  /** The curve as the CSV text {@link #write} writes. */
  public String toCsv() {
    StringBuilder s = new StringBuilder(HEADER).append('\n');
    for (Point p : points) {
      s.append(p.step())
          .append(',')
          .append(number(p.seconds()))
          .append(',')
          .append(number(p.trainLoss()))
          .append(',')
          .append(number(p.gradNorm()))
          .append(',')
          .append(number(p.validationLoss()))
          .append(',')
          .append(number(p.validationScore()))
          .append('\n');
    }
    return s.toString();
  }

  /** Reads a curve that {@link #write} wrote. */
  public static RunCurve read(Path file) throws IOException {
    return fromCsv(Files.readString(file));
  }

  /** The curve in the CSV text that {@link #toCsv} gave. */
  public static RunCurve fromCsv(String csv) {
    RunCurve curve = new RunCurve();
    List<String> lines = csv.lines().toList();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",", -1);
      if (f.length != 6) continue;
      curve.add(
          new Point(
              Long.parseLong(f[0]),
              parse(f[1]),
              parse(f[2]),
              parse(f[3]),
              parse(f[4]),
              parse(f[5])));
    }
    return curve;
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
  }

  private static double parse(String s) {
    return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
  }
}
