package org.seqlab.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.seqlab.experiments.RunCurve;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.RunExecutor;
import org.seqlab.experiments.sweep.SweepRow;
import org.seqlab.experiments.sweep.SweepRun;
import org.seqlab.io.RunDirectory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The runs of an experiment as one Spark job: one partition per run, so that Spark schedules,
 * retries and places each run on its own. A task that fails (its executor killed, its worker lost)
 * is run again by Spark elsewhere; each run's result reaches the driver as soon as its task
 * finishes, once per run however many attempts it took, and is recorded at once.
 */
public final class SparkRuns implements RunExecutor {

  /** What the engine did: for {@code sweep.json} and the overhead it measures. */
  public record Stats(
      int tasks,
      int failedAttempts,
      int executorsAdded,
      int executorsRemoved,
      List<String> failures,
      double taskSeconds,
      double runSeconds) {}

  private final JavaSparkContext spark;
  private final int slots;
  private final SweepListener engine;
  private final Map<String, Double> runSeconds = new ConcurrentHashMap<>();
  private final Map<String, Double> taskSeconds = new ConcurrentHashMap<>();
  private volatile boolean cancelled;

  /**
   * @param slots how many tasks the cluster runs at once (its cores)
   * @param engine what Spark reports of executors and failed attempts
   */
  public SparkRuns(JavaSparkContext spark, int slots, SweepListener engine) {
    this.spark = spark;
    this.slots = slots;
    this.engine = engine;
  }

  @Override
  public int parallelism() {
    return slots;
  }

  @Override
  public void execute(
      Experiment experiment, Path dir, List<SweepRun> runs, Consumer<Outcome> onFinished)
      throws IOException {
    if (runs.isEmpty() || cancelled) return;
    List<String> jsons = new ArrayList<>(runs.size());
    for (SweepRun r : runs) jsons.add(RunDirectory.JSON.writeValueAsString(r));
    JavaRDD<String> rdd = spark.parallelize(jsons, jsons.size());
    spark.setJobDescription(experiment.name() + ": " + runs.size() + " runs");
    ClassTag<TaskResult> tag = ClassTag$.MODULE$.apply(TaskResult.class);
    IOException[] failure = new IOException[1];
    var handler =
        new AbstractFunction2<Object, TaskResult, BoxedUnit>() {
          @Override
          public BoxedUnit apply(Object partition, TaskResult result) {
            if (failure[0] != null) return BoxedUnit.UNIT;
            try {
              SweepRow row = RunDirectory.JSON.readValue(result.rowJson(), SweepRow.class);
              runSeconds.put(result.runId(), row.seconds());
              taskSeconds.put(result.runId(), result.taskSeconds());
              onFinished.accept(
                  new Outcome(row, RunCurve.fromCsv(result.curveCsv()), result.files()));
            } catch (IOException e) {
              failure[0] = e;
              cancel();
            }
            return BoxedUnit.UNIT;
          }
        };
    try {
      spark.sc().runJob(rdd.rdd(), new TrainRun(experiment.name()), handler, tag);
    } catch (Exception e) { // Spark's exceptions are checked ones Java does not see declared
      if (failure[0] != null) throw failure[0];
      if (cancelled) return;
      throw new JobFailed(e);
    }
    if (failure[0] != null) throw failure[0];
  }

  @Override
  public void cancel() {
    cancelled = true;
    spark.cancelAllJobs();
  }

  /**
   * Spark gave up on the sweep: a run's task failed as often as {@code spark.task.maxFailures}
   * allows (a bug, a run that cannot fit in an executor's memory), or the cluster went away.
   */
  public static final class JobFailed extends RuntimeException {
    JobFailed(Exception cause) {
      super(firstLine(cause.getMessage()), cause);
    }

    private static String firstLine(String message) {
      if (message == null) return "no reason given";
      int end = message.indexOf('\n');
      return end < 0 ? message : message.substring(0, end);
    }
  }

  public Stats stats() {
    return new Stats(
        runSeconds.size(),
        engine.failedAttempts(),
        engine.executorsAdded(),
        engine.executorsRemoved(),
        engine.failures(),
        taskSeconds.values().stream().mapToDouble(Double::doubleValue).sum(),
        runSeconds.values().stream().mapToDouble(Double::doubleValue).sum());
  }
}
