package org.seqlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.train.StepReport;
import org.seqlab.train.ValidationReport;

class RunCurveTest {

  private static final double NAN = Double.NaN;

  @Test
  void writesEveryColumnInOneOrderAndReadsBackTheSameDoubles() {
    RunCurve curve = new RunCurve();
    curve.add(new RunCurve.Point(1, 0.25, 0.1 + 0.2, NAN, 1e-7, 3e-3, 1234.56, NAN));
    curve.add(new RunCurve.Point(2, 0.5, 0.625, 0.7, 2.5, 3e-3, 1300, 0.875));
    String csv = curve.toCsv();
    List<String> lines = csv.lines().toList();
    assertEquals(
        "step,seconds,train_loss,val_loss,grad_norm,lr,tokens_per_s,val_score", lines.get(0));
    assertEquals("1,0.250,0.30000000000000004,,1.0E-7,0.003,1234.6,", lines.get(1));
    RunCurve back = RunCurve.fromCsv(csv);
    assertEquals(2, back.points().size());
    RunCurve.Point p = back.points().get(0);
    assertEquals(Double.doubleToLongBits(0.1 + 0.2), Double.doubleToLongBits(p.trainLoss()));
    assertTrue(Double.isNaN(p.validationLoss()));
    assertFalse(p.validated());
    assertEquals(0.875, back.points().get(1).validationScore());
  }

  /**
   * The late change reads the last validation against the last one at or before the given share
   * from the end: validations every 100 steps to 1000, a quarter back is step 750, so step 700.
   */
  @Test
  void theLateChangeComparesTheLastValidationWithTheOneAShareOfTheStepsEarlier() {
    RunCurve curve = new RunCurve();
    for (int step = 1; step <= 1000; step++) {
      boolean validated = step % 100 == 0;
      curve.add(
          new RunCurve.Point(
              step, step, 1, validated ? 1 : NAN, 1, 1e-3, 1, validated ? step / 2000.0 : NAN));
    }
    assertEquals(0.5 - 0.35, curve.lateChange(0.25), 1e-15);
    assertEquals(0.5 - 0.45, curve.lateChange(0.1), 1e-15);
    // no validation early enough, or none at all: unknown
    RunCurve one = new RunCurve();
    one.add(new RunCurve.Point(100, 1, 1, 1, 1, 1e-3, 1, 0.5));
    assertTrue(Double.isNaN(one.lateChange(0.25)));
    assertTrue(Double.isNaN(new RunCurve().lateChange(0.25)));
  }

  @Test
  void readsTheColumnsOfATrainingRunFromBeforeTheOneFormat() {
    String old =
        """
        step,seconds,train_loss,val_loss,grad_norm,lr,tokens_per_s
        1,0.010,2.5,,1.5,0.003,100.0
        2,0.020,2.25,2.4,1.25,0.003,110.0
        3,0.03
        """;
    List<RunCurve.Point> points = RunCurve.fromCsv(old).points();
    assertEquals(2, points.size(), "the torn row is skipped");
    assertEquals(2.4, points.get(1).validationLoss());
    assertEquals(1.25, points.get(1).gradNorm());
    assertEquals(0.003, points.get(1).learningRate());
    assertTrue(Double.isNaN(points.get(1).validationScore()));
  }

  @Test
  void readsTheColumnsOfASweepRunFromBeforeTheOneFormat() {
    String old =
        """
        step,seconds,train_loss,grad_norm,val_loss,val_score
        50,1.00000,0.693147,0.500000,0.690000,0.550000
        """;
    RunCurve.Point p = RunCurve.fromCsv(old).points().getFirst();
    assertEquals(0.5, p.gradNorm());
    assertEquals(0.69, p.validationLoss());
    assertEquals(0.55, p.validationScore());
    assertTrue(Double.isNaN(p.learningRate()));
  }

  @Test
  void upgradeRewritesAnOldFileInTheOneFormat(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("metrics.csv");
    Files.writeString(
        file,
        "step,seconds,train_loss,val_loss,grad_norm,lr,tokens_per_s\n1,0.010,2.5,,1.5,0.003,100.0\n");
    RunCurve.upgrade(file);
    List<String> lines = Files.readAllLines(file);
    assertEquals(RunCurve.HEADER, lines.get(0));
    assertEquals("1,0.010,2.5,,1.5,0.003,100.0,", lines.get(1));
  }

  @Test
  void rowsWaitForTheValidationAtTheirStepAndScoreByTheTasksMetric() {
    List<RunCurve.Point> rows = new ArrayList<>();
    RunCurve.Rows accuracy = new RunCurve.Rows(true, rows::add);
    accuracy.onValidation(new ValidationReport(0, 0.0, 0.7, 0.5, true, 0.7));
    accuracy.onStep(step(1, 0.69));
    accuracy.onStep(step(2, 0.68));
    accuracy.onValidation(new ValidationReport(2, 0.3, 0.6, 0.75, true, 0.6));
    accuracy.onStep(step(3, 0.5));
    accuracy.onFinish(null);
    assertEquals(4, rows.size());
    assertTrue(Double.isNaN(rows.get(0).trainLoss()), "a validation before the first step");
    assertEquals(0.5, rows.get(0).validationScore());
    assertFalse(rows.get(1).validated());
    assertEquals(0.68, rows.get(2).trainLoss());
    assertEquals(0.6, rows.get(2).validationLoss());
    assertEquals(0.75, rows.get(2).validationScore(), "scored by accuracy");
    assertEquals(0.2, rows.get(2).seconds(), "the step's time");
    assertEquals(3, rows.get(3).step());

    List<RunCurve.Point> lossRows = new ArrayList<>();
    RunCurve.Rows loss = new RunCurve.Rows(false, lossRows::add);
    loss.onStep(step(1, 2.0));
    loss.onValidation(new ValidationReport(1, 0.2, 1.9, NAN, true, 1.9));
    assertEquals(1.9, lossRows.getFirst().validationScore(), "scored by the loss");
  }

  private static StepReport step(long step, double loss) {
    return new StepReport(step, step / 10.0, loss, 1.0, new double[0], 0.01, 100);
  }
}
