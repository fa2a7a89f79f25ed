package org.seqlab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.seqlab.lab.LabRun;

/**
 * Fifty clients follow two live runs at once on loopback, a fifth of them dropping the connection
 * part-way and coming back with {@code Last-Event-ID}: every client must end with every event of
 * its run, once each and in order, and no request may fail. Prints what it measured.
 */
class LabLoadTest {

  static final int CLIENTS = 50;

  @TempDir Path runs;

  /** What one client saw. */
  record Seen(List<Long> ids, int connections, long bytes) {}

  @Test
  void fiftyClientsFollowingLiveRunsLoseNothing() throws Exception {
    try (LabServer server =
        LabServer.start(new LabServer.Options("127.0.0.1", 0, runs, 2, 4, List.of()))) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      String[] ids = new String[2];
      String[] bodies = {
        "{\"model\": \"lstm\", \"steps\": 1500, \"forget_bias\": 1}",
        "{\"model\": \"transformer\", \"steps\": 300, \"heads\": 2, \"layers\": 2}"
      };
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/runs"))
                    .POST(HttpRequest.BodyPublishers.ofString(bodies[i]))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        ids[i] = r.body().replaceAll("(?s).*?\"id\":\"([^\"]+)\".*", "$1");
      }
      long started = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      List<Future<Seen>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        String id = ids[c % 2];
        boolean drops = c % 5 == 0;
        clients.add(pool.submit(() -> follow(http, base, id, drops)));
      }
      int events = 0, connections = 0;
      long bytes = 0;
      for (int c = 0; c < CLIENTS; c++) {
        Seen seen = clients.get(c).get(5, TimeUnit.MINUTES);
        LabRun run = server.lab().get(ids[c % 2]);
        int total = run.events().size();
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= total; i++) expected.add(i);
        assertEquals(expected, seen.ids(), "client " + c + " got every event once, in order");
        events += seen.ids().size();
        connections += seen.connections();
        bytes += seen.bytes();
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      pool.shutdown();
      for (String id : ids) assertTrue(server.lab().get(id).status() == LabRun.Status.FINISHED);
      System.out.printf(
          Locale.ROOT,
          "load: %d clients, %d connections, %d events (%.1f MB) delivered in %.1f s while two runs"
              + " trained: %.0f events/s, no errors, no event lost%n",
          CLIENTS,
          connections,
          events,
          bytes / 1e6,
          seconds,
          events / seconds);
    }
  }

  /** Reads a run's stream to its end; a dropping client hangs up after 50 events and returns. */
  private static Seen follow(HttpClient http, String base, String id, boolean drops)
      throws Exception {
    List<Long> seen = new ArrayList<>();
    int connections = 0;
    long bytes = 0;
    boolean finished = false;
    while (!finished) {
      connections++;
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + "/api/runs/" + id + "/events"));
      if (!seen.isEmpty()) b.header("Last-Event-ID", Long.toString(seen.getLast()));
      HttpResponse<java.io.InputStream> r =
          http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      int thisConnection = 0;
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        String line;
        Long pending = null; // an event counts once its blank line has ended it
        while ((line = in.readLine()) != null) {
          bytes += line.length() + 1;
          if (line.startsWith("id:")) {
            pending = Long.parseLong(line.substring(3).trim());
          } else if (line.equals("event:finished")) {
            finished = true;
          } else if (line.isEmpty() && pending != null) {
            seen.add(pending);
            pending = null;
            thisConnection++;
            if (drops && connections <= 3 && thisConnection == 50 && !finished) break; // hang up
          }
        }
      }
      if (!finished && !drops) throw new AssertionError("the stream ended before the run did");
    }
    return new Seen(seen, connections, bytes);
  }
}
