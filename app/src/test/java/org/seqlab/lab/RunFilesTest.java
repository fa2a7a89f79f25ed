package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.seqlab.experiments.TrainingRunConfig;
import org.seqlab.io.RunDirectory;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.nn.LanguageModel;
import org.seqlab.tasks.Batch;
import org.seqlab.tasks.SequenceTask;
import org.seqlab.tensor.Tensor;
import org.seqlab.train.Trainer;

/**
 * The PyTorch snippet a run offers: run by PyTorch on the run's weights, it must give the logits
 * seqlab gives on the same input. Needs {@code /usr/bin/python3} with torch (Debian's
 * python3-torch); without it the test is skipped, saying so, unless the environment variable {@code
 * SEQLAB_REQUIRE_TORCH} is set (as CI sets it), where it fails.
 */
class RunFilesTest {

  @TempDir Path runs;

  static boolean torchAvailable() {
    try {
      Process p =
          new ProcessBuilder("/usr/bin/python3", "-c", "import torch")
              .redirectErrorStream(true)
              .start();
      return p.waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "lstm agreement",
        "gru copy",
        "rnn_relu adding",
        "transformer agreement",
        "transformer adding",
        "mingru agreement",
        "minlstm adding"
      })
  void theSnippetLoadsTheWeightsIntoPyTorchAndGivesTheSameLogits(String what) throws Exception {
    String missing = "/usr/bin/python3 with torch is not installed (apt-get install python3-torch)";
    // Where PyTorch is promised (CI sets SEQLAB_REQUIRE_TORCH), its absence is a failure, not a
    // skip.
    if (System.getenv("SEQLAB_REQUIRE_TORCH") != null) assertTrue(torchAvailable(), missing);
    else assumeTrue(torchAvailable(), missing);
    String[] parts = what.split(" ");
    String model = parts[0].replace("rnn_relu", "rnn");
    LabConfig config =
        LabTest.config(
            "model",
            model,
            "activation",
            parts[0].equals("rnn_relu") ? "relu" : "tanh",
            "task",
            parts[1],
            "distance",
            parts[1].equals("copy") ? 3 : 5,
            "hidden",
            16,
            "layers",
            2,
            "heads",
            2,
            "steps",
            4);
    LabRun run;
    try (Lab lab = new Lab(new Lab.Options(runs, 1, 1, List.of()))) {
      run = lab.start(config);
      LabTest.awaitEnd(run);
    }
    String snippet = RunFiles.pytorchSnippet(run);
    assertTrue(snippet.contains("load_state_dict("));

    // seqlab's logits for the first validation batch, from the weights in model.safetensors.
    TrainingRunConfig rc = LabTest.runConfig(run);
    SequenceTask task = org.seqlab.experiments.TrainingRun.resume(run.dir(), c -> c).task();
    LanguageModel m = rc.newModel(task.outputSize(), task.inputFeatures(), task.steps());
    SafetensorsFile weights = Safetensors.read(run.dir().resolve(RunDirectory.MODEL));
    java.util.Map<String, Tensor> state = new java.util.LinkedHashMap<>();
    for (String name : weights.names()) state.put(name, weights.tensor(name));
    m.loadStateDict(state);
    Batch batch = task.validationBatches().getFirst();
    float[] logits = Trainer.forward(m, batch, null, null).logits().data();

    Path input = run.dir().resolve("input.json");
    var json = RunEvents.JSON.createObjectNode();
    json.put("steps", batch.steps());
    json.put("batch", batch.size());
    if (batch.features() != null) {
      json.put("width", batch.featureSize());
      json.set("features", RunEvents.JSON.valueToTree(batch.features()));
    } else {
      json.set("tokens", RunEvents.JSON.valueToTree(batch.inputs()));
    }
    Files.writeString(input, RunEvents.JSON.writeValueAsString(json));
    String check =
        snippet
            + """

            d = json.load(open("input.json"))
            if "tokens" in d:
                x = torch.tensor(d["tokens"]).reshape(d["steps"], d["batch"])
            else:
                x = torch.tensor(d["features"], dtype=torch.float32).reshape(d["steps"], d["batch"], d["width"])
            with torch.no_grad():
                out = model(x)
            json.dump(out.reshape(-1).tolist(), open("output.json", "w"))
            """;
    Files.writeString(run.dir().resolve("check.py"), check);
    Process p =
        new ProcessBuilder("/usr/bin/python3", "check.py")
            .directory(run.dir().toFile())
            .redirectErrorStream(true)
            .start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), log);
    JsonNode out = RunEvents.JSON.readTree(run.dir().resolve("output.json").toFile());
    assertEquals(logits.length, out.size());
    double worst = 0;
    for (int i = 0; i < logits.length; i++)
      worst = Math.max(worst, Math.abs(logits[i] - out.get(i).asDouble()));
    assertTrue(worst < 2e-5, what + ": largest difference " + worst);
  }
}
