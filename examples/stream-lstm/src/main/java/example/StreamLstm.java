package example;

import java.nio.file.Path;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.nn.Recurrent;
import org.seqlab.nn.RecurrentKind;
import org.seqlab.nn.RecurrentStream;

/**
 * An LSTM trained in PyTorch (train_sine.py), loaded from its state_dict and run one value at a
 * time, as a low-latency service would: each step reads sin(0.1 t) and predicts sin(0.1 (t+1)).
 * It checks that every prediction is PyTorch's own, to float32 precision.
 */
public final class StreamLstm {
  public static void main(String[] args) throws Exception {
    Recurrent lstm = RecurrentCheckpoint.load(Path.of("lstm.safetensors"), RecurrentKind.LSTM);
    var head = Safetensors.read(Path.of("head.safetensors"));
    float[] w = head.tensor("weight").data();
    float bias = head.tensor("bias").data()[0];
    float[] expected = Safetensors.read(Path.of("expected.safetensors")).tensor("prediction").data();

    float[] x = new float[1], h = new float[lstm.hiddenSize()];
    double worst = 0;
    long started = System.nanoTime();
    try (RecurrentStream stream = new RecurrentStream(lstm, 1)) { // batch 1, one step per call
      for (int t = 0; t < expected.length; t++) {
        x[0] = (float) Math.sin(0.1 * t);
        stream.step(x, 0, h, 0); // h = the LSTM's hidden state after reading x
        float prediction = bias;
        for (int j = 0; j < h.length; j++) prediction += w[j] * h[j];
        worst = Math.max(worst, Math.abs(prediction - expected[t]));
        if (t % 40 == 0) {
          System.out.printf(
              "t=%3d  predicted %+.4f  true next %+.4f%n", t, prediction, Math.sin(0.1 * (t + 1)));
        }
      }
    }
    double micros = (System.nanoTime() - started) / 1e3 / expected.length;
    System.out.printf(
        "%d steps, %.1f us per step (cold start included); largest difference from PyTorch %.1e%n",
        expected.length, micros, worst);
    if (!(worst < 1e-5)) throw new AssertionError("the predictions are not PyTorch's");
  }
}
