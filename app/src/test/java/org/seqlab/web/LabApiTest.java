package org.seqlab.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.experiments.Task;
import org.seqlab.io.Safetensors;
import org.seqlab.io.SafetensorsFile;
import org.seqlab.lab.LabConfig;

/** The lab's HTTP API as a script would use it, bad requests included. */
class LabApiTest {

  @TempDir static Path runs;
  static LabServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    server = LabServer.start(new LabServer.Options("127.0.0.1", 0, runs, 2, 2, List.of()));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A parsed answer and its status. */
  record Answer(int status, JsonNode json, String body) {}

  static String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  static Answer get(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url(path))).build(),
            HttpResponse.BodyHandlers.ofString());
    return answer(r);
  }

  static Answer post(String path, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url(path)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return answer(r);
  }

  private static Answer answer(HttpResponse<String> r) throws Exception {
    String type = r.headers().firstValue("content-type").orElse("");
    JsonNode json = type.startsWith("application/json") ? JSON.readTree(r.body()) : null;
    return new Answer(r.statusCode(), json, r.body());
  }

  /** Follows a run's event stream to its end; the events as (id, type, data). */
  static List<String[]> events(String id, long lastEventId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/api/runs/" + id + "/events")));
    if (lastEventId > 0) b.header("Last-Event-ID", Long.toString(lastEventId));
    HttpResponse<java.io.InputStream> r =
        HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    List<String[]> events = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line, eventId = null, type = null;
      StringBuilder data = new StringBuilder();
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (type != null) events.add(new String[] {eventId, type, data.toString()});
          eventId = null;
          type = null;
          data.setLength(0);
        } else if (line.startsWith("id:")) {
          eventId = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5));
        }
      }
    }
    return events;
  }

  @Test
  void theSchemaListsEveryControlWithItsRangeAndThePresets() throws Exception {
    Answer a = get("/api/schema");
    assertEquals(200, a.status());
    JsonNode hidden = null;
    for (JsonNode c : a.json().get("controls"))
      if (c.get("name").asText().equals("hidden")) hidden = c;
    assertEquals(2, hidden.get("min").asInt());
    assertEquals(256, hidden.get("max").asInt());
    assertEquals("2 to 256", hidden.get("allowed").asText());
    assertEquals(5, a.json().get("presets").size());
    assertEquals("vanishing", a.json().get("presets").get(0).get("name").asText());
    assertEquals(2, a.json().get("limits").get("max_running").asInt());
  }

  @Test
  void theSchemaSendsTheTableOfTasksAndTheTaskMenuIsIt() throws Exception {
    JsonNode schema = get("/api/schema").json();
    List<String> ids = new ArrayList<>();
    for (JsonNode t : schema.get("tasks")) {
      ids.add(t.get("id").asText());
      Task row = Task.fromId(t.get("id").asText());
      assertEquals(row.label(), t.get("label").asText());
      assertEquals(row.knobLabel(), t.get("knob_label").asText());
      assertEquals(LabConfig.knobRange(row).min(), t.get("lab_min").asLong());
      assertEquals(LabConfig.knobRange(row).max(), t.get("lab_max").asLong());
      assertEquals(row.scoredByAccuracy() ? "accuracy" : "loss", t.get("metric").asText());
    }
    assertEquals(new HashSet<>(Task.ids()), new HashSet<>(ids));
    assertEquals(Task.values().length, ids.size());
    List<String> menu = new ArrayList<>();
    for (JsonNode c : schema.get("controls")) {
      if (c.get("name").asText().equals("task"))
        c.get("choices").forEach(x -> menu.add(x.asText()));
    }
    assertEquals(ids, menu);
  }

  @Test
  void anMqarRunStartedThroughTheApiFinishesWithAnAccuracy() throws Exception {
    Answer started =
        post(
            "/api/runs",
            "{\"task\": \"mqar\", \"distance\": 4, \"model\": \"lstm\", \"hidden\": 16,"
                + " \"steps\": 20}");
    assertEquals(201, started.status(), started.body());
    String id = started.json().get("id").asText();
    List<String[]> all = events(id, 0);
    assertEquals("finished", JSON.readTree(all.getLast()[2]).get("status").asText());
    JsonNode validation = null;
    for (String[] e : all) if (e[1].equals("validation")) validation = JSON.readTree(e[2]);
    double accuracy = validation.get("accuracy").asDouble(-1);
    assertTrue(
        validation.get("accuracy").isNumber() && accuracy >= 0 && accuracy <= 1, "" + validation);
    Answer run = get("/api/runs/" + id);
    assertEquals(20, run.json().get("step").asInt());
    assertEquals("mqar", run.json().get("config").get("task").asText());
    assertTrue(run.json().get("title").asText().endsWith("on mqar k 4"), run.body());
    JsonNode last = get("/api/runs/" + id + "/metrics.json").json().get("rows").get(19);
    assertTrue(last.get("val_accuracy").isNumber(), last.toString());
  }

  @Test
  void aLinkIsClampedWithReasons() throws Exception {
    Answer a = get("/api/check?model=transformer&hidden=999&heads=7");
    assertEquals(200, a.status());
    assertEquals(256, a.json().get("config").get("hidden").asInt());
    assertEquals(
        "hidden 999 is above its maximum 256; using 256", a.json().get("changes").get(0).asText());
    assertTrue(
        a.json().get("problems").get(0).asText().startsWith("7 heads do not divide the width 256"));
  }

  @Test
  void badRequestsAreRefusedWithTheFieldAndWhatIsAllowed() throws Exception {
    Answer hidden = post("/api/runs", "{\"hidden\": 999}");
    assertEquals(400, hidden.status());
    assertEquals(
        "hidden 999 is above its maximum 256 (allowed: 2 to 256)",
        hidden.json().get("error").asText());
    assertEquals("hidden", hidden.json().get("field").asText());

    Answer heads = post("/api/runs", "{\"model\": \"transformer\", \"hidden\": 30, \"heads\": 4}");
    assertEquals(400, heads.status());
    assertEquals("heads", heads.json().get("field").asText());

    Answer notJson = post("/api/runs", "{hidden: ");
    assertEquals(400, notJson.status());
    assertEquals(
        "the request body is not valid JSON (line 1, column 2): Unexpected character ('h'):"
            + " was expecting double-quote to start field name; send one JSON object, e.g."
            + " {\"model\": \"lstm\"}",
        notJson.json().get("error").asText());

    Answer unknownKey = post("/api/runs", "{\"wings\": 2}");
    assertEquals(400, unknownKey.status());
    assertEquals(
        "ignored 'wings': the lab has no such setting", unknownKey.json().get("error").asText());

    Answer huge = post("/api/runs", "{\"model\": \"" + "x".repeat(100_000) + "\"}");
    assertEquals(413, huge.status());
    assertEquals(
        "the request body has 100013 bytes; the lab reads at most "
            + LabServer.MAX_BODY
            + " bytes (64 KiB; a configuration is a few hundred)",
        huge.json().get("error").asText());

    assertEquals(404, get("/api/runs/no-such-run").status());
    assertEquals(404, get("/api/runs/no-such-run/events").status());
    assertEquals(404, get("/api/runs/..%2F..%2Fetc/metrics.csv").status());
    assertEquals(404, get("/api/nothing").status());
    assertEquals(400, get("/api/gradient-flow?flow_steps=100000").status());
    assertEquals(400, get("/api/compare?ids=a").status());
    assertEquals(
        400,
        post("/api/experiments", "{\"experiment\": \"long-range\", \"distances\": [0]}").status());
    assertEquals(400, post("/api/experiments", "{\"experiment\": \"no-such\"}").status());
    // The runs folder holds nothing from all of these.
    try (var files = Files.list(runs)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("transformer")));
    }
  }

  @Test
  void aBodyThatIsNotOneObjectStartsNothing() throws Exception {
    for (String[] body :
        new String[][] {
          {"null", "null"}, {"[1, 2]", "a list"}, {"\"lstm\"", "a string"}, {"42", "a number"}
        }) {
      Answer a = post("/api/runs", body[0]);
      assertEquals(400, a.status(), body[0]);
      assertEquals(
          "the request body must be one JSON object, e.g. {\"model\": \"lstm\"}, got " + body[1],
          a.json().get("error").asText());
      assertEquals(400, post("/api/experiments", body[0]).status(), body[0]);
    }
    Answer unclosed = post("/api/runs", "{\"model\": \"lstm\"");
    assertEquals(400, unclosed.status());
    String error = unclosed.json().get("error").asText();
    assertTrue(error.startsWith("the request body is not valid JSON (line 1"), error);
    assertTrue(!error.contains("java.") && !error.contains("Source"), error);
    try (var files = Files.list(runs)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("lstm-agreement")));
    }
  }

  @Test
  void aBodyOfFiftyMegabytesIsRefusedWithTheLimitInJson() throws Exception {
    byte[] body = new byte[50 << 20];
    java.util.Arrays.fill(body, (byte) ' ');
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url("/api/runs")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, r.statusCode());
    assertEquals(
        "the request body has 52428800 bytes; the lab reads at most "
            + LabServer.MAX_BODY
            + " bytes (64 KiB; a configuration is a few hundred)",
        JSON.readTree(r.body()).get("error").asText());
  }

  @Test
  void aProbeOrAComparisonRefusesWhatItCannotUse() throws Exception {
    Answer both = get("/api/gradient-flow?model=foo&hidden=-1");
    assertEquals(400, both.status(), both.body());
    String field = both.json().get("field").asText();
    assertTrue(field.equals("model") || field.equals("hidden"), field);

    Answer model = get("/api/gradient-flow?model=foo");
    assertEquals(400, model.status(), model.body());
    assertEquals("model", model.json().get("field").asText());
    assertEquals(
        "'model' cannot be 'foo'; allowed: " + String.join(", ", LabConfig.MODELS),
        model.json().get("error").asText());

    Answer hidden = get("/api/gradient-flow?hidden=-1");
    assertEquals(400, hidden.status());
    assertEquals("hidden", hidden.json().get("field").asText());
    assertEquals("--hidden must be in [1, 8192], got -1", hidden.json().get("error").asText());

    Answer small = get("/api/gradient-flow?hidden=1");
    assertEquals(
        "hidden 1 is below its minimum 2 (allowed: 2 to 256)", small.json().get("error").asText());

    Answer unknown = get("/api/gradient-flow?wings=2");
    assertEquals(400, unknown.status());
    assertEquals("wings", unknown.json().get("field").asText());

    Answer compare = get("/api/compare?ids=a,b&sort=up");
    assertEquals(400, compare.status());
    assertEquals(
        "unknown parameter 'sort'; this request takes ids", compare.json().get("error").asText());
  }

  @Test
  void aRunStreamsEveryEventOnceAndAReconnectPicksUpWhereItLeft() throws Exception {
    Answer started = post("/api/runs", "{\"model\": \"lstm\", \"steps\": 40, \"distance\": 4}");
    assertEquals(201, started.status(), started.body());
    String id = started.json().get("id").asText();
    List<String[]> all = events(id, 0);
    for (int i = 0; i < all.size(); i++) assertEquals(Integer.toString(i + 1), all.get(i)[0]);
    assertEquals("finished", all.getLast()[1]);
    assertEquals("finished", JSON.readTree(all.getLast()[2]).get("status").asText());

    List<String[]> rest = events(id, 10);
    assertEquals(all.size() - 10, rest.size());
    assertEquals("11", rest.getFirst()[0]);
    assertArrayEquals(all.get(10), rest.getFirst());

    Answer run = get("/api/runs/" + id);
    assertEquals(40, run.json().get("step").asInt());
    assertEquals(0.5, Double.parseDouble(run.json().get("baseline").asText().split(" ")[1]));
    assertEquals(409, post("/api/runs/" + id + "/resume", "{\"clip_threshold\": 1}").status());

    // Downloads: the metrics as CSV and JSON, the weights, and PyTorch code that loads them.
    Answer csv = get("/api/runs/" + id + "/metrics.csv");
    assertEquals(200, csv.status());
    assertTrue(
        csv.body()
            .startsWith("step,seconds,train_loss,val_loss,grad_norm,lr,tokens_per_s,val_score\n"));
    assertEquals(41, csv.body().lines().count());
    Answer metrics = get("/api/runs/" + id + "/metrics.json");
    JsonNode last = metrics.json().get("rows").get(39);
    assertEquals(40, last.get("step").asInt());
    assertTrue(last.get("val_accuracy").isNumber());
    HttpResponse<byte[]> weights =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url("/api/runs/" + id + "/model.safetensors")))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, weights.statusCode());
    Path file = runs.resolve("downloaded.safetensors");
    Files.write(file, weights.body());
    SafetensorsFile f = Safetensors.read(file);
    assertArrayEquals(new int[] {128, 32}, f.shape("rnn.weight_hh_l0"));
    Answer snippet = get("/api/runs/" + id + "/snippet.py");
    assertEquals(200, snippet.status());
    assertTrue(snippet.body().contains("torch.nn.LSTM("));
  }

  @Test
  void cancellingARunStopsItAfterItsStep() throws Exception {
    Answer started = post("/api/runs", "{\"steps\": 5000, \"hidden\": 128, \"batch\": 128}");
    String id = started.json().get("id").asText();
    Answer cancel = post("/api/runs/" + id + "/cancel", "");
    assertEquals(200, cancel.status());
    List<String[]> events = events(id, 0);
    JsonNode finished = JSON.readTree(events.getLast()[2]);
    assertEquals("cancelled", finished.get("status").asText());
    assertTrue(finished.get("step").asInt() < 5000);
  }

  @Test
  void theQueueRefusesPastItsLimitWith429() throws Exception {
    List<String> ids = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < 6; i++) {
      Answer a = post("/api/runs", "{\"steps\": 5000, \"hidden\": 128, \"batch\": 128}");
      if (a.status() == 201) ids.add(a.json().get("id").asText());
      else {
        assertEquals(429, a.status());
        assertTrue(a.json().get("error").asText().contains("the most this lab takes"));
        refused++;
      }
    }
    assertEquals(4, ids.size(), "2 train and 2 wait");
    assertEquals(2, refused);
    for (String id : ids) post("/api/runs/" + id + "/cancel", "");
    for (String id : ids) events(id, 0);
  }

  @Test
  void theComparisonNamesTheDifferingFields() throws Exception {
    String a = post("/api/runs", "{\"steps\": 2}").json().get("id").asText();
    String b =
        post("/api/runs", "{\"steps\": 2, \"model\": \"gru\", \"hidden\": 16}")
            .json()
            .get("id")
            .asText();
    events(a, 0);
    events(b, 0);
    Answer c = get("/api/compare?ids=" + a + "," + b);
    assertEquals(200, c.status());
    List<String> fields = new ArrayList<>();
    for (JsonNode d : c.json().get("differences")) fields.add(d.get("field").asText());
    assertEquals(List.of("model", "hidden"), fields);
    Answer list = get("/api/runs");
    assertTrue(list.json().size() >= 2);
  }

  @Test
  void theGradientFlowProbeAnswersForAConfig() throws Exception {
    Answer a = get("/api/gradient-flow?model=rnn&distance=10&hidden=16");
    assertEquals(200, a.status(), a.body());
    JsonNode rnn = a.json().get("series").get(0);
    assertEquals("rnn", rnn.get("model").asText());
    assertEquals("VANISHING", rnn.get("verdict").asText());
    assertEquals(a.json().get("steps").asInt(), rnn.get("hidden").size());
  }

  /**
   * The LSTM with its forget gate opened (the highway preset) loses ×0.768 per step back: its
   * verdict is VANISHING, and every architecture's verdict follows from its trend by the one rule
   * the answer states.
   */
  @Test
  void everyVerdictFollowsFromItsTrendByTheStatedRule() throws Exception {
    Answer a = get("/api/gradient-flow?model=lstm&forget_bias=1&distance=10&hidden=32");
    assertEquals(200, a.status(), a.body());
    assertEquals(org.seqlab.view.GradientVerdict.rule(), a.json().get("rule").asText());
    JsonNode lstm = a.json().get("series").get(0);
    assertEquals("lstm", lstm.get("model").asText());
    assertEquals(0.768, lstm.get("factor_per_step").asDouble(), 5e-4);
    assertEquals("VANISHING", lstm.get("verdict").asText());
    for (JsonNode s : a.json().get("series")) {
      double trend = s.get("trend").asDouble();
      String expected =
          trend < org.seqlab.probe.GradientFlow.VANISHING_RATIO
              ? "VANISHING"
              : trend > org.seqlab.probe.GradientFlow.EXPLODING_RATIO ? "EXPLODING" : "STABLE";
      assertEquals(expected, s.get("verdict").asText(), s.get("model") + " trend " + trend);
    }
  }

  /**
   * The Experiments tab offers every experiment of the table whose settings are its form's: the
   * README's long-range, adding and copy among them, and each one starts and finishes.
   */
  @Test
  void everyExperimentTheSchemaOffersRuns() throws Exception {
    JsonNode offered = get("/api/schema").json().get("experiments");
    List<String> names = new ArrayList<>();
    for (JsonNode e : offered) names.add(e.get("name").asText());
    assertTrue(names.containsAll(List.of("long-range", "adding", "copy")), names.toString());
    assertEquals(
        org.seqlab.lab.ExperimentJob.runnable().stream()
            .map(org.seqlab.experiments.sweep.Experiment::name)
            .toList(),
        names);
    for (JsonNode e : offered) {
      int smallest = e.get("distances").get(0).asInt();
      Answer started =
          post(
              "/api/experiments",
              "{\"experiment\": \""
                  + e.get("name").asText()
                  + "\", \"distances\": ["
                  + smallest
                  + "], \"models\": [\"gru\"], \"seeds\": 1, \"steps\": 10}");
      assertEquals(201, started.status(), e.get("name") + ": " + started.body());
      String id = started.json().get("id").asText();
      HttpResponse<java.io.InputStream> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url("/api/experiments/" + id + "/events"))).build(),
              HttpResponse.BodyHandlers.ofInputStream());
      r.body().readAllBytes(); // the stream closes when the experiment ends
      Answer done = get("/api/experiments/" + id);
      assertEquals("finished", done.json().get("status").asText(), done.body());
      assertEquals(e.get("name").asText(), done.json().get("experiment").asText());
    }
    Answer other = post("/api/experiments", "{\"experiment\": \"forget-bias\"}");
    assertEquals(400, other.status());
    assertEquals(
        "the lab runs "
            + String.join(", ", names)
            + "; run forget-bias with seqlab run forget-bias",
        other.json().get("error").asText());
  }

  @Test
  void theLongRangeExperimentStreamsItsRows() throws Exception {
    Answer started =
        post(
            "/api/experiments",
            "{\"experiment\": \"long-range\", \"distances\": [3], \"models\": [\"rnn\", \"lstm\"],"
                + " \"seeds\": 1, \"steps\": 20}");
    assertEquals(201, started.status(), started.body());
    String id = started.json().get("id").asText();
    HttpResponse<java.io.InputStream> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url("/api/experiments/" + id + "/events"))).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    int rows = 0;
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) if (line.equals("event:row")) rows++;
    }
    // the RNN at the 3 rates of its tuning grid, the LSTM at 3 rates × 2 forget biases
    assertEquals(9, rows);
    Answer done = get("/api/experiments/" + id);
    assertEquals("finished", done.json().get("status").asText());
    assertEquals(9, done.json().get("rows").size());
    assertEquals(0.5, done.json().get("rows").get(0).get("baseline").asDouble());
    // one sentence per model: the point of its grid the validation chose
    assertEquals(2, done.json().get("summary").size());
  }
}
