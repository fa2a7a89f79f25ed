/**
 * The Spark side of {@code seqlab sweep}: an experiment's runs as Apache Spark tasks. {@link
 * org.seqlab.sweep.SparkRuns} is the {@link org.seqlab.experiments.sweep.RunExecutor} that runs
 * each {@link org.seqlab.experiments.sweep.SweepRun} as one task ({@link org.seqlab.sweep.TrainRun}
 * on the executor, its {@link org.seqlab.sweep.TaskResult} back to the driver); {@link
 * org.seqlab.sweep.SweepListener} counts executors and failed attempts; {@link
 * org.seqlab.sweep.SparkMaster} checks and reaches the master URL; {@link
 * org.seqlab.sweep.SparkJvm} holds the JVM options executors need. The command itself ({@code
 * org.seqlab.cli.SweepCommand}) is the application's.
 *
 * <p>This is what a cluster's executors load (the seqlab-sweep jar and its {@code lib/}): it stands
 * on the engine ({@code experiments}), the library and Spark, and imports nothing of the faces
 * ({@code cli}, {@code web}, {@code lab}, {@code view}), picocli, Helidon or XChart: {@code
 * SweepArchitectureTest} checks it.
 */
package org.seqlab.sweep;
