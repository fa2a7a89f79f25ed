package org.seqlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.sweep.ExperimentRunner;
import org.seqlab.experiments.sweep.ExperimentSettings;
import org.seqlab.experiments.sweep.Summary;
import org.seqlab.experiments.sweep.SweepRun;

/** What {@code seqlab run NAME --plan} prints: the settings in force and the runs they make. */
public final class PlanPrinter {
  private PlanPrinter() {}

  public static String describe(ExperimentRunner runner) {
    return describe(
        runner, Math.min(runner.settings().jobs(), runner.plan().size()) + " side by side", true);
  }

  /**
   * The plan of runs that go elsewhere than this process's threads ({@code --jobs} left out).
   *
   * @param where how the runs are spread ("each a Spark task on local[*]")
   */
  public static String describe(ExperimentRunner runner, String where) {
    return describe(runner, where, false);
  }

  private static String describe(ExperimentRunner runner, String where, boolean jobs) {
    ExperimentSettings s = runner.settings();
    StringBuilder out = new StringBuilder();
    out.append(runner.experiment().title()).append('\n');
    out.append("settings (defaults filled in; these options apply: ")
        .append(String.join(" ", runner.experiment().options()))
        .append(")\n");
    s.byOption()
        .forEach(
            (option, value) -> {
              if (value != null
                  && runner.experiment().options().contains(option)
                  && (jobs || !option.equals("--jobs"))) {
                out.append(
                    String.format(
                        Locale.ROOT, "  %-18s %s%n", option, ExperimentSettings.show(value)));
              }
            });
    List<SweepRun> runs = runner.experiment().plan(s);
    Map<String, Long> steps = new LinkedHashMap<>();
    for (SweepRun r : runs) steps.merge(r.series(), (long) r.budget().steps(), Long::sum);
    out.append(
        String.format(
            Locale.ROOT,
            "%d runs, at most %s training steps in all, %s; per series:%n",
            runs.size(),
            Summary.count(steps.values().stream().mapToLong(Long::longValue).sum()),
            where));
    int width = steps.keySet().stream().mapToInt(String::length).max().orElse(0);
    steps.forEach(
        (series, n) -> {
          List<SweepRun> mine = runs.stream().filter(r -> r.series().equals(series)).toList();
          long params = mine.getFirst().model().parameterCount(mine.getFirst().task().shape());
          out.append(
              String.format(
                  Locale.ROOT,
                  "  %-" + width + "s %3d runs, %s parameters (at %s %s)%n",
                  series,
                  mine.size(),
                  Summary.count(params),
                  runner.experiment().xName(),
                  Summary.number(mine.getFirst().x())));
        });
    return out.toString();
  }
}
