package org.seqlab.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import io.helidon.webserver.staticcontent.StaticContentService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.seqlab.lab.ExperimentJob;
import org.seqlab.lab.Lab;
import org.seqlab.lab.LabConfig;
import org.seqlab.lab.LabRun;
import org.seqlab.lab.Presets;
import org.seqlab.lab.RunEvents;
import org.seqlab.lab.RunFiles;

/**
 * The web lab's HTTP face: the page and its scripts from the jar, the charting library from its
 * WebJar, and the JSON API of {@code docs/lab/API.md} over a {@link Lab}. Every handler reads and
 * checks its request, calls the lab, and writes JSON; a bad request is a 4xx with one readable
 * sentence, never a stack trace.
 */
public final class LabServer implements AutoCloseable {

  /**
   * @param host the address to listen on ({@code 127.0.0.1} unless the user says otherwise)
   * @param port the port, 0 for any free one
   * @param runs the runs folder
   * @param maxRunning runs that train at once
   * @param maxQueued runs that may wait
   * @param texts the texts char-lm runs may train on
   */
  public record Options(
      String host, int port, Path runs, int maxRunning, int maxQueued, List<Path> texts) {}

  /**
   * The largest request body the API reads, in bytes: a config is a few hundred. A larger one is
   * refused (413) with a sentence that names this limit, before it is read.
   */
  static final int MAX_BODY = 64 * 1024;

  /** A live stream sends a comment this often, so proxies and browsers keep it open. */
  static final long KEEPALIVE_MILLIS = 15_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Lab lab;
  private final WebServer server;

  private LabServer(Lab lab, WebServer server) {
    this.lab = lab;
    this.server = server;
  }

  /** Starts the lab on {@code options.host():options.port()}. */
  public static LabServer start(Options options) throws IOException {
    if (options.port() != 0) {
      // The server reports a port it cannot bind only in its log; ask first, so the user hears.
      try (var probe =
          new java.net.ServerSocket(
              options.port(), 1, java.net.InetAddress.getByName(options.host()))) {
        probe.setReuseAddress(true);
      }
    }
    Lab lab =
        new Lab(
            new Lab.Options(
                options.runs(), options.maxRunning(), options.maxQueued(), options.texts()));
    WebServer server =
        WebServer.builder()
            .host(options.host())
            .port(options.port())
            .shutdownHook(false)
            .routing(r -> routes(r, lab))
            .build()
            .start();
    if (!server.isRunning() || server.port() <= 0) {
      lab.close();
      server.stop();
      throw new java.net.BindException(
          "cannot listen on " + options.host() + ":" + options.port() + " (in use)");
    }
    return new LabServer(lab, server);
  }

  public int port() {
    return server.port();
  }

  public Lab lab() {
    return lab;
  }

  @Override
  public void close() {
    lab.close();
    server.stop();
  }

  private static void routes(HttpRouting.Builder r, Lab lab) {
    Api api = new Api(lab);
    r.get("/api/schema", json(req -> api.schema()))
        .post("/api/check", json(req -> api.check(body(req))))
        .get("/api/check", json(req -> api.check(query(req))))
        .get("/api/gradient-flow", json(req -> api.gradientFlow(query(req))))
        .post("/api/runs", (req, res) -> created(res, () -> api.start(body(req))))
        .get("/api/runs", json(req -> api.list()))
        .get("/api/skipped", json(req -> skippedJson(lab)))
        .get("/api/compare", json(req -> api.compare(only(query(req), "ids").get("ids"))))
        .get("/api/runs/{id}", json(req -> api.run(id(req)).toJson()))
        .post("/api/runs/{id}/cancel", json(req -> lab.cancel(id(req)).toJson()))
        .post("/api/runs/{id}/resume", json(req -> api.resume(id(req), body(req))))
        .get(
            "/api/runs/{id}/events",
            (req, res) -> stream(req, res, () -> api.run(id(req)).events()))
        .get(
            "/api/runs/{id}/metrics.csv",
            (req, res) -> file(res, () -> api.run(id(req)), "metrics.csv"))
        .get("/api/runs/{id}/metrics.json", json(req -> RunFiles.metricsJson(api.run(id(req)))))
        .get(
            "/api/runs/{id}/model.safetensors",
            (req, res) -> file(res, () -> api.run(id(req)), "model.safetensors"))
        .get(
            "/api/runs/{id}/snippet.py",
            (req, res) ->
                handle(
                    res,
                    () -> {
                      String text = RunFiles.pytorchSnippet(api.run(id(req)));
                      res.header(HeaderNames.CONTENT_TYPE, "text/x-python; charset=utf-8");
                      res.send(text);
                    }))
        .get(
            "/api/experiments",
            json(req -> lab.experiments().stream().map(ExperimentJob::toJson).toList()))
        .post("/api/experiments", (req, res) -> created(res, () -> api.startExperiment(body(req))))
        .get("/api/experiments/{id}", json(req -> api.experiment(id(req)).toJson()))
        .post("/api/experiments/{id}/cancel", json(req -> lab.cancelExperiment(id(req)).toJson()))
        .get(
            "/api/experiments/{id}/events",
            (req, res) -> stream(req, res, () -> api.experiment(id(req)).events()))
        .any(
            "/api/*",
            (req, res) ->
                error(res, Status.NOT_FOUND_404, "no such API: " + req.path().path(), null))
        .register("/webjars", StaticContentService.builder("META-INF/resources/webjars").build())
        .register("/", StaticContentService.builder("web").welcomeFileName("index.html").build());
  }

  /** The folders the history leaves out, each with why: {@code [{"folder", "reason"}, ...]}. */
  private static List<Map<String, Object>> skippedJson(Lab lab) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (var e : lab.skipped().entrySet()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("folder", e.getKey());
      m.put("reason", e.getValue());
      out.add(m);
    }
    return out;
  }

  /** What the handlers do, apart from HTTP. */
  private record Api(Lab lab) {

    Map<String, Object> schema() {
      Map<String, Object> m = new LinkedHashMap<>();
      List<Map<String, Object>> controls = new ArrayList<>();
      for (LabConfig.Control c : LabConfig.CONTROLS) {
        Map<String, Object> j = c.toJson();
        if (c.name().equals("text")) {
          j.put("choices", lab.textNames());
          j.put("default", lab.textNames().isEmpty() ? null : lab.textNames().getFirst());
        }
        controls.add(j);
      }
      m.put("controls", controls);
      m.put("architectures", LabConfig.architecturesJson());
      m.put("tasks", LabConfig.tasksJson());
      m.put("presets", Presets.ALL.stream().map(Presets.Preset::toJson).toList());
      m.put("experiments", ExperimentJob.runnableJson());
      Map<String, Object> limits = new LinkedHashMap<>();
      limits.put("max_running", lab.options().maxRunning());
      limits.put("max_queued", lab.options().maxQueued());
      limits.put("max_history", Lab.MAX_HISTORY);
      limits.put("max_steps", LabConfig.MAX_STEPS);
      limits.put("time_limit_seconds", LabConfig.TIME_LIMIT_SECONDS);
      m.put("limits", limits);
      m.put("texts", lab.textNames());
      return m;
    }

    Map<String, Object> check(Map<String, Object> request) {
      LabConfig.Checked c = lab.check(request);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("config", c.config().toJson());
      m.put("changes", c.changes());
      m.put("problems", c.problems());
      m.put("fields", c.fields());
      m.put("inactive", c.config().inactive());
      m.put("title", c.config().title());
      return m;
    }

    Map<String, Object> gradientFlow(Map<String, Object> request) {
      Object steps = request.remove("flow_steps");
      LabConfig.Checked c = exact(lab.check(request));
      Integer t = null;
      if (steps != null) {
        try {
          t = Integer.parseInt(steps.toString().trim());
        } catch (NumberFormatException e) {
          throw new BadRequest(
              "flow_steps must be a whole number, got '" + steps + "'", "flow_steps");
        }
      }
      Map<String, Object> m = lab.gradientFlow(c.config(), t);
      m.put("changes", c.changes());
      return m;
    }

    /** A run from a request: every value must be in range and the combination must work. */
    Map<String, Object> start(Map<String, Object> request) throws IOException {
      return lab.start(exact(lab.check(request)).config()).toJson();
    }

    /**
     * A check that changed nothing and found no conflict; else the first refusal, with the field
     * and what it allows. Where the lab acts on a request (a run, a measurement) it refuses what a
     * link's check would clamp or ignore.
     */
    private static LabConfig.Checked exact(LabConfig.Checked c) {
      if (!c.changes().isEmpty()) {
        String refusal = c.refusals().getFirst();
        boolean table = refusal.startsWith("--") || refusal.contains("allowed:");
        throw new BadRequest(
            table ? refusal : refusal + allowedFor(c.fields().getFirst()), c.fields().getFirst());
      }
      if (!c.problems().isEmpty()) {
        throw new BadRequest(c.problems().getFirst(), c.fields().get(c.changes().size()));
      }
      return c;
    }

    private static String allowedFor(String field) {
      try {
        LabConfig.Control control = LabConfig.control(field);
        return field.equals("distance") ? "" : " (allowed: " + control.allowed() + ")";
      } catch (IllegalArgumentException e) {
        return "";
      }
    }

    List<Map<String, Object>> list() {
      return lab.list().stream().map(LabRun::toJson).toList();
    }

    LabRun run(String id) {
      LabRun run = lab.get(id);
      if (run == null) throw new NoSuchElementException("no run " + id);
      return run;
    }

    ExperimentJob experiment(String id) {
      ExperimentJob job = lab.experiment(id);
      if (job == null) throw new NoSuchElementException("no experiment " + id);
      return job;
    }

    Map<String, Object> resume(String id, Map<String, Object> request) throws IOException {
      for (String key : request.keySet()) {
        if (!key.equals("clip_threshold") && !key.equals("lr")) {
          throw new BadRequest(
              "'" + key + "': a resume takes clip_threshold and lr (both optional)", key);
        }
      }
      Object clip = request.get("clip_threshold"), lr = request.get("lr");
      return lab.resume(
              id,
              clip == null ? null : number(clip, "clip_threshold"),
              lr == null ? null : number(lr, "lr"))
          .toJson();
    }

    Map<String, Object> compare(Object ids) {
      List<String> list = new ArrayList<>();
      for (String id : String.valueOf(ids == null ? "" : ids).split(","))
        if (!id.isBlank()) list.add(id.trim());
      return lab.compare(list);
    }

    Map<String, Object> startExperiment(Map<String, Object> request) throws IOException {
      Object name = request.get("experiment");
      if (name == null) {
        throw new BadRequest(
            "name the experiment: "
                + String.join(
                    ", ",
                    ExperimentJob.runnable().stream()
                        .map(org.seqlab.experiments.sweep.Experiment::name)
                        .toList()),
            "experiment");
      }
      return lab.startExperiment(name.toString(), request).toJson();
    }

    private static double number(Object value, String field) {
      try {
        return value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString());
      } catch (NumberFormatException e) {
        throw new BadRequest(field + " must be a number, got '" + value + "'", field);
      }
    }
  }

  /** A request the API refuses, with the field at fault. */
  static final class BadRequest extends IllegalArgumentException {
    final String field;

    BadRequest(String message, String field) {
      super(message);
      this.field = field;
    }
  }

  /** A request body larger than any the API needs. */
  static final class TooLarge extends RuntimeException {
    /**
     * @param length the body's length in bytes, or -1 where the client did not say (then it is only
     *     known to be longer than the limit)
     */
    TooLarge(long length) {
      super(
          (length < 0
                  ? "the request body is longer than " + MAX_BODY + " bytes"
                  : "the request body has " + length + " bytes")
              + "; the lab reads at most "
              + MAX_BODY
              + " bytes (64 KiB; a configuration is a few hundred)");
    }
  }

  @FunctionalInterface
  private interface Body {
    Object apply(ServerRequest req) throws Exception;
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private static Handler json(Body body) {
    return (req, res) -> handle(res, () -> send(res, Status.OK_200, body.apply(req)));
  }

  private static void created(ServerResponse res, java.util.concurrent.Callable<Object> work) {
    handle(res, () -> send(res, Status.CREATED_201, work.call()));
  }

  /** Runs a handler, turning each kind of refusal into its status and one sentence. */
  private static void handle(ServerResponse res, Work work) {
    try {
      work.run();
    } catch (TooLarge e) {
      error(res, Status.REQUEST_ENTITY_TOO_LARGE_413, e.getMessage(), null);
    } catch (BadRequest e) {
      error(res, Status.BAD_REQUEST_400, e.getMessage(), e.field);
    } catch (Lab.QueueFull e) {
      error(res, Status.TOO_MANY_REQUESTS_429, e.getMessage(), null);
    } catch (NoSuchElementException e) {
      error(res, Status.NOT_FOUND_404, e.getMessage(), null);
    } catch (IllegalStateException e) {
      error(res, Status.CONFLICT_409, e.getMessage(), null);
    } catch (IllegalArgumentException e) {
      error(res, Status.BAD_REQUEST_400, e.getMessage(), fieldOf(e.getMessage()));
    } catch (Exception e) {
      error(res, Status.INTERNAL_SERVER_ERROR_500, "the lab failed: " + e, null);
    }
  }

  /** The option a message from the engine names first ("--hidden must be ..."), as a field. */
  private static String fieldOf(String message) {
    if (message == null) return null;
    var m = java.util.regex.Pattern.compile("--([a-z-]+)").matcher(message);
    return m.find() ? m.group(1).replace('-', '_') : null;
  }

  private static void error(ServerResponse res, Status status, String message, String field) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    if (field != null) m.put("field", field);
    if (!res.isSent()) send(res, status, m);
  }

  private static void send(ServerResponse res, Status status, Object value) {
    try {
      res.status(status);
      res.header(HeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
      res.header(HeaderNames.CACHE_CONTROL, "no-store");
      res.send(JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String id(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  /**
   * The request's body as a JSON object: empty for no body, else exactly one object. Anything else
   * ({@code null}, a list, a number, text that is not JSON, a body over {@link #MAX_BODY}) is
   * refused with what was wrong and where, before the lab acts on it.
   */
  private static Map<String, Object> body(ServerRequest req) throws IOException {
    if (!req.content().hasEntity()) return new LinkedHashMap<>();
    long declared = req.headers().contentLength().orElse(-1);
    if (declared > MAX_BODY) throw new TooLarge(declared);
    byte[] bytes;
    try (var in = req.content().inputStream()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) throw new TooLarge(-1);
    return jsonObject(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Reads a request body that must be a JSON object; see {@link #body}. */
  static Map<String, Object> jsonObject(String text) {
    if (text.isBlank()) return new LinkedHashMap<>();
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new BadRequest(
          "the request body is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + ": "
              + plain(e.getOriginalMessage())
              + "; send one JSON object, e.g. {\"model\": \"lstm\"}",
          null);
    }
    if (node == null || !node.isObject()) {
      String got =
          node == null || node.isNull()
              ? "null"
              : node.isArray() ? "a list" : node.isTextual() ? "a string" : "a " + kind(node);
      throw new BadRequest(
          "the request body must be one JSON object, e.g. {\"model\": \"lstm\"}, got " + got, null);
    }
    return JSON.convertValue(node, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  private static String kind(JsonNode node) {
    return node.isNumber() ? "number" : node.isBoolean() ? "boolean" : "value";
  }

  /** A parser's sentence without its internals: no source, no character codes, one line. */
  private static String plain(String message) {
    if (message == null) return "it cannot be read";
    String s = message.lines().findFirst().orElse("");
    s = s.replaceAll("\\s*\\(code -?\\d+\\)", "");
    s = s.replaceAll("\\s*\\(start marker at \\[Source.*$", "");
    s = s.replaceAll("\\s*at \\[Source.*$", "");
    return s.strip();
  }

  /** A query that may hold only {@code allowed} parameters; another one is refused by name. */
  private static Map<String, Object> only(Map<String, Object> query, String... allowed) {
    for (String name : query.keySet()) {
      if (!List.of(allowed).contains(name)) {
        throw new BadRequest(
            "unknown parameter '" + name + "'; this request takes " + String.join(", ", allowed),
            name);
      }
    }
    return query;
  }

  private static Map<String, Object> query(ServerRequest req) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String name : req.query().names()) m.put(name, req.query().get(name));
    return m;
  }

  private static void file(
      ServerResponse res, java.util.function.Supplier<LabRun> find, String name) {
    handle(
        res,
        () -> {
          LabRun run = find.get();
          Path file = run.dir().resolve(name);
          if (!Files.isRegularFile(file)) {
            throw new NoSuchElementException(
                "run " + run.id() + " has no " + name + " yet (it is written as the run trains)");
          }
          String type =
              name.endsWith(".csv") ? "text/csv; charset=utf-8" : "application/octet-stream";
          res.header(HeaderNames.CONTENT_TYPE, type);
          res.header(
              HeaderNames.CONTENT_DISPOSITION,
              "attachment; filename=\"" + run.id() + "-" + name + "\"");
          res.send(Files.readAllBytes(file));
        });
  }

  /**
   * Streams a log's events as server-sent events: first every event after the client's {@code
   * Last-Event-ID} (all of them for a new client), then each new one as it comes, until the log
   * closes or the client goes away.
   */
  private static void stream(
      ServerRequest req, ServerResponse res, java.util.function.Supplier<RunEvents> find) {
    RunEvents events;
    try {
      events = find.get();
    } catch (NoSuchElementException e) {
      error(res, Status.NOT_FOUND_404, e.getMessage(), null);
      return;
    }
    long last =
        req.headers()
            .first(HeaderNames.create("Last-Event-ID"))
            .or(() -> req.query().first("last_event_id").asOptional())
            .map(LabServer::parseId)
            .orElse(0L);
    res.header(HeaderNames.CACHE_CONTROL, "no-store");
    try (SseSink sink = res.sink(SseSink.TYPE)) {
      while (true) {
        List<RunEvents.Event> batch = events.after(last, KEEPALIVE_MILLIS);
        if (batch.isEmpty()) {
          if (!events.isOpen()) break;
          sink.emit(SseEvent.builder().comment("keep-alive").build());
          continue;
        }
        for (RunEvents.Event e : batch) {
          sink.emit(
              SseEvent.builder().id(Long.toString(e.id())).name(e.type()).data(e.data()).build());
          last = e.id();
        }
        if (!events.isOpen() && last >= events.size()) break;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (UncheckedIOException | IllegalStateException gone) {
      // The client went away; its next connection picks up from its Last-Event-ID.
    }
  }

  private static long parseId(String s) {
    try {
      return Math.max(0, Long.parseLong(s.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
