/**
 * The named experiments and the sweeps that run them: an {@link
 * org.seqlab.experiments.sweep.Experiment} turns its {@link
 * org.seqlab.experiments.sweep.ExperimentSettings} into a plan of independent {@link
 * org.seqlab.experiments.sweep.SweepRun}s (a {@link org.seqlab.experiments.ModelSpec} on a {@link
 * org.seqlab.experiments.sweep.TaskSpec} with a {@link org.seqlab.experiments.sweep.Budget} and a
 * seed), each model at every point of its {@link org.seqlab.experiments.sweep.Tuning} grid where
 * models are compared; a {@link org.seqlab.experiments.sweep.Sweep} trains them side by side
 * through the one training engine; the {@link org.seqlab.experiments.sweep.ExperimentRunner}
 * records each finished run as a {@link org.seqlab.experiments.sweep.SweepRow} and its {@link
 * org.seqlab.experiments.RunCurve}; a {@link org.seqlab.experiments.sweep.Summary} turns the rows
 * into counts with Wilson intervals and verdicts in words, a {@link
 * org.seqlab.experiments.sweep.Hypothesis} says what the counts make of the experiment's claim,
 * {@link org.seqlab.experiments.sweep.ExperimentsDocument} writes EXPERIMENTS.md from the kept
 * results, and the report describes its plots as {@link org.seqlab.experiments.Figure}s for the
 * caller's {@link org.seqlab.experiments.FigureSink}. Where the runs execute is a {@link
 * org.seqlab.experiments.sweep.RunExecutor}'s business: threads here, or Spark tasks ({@code
 * org.seqlab.sweep}). The command line, the web lab and a cluster sweep all go through these
 * classes, so each prints the same numbers and the same words.
 *
 * <p>It stands on {@code org.seqlab.experiments} (never the other way) and the library, and imports
 * nothing of the faces ({@code cli}, {@code web}, {@code lab}, {@code view}), the Spark side
 * ({@code sweep}), picocli, Helidon, XChart or Spark: {@code EngineArchitectureTest} checks it.
 */
package org.seqlab.experiments.sweep;
