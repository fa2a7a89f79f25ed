package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code seqlab document}: writing EXPERIMENTS.md, {@code --check}, and what it refuses. */
class DocumentCommandTest {

  @TempDir Path tmp;

  Path results;
  Path out;

  /** Two of the committed experiments, copied: results that need no training. */
  @BeforeEach
  void copyCommittedResults() throws Exception {
    results = tmp.resolve("experiments");
    out = tmp.resolve("EXPERIMENTS.md");
    for (String name : new String[] {"exploding", "forget-bias"}) {
      Path from = Path.of("..", "docs", "experiments", name);
      Path to = results.resolve(name);
      Files.createDirectories(to);
      try (Stream<Path> files = Files.list(from)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }

  CliRun document(String... more) {
    String[] args = new String[3 + more.length];
    args[0] = "document";
    args[1] = results.toString();
    args[2] = "--out=" + out;
    System.arraycopy(more, 0, args, 3, more.length);
    return CliRun.of(args);
  }

  @Test
  void writesTheDocumentAndChecksIt() throws Exception {
    CliRun missing = document("--check");
    assertEquals(1, missing.status(), missing.err());
    assertTrue(missing.err().contains("does not exist"), missing.err());

    CliRun write = document();
    assertEquals(0, write.status(), write.err());
    String text = Files.readString(out);
    assertTrue(text.startsWith("# Experiments\n"), text);
    // in the order of the experiments, not of the names
    int exploding = text.indexOf("\n## exploding\n"), bias = text.indexOf("\n## forget-bias\n");
    assertTrue(0 < exploding && exploding < bias, text);
    assertTrue(text.contains("\n./seqlab run exploding"), text);
    assertTrue(text.contains("](experiments/exploding/loss.png)"), text);

    CliRun fresh = document("--check");
    assertEquals(0, fresh.status(), fresh.err());
    assertTrue(fresh.out().contains("up to date"), fresh.out());
    assertEquals(text, Files.readString(out), "--check writes nothing");

    Files.writeString(out, text.replace("## exploding", "## exploded"));
    CliRun stale = document("--check");
    assertEquals(1, stale.status(), stale.err());
    assertEquals(1, stale.err().strip().lines().count(), stale.err());
    assertTrue(stale.err().contains("is out of date"), stale.err());
    assertTrue(stale.err().contains("./seqlab document " + results), stale.err());
    assertFalse(Files.readString(out).contains("## exploding"), "--check writes nothing");

    CliRun again = document();
    assertEquals(0, again.status(), again.err());
    assertEquals(text, Files.readString(out));
  }

  @Test
  void aMissingOrCorruptResultIsOneLine() throws Exception {
    Path result = results.resolve("exploding").resolve("result.json");
    String saved = Files.readString(result);

    Files.writeString(result, "{ \"rows\": [ {\n  \"run\": ");
    CliRun corrupt = document("--check");
    assertTrue(corrupt.isOneLineUserError(), corrupt.err());
    assertTrue(corrupt.err().contains("result.json is not a sweep result"), corrupt.err());

    Files.delete(result);
    CliRun missing = document();
    assertTrue(missing.isOneLineUserError(), missing.err());
    assertTrue(missing.err().contains("holds no result.json"), missing.err());
    assertFalse(Files.exists(out), "nothing written");

    Files.writeString(result, saved);
    Files.writeString(results.resolve("exploding").resolve("experiment.json"), "[");
    CliRun record = document();
    assertTrue(record.isOneLineUserError(), record.err());
    assertTrue(record.err().contains("experiment.json is not an experiment record"), record.err());

    CliRun nowhere = CliRun.of("document", tmp.resolve("nowhere").toString(), "--out=" + out);
    assertTrue(nowhere.isOneLineUserError(), nowhere.err());
    assertTrue(nowhere.err().contains("no such directory"), nowhere.err());
  }
}
