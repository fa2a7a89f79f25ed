package org.seqlab.experiments.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.seqlab.experiments.ModelSpec;
import org.seqlab.nn.Architecture;
import org.seqlab.tasks.SyntheticTask;

/**
 * The fixed-size bottleneck, measured: recall of one of {@code k} key–value pairs against {@code
 * k}, for LSTMs of each hidden size {@code H} and, beside each, a Transformer of the same parameter
 * count. An LSTM must squeeze all {@code k} pairs into {@code H} numbers before the query comes; a
 * Transformer keeps every pair and looks the key up when asked.
 */
final class Capacity extends SweepExperiment {

  static final int POOL = 8;

  @Override
  public String name() {
    return "capacity";
  }

  @Override
  public String title() {
    return "Recall of one of k pairs: LSTMs of fixed hidden sizes against Transformers of the same size";
  }

  @Override
  public Hypothesis test(Summary summary) {
    // the small recurrent models' recall falls below attention's as k grows
    return Hypothesis.solvesLess(
        summary, xName(), java.util.Set.of("lstm", "rnn", "gru"), java.util.Set.of("transformer"));
  }

  @Override
  public String claim() {
    return "the hidden state is a fixed-size bottleneck: a small LSTM's recall falls as k grows,"
        + " attention's does not";
  }

  @Override
  public ExperimentSettings defaults() {
    return new ExperimentSettings(
        List.of("lstm", "transformer"),
        List.of(2, 4, 6, 8),
        List.of(16, 32),
        null,
        2,
        null,
        4000,
        3e-3,
        1.0,
        64,
        256,
        50,
        0.99,
        null,
        null,
        null,
        1L,
        null);
  }

  @Override
  public List<String> options() {
    List<String> o = new ArrayList<>(List.of("--models", "--distances", "--hidden"));
    o.addAll(COMMON);
    return o;
  }

  @Override
  public void check(ExperimentSettings s) {
    s.checkCommon(POOL, 1);
    for (String m : s.models()) {
      if (m.equals("rnn_relu")) {
        throw new IllegalArgumentException(
            "--models: capacity compares rnn, lstm, gru, transformer");
      }
    }
  }

  @Override
  String learnedWhat() {
    return "to recall the pairs";
  }

  @Override
  public String xName() {
    return "k";
  }

  @Override
  public SyntheticTask.Metric metric() {
    return SyntheticTask.Metric.ACCURACY;
  }

  @Override
  public String xLabel() {
    return "k, pairs to hold before the query";
  }

  @Override
  public String scoreName() {
    return "recall accuracy";
  }

  @Override
  public List<SweepRun> plan(ExperimentSettings s) {
    Budget budget = ModelComparison.budget(s);
    List<Integer> ks = s.distances().stream().sorted(Comparator.reverseOrder()).toList();
    ModelSpec.Shape shape =
        new TaskSpec("recall", ks.getFirst(), s.batch(), s.validation(), POOL).shape();
    List<ModelSpec> models = new ArrayList<>();
    List<String> recurrent =
        s.models().stream().filter(m -> Architecture.fromId(m).isRecurrent()).toList();
    boolean transformer = s.models().contains(Architecture.TRANSFORMER.id());
    for (int h : s.hidden()) {
      for (String m : recurrent) {
        ModelSpec spec = ModelSpec.of(m, h, 1, ModelComparison.EMBEDDING, ModelComparison.HEADS);
        models.add(spec);
        if (transformer && m.equals(recurrent.getFirst())) {
          models.add(
              ModelComparison.matched(
                  Architecture.TRANSFORMER.id(), spec.parameterCount(shape), shape));
        }
      }
      if (recurrent.isEmpty() && transformer) {
        models.add(
            ModelSpec.of(
                Architecture.TRANSFORMER.id(),
                h,
                ModelComparison.TRANSFORMER_LAYERS,
                1,
                ModelComparison.HEADS));
      }
    }
    List<SweepRun> runs = new ArrayList<>();
    for (int k : ks) {
      TaskSpec t = new TaskSpec("recall", k, s.batch(), s.validation(), POOL);
      for (int seed = 0; seed < s.seeds(); seed++) {
        for (ModelSpec m : models) {
          String id = String.format(Locale.ROOT, "%s-h%d", m.model(), m.hidden());
          runs.add(
              new SweepRun(runId(id, "k", k, seed), m.label(), k, m, t, budget, seed, s.seed()));
        }
      }
    }
    return runs;
  }
}
