package org.seqlab.experiments.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.seqlab.io.RunDirectory;

class GridTest {

  @Test
  void parsesAxesAndListsAndExpandsEveryPointFirstAxisSlowest() {
    Grid.Parsed parsed = Grid.parse(List.of("lr=0.001,0.003", "distances=5,10", "clip=0,1,5"));
    assertEquals(List.of("5", "10"), parsed.lists().get("distances"));
    Grid grid = parsed.grid();
    assertEquals(List.of("lr", "clip"), List.copyOf(grid.axes().keySet()));
    assertEquals(6, grid.points());
    List<Map<String, String>> points = grid.pointList();
    assertEquals(6, points.size());
    assertEquals(Map.of("lr", "0.001", "clip", "0"), points.get(0));
    assertEquals(Map.of("lr", "0.001", "clip", "5"), points.get(2));
    assertEquals(Map.of("lr", "0.003", "clip", "0"), points.get(3));
    assertEquals(List.of(Map.of()), Grid.NONE.pointList());
    assertEquals(1, Grid.NONE.points());
  }

  @Test
  void countsAnAbsurdGridWithoutOverflowing() {
    List<String> thousand = new java.util.ArrayList<>();
    for (int i = 0; i < 1000; i++) thousand.add(Integer.toString(i + 1));
    String values = String.join(",", thousand);
    Grid grid =
        Grid.parse(
                List.of(
                    "steps=" + values,
                    "batch=" + values,
                    "validation=" + values,
                    "val-every=" + values,
                    "seq-len=" + values,
                    "params=" + values,
                    "lr=" + values))
            .grid();
    assertEquals(Long.MAX_VALUE, grid.points());
  }

  @Test
  void setsEachValueOnTheSettingsAndRefusesWhatIsNotANumber() {
    ExperimentSettings s =
        Grid.apply(ExperimentSettings.NONE, Map.of("lr", "0.003", "steps", "200", "clip", "0"));
    assertEquals(0.003, s.lr());
    assertEquals(200, s.steps());
    assertEquals(0.0, s.clip());
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Grid.apply(ExperimentSettings.NONE, Map.of("steps", "2.5")));
    assertEquals("--grid steps: '2.5' is not a whole number", e.getMessage());
    for (String bad : List.of("lr", "lr=", "=1", "speed=1,2", "lr=1,,2", "lr=1,1")) {
      assertThrows(IllegalArgumentException.class, () -> Grid.parse(List.of(bad)), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> Grid.parse(List.of("lr=1", "lr=2")));
  }

  @Test
  void aGridExperimentPlansEveryPointWithRunsNamedByTheirPoint() {
    Experiment base = Experiments.named("long-range");
    ExperimentSettings settings = ExperimentRunnerTest.small().orElse(base.defaults());
    Grid grid = Grid.parse(List.of("clip=0,1", "steps=30,40")).grid();
    List<SweepRun> plain = base.plan(settings);
    List<SweepRun> runs = new GridExperiment(base, grid).plan(settings);
    assertEquals(4 * plain.size(), runs.size());
    assertEquals(runs.size(), new HashSet<>(runs.stream().map(SweepRun::id).toList()).size());
    SweepRun first = runs.getFirst();
    // the grid's point before the experiment's own tuning point, which stays last in the name
    assertEquals(plain.getFirst().id() + "-clip0-steps30", first.id());
    assertEquals("RNN H 15 · clip 0, steps 30 · lr 0.00333", first.series());
    assertEquals("RNN H 15 · clip 0, steps 30", Tuning.base(first.series()));
    Map<String, String> point = new java.util.LinkedHashMap<>(plain.getFirst().grid());
    point.putAll(Map.of("clip", "0", "steps", "30"));
    assertEquals(point, first.grid());
    // Interleaved: the first run of every point before the second run of any.
    assertEquals(
        List.of(
            Map.of("clip", "0", "steps", "30"),
            Map.of("clip", "0", "steps", "40"),
            Map.of("clip", "1", "steps", "30"),
            Map.of("clip", "1", "steps", "40")),
        runs.subList(0, 4).stream()
            .map(r -> Map.of("clip", r.grid().get("clip"), "steps", r.grid().get("steps")))
            .toList());
    assertEquals(40, runs.get(1).budget().steps());
    assertEquals(1.0, runs.get(2).budget().clip());
    assertEquals(plain.getFirst().budget().lr(), runs.get(2).budget().lr());
  }

  @Test
  void aGridCannotSweepWhatTheExperimentTunesItself() {
    Experiment base = Experiments.named("long-range");
    ExperimentSettings settings = ExperimentRunnerTest.small().orElse(base.defaults());
    Grid grid = Grid.parse(List.of("lr=0.01,0.02")).grid();
    var refused =
        assertThrows(
            IllegalArgumentException.class, () -> new GridExperiment(base, grid).check(settings));
    assertEquals(
        "--grid lr: long-range tunes --lr itself, each model at --lr/3, --lr and 3×--lr; give"
            + " --lr to move that grid",
        refused.getMessage());
  }

  /** A run crosses to a Spark executor as JSON and must come back equal. */
  @Test
  void aRunSurvivesJson() throws Exception {
    Experiment base = Experiments.named("exploding");
    ExperimentSettings settings = base.defaults();
    Grid grid = Grid.parse(List.of("lr=0.05,0.01")).grid();
    for (SweepRun run : new GridExperiment(base, grid).plan(settings)) {
      String json = RunDirectory.JSON.writeValueAsString(run);
      SweepRun back = RunDirectory.JSON.readValue(json, SweepRun.class);
      assertEquals(run, back, json);
      assertTrue(back.grid() instanceof Map<String, String>);
    }
  }
}
