package org.seqlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.seqlab.experiments.Parallelism;
import org.seqlab.io.AtomicFiles;
import org.seqlab.tensor.Parallel;
import org.seqlab.view.Plots;
import org.seqlab.view.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seqlab parallelism}: recurrence against attention, timed on this machine's cores. */
@Command(
    name = "parallelism",
    mixinStandardHelpOptions = true,
    description = {
      "Times one training step (forward + backward) of an LSTM and of a Transformer of about the same"
          + " parameter count, against sequence length, with 1 thread and with all cores.",
      "Then projects the speed-up on a machine with P cores from the critical path of each (Brent's bound)."
    })
public final class ParallelismCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--hidden",
      description = "LSTM hidden size = input size (default: ${DEFAULT-VALUE})",
      defaultValue = "64")
  int hidden;

  @Option(
      names = "--heads",
      description = "attention heads (default: ${DEFAULT-VALUE})",
      defaultValue = "4")
  int heads;

  @Option(
      names = "--layers",
      description = "layers of each model (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  int layers;

  @Option(
      names = "--batch",
      description = "batch B (default: ${DEFAULT-VALUE})",
      defaultValue = "4")
  int batch;

  @Option(
      names = "--min-steps",
      description = "shortest sequence (default: ${DEFAULT-VALUE})",
      defaultValue = "16")
  int minSteps;

  @Option(
      names = "--max-steps",
      description =
          "longest sequence; lengths double from the shortest (default: ${DEFAULT-VALUE})",
      defaultValue = "1024")
  int maxSteps;

  @Option(
      names = "--repeats",
      description = "timed runs per cell, median reported (default: ${DEFAULT-VALUE})",
      defaultValue = "5")
  int repeats;

  @Option(
      names = "--project",
      split = ",",
      description = "core counts P to project to (default: ${DEFAULT-VALUE})",
      defaultValue = "8,64,1024")
  int[] projectTo;

  @Option(
      names = "--format",
      description = "text or json (default: ${DEFAULT-VALUE})",
      defaultValue = "text")
  String format;

  @Option(
      names = "--out",
      description =
          "run directory for results.json and the plots (default: runs/parallelism-<date>-<time>)")
  Path outDir;

  @Option(names = "--no-plots", description = "write no run directory")
  boolean noPlots;

  record Row(
      int steps,
      double lstm1,
      double lstmAll,
      double tfm1,
      double tfmAll,
      long lstmPath,
      long tfmPath) {}

  @Override
  public Integer call() throws Exception {
    requireRange("--hidden", hidden, 1, 4096);
    requireRange("--heads", heads, 1, 256);
    requireRange("--layers", layers, 1, 16);
    requireRange("--batch", batch, 1, 4096);
    requireRange("--min-steps", minSteps, 1, 1 << 16);
    requireRange("--max-steps", maxSteps, minSteps, 1 << 16);
    requireRange("--repeats", repeats, 1, 100);
    for (int p : projectTo) requireRange("--project", p, 1, 1 << 20);
    if (!format.equals("text") && !format.equals("json"))
      throw new UserError("--format must be text or json, got " + format);
    long lstmParams = layers * (4L * hidden * (2L * hidden + 2));
    int width = Parallelism.transformerWidthFor(lstmParams / layers, heads);
    // Attention scores are [B, heads, T, T]: refuse before allocating them.
    double attentionBytes = 4.0 * batch * heads * (double) maxSteps * maxSteps * layers * 2;
    if (attentionBytes > Runtime.getRuntime().maxMemory() / 2.0) {
      throw new UserError(
          String.format(
              Locale.ROOT,
              "--max-steps %d with --batch %d needs about %.1f GiB of attention weights; this JVM may use %.1f GiB",
              maxSteps,
              batch,
              attentionBytes / (1L << 30),
              Runtime.getRuntime().maxMemory() / (double) (1L << 30)));
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int saved = Parallel.threads();
    List<Row> rows = new ArrayList<>();
    double tau;
    long tfmParams;
    try (ProgressBar bar =
        new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
      tau = Parallelism.meetingLatencySeconds(cores);
      // Let the compiler settle on both models' code before anything is timed.
      bar.update("warm-up", 0);
      Parallelism.warmUp(Parallelism.lstm(hidden, layers, 64, batch, 1), 1.0);
      Parallelism.warmUp(Parallelism.transformer(width, heads, layers, 64, batch, 1), 1.0);
      int lengths = 0;
      for (int t = minSteps; t <= maxSteps; t *= 2) lengths++;
      int done = 0;
      long tp = 0;
      for (int t = minSteps; t <= maxSteps; t *= 2) {
        Parallelism.Model lstm = Parallelism.lstm(hidden, layers, t, batch, 1);
        Parallelism.Model tfm = Parallelism.transformer(width, heads, layers, t, batch, 1);
        tp = tfm.parameterCount();
        double[] times = new double[4];
        int i = 0;
        for (Parallelism.Model m : List.of(lstm, tfm)) {
          for (int threads : new int[] {1, cores}) {
            Parallel.setThreads(threads);
            times[i++] = Parallelism.medianSeconds(m::trainStep, repeats);
            bar.update("T=" + t, (done + i / 4.0) / lengths);
          }
        }
        rows.add(
            new Row(
                t,
                times[0],
                times[1],
                times[2],
                times[3],
                lstm.criticalPath(),
                tfm.criticalPath()));
        done++;
      }
      tfmParams = tp;
    } finally {
      Parallel.setThreads(saved);
    }
    PrintWriter out = spec.commandLine().getOut();
    StringWriter json = new StringWriter();
    printJson(new PrintWriter(json), rows, lstmParams, width, tfmParams, tau, cores);
    if (format.equals("json")) {
      out.print(json);
    } else {
      printText(out, rows, lstmParams, width, tfmParams, tau, cores);
    }
    if (!noPlots) {
      Path dir =
          outDir != null
              ? outDir
              : Path.of(
                  "runs",
                  "parallelism-"
                      + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      writeRunDirectory(dir, json.toString(), rows, tau);
      (format.equals("json") ? spec.commandLine().getErr() : out)
          .printf(
              Locale.ROOT,
              "%nWrote results.json, step_time.png and projected_speedup.png to %s%n",
              dir);
    }
    out.flush();
    return 0;
  }

  private void printText(
      PrintWriter out,
      List<Row> rows,
      long lstmParams,
      int width,
      long tfmParams,
      double tau,
      int cores) {
    out.printf(
        Locale.ROOT,
        "One training step (forward + backward), batch %d, %d layer(s) each:%n",
        batch,
        layers);
    out.printf(
        Locale.ROOT,
        "  LSTM        hidden %d (input %d), %,d parameters%n",
        hidden,
        hidden,
        lstmParams);
    out.printf(
        Locale.ROOT,
        "  Transformer width %d, %d heads, feed-forward %d, causal, %,d parameters%n",
        width,
        heads,
        4 * width,
        tfmParams);
    out.printf(
        Locale.ROOT,
        "%nMeasured on this machine (%d cores), median of %d, milliseconds:%n",
        cores,
        repeats);
    out.printf(
        Locale.ROOT,
        "%6s | %10s %10s %8s | %10s %10s %8s | %9s %9s%n",
        "T",
        "LSTM 1 thr",
        "LSTM " + cores + " thr",
        "speed-up",
        "Tfm 1 thr",
        "Tfm " + cores + " thr",
        "speed-up",
        "LSTM path",
        "Tfm path");
    for (Row r : rows) {
      out.printf(
          Locale.ROOT,
          "%6d | %10.2f %10.2f %7.2fx | %10.2f %10.2f %7.2fx | %9d %9d%n",
          r.steps(),
          r.lstm1() * 1e3,
          r.lstmAll() * 1e3,
          r.lstm1() / r.lstmAll(),
          r.tfm1() * 1e3,
          r.tfmAll() * 1e3,
          r.tfm1() / r.tfmAll(),
          r.lstmPath(),
          r.tfmPath());
    }
    out.printf(
        Locale.ROOT,
        "%nCritical path = operations that must run one after another: the LSTM needs 2T per layer"
            + " (each step waits for the previous one, forward and again backward); the Transformer a constant %d per block"
            + " (every operation covers all T·B positions at once).%n",
        Parallelism.TRANSFORMER_BLOCK_CRITICAL_PATH);
    out.printf(
        Locale.ROOT,
        "%nPROJECTION, not a measurement: speed-up on P cores by Brent's bound T_P ≤ T_1/P + T_∞,"
            + " with T_1 the 1-thread time above and T_∞ ≈ critical path × τ, τ = %.1f µs (measured here: the time for %d cores to meet once);"
            + " 1.0x where spreading would cost more than it gains.%n",
        tau * 1e6,
        cores);
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%6s |", "T"));
    for (int p : projectTo) head.append(String.format(Locale.ROOT, " %9s", "LSTM P=" + p));
    head.append(" |");
    for (int p : projectTo) head.append(String.format(Locale.ROOT, " %9s", "Tfm P=" + p));
    out.println(head);
    for (Row r : rows) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%6d |", r.steps()));
      for (int p : projectTo)
        line.append(
            String.format(
                Locale.ROOT,
                " %8.1fx",
                Parallelism.projectedSpeedup(r.lstm1(), r.lstmPath(), tau, p)));
      line.append(" |");
      for (int p : projectTo)
        line.append(
            String.format(
                Locale.ROOT,
                " %8.1fx",
                Parallelism.projectedSpeedup(r.tfm1(), r.tfmPath(), tau, p)));
      out.println(line);
    }
  }

  private void printJson(
      PrintWriter out,
      List<Row> rows,
      long lstmParams,
      int width,
      long tfmParams,
      double tau,
      int cores)
      throws Exception {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("batch", batch);
    doc.put("layers", layers);
    doc.put("cores", cores);
    doc.put("lstm", Map.of("hidden", hidden, "parameters", lstmParams));
    doc.put(
        "transformer",
        Map.of("width", width, "heads", heads, "feed_forward", 4 * width, "parameters", tfmParams));
    doc.put("meeting_latency_seconds", tau);
    List<Map<String, Object>> list = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steps", r.steps());
      m.put("lstm_seconds_1_thread", r.lstm1());
      m.put("lstm_seconds_all_cores", r.lstmAll());
      m.put("transformer_seconds_1_thread", r.tfm1());
      m.put("transformer_seconds_all_cores", r.tfmAll());
      m.put("lstm_critical_path", r.lstmPath());
      m.put("transformer_critical_path", r.tfmPath());
      Map<String, Object> projected = new LinkedHashMap<>();
      for (int p : projectTo) {
        projected.put("lstm_p" + p, Parallelism.projectedSpeedup(r.lstm1(), r.lstmPath(), tau, p));
        projected.put(
            "transformer_p" + p, Parallelism.projectedSpeedup(r.tfm1(), r.tfmPath(), tau, p));
      }
      m.put("projected_speedup", projected);
      list.add(m);
    }
    doc.put("rows", list);
    out.println(
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
  }

  private void writeRunDirectory(Path dir, String json, List<Row> rows, double tau) {
    int n = rows.size();
    double[] t = new double[n],
        l1 = new double[n],
        lAll = new double[n],
        f1 = new double[n],
        fAll = new double[n];
    for (int i = 0; i < n; i++) {
      Row r = rows.get(i);
      t[i] = r.steps();
      l1[i] = r.lstm1() * 1e3;
      lAll[i] = r.lstmAll() * 1e3;
      f1[i] = r.tfm1() * 1e3;
      fAll[i] = r.tfmAll() * 1e3;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    List<Plots.Series> speedups = new ArrayList<>();
    for (int p : projectTo) {
      double[] ls = new double[n], fs = new double[n];
      for (int i = 0; i < n; i++) {
        Row r = rows.get(i);
        ls[i] = Parallelism.projectedSpeedup(r.lstm1(), r.lstmPath(), tau, p);
        fs[i] = Parallelism.projectedSpeedup(r.tfm1(), r.tfmPath(), tau, p);
      }
      speedups.add(new Plots.Series("LSTM, P=" + p, t, ls));
      speedups.add(new Plots.Series("Transformer, P=" + p, t, fs));
    }
    try {
      AtomicFiles.writeString(dir.resolve("results.json"), json);
      Plots.lineChart(
          dir.resolve("step_time.png"),
          "One training step, measured on this machine (batch " + batch + ")",
          "sequence length T",
          Plots.Scale.LOG,
          "milliseconds",
          Plots.Scale.LOG,
          List.of(
              new Plots.Series("LSTM, 1 thread", t, l1),
              new Plots.Series("LSTM, " + cores + " threads", t, lAll),
              new Plots.Series("Transformer, 1 thread", t, f1),
              new Plots.Series("Transformer, " + cores + " threads", t, fAll)));
      Plots.lineChart(
          dir.resolve("projected_speedup.png"),
          "PROJECTION (Brent's bound): speed-up on P cores, from critical path × "
              + String.format(Locale.ROOT, "%.1f µs", tau * 1e6),
          "sequence length T",
          Plots.Scale.LOG,
          "projected speed-up over 1 core",
          Plots.Scale.LOG,
          speedups);
    } catch (IOException e) {
      throw new UserError("--out: cannot write " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void requireRange(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new UserError(option + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}
