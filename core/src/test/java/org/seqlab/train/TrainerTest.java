package org.seqlab.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.CharCorpus;
import org.seqlab.tasks.SequenceTask;
import org.seqlab.tasks.TextStreams;

/** The training loop on a bigram model: fast, so every behaviour of the engine can be pinned. */
class TrainerTest {

  /** "abcd" repeated, with noise: a bigram model learns it to a loss far below ln 4. */
  private static final String TEXT = textOf(4000);

  private static String textOf(int n) {
    SplittableRandom rng = new SplittableRandom(1);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) s.append(rng.nextInt(10) == 0 ? 'e' : "abcd".charAt(i % 4));
    return s.toString();
  }

  private static TextStreams task(int steps, int batch) {
    return new TextStreams(CharCorpus.fromText("test", TEXT, null), steps, batch, 7);
  }

  private static TrainingOptions options(
      long maxSteps, int validateEvery, int patience, double lr) {
    return new TrainingOptions(
        Optimizer.Settings.defaults(Optimizer.Kind.ADAM),
        LearningRateSchedule.constant(lr),
        1.0,
        maxSteps,
        0,
        validateEvery,
        patience,
        0,
        3);
  }

  private static BigramModel model(int vocabulary) {
    BigramModel m = new BigramModel(vocabulary);
    m.initialize(new SplittableRandom(5));
    return m;
  }

  /** Records everything the engine reports. */
  static final class Recording implements TrainingListener {
    final List<StepReport> steps = new ArrayList<>();
    final List<ValidationReport> validations = new ArrayList<>();
    final List<TrainingState> checkpoints = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    TrainingResult result;
    List<String> names;

    @Override
    public void onStart(long step, List<String> parameterNames) {
      names = parameterNames;
    }

    @Override
    public void onStep(StepReport report) {
      steps.add(report);
    }

    @Override
    public void onValidation(ValidationReport report) {
      validations.add(report);
    }

    @Override
    public void onCheckpoint(TrainingState state) {
      checkpoints.add(state);
    }

    @Override
    public void onWarning(String message) {
      warnings.add(message);
    }

    @Override
    public void onFinish(TrainingResult r) {
      result = r;
    }
  }

  @Test
  void learnsTheTextAndReportsEveryStep() {
    TextStreams task = task(8, 4);
    Trainer trainer = new Trainer(model(task.vocabularySize()), task, options(150, 50, 0, 0.05));
    Recording r = new Recording();
    trainer.addListener(r);
    TrainingResult result = trainer.run();

    assertEquals(TrainingResult.Stop.MAX_STEPS, result.stop());
    assertEquals(150, result.steps());
    assertEquals(150, r.steps.size());
    assertEquals(List.of("table", "bias"), r.names);
    for (int i = 0; i < r.steps.size(); i++) {
      StepReport s = r.steps.get(i);
      assertEquals(i + 1, s.step());
      assertEquals(2, s.parameterGradientNorms().length);
      double global = Math.hypot(s.parameterGradientNorms()[0], s.parameterGradientNorms()[1]);
      assertEquals(global, s.gradientNorm(), 1e-12 * global);
      assertEquals(0.05, s.learningRate());
      assertTrue(s.tokensPerSecond() > 0);
    }
    // Validation at 50, 100, 150; the loss falls well below the uniform ln 5 and near the
    // entropy of the text (a 10% chance of 'e': about 0.33 nats), and is the mean over all tokens.
    assertEquals(
        List.of(50L, 100L, 150L), r.validations.stream().map(ValidationReport::step).toList());
    double first = r.steps.getFirst().loss();
    assertEquals(Math.log(5), first, 0.1);
    assertTrue(result.validationLoss() < 0.5, "validation loss " + result.validationLoss());
    assertEquals(trainer.validate().loss(), result.validationLoss(), 0);
    // One checkpoint per validation (checkpointEvery 0), the last at the end; none twice.
    assertEquals(
        List.of(50L, 100L, 150L), r.checkpoints.stream().map(TrainingState::step).toList());
    assertEquals(result, r.result);
  }

  @Test
  void theSameSeedGivesTheSameNumbersBitForBit() {
    double[] first = losses(2);
    double[] second = losses(2);
    assertArrayEquals(first, second);
  }

  private static double[] losses(int validateEvery) {
    TextStreams task = task(8, 4);
    Trainer trainer =
        new Trainer(model(task.vocabularySize()), task, options(40, validateEvery, 0, 0.05));
    Recording r = new Recording();
    trainer.addListener(r);
    trainer.run();
    return r.steps.stream().mapToDouble(StepReport::loss).toArray();
  }

  @Test
  void aRestoredRunEndsExactlyAsAnUninterruptedOne() {
    TextStreams task = task(8, 4);
    Trainer whole = new Trainer(model(task.vocabularySize()), task, options(60, 10, 0, 0.05));
    Recording all = new Recording();
    whole.addListener(all);
    TrainingResult expected = whole.run();

    // The same run stopped by a cancel after step 23 (its last checkpoint then is step 23, taken
    // at the end; the one before is step 20), resumed from the step-20 checkpoint.
    Trainer first = new Trainer(model(task.vocabularySize()), task, options(60, 10, 0, 0.05));
    Recording part = new Recording();
    first.addListener(part);
    first.addListener(
        new TrainingListener() {
          @Override
          public void onStep(StepReport report) {
            if (report.step() == 23) first.cancel();
          }
        });
    assertEquals(TrainingResult.Stop.CANCELLED, first.run().stop());
    TrainingState atTwenty = part.checkpoints.get(1);
    assertEquals(20, atTwenty.step());

    BigramModel fresh = new BigramModel(task.vocabularySize()); // zero weights: all must come back
    Trainer resumed = new Trainer(fresh, task, options(60, 10, 0, 0.05));
    resumed.restore(atTwenty);
    Recording rest = new Recording();
    resumed.addListener(rest);
    TrainingResult result = resumed.run();

    assertEquals(expected.steps(), result.steps());
    assertEquals(expected.validationLoss(), result.validationLoss(), 0);
    assertEquals(expected.trainingLoss(), result.trainingLoss(), 0);
    double[] tail = all.steps.subList(20, 60).stream().mapToDouble(StepReport::loss).toArray();
    assertArrayEquals(tail, rest.steps.stream().mapToDouble(StepReport::loss).toArray());
    assertEquals(
        all.validations.subList(2, 6).stream().map(ValidationReport::loss).toList(),
        rest.validations.stream().map(ValidationReport::loss).toList());
  }

  @Test
  void theStateIsCarriedAlongAStreamAndDroppedAtEachEpoch() {
    TextStreams task = task(8, 4);
    int windows = task.windowsPerEpoch();
    BigramModel m = model(task.vocabularySize());
    Trainer trainer = new Trainer(m, task, options(windows + 2, 0, 0, 0.01));
    trainer.run();
    List<Float> training = m.carriedSeen.subList(0, windows + 2);
    // Window 0 of each epoch starts afresh (null state), every other window gets the state the
    // window before it left: the number of windows seen since the epoch began.
    assertEquals(-1f, training.get(0));
    for (int w = 1; w < windows; w++) assertEquals((float) w, training.get(w), "window " + w);
    assertEquals(-1f, training.get(windows));
    assertEquals(1f, training.get(windows + 1));
  }

  @Test
  void aNaNGradientStopsTheRunAndNamesTheParameter() {
    TextStreams task = task(8, 4);
    BigramModel m = model(task.vocabularySize());
    m.poisonFromCall = 7;
    Trainer trainer = new Trainer(m, task, options(100, 3, 0, 0.05));
    Recording r = new Recording();
    trainer.addListener(r);
    TrainingResult result = trainer.run();

    assertEquals(TrainingResult.Stop.DIVERGED, result.stop());
    Divergence d = result.divergence();
    assertNotNull(d);
    assertEquals(7, d.step());
    assertEquals("bias", d.parameter());
    assertTrue(Double.isNaN(d.gradientNorm()));
    assertEquals(5, d.recentNorms().length);
    assertEquals(r.steps.get(5).gradientNorm(), d.recentNorms()[4]);
    assertEquals(6, result.steps(), "the broken step is not counted");
    // Checkpoints at the validations of steps 3 and 6, none after the break; the weights were not
    // touched by the broken gradient.
    assertEquals(List.of(3L, 6L), r.checkpoints.stream().map(TrainingState::step).toList());
    for (float w : m.parameters().get(1).value().data()) assertTrue(Float.isFinite(w));
    assertTrue(d.describe().contains("step 7") && d.describe().contains("bias"), d.describe());
  }

  @Test
  void weightsWhoseValidationLossIsNotFiniteAreNeverCheckpointed() {
    TextStreams task = task(8, 4);
    BigramModel m = model(task.vocabularySize());
    Trainer trainer = new Trainer(m, task, options(100, 2, 0, 0.05));
    Recording r = new Recording();
    trainer.addListener(r);
    trainer.addListener(
        new TrainingListener() {
          @Override
          public void onStep(StepReport report) {
            // After step 4's update, one weight overflows: the validation that follows reads it.
            if (report.step() == 4)
              m.parameters().get(0).value().data()[0] = Float.POSITIVE_INFINITY;
          }
        });
    TrainingResult result = trainer.run();

    assertEquals(TrainingResult.Stop.DIVERGED, result.stop());
    assertEquals(4, result.divergence().step());
    assertFalse(Double.isFinite(result.divergence().loss()));
    assertEquals(List.of(2L), r.checkpoints.stream().map(TrainingState::step).toList());
    assertEquals(4, result.steps());
  }

  @Test
  void earlyStoppingEndsARunThatStoppedImproving() {
    TextStreams task = task(8, 4);
    // A learning rate so large that the loss soon stops improving (Adam steps of 1.0 per entry).
    Trainer trainer = new Trainer(model(task.vocabularySize()), task, options(10_000, 5, 2, 5.0));
    Recording r = new Recording();
    trainer.addListener(r);
    TrainingResult result = trainer.run();
    assertEquals(TrainingResult.Stop.EARLY_STOP, result.stop());
    List<ValidationReport> v = r.validations;
    // It stopped at the second validation in a row without a new best.
    assertTrue(!v.getLast().best() && !v.get(v.size() - 2).best());
    assertTrue(v.size() < 3 || v.get(v.size() - 3).best());
    assertEquals(v.getLast().step(), result.steps());
    assertTrue(result.bestValidationLoss() <= result.validationLoss());
  }

  @Test
  void aPlateauNeedsProgressBeyondTheToleranceAndWaitsForTheMinimumSteps() {
    TextStreams task = task(8, 4);
    // A modest rate: the loss keeps falling, but by ever smaller amounts.
    TrainingOptions plain = options(400, 10, 0, 0.05);
    Recording strict = new Recording();
    Trainer anyBest = new Trainer(model(task.vocabularySize()), task, plain);
    anyBest.addListener(strict);
    TrainingResult noTolerance = anyBest.run();
    // 5% of the loss per pass is more than this curve falls late on: it plateaus, and earlier
    Recording tolerant = new Recording();
    Trainer flat = new Trainer(model(task.vocabularySize()), task, plain.withPlateau(3, 0.05, 0));
    flat.addListener(tolerant);
    TrainingResult plateau = flat.run();
    assertEquals(TrainingResult.Stop.EARLY_STOP, plateau.stop());
    assertEquals("plateaued", plateau.stop().words());
    assertEquals(400, noTolerance.steps());
    assertTrue(plateau.steps() < 400, "stopped at " + plateau.steps());
    // the last three passes each stayed above 95% of the loss of the last pass with progress
    List<ValidationReport> v = tolerant.validations;
    double reference = Double.POSITIVE_INFINITY;
    int without = 0;
    for (ValidationReport r : v) {
      if (r.loss() < reference * 0.95) {
        reference = r.loss();
        without = 0;
      } else {
        without++;
      }
    }
    assertEquals(3, without);
    // the same rule with a minimum of 300 steps runs at least that far
    TrainingResult late =
        new Trainer(model(task.vocabularySize()), task, plain.withPlateau(3, 0.05, 300)).run();
    assertTrue(late.steps() >= 300, "stopped at " + late.steps());
    assertTrue(late.steps() > plateau.steps());
  }

  @Test
  void aRunFlatAtItsLastStepFinishedRatherThanPlateaued() {
    TextStreams task = task(8, 4);
    // progress would need the loss to fall to 1% of its last progress: none after the first pass
    TrainingOptions options = options(30, 10, 0, 0.05);
    TrainingResult early =
        new Trainer(model(task.vocabularySize()), task, options.withPlateau(1, 0.99, 0)).run();
    assertEquals(TrainingResult.Stop.EARLY_STOP, early.stop());
    assertEquals(20, early.steps());
    TrainingResult atCap =
        new Trainer(model(task.vocabularySize()), task, options.withPlateau(2, 0.99, 0)).run();
    assertEquals(TrainingResult.Stop.MAX_STEPS, atCap.stop());
    assertEquals(30, atCap.steps());
  }

  @Test
  void aTimeLimitEndsTheRun() {
    TextStreams task = task(8, 4);
    TrainingOptions o =
        new TrainingOptions(
            Optimizer.Settings.defaults(Optimizer.Kind.SGD),
            LearningRateSchedule.constant(0.1),
            0,
            0,
            0.2,
            0,
            0,
            0,
            3);
    TrainingResult result = new Trainer(model(task.vocabularySize()), task, o).run();
    assertEquals(TrainingResult.Stop.TIME_LIMIT, result.stop());
    assertTrue(result.seconds() >= 0.2 && result.steps() > 0);
  }

  @Test
  void aWindowShorterThanTheTasksDependencyIsWarnedAbout() {
    TextStreams text = task(8, 4);
    SequenceTask longRange =
        new SequenceTask() {
          @Override
          public String name() {
            return "delayed";
          }

          @Override
          public int vocabularySize() {
            return text.vocabularySize();
          }

          @Override
          public int steps() {
            return text.steps();
          }

          @Override
          public int batchSize() {
            return text.batchSize();
          }

          @Override
          public Batch trainingBatch(long step) {
            return text.trainingBatch(step);
          }

          @Override
          public String position(long step) {
            return text.position(step);
          }

          @Override
          public List<Batch> validationBatches() {
            return text.validationBatches();
          }

          @Override
          public OptionalInt dependencyDistance() {
            return OptionalInt.of(20);
          }
        };
    Trainer trainer = new Trainer(model(text.vocabularySize()), longRange, options(1, 0, 0, 0.01));
    Recording r = new Recording();
    trainer.addListener(r);
    trainer.run();
    assertEquals(1, r.warnings.size());
    assertTrue(r.warnings.getFirst().contains("8 steps") && r.warnings.getFirst().contains("20"));

    Trainer fine = new Trainer(model(text.vocabularySize()), text, options(1, 0, 0, 0.01));
    Recording quiet = new Recording();
    fine.addListener(quiet);
    fine.run();
    assertTrue(quiet.warnings.isEmpty());
  }

  @Test
  void clippingCapsTheUpdate() {
    TextStreams task = task(8, 4);
    TrainingOptions clipped =
        new TrainingOptions(
            new Optimizer.Settings(Optimizer.Kind.SGD, 0, 0.9, 0.999, 1e-8, 0),
            LearningRateSchedule.constant(1.0),
            1e-3,
            1,
            0,
            0,
            0,
            0,
            3);
    BigramModel m = model(task.vocabularySize());
    float[] before = m.parameters().getFirst().value().data().clone();
    float[] biasBefore = m.parameters().get(1).value().data().clone();
    new Trainer(m, task, clipped).run();
    // Plain SGD at lr 1 moves the weights by exactly the clipped gradient, whose norm is 1e-3.
    double moved = 0;
    for (int i = 0; i < before.length; i++) {
      double d = m.parameters().getFirst().value().data()[i] - before[i];
      moved += d * d;
    }
    for (int i = 0; i < biasBefore.length; i++) {
      double d = m.parameters().get(1).value().data()[i] - biasBefore[i];
      moved += d * d;
    }
    assertEquals(1e-3, Math.sqrt(moved), 1e-7);
  }

  @Test
  void aVocabularyMismatchIsRefused() {
    TextStreams task = task(8, 4);
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> new Trainer(model(task.vocabularySize() + 1), task, options(1, 0, 0, 0.1)));
    assertTrue(e.getMessage().contains("the model outputs"), e.getMessage());
    assertTrue(e.getMessage().contains("the task asks for " + task.outputSize()), e.getMessage());
  }
}
