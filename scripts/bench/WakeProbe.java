import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.seqlab.nn.FrozenRecurrent;
import org.seqlab.nn.Lstm;
import org.seqlab.tensor.Tensor;

/**
 * Small inference passes right after a pause, as a service that is called now and then sees them:
 * an LSTM (I 64, H 64) over B 8, T 20, seven passes after each of --runs pauses, each run's median
 * printed, and how many runs were slower than --slow microseconds. A run is slow when the kernels'
 * worker, parked during the pause, does not get a core in time and the caller does its share too.
 *
 * <p>Run from the repository root, after a build:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp "app/target/seqlab.jar:app/target/lib/*" scripts/bench/WakeProbe.java [runs] [pause ms] [slow us]
 * </pre>
 */
public class WakeProbe {
  public static void main(String[] args) throws InterruptedException {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    long pauseMillis = args.length > 1 ? Long.parseLong(args[1]) : 300;
    double slowMicros = args.length > 2 ? Double.parseDouble(args[2]) : 130;
    int steps = 20, batch = 8, inputs = 64, hidden = 64;
    FrozenRecurrent lstm = new Lstm(inputs, hidden, 1).freeze();
    Random random = new Random(1);
    float[] values = new float[steps * batch * inputs];
    for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
    Tensor x = Tensor.wrap(values, steps, batch, inputs);
    long warmUpEnd = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < warmUpEnd) lstm.infer(x, null, null);

    double[] medians = new double[runs];
    for (int run = 0; run < runs; run++) {
      Thread.sleep(pauseMillis);
      double[] micros = new double[7];
      for (int i = 0; i < micros.length; i++) {
        long start = System.nanoTime();
        lstm.infer(x, null, null);
        micros[i] = (System.nanoTime() - start) / 1e3;
      }
      Arrays.sort(micros);
      medians[run] = micros[micros.length / 2];
    }
    long slow = Arrays.stream(medians).filter(m -> m > slowMicros).count();
    System.out.printf(
        Locale.ROOT,
        "LSTM I %d, H %d, B %d, T %d; %d runs of 7 passes, each after a pause of %d ms%n",
        inputs,
        hidden,
        batch,
        steps,
        runs,
        pauseMillis);
    System.out.printf(
        Locale.ROOT,
        "medians (µs): %s%n",
        String.join(" ", Arrays.stream(medians).mapToObj(m -> "%.0f".formatted(m)).toList()));
    System.out.printf(
        Locale.ROOT, "slower than %.0f µs: %d of %d runs%n", slowMicros, slow, runs);
  }
}
