package org.seqlab.experiments.sweep;

import java.util.List;
import java.util.function.Function;
import org.seqlab.experiments.Limits;
import org.seqlab.experiments.ModelSpec;

/**
 * The options of an experiment, as {@code experiment.json} keeps them: every field an experiment
 * reads, each checked with a message naming its command-line option and what is allowed. A field
 * left null takes the experiment's default ({@link #orElse}).
 *
 * @param models the architectures compared ({@code --models})
 * @param distances the task's knob values: distances, lengths, delays or k ({@code --distances})
 * @param hidden hidden sizes ({@code --hidden}): the capacity experiment's H values; elsewhere a
 *     fixed width overriding the parameter match
 * @param forgetBiases the forget-gate biases compared ({@code --forget-biases})
 * @param seeds how many seeds per point ({@code --seeds})
 * @param params the parameter count that the models are matched to ({@code --params})
 * @param steps the training steps of every run ({@code --steps})
 * @param lr the learning rate ({@code --lr})
 * @param clip the gradient-norm threshold, 0 for none ({@code --clip})
 * @param batch sequences per step ({@code --batch})
 * @param validation validation sequences ({@code --validation})
 * @param validateEvery steps between validations ({@code --val-every})
 * @param goal the score at which a run stops early, 0 for never ({@code --goal})
 * @param spectralRadius the exploding experiment's spectral radius of {@code W_hh} ({@code
 *     --spectral-radius})
 * @param text the char-lm experiment's text file ({@code --text})
 * @param seqLen the char-lm experiment's window ({@code --seq-len})
 * @param seed the base seed ({@code --seed})
 * @param jobs runs side by side ({@code --jobs}); does not change any number
 */
public record ExperimentSettings(
    List<String> models,
    List<Integer> distances,
    List<Integer> hidden,
    List<Double> forgetBiases,
    Integer seeds,
    Long params,
    Integer steps,
    Double lr,
    Double clip,
    Integer batch,
    Integer validation,
    Integer validateEvery,
    Double goal,
    Double spectralRadius,
    String text,
    Integer seqLen,
    Long seed,
    Integer jobs) {

  /** Nothing given: every field takes the default. */
  public static final ExperimentSettings NONE =
      new ExperimentSettings(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null);

  /** These settings where given, {@code defaults}' elsewhere. */
  public ExperimentSettings orElse(ExperimentSettings d) {
    return new ExperimentSettings(
        pick(models, d.models),
        pick(distances, d.distances),
        pick(hidden, d.hidden),
        pick(forgetBiases, d.forgetBiases),
        pick(seeds, d.seeds),
        pick(params, d.params),
        pick(steps, d.steps),
        pick(lr, d.lr),
        pick(clip, d.clip),
        pick(batch, d.batch),
        pick(validation, d.validation),
        pick(validateEvery, d.validateEvery),
        pick(goal, d.goal),
        pick(spectralRadius, d.spectralRadius),
        pick(text, d.text),
        pick(seqLen, d.seqLen),
        pick(seed, d.seed),
        pick(jobs, d.jobs));
  }

  private static <T> T pick(T given, T fallback) {
    return given != null ? given : fallback;
  }

  /** The same settings with another {@code jobs} (which changes no number). */
  public ExperimentSettings withJobs(Integer jobs) {
    return new ExperimentSettings(
        models,
        distances,
        hidden,
        forgetBiases,
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

  /** Every setting by its command-line option, in the order of the record (null: not given). */
  public java.util.Map<String, Object> byOption() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("--models", models);
    m.put("--distances", distances);
    m.put("--hidden", hidden);
    m.put("--forget-biases", forgetBiases);
    m.put("--seeds", seeds);
    m.put("--params", params);
    m.put("--steps", steps);
    m.put("--lr", lr);
    m.put("--clip", clip);
    m.put("--batch", batch);
    m.put("--validation", validation);
    m.put("--val-every", validateEvery);
    m.put("--goal", goal);
    m.put("--spectral-radius", spectralRadius);
    m.put("--text", text);
    m.put("--seq-len", seqLen);
    m.put("--seed", seed);
    m.put("--jobs", jobs);
    return m;
  }

  /**
   * The options given here (non-null) whose values differ from {@code recorded}'s, in words: {@code
   * "--steps 500 (the experiment has 3000)"}.
   */
  public List<String> differences(ExperimentSettings recorded) {
    List<String> out = new java.util.ArrayList<>();
    java.util.Map<String, Object> theirs = recorded.byOption();
    byOption()
        .forEach(
            (option, given) -> {
              if (given != null && !given.equals(theirs.get(option))) {
                out.add(
                    option
                        + " "
                        + show(given)
                        + " (the experiment has "
                        + show(theirs.get(option))
                        + ")");
              }
            });
    return out;
  }

  /** A setting as it is written on the command line: lists joined by commas. */
  public static String show(Object value) {
    if (value instanceof List<?> list) {
      return String.join(",", list.stream().map(String::valueOf).toList());
    }
    return String.valueOf(value);
  }

  /**
   * {@link #checkCommon} for all but the task's knob: an experiment checks {@code --distances}
   * against its own task's range ({@link Experiment#check}), so that a value out of range meets one
   * range and one message, not the table's first and the task's after.
   */
  public void checkCommonButDistances() {
    new ExperimentSettings(
            models,
            null,
            hidden,
            forgetBiases,
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
            jobs)
        .checkCommon(Integer.MAX_VALUE, Integer.MIN_VALUE);
  }

  /**
   * Checks the ranges every experiment shares.
   *
   * @throws IllegalArgumentException naming the option, its value and what is allowed
   */
  public void checkCommon(int maxDistance, int minDistance) {
    if (models != null) {
      if (models.isEmpty()) throw new IllegalArgumentException("--models: give at least one model");
      for (String m : models) {
        if (!ModelSpec.MODELS.contains(m)) {
          throw new IllegalArgumentException(
              "--models: unknown model '"
                  + m
                  + "'; choose from "
                  + String.join(", ", ModelSpec.MODELS));
        }
      }
    }
    if (distances != null) {
      if (distances.isEmpty() || distances.size() > 64) {
        throw new IllegalArgumentException("--distances: give between 1 and 64 values");
      }
      // The experiment's own range for its task, inside the table's.
      Limits.Range range =
          Limits.DISTANCE
              .narrowed(
                  Math.max(minDistance, Limits.DISTANCE.min()),
                  Math.min(maxDistance, Limits.DISTANCE.max()))
              .named("--distances");
      for (int d : distances) range.check(d);
    }
    if (hidden != null) {
      if (hidden.isEmpty() || hidden.size() > 16) {
        throw new IllegalArgumentException("--hidden: give between 1 and 16 sizes");
      }
      for (int h : hidden) HIDDEN.check(h);
    }
    if (forgetBiases != null) {
      if (forgetBiases.isEmpty() || forgetBiases.size() > 16) {
        throw new IllegalArgumentException("--forget-biases: give between 1 and 16 values");
      }
      Limits.RealRange range = Limits.Real.FORGET_BIAS.range().named("--forget-biases");
      for (double b : forgetBiases) range.check(b);
    }
    if (seeds != null) Limits.SEEDS.check(seeds);
    if (params != null) Limits.PARAMS.checkLong(params);
    if (steps != null) Limits.STEPS.check(steps);
    if (lr != null) Limits.checkLearningRate(lr);
    if (clip != null) Limits.checkClip(clip);
    if (batch != null) Limits.BATCH.check(batch);
    if (validation != null) Limits.VALIDATION.check(validation);
    if (validateEvery != null) Budget.VALIDATE_EVERY.check(validateEvery);
    if (goal != null) Limits.checkGoal(goal);
    if (spectralRadius != null) Limits.checkSpectralRadius(spectralRadius);
    if (seqLen != null) Limits.SEQ_LEN.check(seqLen);
    if (jobs != null) Limits.JOBS.check(jobs);
  }

  /**
   * The hidden sizes a sweep takes: the table's, up to the widest its parameter match searches
   * ({@link ModelSpec#matched}).
   */
  public static final Limits.Range HIDDEN = Limits.HIDDEN.narrowed(1, ModelSpec.MATCHED_MAX_HIDDEN);

  /** A value every experiment must have after defaults are applied. */
  static <T> T required(T value, String option) {
    if (value == null) throw new IllegalStateException("no default for " + option);
    return value;
  }

  static <T, R> R with(T value, Function<T, R> f) {
    return value == null ? null : f.apply(value);
  }
}
