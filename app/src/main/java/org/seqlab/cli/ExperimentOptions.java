package org.seqlab.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.seqlab.experiments.sweep.Experiment;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.ExperimentSettings;
import org.seqlab.experiments.sweep.Experiments;
import org.seqlab.experiments.sweep.Grid;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The settings of a named experiment as options, shared by {@code seqlab run} and {@code seqlab
 * sweep}: each option left out takes the experiment's default, and {@code --grid} sweeps the
 * single-valued ones point by point.
 */
public final class ExperimentOptions {

  @Option(
      names = "--models",
      split = ",",
      paramLabel = "M",
      completionCandidates = ArchitectureNames.class,
      description = "any of ${COMPLETION-CANDIDATES}")
  public List<String> models;

  @Option(
      names = "--distances",
      split = ",",
      paramLabel = "D",
      description = "the task's knob: distances, lengths, delays or k")
  public List<Integer> distances;

  @Option(
      names = "--hidden",
      split = ",",
      paramLabel = "H",
      description = "hidden sizes (mqar, exploding)")
  public List<Integer> hidden;

  @Option(
      names = "--forget-biases",
      split = ",",
      paramLabel = "B",
      description = "forget-gate biases (forget-bias)")
  public List<Double> forgetBiases;

  @Option(names = "--seeds", paramLabel = "N", description = "seeds per point")
  public Integer seeds;

  @Option(
      names = "--params",
      paramLabel = "N",
      description = "the parameter count models are matched to")
  public Long params;

  @Option(names = "--steps", paramLabel = "N", description = "training steps of every run")
  public Integer steps;

  @Option(names = "--lr", paramLabel = "RATE", description = "learning rate")
  public Double lr;

  @Option(names = "--clip", paramLabel = "NORM", description = "gradient-norm threshold (0: none)")
  public Double clip;

  @Option(names = "--batch", paramLabel = "B", description = "sequences per step")
  public Integer batch;

  @Option(names = "--validation", paramLabel = "N", description = "validation sequences")
  public Integer validation;

  @Option(names = "--val-every", paramLabel = "N", description = "steps between validations")
  public Integer validateEvery;

  @Option(
      names = "--goal",
      paramLabel = "SCORE",
      description = "stop a run once its score reaches this (0: never)")
  public Double goal;

  @Option(
      names = "--spectral-radius",
      paramLabel = "R",
      description = "W_hh's spectral radius (exploding)")
  public Double spectralRadius;

  @Option(
      names = "--text",
      paramLabel = "FILE",
      description =
          "the text (char-lm; default: " + org.seqlab.experiments.DefaultText.PATH + ", shipped)")
  public String text;

  @Option(names = "--seq-len", paramLabel = "T", description = "the window (char-lm)")
  public Integer seqLen;

  @Option(names = "--seed", paramLabel = "N", description = "the base seed")
  public Long seed;

  @Option(
      names = "--grid",
      paramLabel = "KEY=V1,V2",
      description = {
        "sweep a setting: every value of every --grid with every other (e.g. --grid lr=0.001,0.003"
            + " --grid clip=0,1: 4 points, the whole plan at each). KEY: "
            + "params, steps, lr, clip, batch, validation, val-every, goal, spectral-radius, seq-len;"
            + " models, distances, hidden, forget-biases as their own options"
      })
  public List<String> grid = new ArrayList<>();

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "the experiment's directory (default: a new one in runs/, named after the experiment"
              + " and the time)")
  public Path out;

  @Option(
      names = "--plan",
      description = "print the settings (defaults filled in) and the runs, and train nothing")
  public boolean plan;

  @Option(
      names = "--max-runs",
      paramLabel = "N",
      description = "refuse a plan of more runs than this (default: ${DEFAULT-VALUE})")
  public long maxRuns = ExperimentRunner.DEFAULT_MAX_RUNS;

  /** The experiment called {@code name}, or a one-line refusal naming those there are. */
  public static Experiment experiment(String name) {
    try {
      return Experiments.named(name);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /**
   * The experiment ready to run into {@code --out}, or by default into {@code runs/NAME-DATE-TIME}
   * ({@code runs/NAME-KIND-DATE-TIME} with a {@code kind}): every setting checked, or a one-line
   * refusal.
   *
   * @param given the options given ({@link #given})
   * @param jobs {@code --jobs}, or null
   * @param kind a word in the default directory's name ("sweep"), or null
   */
  public ExperimentRunner prepare(
      Experiment experiment, List<String> given, Integer jobs, String kind)
      throws java.io.IOException {
    Path dir =
        out != null
            ? out
            : Path.of(
                "runs",
                experiment.name()
                    + (kind == null ? "" : "-" + kind)
                    + "-"
                    + java.time.LocalDateTime.now()
                        .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    try {
      return ExperimentRunner.prepare(experiment, settings(jobs), given, grid(), maxRuns, dir);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** The settings given (null where left to the default), with {@code jobs} as given. */
  public ExperimentSettings settings(Integer jobs) {
    Grid.Parsed parsed = parsedGrid();
    Map<String, List<String>> lists = parsed.lists();
    return new ExperimentSettings(
        lists.containsKey("models") ? lists.get("models") : models,
        lists.containsKey("distances") ? ints(lists.get("distances"), "distances") : distances,
        lists.containsKey("hidden") ? ints(lists.get("hidden"), "hidden") : hidden,
        lists.containsKey("forget-biases")
            ? doubles(lists.get("forget-biases"), "forget-biases")
            : forgetBiases,
        seeds,
        params,
        steps,
        lr,
        clip,
        batch,
        validation,
        validateEvery,
        goal,
        spectralRadius,
        text,
        seqLen,
        seed,
        jobs);
  }

  /** The point-by-point part of {@code --grid}. */
  public Grid grid() {
    return parsedGrid().grid();
  }

  private Grid.Parsed parsedGrid() {
    try {
      return Grid.parse(grid);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  /**
   * The experiment options the user gave ({@code --steps}, ...; list settings given through {@code
   * --grid} under their own option), for checking that each applies; {@code --grid}, {@code
   * --max-runs}, {@code --plan} and {@code --out} themselves are not among them.
   */
  public List<String> given(CommandLine.ParseResult parseResult, List<String> ignore) {
    List<String> given = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : parseResult.matchedOptions()) {
      String name = o.longestName();
      if (!ignore.contains(name)
          && !List.of("--grid", "--max-runs", "--plan", "--out").contains(name)) {
        given.add(name);
      }
    }
    for (String key : parsedGrid().lists().keySet()) {
      if (given.contains("--" + key)) {
        throw new UserError(
            "--" + key + " is given both on its own and in --grid; give it in one place");
      }
      given.add("--" + key);
    }
    return given;
  }

  private static List<Integer> ints(List<String> values, String key) {
    return parseEach(values, key, Integer::parseInt, "a whole number");
  }

  private static List<Double> doubles(List<String> values, String key) {
    return parseEach(values, key, Double::parseDouble, "a number");
  }

  private static <T> List<T> parseEach(
      List<String> values, String key, java.util.function.Function<String, T> parse, String kind) {
    List<T> out = new ArrayList<>();
    for (String v : values) {
      try {
        out.add(parse.apply(v));
      } catch (NumberFormatException e) {
        throw new UserError("--grid " + key + ": '" + v + "' is not " + kind);
      }
    }
    return out;
  }

  /** The experiments a command runs, one line each from their table: the footer of its help. */
  static String experimentsHelp() {
    StringBuilder s = new StringBuilder("%nExperiments:%n");
    int width = Experiments.names().stream().mapToInt(String::length).max().orElse(0);
    for (Experiment e : Experiments.all()) {
      s.append(String.format(java.util.Locale.ROOT, "  %-" + width + "s  ", e.name()))
          .append(e.title().replace("%", "%%"))
          .append("%n");
    }
    return s.toString();
  }
}
