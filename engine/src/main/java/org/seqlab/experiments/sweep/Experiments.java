package org.seqlab.experiments.sweep;

import java.util.List;

/** Every experiment {@code seqlab run} knows, by name. */
public final class Experiments {
  private Experiments() {}

  private static ExperimentSettings sweep(
      List<Integer> distances, long params, int steps, double lr, double goal, int seeds) {
    return new ExperimentSettings(
        List.of("rnn", "lstm", "gru", "transformer"),
        distances,
        null,
        List.of(1.0, 3.0),
        seeds,
        params,
        steps,
        lr,
        1.0,
        32,
        256,
        50,
        goal,
        null,
        null,
        null,
        1L,
        null);
  }

  private static final List<Experiment> ALL =
      List.of(
          new ModelComparison(
              "long-range",
              "agreement",
              "Subject–verb agreement against distance: RNN, LSTM, GRU and Transformer at the same size",
              "a vanilla RNN cannot carry a word's number across many steps; the LSTM's gates and"
                  + " attention can",
              "distance from subject to verb (words)",
              sweep(List.of(5, 10, 20, 40), 12_000, 3000, 3e-3, 0.99, 5)),
          new ModelComparison(
              "adding",
              "adding",
              "The adding problem against sequence length: RNN, LSTM, GRU and Transformer",
              "a vanilla RNN cannot add two numbers marked far apart; an LSTM can",
              "sequence length T (steps)",
              sweep(List.of(10, 50, 100), 6_000, 4000, 3e-3, 0.005, 5)),
          new ModelComparison(
              "copy",
              "copy",
              "Copy memory against delay: RNN, LSTM, GRU and Transformer",
              "remembering ten symbols across a blank delay: the baseline is hard to beat for"
                  + " recurrent models as the delay grows",
              "delay T (blank steps)",
              sweep(List.of(5, 10, 20, 40), 12_000, 2000, 3e-3, 0.005, 5)),
          new Exploding(),
          new ForgetBias(),
          new Mqar(),
          new CharLm());

  public static List<Experiment> all() {
    return ALL;
  }

  public static List<String> names() {
    return ALL.stream().map(Experiment::name).toList();
  }

  /**
   * The experiment called {@code name}.
   *
   * @throws IllegalArgumentException naming the experiments there are
   */
  public static Experiment named(String name) {
    for (Experiment e : ALL) if (e.name().equals(name)) return e;
    throw new IllegalArgumentException(
        "unknown experiment '" + name + "'; choose one of " + String.join(", ", names()));
  }
}
