package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.seqlab.experiments.Figure;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.experiments.Units;
import org.seqlab.nn.Architecture;

/**
 * {@code EXPERIMENTS.md}, written from the experiments' saved results: an introduction whose every
 * number comes from the constants it names, then one section per experiment directory, in the order
 * of {@link Experiments#all}: the command that repeats it, how many runs it made and where, its
 * report regenerated from {@code result.json} by the experiment's own {@link Experiment#report}
 * (the plots are not redrawn: the PNG files present are linked), and the PyTorch cross-check's
 * {@code report.md} where there is one.
 *
 * <p>A directory of the results holds what {@code seqlab run NAME --out DIR} wrote, at least {@code
 * experiment.json} and {@code result.json}; a directory with neither is passed over.
 */
public final class ExperimentsDocument {
  private ExperimentsDocument() {}

  /** The directory of the PyTorch cross-check, beside the experiments'. */
  public static final String CROSSCHECK = "pytorch-crosscheck";

  /** The cross-check's report, in Markdown, included as it is. */
  public static final String CROSSCHECK_REPORT = "report.md";

  /** Where the document lies and where its results are, as the repository keeps them. */
  public static final String DEFAULT_DOCUMENT = "EXPERIMENTS.md";

  public static final String DEFAULT_RESULTS = "docs/experiments";

  private static final String INTRO = "experiments-intro.md";

  /**
   * The document for the experiment directories under {@code results}, its links relative to the
   * directory of {@code document} (the file it will be written to).
   *
   * @throws IllegalArgumentException naming the directory and what is wrong with it: no {@code
   *     result.json} beside an {@code experiment.json}, a file that is not what it should be, an
   *     experiment seqlab does not know
   */
  public static String generate(Path results, Path document) throws IOException {
    if (!Files.isDirectory(results)) {
      throw new IllegalArgumentException("no such directory: " + results);
    }
    Path from = document.toAbsolutePath().normalize().getParent();
    StringBuilder s = new StringBuilder(intro());
    for (Path dir : experimentDirectories(results)) s.append('\n').append(section(dir, from));
    Path crosscheck = results.resolve(CROSSCHECK).resolve(CROSSCHECK_REPORT);
    if (Files.isRegularFile(crosscheck)) s.append('\n').append(crosscheck(crosscheck));
    return s.toString();
  }

  /**
   * The directories under {@code results} that hold an experiment, in the order of {@link
   * Experiments#all} (then by name).
   */
  static List<Path> experimentDirectories(Path results) throws IOException {
    List<Path> dirs = new ArrayList<>();
    Map<Path, Integer> rank = new LinkedHashMap<>();
    List<String> names = Experiments.names();
    try (Stream<Path> entries = Files.list(results)) {
      for (Path dir : entries.filter(Files::isDirectory).sorted().toList()) {
        // the cross-check's own result.json is a script's, not an experiment's
        if (dir.getFileName().toString().equals(CROSSCHECK)) continue;
        boolean record = Files.isRegularFile(dir.resolve(ExperimentRunner.EXPERIMENT));
        boolean result = Files.isRegularFile(dir.resolve(ExperimentRunner.RESULT));
        if (!record && !result) continue;
        if (!record) {
          throw new IllegalArgumentException(
              dir
                  + " holds a "
                  + ExperimentRunner.RESULT
                  + " but no "
                  + ExperimentRunner.EXPERIMENT);
        }
        String name = ExperimentRunner.readRecord(dir).experiment();
        if (!names.contains(name)) Experiments.named(name); // says which there are
        dirs.add(dir);
        rank.put(dir, names.indexOf(name));
      }
    }
    dirs.sort(Comparator.comparing(rank::get));
    return dirs;
  }

  /** One experiment's section, its links relative to {@code from}. */
  static String section(Path dir, Path from) throws IOException {
    if (!Files.isRegularFile(dir.resolve(ExperimentRunner.RESULT))) {
      throw new IllegalArgumentException(
          dir
              + " holds no "
              + ExperimentRunner.RESULT
              + "; copy it from the directory `seqlab run` wrote, or leave the experiment out");
    }
    ExperimentRunner.Record record = ExperimentRunner.readRecord(dir);
    ExperimentRunner runner = ExperimentRunner.openSaved(dir);
    List<SweepRow> rows = ExperimentRunner.readRows(dir);
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(
          dir.resolve(ExperimentRunner.RESULT) + " holds no finished run");
    }
    // the plots the report would draw, in its order, with their titles; none is drawn
    Map<Path, String> figures = new LinkedHashMap<>();
    FigureSink keep =
        (Figure figure, Path png) ->
            figures.putIfAbsent(png.toAbsolutePath().normalize(), figure.title());
    String report = runner.reportText(keep).replace("\r\n", "\n").stripTrailing();

    StringBuilder s = new StringBuilder("## ").append(dir.getFileName()).append("\n\n");
    s.append("```\n").append(command(record)).append("\n```\n\n");
    s.append(facts(record, rows.size(), ExperimentRunner.readWallSeconds(dir))).append("\n\n");
    String fence = fence(report);
    s.append(fence).append('\n').append(report).append('\n').append(fence).append('\n');
    for (Map.Entry<Path, String> plot : plots(dir, figures).entrySet()) {
      s.append("\n![")
          .append(plot.getValue().replace("[", "(").replace("]", ")"))
          .append("](")
          .append(link(from, plot.getKey()))
          .append(")\n");
    }
    return s.toString();
  }

  /**
   * The PNG files in {@code dir}: first those the report draws, in its order, with their titles;
   * then any other, by name.
   */
  private static Map<Path, String> plots(Path dir, Map<Path, String> drawn) throws IOException {
    Map<Path, String> plots = new LinkedHashMap<>();
    for (Map.Entry<Path, String> f : drawn.entrySet()) {
      if (Files.isRegularFile(f.getKey())) plots.put(f.getKey(), f.getValue());
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path png :
          entries.filter(p -> p.getFileName().toString().endsWith(".png")).sorted().toList()) {
        Path key = png.toAbsolutePath().normalize();
        String stem = png.getFileName().toString().replaceFirst("\\.png$", "");
        plots.putIfAbsent(key, dir.getFileName() + " " + stem);
      }
    }
    return plots;
  }

  /** A path as a Markdown link from {@code from}: relative, with forward slashes. */
  private static String link(Path from, Path file) {
    Path relative = from.relativize(file);
    List<String> parts = new ArrayList<>();
    for (Path p : relative) parts.add(p.toString());
    return String.join("/", parts).replace(" ", "%20");
  }

  /** A code fence longer than any run of backticks in {@code text}. */
  private static String fence(String text) {
    int longest = 0, run = 0;
    for (int i = 0; i < text.length(); i++) {
      run = text.charAt(i) == '`' ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    return "`".repeat(Math.max(3, longest + 1));
  }

  /**
   * "60 runs, 2 side by side, in 8m24s wall-clock, on 2026-11-29, on 2 processors (Linux 6.1,
   * amd64, Java 25.0.3)."
   */
  static String facts(ExperimentRunner.Record record, int finished, Double wallSeconds) {
    List<String> parts = new ArrayList<>();
    parts.add(
        finished < record.runs()
            ? finished + " of " + record.runs() + " runs finished"
            : finished + (finished == 1 ? " run" : " runs"));
    Integer jobs = record.settings().jobs();
    if (jobs != null) parts.add(jobs + " side by side");
    if (wallSeconds != null && Double.isFinite(wallSeconds)) {
      parts.add("in " + Units.duration(wallSeconds) + " wall-clock");
    }
    if (record.created() != null && record.created().length() >= 10) {
      parts.add("started " + record.created().substring(0, 10));
    }
    Map<String, String> v = record.versions() == null ? Map.of() : record.versions();
    List<String> machine = new ArrayList<>();
    if (v.get("os") != null) machine.add(v.get("os"));
    if (v.get("arch") != null) machine.add(v.get("arch"));
    if (v.get("java") != null) machine.add("Java " + v.get("java"));
    String processors = v.get("processors");
    if (processors != null) {
      parts.add(
          "on "
              + processors
              + (processors.equals("1") ? " processor" : " processors")
              + (machine.isEmpty() ? "" : " (" + String.join(", ", machine) + ")"));
    } else if (!machine.isEmpty()) {
      parts.add("on " + String.join(", ", machine));
    }
    return String.join(", ", parts) + ".";
  }

  /**
   * The command that repeats the experiment recorded: {@code ./seqlab run NAME} with every option
   * whose recorded value differs from the experiment's default, lists joined by commas, then its
   * grid and, where it planned more than {@link ExperimentRunner#DEFAULT_MAX_RUNS} runs, {@code
   * --max-runs}. {@code --jobs} is left out: it changes no number.
   */
  public static String command(ExperimentRunner.Record record) {
    Experiment experiment = Experiments.named(record.experiment());
    StringBuilder s = new StringBuilder("./seqlab run ").append(record.experiment());
    Map<String, Object> defaults = experiment.defaults().byOption();
    record
        .settings()
        .byOption()
        .forEach(
            (option, value) -> {
              if (value == null || option.equals("--jobs")) return;
              if (Objects.equals(value, defaults.get(option))) return;
              s.append(' ').append(option).append(' ').append(quoted(value(value)));
            });
    if (record.grid() != null) {
      record
          .grid()
          .forEach(
              (key, values) ->
                  s.append(" --grid ").append(quoted(key + "=" + String.join(",", values))));
    }
    if (record.runs() > ExperimentRunner.DEFAULT_MAX_RUNS) {
      s.append(" --max-runs ").append(record.runs());
    }
    return s.toString();
  }

  /** A setting as the command line takes it: numbers without a needless ".0", lists by commas. */
  static String value(Object value) {
    if (value instanceof List<?> list) {
      return String.join(",", list.stream().map(ExperimentsDocument::value).toList());
    }
    if (value instanceof Double d) return Summary.number(d);
    if (value instanceof Float f) return Summary.number(f);
    return String.valueOf(value);
  }

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./,:=+@%-]+");

  /** A word as a POSIX shell reads it: as it is, or in single quotes. */
  static String quoted(String word) {
    return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
  }

  /** The cross-check's section: its report as it is, under a heading unless it has its own. */
  private static String crosscheck(Path report) throws IOException {
    String text = Files.readString(report, StandardCharsets.UTF_8).replace("\r\n", "\n").strip();
    return (text.startsWith("#") ? "" : "## " + CROSSCHECK + "\n\n") + text + "\n";
  }

  /** The introduction, its every number filled in from the constant that sets it. */
  public static String intro() {
    String template;
    try (InputStream in = ExperimentsDocument.class.getResourceAsStream(INTRO)) {
      if (in == null) throw new IllegalStateException("the resource " + INTRO + " is missing");
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return fill(template, introValues());
  }

  /**
   * Replaces every {@code {{name}}} of {@code template} with its value.
   *
   * @throws IllegalStateException for a name without a value
   */
  static String fill(String template, Map<String, String> values) {
    Matcher m = Pattern.compile("\\{\\{(\\w+)}}").matcher(template);
    StringBuilder s = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException("the template names {{" + m.group(1) + "}}, not known");
      }
      m.appendReplacement(s, Matcher.quoteReplacement(value));
    }
    m.appendTail(s);
    return s.toString();
  }

  /** The values the introduction names, each from the constant or the code that sets it. */
  static Map<String, String> introValues() {
    Map<String, String> v = new LinkedHashMap<>();
    List<Experiment> comparisons =
        Experiments.all().stream().filter(e -> e instanceof ModelComparison).toList();
    if (comparisons.isEmpty()) throw new IllegalStateException("no model comparison to describe");
    v.put(
        "comparisons",
        "(" + words(comparisons.stream().map(e -> "`" + e.name() + "`").toList()) + ")");
    v.put(
        "optimizer",
        words(
            comparisons.stream()
                .map(e -> ModelComparison.budget(e.defaults()).optimizer())
                .distinct()
                .map(
                    o ->
                        o.equals("sgd")
                            ? "SGD"
                            : o.substring(0, 1).toUpperCase(Locale.ROOT) + o.substring(1))
                .toList()));
    v.put(
        "clip",
        String.join(
            " or ",
            comparisons.stream()
                .map(e -> Summary.number(e.defaults().clip()))
                .distinct()
                .toList()));
    v.put("flatShare", share(Budget.FLAT_SHARE));
    // the fewest validations the plateau rule waits for, whatever the budget
    v.put("minPatience", Integer.toString(Budget.plateauPatience(1, 1)));
    v.put("minDelta", percent(Budget.MIN_DELTA));
    v.put("minStepsShare", share(Budget.MIN_STEPS_SHARE));
    v.put("learnedAccuracy", Summary.number(Summary.LEARNED_ACCURACY));
    v.put("lossLearned", Summary.number(Summary.LOSS_LEARNED));
    v.put("confidence", percent(twoSidedCoverage(Wilson.Z95)));
    v.put("solvedLowerBound", Summary.number(Summary.SOLVED_LOWER_BOUND));
    v.put("confirmed", Hypothesis.Outcome.CONFIRMED.words());
    v.put("notConfirmed", Hypothesis.Outcome.NOT_CONFIRMED.words());
    v.put("inconclusive", Hypothesis.Outcome.INCONCLUSIVE.words());
    // the models of the first comparison, as it plans them with its defaults
    Experiment first = comparisons.getFirst();
    List<ModelSpec> models = first.plan(first.defaults()).stream().map(SweepRun::model).toList();
    ModelSpec transformer =
        models.stream()
            .filter(m -> Architecture.fromId(m.model()).hasAttention())
            .findFirst()
            .orElseThrow(() -> new IllegalStateException(first.name() + " plans no Transformer"));
    v.put(
        "lrFactors",
        words(
            java.util.Arrays.stream(Tuning.LR_FACTORS)
                .mapToObj(f -> f < 1 ? "1/" + Summary.number(1 / f) : Summary.number(f))
                .toList()));
    v.put(
        "forgetBiases",
        words(first.defaults().forgetBiases().stream().map(Summary::number).toList()));
    v.put("paramsTolerance", percent(ModelComparison.PARAMS_TOLERANCE));
    v.put("transformerBlocks", Integer.toString(transformer.layers()));
    v.put("transformerHeads", Integer.toString(transformer.heads()));
    return v;
  }

  /** "a", "a and b", "a, b and c". */
  private static String words(List<String> items) {
    if (items.size() <= 1) return String.join("", items);
    return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.getLast();
  }

  /** A share in words where it has a common one ("half", "a quarter"), else as a percentage. */
  static String share(double share) {
    if (share == 0.5) return "half";
    if (share == 0.25) return "a quarter";
    if (share == 0.75) return "three quarters";
    if (share == 1.0 / 3) return "a third";
    return percent(share);
  }

  /** "1%", "95%". */
  static String percent(double share) {
    return Summary.number(Math.round(share * 1e4) / 1e2) + "%";
  }

  /**
   * The probability that a standard normal variable lies within {@code z} of 0 (Simpson's rule on
   * its density): 0.95 for 1.96.
   */
  static double twoSidedCoverage(double z) {
    int n = 2000; // even
    double h = z / n, sum = 0;
    for (int i = 0; i <= n; i++) {
      double t = i * h;
      double f = Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI);
      sum += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * f;
    }
    return 2 * sum * h / 3;
  }
}
