package org.seqlab.experiments;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.io.RunDirectory;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsWriter;
import org.seqlab.nn.LanguageModel;
import org.seqlab.nn.Parameter;
import org.seqlab.train.StepReport;
import org.seqlab.train.TrainingListener;
import org.seqlab.train.TrainingResult;
import org.seqlab.train.TrainingState;
import org.seqlab.train.ValidationReport;

/**
 * Writes what the engine reports into a run directory, as {@link RunDirectory} lays it out: a row
 * of {@code metrics.csv} (a {@link RunCurve}) and {@code gradient-norms.csv} per step (a step's row
 * waits for its validation loss, if one is measured at that step), the best model at every new best
 * validation loss, checkpoints (the CSV files flushed first, so a resumed run finds every row up to
 * its checkpoint), plots at most every half minute and at the end, and {@code result.json}.
 */
final class RunRecorder implements TrainingListener {
  private final RunDirectory directory;
  private final TrainingRunConfig config;
  private final LanguageModel model;
  private final int vocabularySize;
  private final Map<String, String> metadata;
  private final FigureSink figures;

  /**
   * @param metadata what describes the run in every model file and checkpoint
   * @param figures where the loss and gradient-norm plots are drawn
   * @param scoredByAccuracy whether the task's score ({@code val_score}) is the validation accuracy
   */
  RunRecorder(
      RunDirectory directory,
      TrainingRunConfig config,
      LanguageModel model,
      int vocabularySize,
      Map<String, String> metadata,
      FigureSink figures,
      boolean scoredByAccuracy) {
    this.directory = directory;
    this.config = config;
    this.model = model;
    this.vocabularySize = vocabularySize;
    this.metadata = Map.copyOf(metadata);
    this.figures = figures;
    this.curve = new RunCurve.Rows(scoredByAccuracy, p -> write(metrics, p.toCsv()));
  }

  private BufferedWriter metrics;
  private BufferedWriter gradients;
  private final RunCurve.Rows curve;
  private long lastPlot = System.nanoTime() - 30_000_000_000L;

  @Override
  public void onStart(long step, List<String> parameterNames) {
    try {
      metrics = directory.appendCsv(RunDirectory.METRICS, RunCurve.HEADER);
      gradients =
          directory.appendCsv(
              RunDirectory.GRADIENT_NORMS, "step," + String.join(",", parameterNames));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void onStep(StepReport report) {
    curve.onStep(report);
    StringBuilder row = new StringBuilder().append(report.step());
    for (double n : report.parameterGradientNorms()) row.append(',').append(format(n));
    write(gradients, row.toString());
  }

  @Override
  public void onValidation(ValidationReport report) {
    curve.onValidation(report);
    if (report.best()) saveModel(report);
  }

  private void saveModel(ValidationReport report) {
    SafetensorsWriter w = Safetensors.writer();
    for (Parameter p : model.parameters()) w.f32(p.name(), p.value());
    metadata.forEach(w::metadata);
    w.metadata("step", Long.toString(report.step()));
    w.metadata("val_loss", Double.toString(report.loss()));
    try {
      w.write(directory.file(RunDirectory.MODEL));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void onCheckpoint(TrainingState state) {
    curve.flush();
    try {
      metrics.flush();
      gradients.flush();
      directory.saveCheckpoint(state, metadata);
      // Plots at most every half minute while training: drawing costs a step or two.
      long now = System.nanoTime();
      if (now - lastPlot > 30_000_000_000L) {
        drawPlots();
        lastPlot = now;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void onFinish(TrainingResult result) {
    curve.flush();
    try {
      metrics.close();
      gradients.close();
      if (result.stop() != TrainingResult.Stop.DIVERGED) drawPlots();
      directory.writeJson(RunDirectory.RESULT, resultJson(result));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(BufferedWriter out, String line) {
    try {
      out.write(line);
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String format(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : Double.toString(v);
  }

  private Map<String, Object> resultJson(TrainingResult r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("task", config.task());
    json.put("model", config.model());
    json.put("parameters", model.parameterCount());
    json.put("stop", r.stop().name().toLowerCase(Locale.ROOT));
    json.put("steps", r.steps());
    json.put("seconds", r.seconds());
    json.put("tokens_per_second", r.tokensPerSecond());
    json.put("train_loss", finiteOrNull(r.trainingLoss()));
    json.put("val_loss", finiteOrNull(r.validationLoss()));
    json.put("val_accuracy", finiteOrNull(r.validationAccuracy()));
    json.put("best_val_loss", finiteOrNull(r.bestValidationLoss()));
    json.put("best_step", r.bestStep());
    json.put("vocabulary_size", vocabularySize);
    if (r.divergence() != null) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("step", r.divergence().step());
      d.put("loss", Double.toString(r.divergence().loss()));
      d.put("parameter", r.divergence().parameter());
      d.put("gradient_norm", Double.toString(r.divergence().gradientNorm()));
      d.put("recent_gradient_norms", r.divergence().recentNorms());
      d.put("message", r.divergence().describe());
      json.put("divergence", d);
    }
    return json;
  }

  private static Object finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** Loss and gradient-norm curves from {@code metrics.csv}, as PNG and SVG. */
  private void drawPlots() throws IOException {
    List<double[]> train = new ArrayList<>(),
        validation = new ArrayList<>(),
        norms = new ArrayList<>();
    for (RunCurve.Point p : RunCurve.read(directory.file(RunDirectory.METRICS)).points()) {
      if (!Double.isNaN(p.trainLoss())) train.add(new double[] {p.step(), p.trainLoss()});
      if (p.validated()) validation.add(new double[] {p.step(), p.validationLoss()});
      if (!Double.isNaN(p.gradNorm())) norms.add(new double[] {p.step(), p.gradNorm()});
    }
    if (train.isEmpty()) return;
    String title = config.model() + ", " + config.layers() + " x " + config.hidden();
    figures.draw(
        Figure.lines(
                "Loss, " + title,
                "step",
                Figure.Scale.LINEAR,
                "nats per character",
                Figure.Scale.LINEAR,
                List.of(series("training", smooth(train)), series("validation", validation)))
            .withSvg(),
        directory.file("loss.png"));
    // A log axis only when the norms span decades (an explosion): otherwise it has no labels.
    double low = Double.POSITIVE_INFINITY, high = 0;
    for (double[] n : norms) {
      if (n[1] > 0 && Double.isFinite(n[1])) {
        low = Math.min(low, n[1]);
        high = Math.max(high, n[1]);
      }
    }
    figures.draw(
        Figure.lines(
                "Global gradient norm before clipping, " + title,
                "step",
                Figure.Scale.LINEAR,
                "‖g‖",
                high > 100 * low ? Figure.Scale.LOG : Figure.Scale.LINEAR,
                List.of(series("gradient norm", norms)))
            .withSvg(),
        directory.file("gradient-norm.png"));
  }

  private static Figure.Series series(String name, List<double[]> points) {
    double[] x = new double[points.size()], y = new double[points.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = points.get(i)[0];
      y[i] = points.get(i)[1];
    }
    return new Figure.Series(name, x, y);
  }

  /** A running mean over 1% of the points (at least 1), so the curve shows the trend. */
  private static List<double[]> smooth(List<double[]> points) {
    int window = Math.max(1, points.size() / 100);
    List<double[]> out = new ArrayList<>(points.size());
    double sum = 0;
    for (int i = 0; i < points.size(); i++) {
      sum += points.get(i)[1];
      if (i >= window) sum -= points.get(i - window)[1];
      out.add(new double[] {points.get(i)[0], sum / Math.min(i + 1, window)});
    }
    return out;
  }
}
