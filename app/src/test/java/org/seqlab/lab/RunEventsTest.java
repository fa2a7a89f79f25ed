package org.seqlab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunEventsTest {

  @TempDir Path dir;

  @Test
  void aClosedLogReadsBackFromItsFileExactlyAsItWasWritten() throws Exception {
    Path file = dir.resolve(RunEvents.FILE);
    RunEvents log = new RunEvents(file);
    log.add("start", Map.of("step", 0));
    log.add("step", Map.of("step", 1, "loss", 0.6931471805599453));
    log.add("warning", Map.of("message", "ünïcode, \"quotes\" and\nnewlines"));
    List<RunEvents.Event> written = log.all();
    log.close();
    assertFalse(log.isOpen());
    assertEquals(written, log.all());
    assertEquals(written, RunEvents.stored(file).all());
    assertEquals(3, Files.readAllLines(file).size());
  }

  @Test
  void aTornLastLineIsIgnoredAndCutBeforeTheLogIsWrittenOn() throws Exception {
    Path file = dir.resolve(RunEvents.FILE);
    RunEvents log = new RunEvents(file);
    log.add("step", Map.of("step", 1));
    log.close();
    Files.writeString(file, "{\"type\":\"st", StandardOpenOption.APPEND);
    RunEvents again = RunEvents.stored(file);
    assertEquals(1, again.size());
    again.reopen();
    again.add("step", Map.of("step", 2));
    again.close();
    List<RunEvents.Event> read = RunEvents.stored(file).all();
    assertEquals(List.of(1L, 2L), read.stream().map(RunEvents.Event::id).toList());
    assertEquals("{\"step\":2}", read.get(1).data());
  }

  @Test
  void aReaderWaitsForTheNextEventAndIsWokenByIt() throws Exception {
    RunEvents log = new RunEvents(null);
    log.add("status", Map.of("status", "running"));
    CompletableFuture<List<RunEvents.Event>> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return log.after(1, 30_000);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(100);
    assertFalse(waiting.isDone(), "nothing new yet: the reader waits");
    long before = System.nanoTime();
    log.add("step", Map.of("step", 1));
    List<RunEvents.Event> got = waiting.get();
    assertTrue((System.nanoTime() - before) / 1e9 < 5, "woken by the event, not by its timeout");
    assertEquals(List.of(2L), got.stream().map(RunEvents.Event::id).toList());
    // A closed log answers at once, with nothing when nothing is left.
    log.close();
    assertEquals(List.of(), log.after(2, 30_000));
  }
}
