package org.seqlab.sweep;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.Experiments;
import org.seqlab.experiments.sweep.Sweep;
import org.seqlab.experiments.sweep.SweepRun;
import org.seqlab.io.RunDirectory;
import org.seqlab.tensor.Parallel;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * A Spark task: trains the one run of its partition (the run in JSON) on one kernel thread, exactly
 * as {@code seqlab run} would, and returns its {@link TaskResult}. It runs on an executor, maybe on
 * another machine and maybe more than once (a retry after a lost executor): it writes nothing
 * anywhere but a temporary folder of its own, so that a second attempt changes nothing.
 */
final class TrainRun extends AbstractFunction1<Iterator<String>, TaskResult>
    implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String experimentName;

  TrainRun(String experimentName) {
    this.experimentName = experimentName;
  }

  @Override
  public TaskResult apply(Iterator<String> partition) {
    long started = System.nanoTime();
    String json = partition.next();
    if (partition.hasNext()) throw new IllegalStateException("one run per partition");
    try {
      SweepRun run = RunDirectory.JSON.readValue(json, SweepRun.class);
      Experiment experiment = Experiments.named(experimentName);
      // Several tasks share an executor's cores: each trains on one thread, as `seqlab run` does,
      // and the kernels give the same bits on any number of threads.
      Parallel.setThreads(1);
      Sweep.Finished finished = new Sweep(List.of(run), 1).execute(run);
      Path scratch = Files.createTempDirectory("seqlab-sweep-");
      Map<String, byte[]> files;
      try {
        experiment.afterRun(finished, scratch);
        files = collect(scratch);
      } finally {
        deleteTree(scratch);
      }
      TaskContext context = TaskContext.get();
      SparkEnv env = SparkEnv.get();
      return new TaskResult(
          run.id(),
          RunDirectory.JSON.writeValueAsString(finished.row()),
          finished.curve().toCsv(),
          files,
          context == null ? 0 : context.attemptNumber(),
          env == null ? "" : env.executorId(),
          (System.nanoTime() - started) / 1e9);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, byte[]> collect(Path root) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
        files.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
      }
    }
    return files;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
