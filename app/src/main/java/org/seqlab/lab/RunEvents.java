package org.seqlab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.SoftReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The events of one run, in order, each with an id one above the last: what the page draws, kept
 * whole so that a client that connects late or reconnects gets everything it missed, and appended
 * to {@code lab-events.jsonl} in the run directory so that the history survives a restart. A line
 * cut short by a crash is ignored when the file is read back.
 *
 * <p>Readers wait in {@link #after}; a writer wakes them. The log is open while the run may still
 * produce events, and closed when it has ended (a resumed run opens it again).
 */
public final class RunEvents {

  /** The file in a run directory that holds its events, one JSON object per line. */
  public static final String FILE = "lab-events.jsonl";

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One event.
   *
   * @param id its place in the run's stream, from 1
   * @param type the SSE event name: {@code step}, {@code validation}, {@code finished}, ...
   * @param data its JSON
   */
  public record Event(long id, String type, String data) {}

  private final Path file; // null: kept in memory only
  // While the log is open its events are held; once it is closed and on disk, memory keeps them
  // only while it has room (a history of hundreds of runs holds megabytes of heat maps each), and
  // they are read back from the file when asked for.
  private List<Event> events = new ArrayList<>();
  private SoftReference<List<Event>> kept;
  private BufferedWriter writer;
  private boolean open = true;

  RunEvents(Path file) {
    this.file = file;
  }

  /** The events a directory's file holds, as a closed log, read when first asked for. */
  static RunEvents stored(Path file) {
    RunEvents log = new RunEvents(file);
    log.events = null;
    log.open = false;
    return log;
  }

  private static List<Event> readFile(Path file) {
    List<Event> events = new ArrayList<>();
    if (!Files.isRegularFile(file)) return events;
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException torn) {
          break; // the last line of a run that was killed mid-write
        }
        if (node == null || !node.has("type")) break;
        events.add(
            new Event(
                events.size() + 1,
                node.get("type").asText(),
                JSON.writeValueAsString(node.get("data"))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return events;
  }

  /** The events, from memory or read back from the file. */
  private List<Event> list() {
    if (events != null) return events;
    List<Event> read = kept == null ? null : kept.get();
    if (read == null) {
      read = readFile(file);
      kept = new SoftReference<>(read);
    }
    return read;
  }

  /** Whether the events are written to a file as they come. */
  boolean persisted() {
    return file != null;
  }

  /** Appends an event and wakes every reader. */
  public synchronized Event add(String type, Object data) {
    String json;
    try {
      json = JSON.writeValueAsString(data);
      if (events == null) {
        events = new ArrayList<>(list()); // a closed log written on: held again
        kept = null;
      }
      Event e = new Event(events.size() + 1, type, json);
      events.add(e);
      if (file != null) {
        if (writer == null) {
          dropTornLine(file);
          writer =
              Files.newBufferedWriter(
                  file,
                  StandardCharsets.UTF_8,
                  StandardOpenOption.CREATE,
                  StandardOpenOption.APPEND);
        }
        ObjectNode line = JSON.createObjectNode();
        line.put("type", type);
        line.set("data", JSON.readTree(json));
        writer.write(JSON.writeValueAsString(line));
        writer.write('\n');
        writer.flush();
      }
      notifyAll();
      return e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Cuts a last line that a killed process left unfinished, so that what is appended starts on a
   * line of its own.
   */
  private static void dropTornLine(Path file) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) == 0) return;
    try (var channel =
        java.nio.channels.FileChannel.open(
            file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      long size = channel.size();
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      long end = size;
      while (end > 0) {
        one.clear();
        channel.read(one, end - 1);
        if (one.get(0) == '\n') break;
        end--;
      }
      if (end < size) channel.truncate(end);
    }
  }

  /**
   * The events after {@code id}, waiting up to {@code millis} for one if there are none yet and the
   * log is open.
   */
  public synchronized List<Event> after(long id, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (open && list().size() <= id) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) break;
      wait(left);
    }
    List<Event> all = list();
    int from = (int) Math.max(0, Math.min(id, all.size()));
    return List.copyOf(all.subList(from, all.size()));
  }

  /** Whether more events may come. */
  public synchronized boolean isOpen() {
    return open;
  }

  /** The run ended: no more events (until it is resumed). */
  synchronized void close() {
    open = false;
    try {
      if (writer != null) writer.close();
    } catch (IOException ignored) {
      // The events are in memory; the file only loses its tail.
    }
    writer = null;
    if (file != null && events != null) {
      kept = new SoftReference<>(events);
      events = null;
    }
    notifyAll();
  }

  /** A resumed run writes on. */
  synchronized void reopen() {
    if (events == null) {
      events = new ArrayList<>(list());
      kept = null;
    }
    open = true;
  }

  public synchronized int size() {
    return list().size();
  }

  /** Every event so far, oldest first. */
  public synchronized List<Event> all() {
    return List.copyOf(list());
  }

  /** Every event of one type, oldest first. */
  public synchronized List<Event> ofType(String type) {
    return list().stream().filter(e -> e.type().equals(type)).toList();
  }
}
