package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A grid over an experiment's single-valued settings: {@code --grid lr=0.001,0.003 --grid clip=0,1}
 * makes four grid points, and the experiment's whole plan runs at each. The settings that already
 * take lists ({@code models}, {@code distances}, {@code hidden}, {@code forget-biases}) are swept
 * by the experiment itself, so {@code --grid distances=5,10} is the same as {@code --distances
 * 5,10}: {@link #parse} moves such keys into {@link Parsed#lists}.
 *
 * @param axes each swept setting (its option name without the dashes) and its values, in the order
 *     given; empty for no grid
 */
public record Grid(Map<String, List<String>> axes) {

  /** No grid: the experiment's plan once. */
  public static final Grid NONE = new Grid(Map.of());

  /** The settings a grid may sweep point by point. */
  public static final List<String> SCALARS =
      List.of(
          "params",
          "steps",
          "lr",
          "clip",
          "batch",
          "validation",
          "val-every",
          "goal",
          "spectral-radius",
          "seq-len");

  /** The settings that take lists already, which a grid hands to the experiment as they are. */
  public static final List<String> LISTS =
      List.of("models", "distances", "hidden", "forget-biases");

  /** At most this many values on one axis. */
  public static final int MAX_VALUES = 1000;

  public Grid {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    axes.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    axes = java.util.Collections.unmodifiableMap(copy);
  }

  public boolean isEmpty() {
    return axes.isEmpty();
  }

  /**
   * How many grid points there are (1 without a grid), saturating at {@link Long#MAX_VALUE} so that
   * an absurd grid is refused before anything is built.
   */
  public long points() {
    long n = 1;
    for (List<String> values : axes.values()) {
      n = Math.multiplyHigh(n, values.size()) != 0 ? Long.MAX_VALUE : n * values.size();
    }
    return n;
  }

  /** A grid as the command line gave it: the point-by-point axes and the list settings. */
  public record Parsed(Grid grid, Map<String, List<String>> lists) {}

  /**
   * Reads {@code --grid} values, each {@code KEY=V1,V2,...}.
   *
   * @throws IllegalArgumentException naming the bad entry and what is allowed
   */
  public static Parsed parse(List<String> entries) {
    Map<String, List<String>> axes = new LinkedHashMap<>();
    Map<String, List<String>> lists = new LinkedHashMap<>();
    for (String entry : entries) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new IllegalArgumentException(
            "--grid "
                + entry
                + ": write KEY=V1,V2,... with KEY one of "
                + String.join(", ", allowed()));
      }
      String key = entry.substring(0, eq).strip().replaceFirst("^--", "");
      if (!SCALARS.contains(key) && !LISTS.contains(key)) {
        throw new IllegalArgumentException(
            "--grid "
                + entry
                + ": '"
                + key
                + "' cannot be swept; choose from "
                + String.join(", ", allowed())
                + (key.equals("seeds") ? " (give the number of seeds with --seeds N)" : ""));
      }
      if (axes.containsKey(key) || lists.containsKey(key)) {
        throw new IllegalArgumentException(
            "--grid " + key + " is given twice; give all its values at once: " + key + "=A,B,C");
      }
      List<String> values = new ArrayList<>();
      for (String v : entry.substring(eq + 1).split(",", -1)) {
        String value = v.strip();
        if (value.isEmpty()) {
          throw new IllegalArgumentException("--grid " + entry + ": an empty value");
        }
        if (values.contains(value)) {
          throw new IllegalArgumentException("--grid " + entry + ": " + value + " is given twice");
        }
        values.add(value);
      }
      if (values.size() > MAX_VALUES) {
        throw new IllegalArgumentException(
            "--grid " + key + ": " + values.size() + " values; at most " + MAX_VALUES);
      }
      (LISTS.contains(key) ? lists : axes).put(key, values);
    }
    return new Parsed(new Grid(axes), lists);
  }

  private static List<String> allowed() {
    List<String> all = new ArrayList<>(SCALARS);
    all.addAll(LISTS);
    return all;
  }

  /** Every grid point, the first axis varying slowest; one empty point without a grid. */
  public List<Map<String, String>> pointList() {
    List<Map<String, String>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (var axis : axes.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> p : points) {
        for (String v : axis.getValue()) {
          Map<String, String> q = new LinkedHashMap<>(p);
          q.put(axis.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    return points;
  }

  /**
   * {@code settings} with the values of {@code point} set.
   *
   * @throws IllegalArgumentException for a value that is not a number of the setting's kind
   */
  public static ExperimentSettings apply(ExperimentSettings settings, Map<String, String> point) {
    ExperimentSettings s = settings;
    for (var e : point.entrySet()) s = with(s, e.getKey(), e.getValue());
    return s;
  }

  /** The options whose values a grid sets, with their dashes ({@code --lr}). */
  public Set<String> options() {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (String key : axes.keySet()) out.add("--" + key);
    return out;
  }

  private static ExperimentSettings with(ExperimentSettings s, String key, String value) {
    try {
      return switch (key) {
        case "params" -> copy(s, Map.of("params", Long.parseLong(value)));
        case "steps" -> copy(s, Map.of("steps", Integer.parseInt(value)));
        case "lr" -> copy(s, Map.of("lr", Double.parseDouble(value)));
        case "clip" -> copy(s, Map.of("clip", Double.parseDouble(value)));
        case "batch" -> copy(s, Map.of("batch", Integer.parseInt(value)));
        case "validation" -> copy(s, Map.of("validation", Integer.parseInt(value)));
        case "val-every" -> copy(s, Map.of("val-every", Integer.parseInt(value)));
        case "goal" -> copy(s, Map.of("goal", Double.parseDouble(value)));
        case "spectral-radius" -> copy(s, Map.of("spectral-radius", Double.parseDouble(value)));
        case "seq-len" -> copy(s, Map.of("seq-len", Integer.parseInt(value)));
        default -> throw new IllegalArgumentException("--grid: '" + key + "' cannot be swept");
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--grid "
              + key
              + ": '"
              + value
              + "' is not "
              + (isWhole(key) ? "a whole number" : "a number"));
    }
  }

  private static boolean isWhole(String key) {
    return List.of("params", "steps", "batch", "validation", "val-every", "seq-len").contains(key);
  }

  private static ExperimentSettings copy(ExperimentSettings s, Map<String, Object> set) {
    return new ExperimentSettings(
        s.models(),
        s.distances(),
        s.hidden(),
        s.forgetBiases(),
        s.seeds(),
        (Long) set.getOrDefault("params", s.params()),
        (Integer) set.getOrDefault("steps", s.steps()),
        (Double) set.getOrDefault("lr", s.lr()),
        (Double) set.getOrDefault("clip", s.clip()),
        (Integer) set.getOrDefault("batch", s.batch()),
        (Integer) set.getOrDefault("validation", s.validation()),
        (Integer) set.getOrDefault("val-every", s.validateEvery()),
        (Double) set.getOrDefault("goal", s.goal()),
        (Double) set.getOrDefault("spectral-radius", s.spectralRadius()),
        s.text(),
        (Integer) set.getOrDefault("seq-len", s.seqLen()),
        s.seed(),
        s.jobs());
  }
}
