package org.seqlab.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.seqlab.probe.GradientFlow;

/**
 * What a gradient-flow measurement means, in the words {@code seqlab gradients} prints and the web
 * lab shows: the verdict (vanishing, stable, exploding), the factor per step back, how much of the
 * signal reaches the first step, where it first falls below a millionth, where double precision
 * runs out, for an LSTM how much the cell-state highway carries, and the rule the verdict follows.
 */
public final class GradientVerdict {
  private GradientVerdict() {}

  /**
   * The sentences, in order.
   *
   * @param r the measurement
   * @param vector the vector whose gradient was measured: {@code "h"} (recurrent) or {@code "x"}
   *     (the Transformer's inputs)
   */
  public static List<String> sentences(GradientFlow.Result r, String vector) {
    int t0 = r.steps();
    int below = r.firstStepBelowMillionth();
    int measurable = r.earliestMeasurableStep();
    String fall =
        below == 0
            ? "it never falls below 1e-6 of ‖dL/d" + vector + "_" + t0 + "‖"
            : String.format(
                Locale.ROOT,
                "it first falls below 1e-6 of ‖dL/d%s_%d‖ at step %d (%d steps back)",
                vector,
                t0,
                below,
                t0 - below);
    List<String> out = new ArrayList<>();
    out.add(
        String.format(
            Locale.ROOT,
            "Verdict: %s. The gradient norm changes by a factor %.4g per step back (least-squares"
                + " trend over steps %d..%d), a trend of %s over the %d steps back to step 1;"
                + " ‖dL/d%s_1‖ / ‖dL/d%s_%d‖ = %s; %s.",
            r.verdict().name(),
            r.factorPerStep(),
            t0 - 1,
            measurable,
            ratio(r.trend()),
            Math.max(1, t0 - 1),
            vector,
            vector,
            t0,
            ratio(r.firstToLastRatio()),
            fall));
    if (measurable > 1) {
      double outside = r.hiddenGradientNorm()[measurable - 2];
      String reads =
          outside == 0
              ? "it has underflowed and reads as 0"
              : outside < Double.MIN_NORMAL
                  ? String.format(
                      Locale.ROOT, "it has underflowed and reads as %.1e, a subnormal", outside)
                  : "it has overflowed and reads as infinity";
      out.add(
          String.format(
              Locale.ROOT,
              "From step %d back the norm is outside double precision's range (1e-308 to 1e308):"
                  + " %s.",
              measurable - 1,
              reads));
    }
    if (r.cellGradientNorm() != null) {
      double c = r.cellGradientNorm()[0] / r.cellGradientNorm()[t0 - 1];
      out.add(
          String.format(
              Locale.ROOT, "Cell-state highway: ‖dL/dc_1‖ / ‖dL/dc_%d‖ = %s.", t0, ratio(c)));
    }
    out.add(rule());
    return out;
  }

  /**
   * The rule every verdict follows, for every architecture, in words: the last of the {@link
   * #sentences}, so the command line prints it after the verdict and the lab shows it under it.
   */
  public static String rule() {
    return String.format(
        Locale.ROOT,
        "Rule, the same for every architecture: the trend over the sequence (the factor per step"
            + " back, raised to the steps back to step 1) is VANISHING below %s (less than a tenth"
            + " of the gradient reaches the first step), EXPLODING above %s, STABLE between; the"
            + " last step, where the loss lands directly, is left out of the trend.",
        ratioWord(GradientFlow.VANISHING_RATIO),
        ratioWord(GradientFlow.EXPLODING_RATIO));
  }

  private static String ratioWord(double r) {
    return String.format(Locale.ROOT, "%.0e", r).replace("e+0", "e").replace("e-0", "e-");
  }

  /** A ratio, saying where it left double precision's range. */
  static String ratio(double r) {
    if (r == 0) return "0 (below 1e-308)";
    if (Double.isInfinite(r)) return "∞ (above 1e308)";
    return String.format(Locale.ROOT, "%.3e", r);
  }
}
