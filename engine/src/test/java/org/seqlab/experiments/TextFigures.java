package org.seqlab.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.seqlab.io.AtomicFiles;

/**
 * A {@link FigureSink} for tests: each figure written as a few lines of text where the application
 * would draw it (its title and its series' names and lengths), and the same beside it as {@code
 * .svg} where the figure asks for an SVG. So a test sees which plots the engine asked for, and
 * where, without a plotting library.
 */
public final class TextFigures implements FigureSink {

  public static final TextFigures SINK = new TextFigures();

  private TextFigures() {}

  @Override
  public void draw(Figure figure, Path png) throws IOException {
    StringBuilder s = new StringBuilder(figure.title()).append('\n');
    for (Figure.Series series : figure.series()) {
      s.append(series.name()).append(": ").append(series.x().length).append(" points\n");
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    AtomicFiles.writeString(png, s.toString());
    if (figure.alsoSvg()) {
      String svg = png.getFileName().toString().replaceFirst("\\.png$", "") + ".svg";
      AtomicFiles.writeString(png.resolveSibling(svg), s.toString());
    }
  }
}
