package org.seqlab.train;

/**
 * What one training step did, as listeners see it.
 *
 * @param step the number of steps done, this one included (1 for the first)
 * @param seconds wall-clock seconds since the run began (across resumes)
 * @param loss the training loss of this step's batch, nats per predicted token
 * @param gradientNorm the global norm of all gradients before clipping
 * @param parameterGradientNorms each parameter's gradient norm before clipping, in the order of
 *     {@link TrainingListener#onStart}'s names
 * @param learningRate the rate this step used
 * @param tokensPerSecond predicted tokens per second of this step
 */
public record StepReport(
    long step,
    double seconds,
    double loss,
    double gradientNorm,
    double[] parameterGradientNorms,
    double learningRate,
    double tokensPerSecond) {}
