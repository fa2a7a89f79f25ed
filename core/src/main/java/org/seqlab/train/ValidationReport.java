package org.seqlab.train;

/**
 * One validation pass.
 *
 * @param step training steps done when it ran
 * @param seconds wall-clock seconds since the run began
 * @param loss the mean loss over every validation token: nats per token, or the mean squared error
 * @param accuracy the share of asked tokens whose most likely prediction is the target (NaN when
 *     the task asks for values)
 * @param best whether this is the lowest validation loss so far
 * @param bestLoss the lowest validation loss so far (this one included)
 */
public record ValidationReport(
    long step, double seconds, double loss, double accuracy, boolean best, double bestLoss) {}
