package org.seqlab.sweep;

import java.io.Serializable;
import java.util.Map;

/**
 * What one Spark task sends back to the driver: the finished run's row (as {@code result.json}
 * holds it) and curve (as {@code metrics/RUN.csv} holds it), the files the experiment wrote for it,
 * and where and how it ran. Plain text and bytes, so that nothing but this record needs to be
 * {@link Serializable}.
 *
 * @param runId the run's id
 * @param rowJson the row in JSON
 * @param curveCsv the curve in CSV
 * @param files the experiment's files for the run, by path relative to the sweep's directory
 * @param attempt Spark's attempt number of the task (0 the first time)
 * @param executor the executor's id ("driver" in local mode)
 * @param taskSeconds wall-clock seconds inside the task, from reading the run to the result
 */
public record TaskResult(
    String runId,
    String rowJson,
    String curveCsv,
    Map<String, byte[]> files,
    int attempt,
    String executor,
    double taskSeconds)
    implements Serializable {}
