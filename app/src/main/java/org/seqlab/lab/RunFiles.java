package org.seqlab.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.seqlab.experiments.RunCurve;
import org.seqlab.io.RunDirectory;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;

/** What a run's page offers to download beyond its files: its metrics as JSON, PyTorch code. */
public final class RunFiles {
  private RunFiles() {}

  /**
   * Every row of {@code metrics.csv} ({@link RunCurve}) with the validation accuracy of the lab's
   * events beside it: {@code {"rows": [{"step", "seconds", "train_loss", "val_loss",
   * "val_accuracy", "grad_norm", "lr", "tokens_per_s", "val_score"}]}}, null where a row has no
   * value.
   */
  public static Map<String, Object> metricsJson(LabRun run) throws IOException {
    Map<Long, Object> accuracy = new HashMap<>();
    for (RunEvents.Event e : run.events().ofType("validation")) {
      var node = RunEvents.JSON.readTree(e.data());
      if (node.path("accuracy").isNumber()) {
        accuracy.put(node.path("step").asLong(), node.path("accuracy").asDouble());
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    Path dir = run.dir();
    if (Files.isRegularFile(dir.resolve(RunDirectory.METRICS))) {
      for (RunCurve.Point p : RunCurve.read(dir.resolve(RunDirectory.METRICS)).points()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", p.step());
        m.put("seconds", value(p.seconds()));
        m.put("train_loss", value(p.trainLoss()));
        m.put("val_loss", value(p.validationLoss()));
        m.put("val_accuracy", p.validated() ? accuracy.get(p.step()) : null);
        m.put("grad_norm", value(p.gradNorm()));
        m.put("lr", value(p.learningRate()));
        m.put("tokens_per_s", value(p.tokensPerSecond()));
        m.put("val_score", value(p.validationScore()));
        rows.add(m);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", run.id());
    out.put("config", run.config().toJson());
    out.put("rows", rows);
    return out;
  }

  private static Double value(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /**
   * Python that loads the run's {@code model.safetensors} into the matching PyTorch modules ({@code
   * nn.RNN}, {@code nn.LSTM}, {@code nn.GRU}, or a stack of pre-norm {@code
   * nn.TransformerEncoderLayer}s) with {@code load_state_dict(strict=True)}: the names and shapes
   * are PyTorch's, so nothing is renamed. It reads the file with {@code torch} alone.
   *
   * @throws java.util.NoSuchElementException if the run has no model file yet
   */
  public static String pytorchSnippet(LabRun run) throws IOException {
    Path file = run.dir().resolve(RunDirectory.MODEL);
    if (!Files.isRegularFile(file)) {
      throw new java.util.NoSuchElementException(
          "run " + run.id() + " has no model.safetensors yet (written at its first validation)");
    }
    Map<String, int[]> shapes = new LinkedHashMap<>();
    SafetensorsFile f = Safetensors.read(file);
    for (String name : f.names()) shapes.put(name, f.shape(name));
    LabConfig c = run.config();
    StringBuilder py = new StringBuilder();
    py.append("# ")
        .append(c.title())
        .append(": seqlab's weights in PyTorch (run ")
        .append(run.id())
        .append(")\n");
    py.append(
        """
        import json, struct
        import torch

        def load_safetensors(path):
            \"\"\"The float32 tensors of a safetensors file, read with the standard library.\"\"\"
            with open(path, "rb") as f:
                size = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(size))
                data = f.read()
            tensors = {}
            for name, t in header.items():
                if name == "__metadata__":
                    continue
                begin, end = t["data_offsets"]
                flat = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
                tensors[name] = flat.reshape(t["shape"])
            return tensors

        """);
    switch (c.architecture().recurrence()) {
      case MATRIX -> recurrent(py, c, shapes);
      case SCAN -> minRecurrent(py, c, shapes);
      case NONE -> transformer(py, c, shapes);
    }
    py.append(
        """

        model = Model()
        model.load_state_dict(load_safetensors("model.safetensors"))  # strict: every name matches
        model.eval()
        """);
    py.append(
        shapes.containsKey("embedding.weight") || shapes.containsKey("token_embedding.weight")
            ? "# logits = model(tokens)  # tokens: [T, B] ids, time-major; logits [T, B, V]\n"
            : "# outputs = model(x)  # x: [T, B, F] features, time-major; outputs [T, B, O]\n");
    return py.toString();
  }

  private static void recurrent(StringBuilder py, LabConfig c, Map<String, int[]> shapes) {
    int[] wih = shapes.get("rnn.weight_ih_l0");
    int hidden = shapes.get("rnn.weight_hh_l0")[1];
    String options = c.architecture().pytorchOptions();
    stackModel(
        py,
        shapes,
        String.format(
            Locale.ROOT,
            "%s(%d, %d, %d%s)",
            c.architecture().pytorchModule(),
            wih[1],
            hidden,
            layerCount(shapes),
            options.isEmpty() ? "" : ", " + options));
  }

  /** The number of recurrent layers: {@code rnn.weight_ih_l0}, {@code _l1}, ... */
  private static int layerCount(Map<String, int[]> shapes) {
    int layers = 0;
    while (shapes.containsKey("rnn.weight_ih_l" + layers)) layers++;
    return layers;
  }

  /**
   * {@code class Model}: an embedding (when the run reads tokens), the recurrent stack {@code rnn}
   * built by {@code rnnConstructor}, and the head, as seqlab's recurrent language models hold them.
   */
  private static void stackModel(
      StringBuilder py, Map<String, int[]> shapes, String rnnConstructor) {
    int[] head = shapes.get("head.weight");
    py.append("class Model(torch.nn.Module):\n");
    py.append("    def __init__(self):\n");
    py.append("        super().__init__()\n");
    int[] embedding = shapes.get("embedding.weight");
    if (embedding != null) {
      py.append(
          String.format(
              Locale.ROOT,
              "        self.embedding = torch.nn.Embedding(%d, %d)\n",
              embedding[0],
              embedding[1]));
    }
    py.append("        self.rnn = " + rnnConstructor + "  # time-major, as seqlab\n");
    py.append(
        String.format(
            Locale.ROOT, "        self.head = torch.nn.Linear(%d, %d)\n\n", head[1], head[0]));
    py.append("    def forward(self, x):\n");
    if (embedding != null) py.append("        x = self.embedding(x)\n");
    py.append("        h, _ = self.rnn(x)\n");
    py.append("        return self.head(h)\n");
  }

  /**
   * PyTorch has no minGRU or minLSTM: the snippet defines one with seqlab's parameter names ({@code
   * weight_ih_l{k} [G*H, in]}, {@code bias_ih_l{k} [G*H]}) and runs the recurrence step by step.
   */
  private static void minRecurrent(StringBuilder py, LabConfig c, Map<String, int[]> shapes) {
    int[] wih = shapes.get("rnn.weight_ih_l0");
    int[] head = shapes.get("head.weight");
    py.append(
        """
        def g(x):
            \"\"\"The candidate's activation: x + 1/2 for x >= 0, sigmoid(x) below, so it stays > 0.\"\"\"
            return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))

        class MinRNN(torch.nn.Module):
            \"\"\"minGRU or minLSTM (Feng et al. 2024), gates from the input alone, time-major.\"\"\"
            def __init__(self, kind, input_size, hidden_size, num_layers):
                super().__init__()
                self.kind, self.hidden_size, self.num_layers = kind, hidden_size, num_layers
                blocks = 2 if kind == "mingru" else 3  # z, h~ / f, i, h~
                for k in range(num_layers):
                    width = input_size if k == 0 else hidden_size
                    setattr(self, f"weight_ih_l{k}", torch.nn.Parameter(torch.empty(blocks * hidden_size, width)))
                    setattr(self, f"bias_ih_l{k}", torch.nn.Parameter(torch.empty(blocks * hidden_size)))

            def forward(self, x):
                H = self.hidden_size
                for k in range(self.num_layers):
                    p = x @ getattr(self, f"weight_ih_l{k}").T + getattr(self, f"bias_ih_l{k}")
                    if self.kind == "mingru":
                        z = torch.sigmoid(p[..., :H])
                        a, b = 1 - z, z * g(p[..., H:])
                    else:
                        f, i = torch.sigmoid(p[..., :H]), torch.sigmoid(p[..., H:2 * H])
                        a, b = f / (f + i), i / (f + i) * g(p[..., 2 * H:])
                    h, steps = torch.zeros_like(a[0]), []
                    for t in range(x.shape[0]):
                        h = a[t] * h + b[t]  # h_t = a_t * h_{t-1} + b_t
                        steps.append(h)
                    x = torch.stack(steps)
                return x, h

        """);
    stackModel(
        py,
        shapes,
        String.format(
            Locale.ROOT,
            "MinRNN(\"%s\", %d, %d, %d)",
            c.architecture().id(),
            wih[1],
            head[1],
            layerCount(shapes)));
  }

  private static void transformer(StringBuilder py, LabConfig c, Map<String, int[]> shapes) {
    int[] head = shapes.get("head.weight");
    int width = head[1];
    int[] positions = shapes.get("position_embedding.weight");
    int feedForward = shapes.get("blocks.0.linear1.weight")[0];
    int layers = 0;
    while (shapes.containsKey("blocks." + layers + ".linear1.weight")) layers++;
    int[] tokens = shapes.get("token_embedding.weight");
    int[] projection = shapes.get("input_projection.weight");
    py.append("class Model(torch.nn.Module):\n");
    py.append("    def __init__(self):\n");
    py.append("        super().__init__()\n");
    if (tokens != null) {
      py.append(
          String.format(
              Locale.ROOT,
              "        self.token_embedding = torch.nn.Embedding(%d, %d)\n",
              tokens[0],
              tokens[1]));
    } else {
      py.append(
          String.format(
              Locale.ROOT,
              "        self.input_projection = torch.nn.Linear(%d, %d)\n",
              projection[1],
              projection[0]));
    }
    py.append(
        String.format(
            Locale.ROOT,
            "        self.position_embedding = torch.nn.Embedding(%d, %d)\n",
            positions[0],
            positions[1]));
    py.append(
        String.format(
            Locale.ROOT,
            "        self.blocks = torch.nn.ModuleList(\n"
                + "            torch.nn.TransformerEncoderLayer(%d, %d, %d, dropout=0.0,"
                + " activation=\"gelu\", norm_first=True)\n"
                + "            for _ in range(%d))\n",
            width,
            c.heads(),
            feedForward,
            layers));
    py.append(
        String.format(Locale.ROOT, "        self.final_norm = torch.nn.LayerNorm(%d)\n", width));
    py.append(
        String.format(
            Locale.ROOT, "        self.head = torch.nn.Linear(%d, %d)\n\n", width, head[0]));
    py.append("    def forward(self, x):\n");
    py.append("        steps = x.shape[0]\n");
    py.append(
        tokens != null
            ? "        e = self.token_embedding(x)\n"
            : "        e = self.input_projection(x)\n");
    py.append("        e = e + self.position_embedding(torch.arange(steps))[:, None, :]\n");
    py.append(
        "        mask = torch.triu(torch.full((steps, steps), float(\"-inf\")), diagonal=1)  # causal\n");
    py.append("        for block in self.blocks:\n");
    py.append("            e = block(e, src_mask=mask)\n");
    py.append("        return self.head(self.final_norm(e))\n");
  }
}
