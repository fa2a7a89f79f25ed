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
import org.seqlab.nn.FrozenRecurrent;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentStream;
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
    if (args.length > 6 && args[6].equals("stream")) {
      stream(dir, kind, rounds, repeats, warmUp, ortThreads);
      return;
    }

    Recurrent net = RecurrentCheckpoint.load(dir.resolve("weights.safetensors"), kind);
    Tensor x = Safetensors.read(dir.resolve("input.safetensors")).tensor("input");
    SafetensorsFile reference = Safetensors.read(dir.resolve("reference.safetensors"));
    float[] expected = reference.tensor("output").data();
    int steps = x.dim(0), batch = x.dim(1);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = session(env, dir, ortThreads);
        OnnxTensor input =
            OnnxTensor.createTensor(
                env,
                FloatBuffer.wrap(x.data()),
                Arrays.stream(x.shape()).asLongStream().toArray())) {
      String inputName = session.getInputNames().iterator().next();
      Map<String, OnnxTensor> feed = Map.of(inputName, input);

      // The weights laid out once, as ONNX Runtime lays out its own when it creates the session.
      FrozenRecurrent frozen = net.freeze();
      // The same numbers first: both against PyTorch's output.
      float[] ours = frozen.infer(x, null, null).output().data();
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

      Runnable seqlab = () -> frozen.infer(x, null, null);
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

  /**
   * One step at a time, as a service answering token by token: seqlab's {@link RecurrentStream} on
   * one thread against one ONNX Runtime call per step of a one-step graph (x, h, c in; y, h, c
   * out). Both run the whole input sequence first, carrying the state, and their outputs are
   * compared with PyTorch's; then the time per step is measured over the sequence.
   */
  private static void stream(
      Path dir, RecurrentKind kind, int rounds, int repeats, double warmUp, int ortThreads)
      throws IOException, OrtException {
    Recurrent net = RecurrentCheckpoint.load(dir.resolve("weights.safetensors"), kind);
    Tensor x = Safetensors.read(dir.resolve("input.safetensors")).tensor("input");
    float[] expected =
        Safetensors.read(dir.resolve("reference.safetensors")).tensor("output").data();
    int steps = x.dim(0), batch = x.dim(1), in = x.dim(2), h = net.hiddenSize();
    boolean lstm = kind == RecurrentKind.LSTM;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = session(env, dir, ortThreads);
        RecurrentStream stream = new RecurrentStream(net, batch, 1)) {
      float[] ours = new float[steps * batch * h];
      Runnable seqlab =
          () -> {
            stream.reset();
            for (int t = 0; t < steps; t++)
              stream.step(x.data(), t * batch * in, ours, t * batch * h);
          };
      float[] theirs = new float[steps * batch * h];
      Runnable ort =
          () -> {
            try {
              float[] state = new float[batch * h], cell = new float[batch * h];
              for (int t = 0; t < steps; t++) {
                float[] xt = Arrays.copyOfRange(x.data(), t * batch * in, (t + 1) * batch * in);
                try (OnnxTensor xi =
                        OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(xt), new long[] {1, batch, in});
                    OnnxTensor hi =
                        OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(state), new long[] {1, batch, h});
                    OnnxTensor ci =
                        OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(cell), new long[] {1, batch, h});
                    OrtSession.Result r =
                        session.run(
                            lstm
                                ? Map.of("x", xi, "h0", hi, "c0", ci)
                                : Map.of("x", xi, "h0", hi))) {
                  state = ((OnnxTensor) r.get(1)).getFloatBuffer().array();
                  if (lstm) cell = ((OnnxTensor) r.get(2)).getFloatBuffer().array();
                  System.arraycopy(state, 0, theirs, t * batch * h, batch * h);
                }
              }
            } catch (OrtException e) {
              throw new IllegalStateException(e);
            }
          };
      seqlab.run();
      ort.run();
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
      warm(seqlab, warmUp);
      warm(ort, warmUp);
      for (int round = 0; round < rounds; round++) {
        double a = median(seqlab, repeats) / steps;
        double b = median(ort, repeats) / steps;
        System.out.printf(
            Locale.ROOT,
            "{\"round\": %d, \"seqlab_microseconds_per_step\": %.3f,"
                + " \"onnxruntime_microseconds_per_step\": %.3f}%n",
            round,
            a * 1e6,
            b * 1e6);
      }
    }
  }

  /**
   * ONNX Runtime on DIR's model.onnx: {@code threads} intra-op threads, one graph at a time, every
   * graph optimisation.
   */
  private static OrtSession session(OrtEnvironment env, Path dir, int threads) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(threads);
    options.setInterOpNumThreads(1);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    return env.createSession(dir.resolve("model.onnx").toString(), options);
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
