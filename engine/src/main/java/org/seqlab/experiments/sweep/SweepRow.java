package org.seqlab.experiments.sweep;

/**
 * The result of one finished run, as a row of {@code result.json}.
 *
 * @param run the run's id
 * @param series its curve ("LSTM H 48")
 * @param model {@code rnn}, {@code lstm}, {@code gru}, {@code transformer}, ...
 * @param distance the task's difficulty knob (distance, length, delay or k; {@code result.json}
 *     names it)
 * @param x the run's place on the sweep's x axis (the distance itself in most sweeps)
 * @param score the final validation score: an accuracy, or a loss (nats per step, or the mean
 *     squared error)
 * @param baseline the trivial baseline's score on the same task
 * @param params trainable parameters
 * @param seed the seed index
 * @param steps training steps done
 * @param seconds wall-clock seconds of training and validation
 * @param stop how the run ended: finished (at the step cap), goal reached, plateaued (a flat
 *     validation curve, {@link Budget}), diverged
 * @param divergedAtStep the step at which a loss or gradient stopped being finite (0: never)
 * @param divergence what the NaN check reported, or empty
 * @param loss the final validation loss
 * @param tokensPerSecond training throughput
 * @param grid the grid point's settings ({@link SweepRun#grid}); empty without a grid
 * @param host the machine that trained the run
 * @param lateChange how far the validation score moved over the last {@link Budget#FLAT_SHARE} of
 *     the run's steps (the last validation's score minus the score of the last validation at or
 *     before that point): near zero for a run that had converged, large for one still learning when
 *     it stopped; null where the curve is not known (a result written before this field)
 */
public record SweepRow(
    String run,
    String series,
    String model,
    int distance,
    double x,
    double score,
    double baseline,
    long params,
    int seed,
    long steps,
    double seconds,
    String stop,
    long divergedAtStep,
    String divergence,
    double loss,
    double tokensPerSecond,
    java.util.Map<String, String> grid,
    String host,
    Double lateChange) {

  public SweepRow {
    grid =
        grid == null
            ? java.util.Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(grid));
  }

  /** This row with {@code change} as its late change. */
  public SweepRow withLateChange(Double change) {
    return new SweepRow(
        run,
        series,
        model,
        distance,
        x,
        score,
        baseline,
        params,
        seed,
        steps,
        seconds,
        stop,
        divergedAtStep,
        divergence,
        loss,
        tokensPerSecond,
        grid,
        host,
        change);
  }
}
