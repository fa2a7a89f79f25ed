package org.seqlab.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.tensor.FmaPeak;
import org.seqlab.tensor.Tensor;

/**
 * seqlab's recurrent inference against ONNX Runtime's, in one process, on the same weights and the
 * same input: the PyTorch module that {@code scripts/bench/compare_onnx.py} exported, its
 * state_dict loaded into seqlab, and its ONNX graph into ONNX Runtime.
 *
 * <p>Before any timing, both outputs are compared with PyTorch's (the largest absolute difference
 * is printed, and a difference above 1e-3 stops the run). Then each side is warmed up, and the two
 * are timed in alternation, each round also measuring the machine's vector FMA peak, so that both
 * see the same load. One JSON line per round goes to standard output.
 *
 * <p>Usage: {@code OnnxSideBySide DIR KIND ROUNDS REPEATS WARMUP_SECONDS ORT_THREADS}, DIR holding
 * {@code model.onnx}, {@code weights.safetensors}, {@code input.safetensors} ('input' [T, B, I])
 * and {@code reference.safetensors} ('output' [T, B, H], PyTorch's).
 */
public final class OnnxSideBySide {
  private OnnxSideBySide() {}

  public static void main(String[] args) throws IOException, OrtException {
    Path dir = Path.of(args[0]);
    RecurrentKind kind = RecurrentKind.valueOf(args[1].toUpperCase(Locale.ROOT));
    int rounds = Integer.parseInt(args[2]);
    int repeats = Integer.parseInt(args[3]);
    double warmUp = Double.parseDouble(args[4]);
    int ortThreads = Integer.parseInt(args[5]);

    Recurrent net = RecurrentCheckpoint.load(dir.resolve("weights.safetensors"), kind);
    Tensor x = Safetensors.read(dir.resolve("input.safetensors")).tensor("input");
    SafetensorsFile reference = Safetensors.read(dir.resolve("reference.safetensors"));
    float[] expected = reference.tensor("output").data();
    int steps = x.dim(0), batch = x.dim(1);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(ortThreads);
    options.setInterOpNumThreads(1);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    try (OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), options);
        OnnxTensor input =
            OnnxTensor.createTensor(
                env,
                FloatBuffer.wrap(x.data()),
                Arrays.stream(x.shape()).asLongStream().toArray())) {
      String inputName = session.getInputNames().iterator().next();
      Map<String, OnnxTensor> feed = Map.of(inputName, input);

      // The same numbers first: both against PyTorch's output.
      float[] ours = net.forward(x, null, null).output().data();
      float[] theirs;
      try (OrtSession.Result r = session.run(feed)) {
        theirs = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
      }
      double seqlabError = maxDifference(ours, expected);
      double ortError = maxDifference(theirs, expected);
      System.out.printf(
          Locale.ROOT,
          "{\"check\": true, \"seqlab_max_abs_diff\": %.3e, \"onnxruntime_max_abs_diff\": %.3e}%n",
          seqlabError,
          ortError);
      if (!(seqlabError < 1e-3 && ortError < 1e-3)) {
        throw new IllegalStateException("the outputs differ from PyTorch's; nothing is timed");
      }

      Runnable seqlab = () -> net.forward(x, null, null);
      Runnable ort =
          () -> {
            try {
              session.run(feed).close();
            } catch (OrtException e) {
              throw new IllegalStateException(e);
            }
          };
      warm(seqlab, warmUp);
      warm(ort, warmUp);
      for (int round = 0; round < rounds; round++) {
        double peak = FmaPeak.measure(Runtime.getRuntime().availableProcessors(), 0.5, 3);
        double a = median(seqlab, repeats);
        double b = median(ort, repeats);
        System.out.printf(
            Locale.ROOT,
            "{\"round\": %d, \"peak_gflops\": %.1f, \"seqlab_seconds\": %.6f,"
                + " \"onnxruntime_seconds\": %.6f, \"tokens\": %d}%n",
            round,
            peak,
            a,
            b,
            (long) steps * batch);
      }
    }
  }

  private static double maxDifference(float[] a, float[] b) {
    if (a.length != b.length) return Double.POSITIVE_INFINITY;
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  }

  private static void warm(Runnable step, double seconds) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int n = 0;
    while (System.nanoTime() < end || n < 3) {
      step.run();
      n++;
    }
  }

  private static double median(Runnable step, int repeats) {
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      step.run();
      t[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(t);
    return t[repeats / 2];
  }
}
