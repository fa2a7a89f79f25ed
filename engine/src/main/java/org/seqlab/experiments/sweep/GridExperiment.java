package org.seqlab.experiments.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.seqlab.experiments.FigureSink;
import org.seqlab.experiments.RunCurve;
import org.seqlab.tasks.SyntheticTask;

/**
 * An experiment run at every point of a {@link Grid}: the same plan once per point, each run's id
 * and series naming its point ("LSTM H 20 · lr 0.003"), so that the report draws one curve per
 * model and point. Everything else is the experiment's own.
 */
public final class GridExperiment implements Experiment {

  private final Experiment base;
  private final Grid grid;

  public GridExperiment(Experiment base, Grid grid) {
    this.base = base;
    this.grid = grid;
  }

  public Grid grid() {
    return grid;
  }

  public Experiment base() {
    return base;
  }

  @Override
  public String name() {
    return base.name();
  }

  @Override
  public String title() {
    return base.title();
  }

  @Override
  public String claim() {
    return base.claim();
  }

  @Override
  public Hypothesis test(Summary summary) {
    return base.test(summary);
  }

  @Override
  public ExperimentSettings defaults() {
    return base.defaults();
  }

  @Override
  public List<String> options() {
    return base.options();
  }

  @Override
  public List<String> tunes() {
    return base.tunes();
  }

  /**
   * Checks the settings at every grid point, and that the grid sweeps nothing the experiment tunes
   * itself.
   */
  @Override
  public void check(ExperimentSettings settings) {
    for (String axis : grid.axes().keySet()) {
      if (base.tunes().contains(axis)) {
        throw new IllegalArgumentException(
            "--grid "
                + axis
                + ": "
                + base.name()
                + " tunes --"
                + axis
                + " itself, each model at --"
                + axis
                + "/3, --"
                + axis
                + " and 3×--"
                + axis
                + "; give --"
                + axis
                + " to move that grid");
      }
    }
    for (Map<String, String> point : grid.pointList()) base.check(Grid.apply(settings, point));
  }

  /**
   * The plan of every grid point, interleaved (the first run of each point, then the second of
   * each, ...) so that the longest runs of every point start first and a sweep stopped half-way has
   * rows at every point.
   */
  @Override
  public List<SweepRun> plan(ExperimentSettings settings) {
    List<List<SweepRun>> plans = new ArrayList<>();
    int longest = 0;
    for (Map<String, String> point : grid.pointList()) {
      List<SweepRun> runs = new ArrayList<>();
      for (SweepRun r : base.plan(Grid.apply(settings, point))) runs.add(r.atGridPoint(point));
      plans.add(runs);
      longest = Math.max(longest, runs.size());
    }
    List<SweepRun> out = new ArrayList<>();
    for (int i = 0; i < longest; i++) {
      for (List<SweepRun> runs : plans) if (i < runs.size()) out.add(runs.get(i));
    }
    return out;
  }

  @Override
  public SyntheticTask.Metric metric() {
    return base.metric();
  }

  @Override
  public String xName() {
    return base.xName();
  }

  @Override
  public String xLabel() {
    return base.xLabel();
  }

  @Override
  public String scoreName() {
    return base.scoreName();
  }

  @Override
  public void afterRun(Sweep.Finished finished, Path dir) throws IOException {
    base.afterRun(finished, dir);
  }

  @Override
  public String report(
      ExperimentSettings settings,
      List<SweepRow> rows,
      Map<String, RunCurve> curves,
      Path dir,
      FigureSink figures)
      throws IOException {
    return base.report(settings, rows, curves, dir, figures);
  }
}
