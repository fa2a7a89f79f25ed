package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.seqlab.io.RecurrentCheckpoint;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.Architecture;
import org.seqlab.nn.MinRecurrent;
import org.seqlab.nn.Recurrent;

/**
 * {@code seqlab init} over the table of architectures: every row's name is understood, every
 * recurrent row gets its checkpoint, and a new row is exercised here with no change to this test.
 */
class InitCommandTest {
  @TempDir Path dir;

  private CliRun init(String model, String... more) {
    String[] args = {
      "init",
      "--model",
      model,
      "--input",
      "3",
      "--hidden",
      "4",
      "--layers",
      "2",
      "--output",
      dir.resolve(model + ".safetensors").toString()
    };
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return CliRun.of(all);
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void everyNameOfTheTableIsUnderstood(Architecture architecture) throws Exception {
    CliRun run = init(architecture.id());
    Path file = dir.resolve(architecture.id() + ".safetensors");
    if (!architecture.isRecurrent()) {
      // A Transformer is no recurrent stack: refused in one line that says so.
      assertTrue(run.isOneLineUserError(), run.err());
      assertTrue(run.err().contains("recurrent stack"), run.err());
      assertFalse(Files.exists(file));
      return;
    }
    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().startsWith(architecture.id() + ": 2 layer(s)"), run.out());
    SafetensorsFile saved = Safetensors.read(file);
    assertEquals(
        architecture, RecurrentCheckpoint.architecture(saved, null, file.toString()), "metadata");
    long parameters =
        switch (architecture) {
          case RNN, RNN_RELU, LSTM, GRU -> {
            Recurrent net = RecurrentCheckpoint.load(file, null);
            assertEquals(architecture.recurrentKind().orElseThrow(), net.kind());
            yield net.parameterCount();
          }
          case MIN_GRU, MIN_LSTM -> {
            MinRecurrent net = RecurrentCheckpoint.loadMinRecurrent(file, null);
            assertEquals(architecture.minRecurrentKind().orElseThrow(), net.kind());
            yield net.parameterCount();
          }
          case TRANSFORMER -> throw new AssertionError("not recurrent");
        };
    assertTrue(
        run.out().contains(String.format(java.util.Locale.ROOT, "%,d parameters", parameters)),
        run.out());
  }

  @Test
  void theCellsOlderNameStillWorks() throws Exception {
    CliRun run = init("rnn_tanh");
    assertEquals(0, run.status(), run.err());
    Recurrent net = RecurrentCheckpoint.load(dir.resolve("rnn_tanh.safetensors"), null);
    assertEquals(Architecture.RNN, Architecture.of(net.kind()));
  }

  @Test
  void anUnknownNameIsRefusedWithTheTablesList() {
    CliRun run = init("mamba");
    assertTrue(run.isOneLineUserError(), run.err());
    assertTrue(run.err().contains("--model"), run.err());
    assertTrue(run.err().contains(String.join(", ", Architecture.ids())), run.err());
  }

  @Test
  void minLstmTakesAForgetBiasMinGruNoneAndNeitherABidirectionalStack() throws Exception {
    CliRun biased = init("minlstm", "--forget-bias", "2");
    assertEquals(0, biased.status(), biased.err());
    MinRecurrent net =
        RecurrentCheckpoint.loadMinRecurrent(dir.resolve("minlstm.safetensors"), null);
    for (int k = 0; k < 2; k++) {
      float[] bias = net.biasIh(k).value().data();
      for (int j = 0; j < 4; j++) assertEquals(2f, bias[j], "layer " + k + " unit " + j);
    }
    CliRun noGate = init("mingru", "--forget-bias", "2");
    assertTrue(noGate.isOneLineUserError(), noGate.err());
    assertTrue(noGate.err().contains("--forget-bias"), noGate.err());
    CliRun twoWays = init("mingru", "--bidirectional");
    assertTrue(twoWays.isOneLineUserError(), twoWays.err());
    assertTrue(twoWays.err().contains("--bidirectional"), twoWays.err());
  }
}
