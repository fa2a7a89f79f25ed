package org.seqlab.view;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.Figure.Scale;
import org.seqlab.experiments.Figure.Series;
import org.seqlab.experiments.FigureSink;
import org.seqlab.io.AtomicFiles;

/** Line charts written as PNG files, for curves that say more than a table. */
public final class Plots {

  static {
    // Encode in memory: ImageIO's default disk cache asks for its temporary files to be deleted at
    // exit, which the JVM refuses once a Ctrl-C has begun the shutdown, and the last plots of a
    // run that is stopping are drawn just then.
    javax.imageio.ImageIO.setUseCache(false);
  }

  private Plots() {}

  /** The engine's figures, drawn here: what the faces hand to runs and experiments. */
  public static final FigureSink FIGURES = Plots::draw;

  /**
   * Draws a figure the engine described into {@code png} (and its SVG beside it, where it asks for
   * one).
   */
  public static void draw(Figure figure, Path png) throws IOException {
    scoreChart(
        png,
        figure.alsoSvg(),
        figure.title(),
        figure.xLabel(),
        figure.xScale(),
        figure.yLabel(),
        figure.yScale(),
        figure.series(),
        figure.errors(),
        figure.baseline(),
        figure.yMax());
  }

  /**
   * Draws {@code series} as lines on one chart and writes it to {@code png} atomically. Points that
   * a log axis cannot show (zero, negative, NaN) are left out of that series.
   */
  public static void lineChart(
      Path png,
      String title,
      String xLabel,
      Scale xScale,
      String yLabel,
      Scale yScale,
      List<Series> series)
      throws IOException {
    lineChart(png, false, title, xLabel, xScale, yLabel, yScale, series);
  }

  /**
   * As {@link #lineChart(Path, String, String, Scale, String, Scale, List)}, and with {@code
   * alsoSvg} the same chart as an SVG file beside the PNG ({@code loss.png} and {@code loss.svg}).
   */
  public static void lineChart(
      Path png,
      boolean alsoSvg,
      String title,
      String xLabel,
      Scale xScale,
      String yLabel,
      Scale yScale,
      List<Series> series)
      throws IOException {
    scoreChart(png, alsoSvg, title, xLabel, xScale, yLabel, yScale, series, null, null, null);
  }

  /**
   * Lines with error bars and a reference line: each series {@code i} with {@code errors.get(i)}
   * (the spread at each point, or null for none), and {@code baseline} (or null) drawn as a dashed
   * black line, as for a score against a trivial baseline. The legend stands to the right, one
   * entry a line, so that long names stay whole; {@code yMax} (or null) caps the y axis, as an
   * accuracy's at 1 even where a spread reaches past it.
   */
  public static void scoreChart(
      Path png,
      boolean alsoSvg,
      String title,
      String xLabel,
      Scale xScale,
      String yLabel,
      Scale yScale,
      List<Series> series,
      List<double[]> errors,
      Series baseline,
      Double yMax)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(errors != null || baseline != null ? 1100 : 900)
            .height(540)
            .title(title)
            .xAxisTitle(xLabel)
            .yAxisTitle(yLabel)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setPlotGridVerticalLinesVisible(false);
    // XChart puts a tick on every n-th point of equally spaced x values (steps), closer than a
    // label such as 12,000 is wide: slanted, the labels stay apart.
    chart.getStyler().setXAxisLabelRotation(45);
    chart.getStyler().setPlotBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setXAxisLogarithmic(xScale == Scale.LOG);
    chart.getStyler().setYAxisLogarithmic(yScale == Scale.LOG);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setErrorBarsColorSeriesColor(true);
    if (errors != null || baseline != null) {
      chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
      chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
      chart.getStyler().setXAxisLabelRotation(0);
    }
    if (yMax != null) chart.getStyler().setYAxisMax(yMax);
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      double[] error = errors == null ? null : errors.get(i);
      double[][] kept = keepDrawable(s, error, xScale, yScale);
      if (kept[0].length == 0) continue;
      XYSeries line =
          error == null
              ? chart.addSeries(s.name(), kept[0], kept[1])
              : chart.addSeries(s.name(), kept[0], kept[1], kept[2]);
      line.setMarker(kept[0].length <= 24 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
    if (baseline != null) {
      double[][] kept = keepDrawable(baseline, null, xScale, yScale);
      if (kept[0].length > 0) {
        XYSeries line = chart.addSeries(baseline.name(), kept[0], kept[1]);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(java.awt.Color.BLACK);
        line.setLineStyle(
            new java.awt.BasicStroke(
                1.5f,
                java.awt.BasicStroke.CAP_BUTT,
                java.awt.BasicStroke.JOIN_MITER,
                10f,
                new float[] {6f, 4f},
                0f));
      }
    }
    AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    if (alsoSvg) {
      java.io.ByteArrayOutputStream svg = new java.io.ByteArrayOutputStream();
      VectorGraphicsEncoder.saveVectorGraphic(
          chart, svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      String name = png.getFileName().toString().replaceFirst("\\.png$", "") + ".svg";
      AtomicFiles.write(png.resolveSibling(name), svg.toByteArray());
    }
  }

  private static double[][] keepDrawable(Series s, double[] error, Scale xScale, Scale yScale) {
    int n = 0;
    for (int i = 0; i < s.x().length; i++)
      if (drawable(s.x()[i], xScale) && drawable(s.y()[i], yScale)) n++;
    double[] x = new double[n], y = new double[n], e = new double[n];
    int j = 0;
    for (int i = 0; i < s.x().length; i++) {
      if (drawable(s.x()[i], xScale) && drawable(s.y()[i], yScale)) {
        x[j] = s.x()[i];
        e[j] = error == null || !Double.isFinite(error[i]) ? 0 : error[i];
        y[j++] = s.y()[i];
      }
    }
    return new double[][] {x, y, e};
  }

  private static boolean drawable(double v, Scale scale) {
    return Double.isFinite(v) && (scale == Scale.LINEAR || v > 0);
  }
}
