package org.seqlab.experiments;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the engine hands the figures it describes: the application draws them (with its plotting
 * library), a Spark executor or a test may drop them or keep them. The engine never draws.
 */
@FunctionalInterface
public interface FigureSink {

  /** Draws nothing: for callers without a face, and for runs whose plots nobody reads. */
  FigureSink NONE = (figure, png) -> {};

  /**
   * Draws {@code figure} into {@code png} (and, where {@link Figure#alsoSvg} says so, the SVG
   * beside it), replacing what is there.
   */
  void draw(Figure figure, Path png) throws IOException;
}
