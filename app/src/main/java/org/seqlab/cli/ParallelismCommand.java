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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.Parallelism;
import org.seqlab.io.AtomicFiles;
import org.seqlab.nn.Architecture;
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
      "Times one training step (forward + backward) of each of --models, every one sized to about the"
          + " parameter count of an LSTM of --hidden units, against sequence length, with 1 thread and"
          + " with all cores.",
      "Then projects the speed-up on a machine with P cores from the critical path of each, as the"
          + " table of architectures gives it (Brent's bound)."
    })
public final class ParallelismCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--models",
      split = ",",
      completionCandidates = ArchitectureNames.class,
      description =
          "the models to time, any of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
      defaultValue = "lstm,mingru,transformer")
  List<String> models;

  @Option(
      names = "--hidden",
      description =
          "hidden size = input size of an LSTM whose parameter count every model matches"
              + " (default: ${DEFAULT-VALUE})",
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

  /** A model of the comparison: its row of the table, its width and its parameter count. */
  record Entry(Architecture architecture, int width, long parameters) {
    String id() {
      return architecture.id();
    }

    String label() {
      return architecture.label();
    }
  }

  /**
   * One sequence length: per entry, in the order of the entries, the seconds of a training step on
   * one thread and on all cores, and the critical path.
   */
  record Row(int steps, double[] oneThread, double[] allCores, long[] path) {}

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
    List<Architecture> architectures = parseModels();
    // An LSTM of --hidden units sets the budget of one layer; every model is sized to it.
    long budget = Parallelism.layerParameters(Architecture.LSTM, hidden);
    List<Entry> entries = new ArrayList<>();
    for (Architecture a : architectures) {
      int width = Parallelism.widthFor(a, budget, heads);
      entries.add(new Entry(a, width, layers * Parallelism.layerParameters(a, width)));
    }
    // Attention scores are [B, heads, T, T]: refuse before allocating them.
    double attentionBytes = 4.0 * batch * heads * (double) maxSteps * maxSteps * layers * 2;
    if (architectures.stream().anyMatch(Architecture::hasAttention)
        && attentionBytes > Runtime.getRuntime().maxMemory() / 2.0) {
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
    try (ProgressBar bar =
        new ProgressBar(spec.commandLine().getErr(), ProgressBar.interactive())) {
      tau = Parallelism.meetingLatencySeconds(cores);
      // Let the compiler settle on every model's code before anything is timed.
      bar.update("warm-up", 0);
      for (Entry e : entries) {
        Parallelism.warmUp(model(e, 64), 1.0);
      }
      int lengths = 0;
      for (int t = minSteps; t <= maxSteps; t *= 2) lengths++;
      int done = 0;
      int n = entries.size();
      for (int t = minSteps; t <= maxSteps; t *= 2) {
        double[] one = new double[n], all = new double[n];
        long[] path = new long[n];
        for (int i = 0; i < n; i++) {
          Parallelism.Model m = model(entries.get(i), t);
          Parallel.setThreads(1);
          one[i] = Parallelism.medianSeconds(m::trainStep, repeats);
          Parallel.setThreads(cores);
          all[i] = Parallelism.medianSeconds(m::trainStep, repeats);
          path[i] = m.criticalPath();
          bar.update("T=" + t, (done + (i + 1.0) / n) / lengths);
        }
        rows.add(new Row(t, one, all, path));
        done++;
      }
    } finally {
      Parallel.setThreads(saved);
    }
    PrintWriter out = spec.commandLine().getOut();
    StringWriter json = new StringWriter();
    printJson(new PrintWriter(json), entries, rows, tau, cores);
    if (format.equals("json")) {
      out.print(json);
    } else {
      printText(out, entries, rows, tau, cores);
    }
    if (!noPlots) {
      Path dir =
          outDir != null
              ? outDir
              : Path.of(
                  "runs",
                  "parallelism-"
                      + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      writeRunDirectory(dir, json.toString(), entries, rows, tau);
      (format.equals("json") ? spec.commandLine().getErr() : out)
          .printf(
              Locale.ROOT,
              "%nWrote results.json, step_time.png and projected_speedup.png to %s%n",
              dir);
    }
    out.flush();
    return 0;
  }

  /** The rows of the table {@code --models} names, each once, in the order given. */
  private List<Architecture> parseModels() {
    LinkedHashSet<Architecture> chosen = new LinkedHashSet<>();
    for (String name : models) {
      try {
        chosen.add(Architecture.fromId(name.trim()));
      } catch (IllegalArgumentException e) {
        throw new UserError("--models: " + e.getMessage());
      }
    }
    if (chosen.isEmpty()) throw new UserError("--models names no model");
    return List.copyOf(chosen);
  }

  private Parallelism.Model model(Entry e, int steps) {
    return Parallelism.model(e.architecture(), e.width(), heads, layers, steps, batch, 1);
  }

  /** "hidden 64 (input 64)" or "width 52, 4 heads, feed-forward 208, causal". */
  private String sizes(Entry e) {
    return e.architecture().hasAttention()
        ? String.format(
            Locale.ROOT,
            "width %d, %d heads, feed-forward %d, causal",
            e.width(),
            heads,
            4 * e.width())
        : String.format(Locale.ROOT, "hidden %d (input %d)", e.width(), e.width());
  }

  private void printText(
      PrintWriter out, List<Entry> entries, List<Row> rows, double tau, int cores) {
    out.printf(
        Locale.ROOT,
        "One training step (forward + backward), batch %d, %d layer(s) each, sized to an LSTM of"
            + " hidden %d:%n",
        batch,
        layers,
        hidden);
    int labelWidth = entries.stream().mapToInt(e -> e.label().length()).max().orElse(0);
    for (Entry e : entries) {
      out.printf(
          Locale.ROOT,
          "  %-" + labelWidth + "s %s, %,d parameters%n",
          e.label(),
          sizes(e),
          e.parameters());
    }
    out.printf(
        Locale.ROOT,
        "%nMeasured on this machine (%d cores), median of %d, milliseconds:%n",
        cores,
        repeats);
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%6s", "T"));
    for (Entry e : entries) {
      int w = Math.max(10, e.label().length() + 6);
      head.append(
          String.format(
              Locale.ROOT,
              " | %" + w + "s %" + w + "s %8s",
              e.label() + " 1 thr",
              e.label() + " " + cores + " thr",
              "speed-up"));
    }
    head.append(" |");
    for (Entry e : entries) {
      head.append(
          String.format(
              Locale.ROOT, " %" + Math.max(9, e.label().length() + 5) + "s", e.label() + " path"));
    }
    out.println(head);
    for (Row r : rows) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%6d", r.steps()));
      for (int i = 0; i < entries.size(); i++) {
        int w = Math.max(10, entries.get(i).label().length() + 6);
        line.append(
            String.format(
                Locale.ROOT,
                " | %" + w + ".2f %" + w + ".2f %7.2fx",
                r.oneThread()[i] * 1e3,
                r.allCores()[i] * 1e3,
                r.oneThread()[i] / r.allCores()[i]));
      }
      line.append(" |");
      for (int i = 0; i < entries.size(); i++) {
        line.append(
            String.format(
                Locale.ROOT,
                " %" + Math.max(9, entries.get(i).label().length() + 5) + "d",
                r.path()[i]));
      }
      out.println(line);
    }
    List<String> reasons = new ArrayList<>();
    for (Entry e : entries) {
      String reason = Parallelism.criticalPathReason(e.architecture().recurrence());
      if (!reasons.contains(reason)) reasons.add(reason);
    }
    out.printf(
        Locale.ROOT,
        "%nCritical path = operations that must run one after another, from the table of"
            + " architectures: %s.%n",
        String.join("; ", reasons));
    out.printf(
        Locale.ROOT,
        "%nPROJECTION, not a measurement: speed-up on P cores by Brent's bound T_P ≤ T_1/P + T_∞,"
            + " with T_1 the 1-thread time above and T_∞ ≈ critical path × τ, τ = %.1f µs (measured here: the time for %d cores to meet once);"
            + " 1.0x where spreading would cost more than it gains.%n",
        tau * 1e6,
        cores);
    StringBuilder projectedHead = new StringBuilder(String.format(Locale.ROOT, "%6s", "T"));
    for (Entry e : entries) {
      projectedHead.append(" |");
      for (int p : projectTo) {
        String name = e.label() + " P=" + p;
        projectedHead.append(
            String.format(Locale.ROOT, " %" + Math.max(9, name.length()) + "s", name));
      }
    }
    out.println(projectedHead);
    for (Row r : rows) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%6d", r.steps()));
      for (int i = 0; i < entries.size(); i++) {
        line.append(" |");
        for (int p : projectTo) {
          int w = Math.max(9, (entries.get(i).label() + " P=" + p).length());
          line.append(
              String.format(
                  Locale.ROOT,
                  " %" + (w - 1) + ".1fx",
                  Parallelism.projectedSpeedup(r.oneThread()[i], r.path()[i], tau, p)));
        }
      }
      out.println(line);
    }
  }

  /**
   * The report as JSON: per model, under its id, its sizes; per sequence length, {@code
   * <id>_seconds_1_thread}, {@code <id>_seconds_all_cores}, {@code <id>_critical_path} and the
   * projected speed-ups {@code <id>_p<P>}.
   */
  private void printJson(
      PrintWriter out, List<Entry> entries, List<Row> rows, double tau, int cores)
      throws Exception {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("batch", batch);
    doc.put("layers", layers);
    doc.put("cores", cores);
    doc.put("models", entries.stream().map(Entry::id).toList());
    for (Entry e : entries) {
      Map<String, Object> sizes = new LinkedHashMap<>();
      if (e.architecture().hasAttention()) {
        sizes.put("width", e.width());
        sizes.put("heads", heads);
        sizes.put("feed_forward", 4 * e.width());
      } else {
        sizes.put("hidden", e.width());
      }
      sizes.put("parameters", e.parameters());
      doc.put(e.id(), sizes);
    }
    doc.put("meeting_latency_seconds", tau);
    List<Map<String, Object>> list = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steps", r.steps());
      for (int i = 0; i < entries.size(); i++) {
        String id = entries.get(i).id();
        m.put(id + "_seconds_1_thread", r.oneThread()[i]);
        m.put(id + "_seconds_all_cores", r.allCores()[i]);
      }
      for (int i = 0; i < entries.size(); i++) {
        m.put(entries.get(i).id() + "_critical_path", r.path()[i]);
      }
      Map<String, Object> projected = new LinkedHashMap<>();
      for (int p : projectTo) {
        for (int i = 0; i < entries.size(); i++) {
          projected.put(
              entries.get(i).id() + "_p" + p,
              Parallelism.projectedSpeedup(r.oneThread()[i], r.path()[i], tau, p));
        }
      }
      m.put("projected_speedup", projected);
      list.add(m);
    }
    doc.put("rows", list);
    out.println(
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
  }

  private void writeRunDirectory(
      Path dir, String json, List<Entry> entries, List<Row> rows, double tau) {
    int n = rows.size();
    double[] t = new double[n];
    for (int j = 0; j < n; j++) t[j] = rows.get(j).steps();
    int cores = Runtime.getRuntime().availableProcessors();
    List<Figure.Series> times = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      double[] one = new double[n], all = new double[n];
      for (int j = 0; j < n; j++) {
        one[j] = rows.get(j).oneThread()[i] * 1e3;
        all[j] = rows.get(j).allCores()[i] * 1e3;
      }
      String label = entries.get(i).label();
      times.add(new Figure.Series(label + ", 1 thread", t, one));
      times.add(new Figure.Series(label + ", " + cores + " threads", t, all));
    }
    List<Figure.Series> speedups = new ArrayList<>();
    for (int p : projectTo) {
      for (int i = 0; i < entries.size(); i++) {
        double[] s = new double[n];
        for (int j = 0; j < n; j++) {
          Row r = rows.get(j);
          s[j] = Parallelism.projectedSpeedup(r.oneThread()[i], r.path()[i], tau, p);
        }
        speedups.add(new Figure.Series(entries.get(i).label() + ", P=" + p, t, s));
      }
    }
    try {
      AtomicFiles.writeString(dir.resolve("results.json"), json);
      Plots.lineChart(
          dir.resolve("step_time.png"),
          "One training step, measured on this machine (batch " + batch + ")",
          "sequence length T",
          Figure.Scale.LOG,
          "milliseconds",
          Figure.Scale.LOG,
          times);
      Plots.lineChart(
          dir.resolve("projected_speedup.png"),
          "PROJECTION (Brent's bound): speed-up on P cores, from critical path × "
              + String.format(Locale.ROOT, "%.1f µs", tau * 1e6),
          "sequence length T",
          Figure.Scale.LOG,
          "projected speed-up over 1 core",
          Figure.Scale.LOG,
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
