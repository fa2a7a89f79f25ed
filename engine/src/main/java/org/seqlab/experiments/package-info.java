/**
 * The engine's runs and programs: a {@link org.seqlab.experiments.TrainingRun} trains one model
 * into a run directory from a {@link org.seqlab.experiments.TrainingRunConfig} (what {@code seqlab
 * train} and the web lab start), the article's programs, attention maps, parallelism and layer
 * benchmarks, sampling. What a face shows is described here and drawn there: a {@link
 * org.seqlab.experiments.Figure} is a chart as data, handed to the {@link
 * org.seqlab.experiments.FigureSink} the caller gives ({@link
 * org.seqlab.experiments.FigureSink#NONE} draws nothing); {@link org.seqlab.experiments.Units}
 * formats counts and durations for every face.
 *
 * <p>It stands on the library ({@code tensor}, {@code nn}, {@code train}, {@code tasks}, {@code
 * probe}, {@code io}) and imports nothing of {@code experiments.sweep}, which stands on it, nor of
 * the faces ({@code cli}, {@code web}, {@code lab}, {@code view}), the Spark side ({@code sweep}),
 * picocli, Helidon, XChart, AWT or Spark: {@code EngineArchitectureTest} checks it.
 */
package org.seqlab.experiments;
