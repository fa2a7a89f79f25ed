package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.nn.LanguageModel;
import org.seqlab.tasks.Agreement;
import org.seqlab.train.LearningRateSchedule;
import org.seqlab.train.Optimizer;
import org.seqlab.train.Trainer;
import org.seqlab.train.TrainingOptions;
import org.seqlab.train.TrainingResult;

/** The README's Java example, as written there (with fewer steps), compiles and runs. */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleRuns() {
    int steps = 20; // the README trains 3000
    Agreement task = new Agreement(40, 32, 512, 7); // distance, batch, validation, seed
    ModelSpec lstm = ModelSpec.of("lstm", 40, 1, 16, 1).withForgetBias(1);
    LanguageModel model =
        lstm.build(
            new ModelSpec.Shape(task.vocabularySize(), 0, task.outputSize(), task.steps()), 7);
    TrainingOptions options =
        new TrainingOptions(
            Optimizer.Settings.defaults(Optimizer.Kind.ADAM),
            LearningRateSchedule.constant(2e-3),
            1.0,
            steps,
            0,
            50,
            0,
            0,
            7,
            0.99,
            0); // ..., goal accuracy
    TrainingResult result = new Trainer(model, task, options).run();
    assertEquals(steps, result.steps());
    assertTrue(result.validationAccuracy() >= 0 && result.validationAccuracy() <= 1);
    assertEquals(0.5, task.baseline());
  }
}
