package org.seqlab.train;

import java.util.Map;
import org.seqlab.tensor.Tensor;

/**
 * Everything a run needs to continue exactly where it stopped: taken at a step boundary, all
 * copies. The data position and the dropout masks are functions of {@code step} and the seed, so
 * the step is their whole state.
 *
 * @param step training steps done
 * @param position where the next step reads, in words ({@link
 *     org.seqlab.tasks.SequenceTask#position})
 * @param seconds wall-clock seconds spent so far
 * @param trainingSeconds of which in training steps (for tokens per second)
 * @param trainingTokens tokens trained on so far
 * @param lastLoss the training loss of the last step (NaN before the first)
 * @param model the parameters by name
 * @param optimizerState the optimizer's arrays ({@link Optimizer#state()})
 * @param optimizerSteps the optimizer's step count
 * @param carried the state the model carries into the next window ({@code h}, {@code c}), empty for
 *     none
 * @param validationLoss the last validation loss (NaN if none yet)
 * @param validationStep the step at which it was measured (-1 if none yet)
 * @param bestValidationLoss the lowest validation loss (infinite if none yet)
 * @param bestStep the step of the lowest validation loss
 * @param validationsWithoutImprovement validation passes since the best one
 */
public record TrainingState(
    long step,
    String position,
    double seconds,
    double trainingSeconds,
    long trainingTokens,
    double lastLoss,
    Map<String, Tensor> model,
    Map<String, double[]> optimizerState,
    long optimizerSteps,
    Map<String, Tensor> carried,
    double validationLoss,
    long validationStep,
    double bestValidationLoss,
    long bestStep,
    int validationsWithoutImprovement) {}
