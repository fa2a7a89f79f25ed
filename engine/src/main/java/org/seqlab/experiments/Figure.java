package org.seqlab.experiments;

import java.util.List;

/**
 * A line chart described as data: what the engine wants drawn, and no way of drawing it. A face
 * draws it (the application as a PNG, and an SVG beside it where {@link #alsoSvg} says so) through
 * the {@link FigureSink} it hands the engine.
 *
 * @param title the chart's title
 * @param xLabel what the x axis holds, with its unit
 * @param xScale linear or logarithmic x axis
 * @param yLabel what the y axis holds, with its unit
 * @param yScale linear or logarithmic y axis
 * @param series the curves, one line each
 * @param errors null, or the spread at each point of each series ({@code errors.get(i)} for {@code
 *     series.get(i)}, itself null for none), drawn as error bars
 * @param baseline null, or a reference line (a trivial baseline), drawn dashed
 * @param yMax null, or where the y axis ends (an accuracy's at 1, where a spread reaches past it)
 * @param alsoSvg whether an SVG of the same chart goes beside the PNG ({@code loss.png} and {@code
 *     loss.svg})
 */
public record Figure(
    String title,
    String xLabel,
    Scale xScale,
    String yLabel,
    Scale yScale,
    List<Series> series,
    List<double[]> errors,
    Series baseline,
    Double yMax,
    boolean alsoSvg) {

  /** One named curve: {@code y[i]} at {@code x[i]}. */
  public record Series(String name, double[] x, double[] y) {
    public Series {
      if (x.length != y.length)
        throw new IllegalArgumentException("series " + name + ": x and y differ in length");
    }
  }

  /** Axis scales. Points a log axis cannot show (zero, negative, NaN) are left out of a series. */
  public enum Scale {
    LINEAR,
    LOG
  }

  public Figure {
    series = List.copyOf(series);
    if (errors != null && errors.size() != series.size()) {
      throw new IllegalArgumentException(
          errors.size() + " lists of errors for " + series.size() + " series");
    }
  }

  /** Lines on one chart: no error bars, no baseline, no SVG. */
  public static Figure lines(
      String title, String xLabel, Scale xScale, String yLabel, Scale yScale, List<Series> series) {
    return new Figure(title, xLabel, xScale, yLabel, yScale, series, null, null, null, false);
  }

  /** This figure, with error bars, a baseline and a cap on the y axis (each may be null). */
  public Figure scores(List<double[]> errors, Series baseline, Double yMax) {
    return new Figure(
        title, xLabel, xScale, yLabel, yScale, series, errors, baseline, yMax, alsoSvg);
  }

  /** This figure, also as an SVG beside the PNG. */
  public Figure withSvg() {
    return new Figure(title, xLabel, xScale, yLabel, yScale, series, errors, baseline, yMax, true);
  }
}
