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
final class PlanPrinter {
  private PlanPrinter() {}

  static String describe(ExperimentRunner runner) {
    ExperimentSettings s = runner.settings();
    StringBuilder out = new StringBuilder();
    out.append(runner.experiment().title()).append('\n');
    out.append("settings (defaults filled in; these options apply: ")
        .append(String.join(" ", runner.experiment().options()))
        .append(")\n");
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("--models", s.models());
    values.put("--distances", s.distances());
    values.put("--hidden", s.hidden());
    values.put("--forget-biases", s.forgetBiases());
    values.put("--seeds", s.seeds());
    values.put("--params", s.params());
    values.put("--steps", s.steps());
    values.put("--lr", s.lr());
    values.put("--clip", s.clip());
    values.put("--batch", s.batch());
    values.put("--validation", s.validation());
    values.put("--val-every", s.validateEvery());
    values.put("--goal", s.goal());
    values.put("--spectral-radius", s.spectralRadius());
    values.put("--text", s.text());
    values.put("--seq-len", s.seqLen());
    values.put("--seed", s.seed());
    values.put("--jobs", s.jobs());
    values.forEach(
        (option, value) -> {
          if (value != null && runner.experiment().options().contains(option)) {
            String shown =
                value instanceof List<?> list
                    ? String.join(",", list.stream().map(String::valueOf).toList())
                    : String.valueOf(value);
            out.append(String.format(Locale.ROOT, "  %-18s %s%n", option, shown));
          }
        });
    List<SweepRun> runs = runner.experiment().plan(s);
    Map<String, Long> steps = new LinkedHashMap<>();
    for (SweepRun r : runs) steps.merge(r.series(), (long) r.budget().steps(), Long::sum);
    out.append(
        String.format(
            Locale.ROOT,
            "%d runs, at most %s training steps in all, %d side by side; per series:%n",
            runs.size(),
            Summary.count(steps.values().stream().mapToLong(Long::longValue).sum()),
            Math.min(s.jobs(), runs.size())));
    steps.forEach(
        (series, n) -> {
          List<SweepRun> mine = runs.stream().filter(r -> r.series().equals(series)).toList();
          long params = mine.getFirst().model().parameterCount(mine.getFirst().task().shape());
          out.append(
              String.format(
                  Locale.ROOT,
                  "  %-34s %3d runs, %s parameters (at %s %s)%n",
                  series,
                  mine.size(),
                  Summary.count(params),
                  runner.experiment().xName(),
                  Summary.number(mine.getFirst().x())));
        });
    return out.toString();
  }
}
