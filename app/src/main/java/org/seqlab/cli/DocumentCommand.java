package org.seqlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.seqlab.experiments.sweep.ExperimentsDocument;
import org.seqlab.io.AtomicFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code seqlab document [DIR] [--out FILE] [--check]}: {@code EXPERIMENTS.md} from the saved
 * results of the experiments, or whether the file on disk is what they give.
 */
@Command(
    name = "document",
    mixinStandardHelpOptions = true,
    description = {
      "Writes EXPERIMENTS.md from the experiments kept in DIR (one directory each, as `seqlab run"
          + " NAME --out DIR` wrote it): an introduction, then per experiment the command that"
          + " repeats it, its runs and its report, regenerated from result.json (the plots are"
          + " linked, not redrawn). With --check, writes nothing and exits with status 1 if the"
          + " file differs from what the results give."
    })
final class DocumentCommand implements Callable<Integer> {

  /** Exit status of {@code --check} when the document is out of date. */
  static final int EXIT_STALE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "DIR",
      description = "the experiments' result directories (default: docs/experiments)")
  Path results = Path.of(ExperimentsDocument.DEFAULT_RESULTS);

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "the document (default: EXPERIMENTS.md); its links are relative to it")
  Path out = Path.of(ExperimentsDocument.DEFAULT_DOCUMENT);

  @Option(
      names = "--check",
      description = "write nothing; exit with status 1 if FILE is not what DIR gives")
  boolean check;

  @Override
  public Integer call() throws IOException {
    PrintWriter stdout = spec.commandLine().getOut();
    String document;
    try {
      document = ExperimentsDocument.generate(results, out);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new UserError(oneLine(e.getMessage()));
    } catch (IOException e) {
      throw new UserError(oneLine("cannot read the results in " + results + ": " + e), e);
    }
    if (check) {
      String onDisk =
          Files.isRegularFile(out) ? Files.readString(out, StandardCharsets.UTF_8) : null;
      if (!document.equals(onDisk)) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "seqlab: "
                + out
                + (onDisk == null ? " does not exist" : " is out of date with " + results)
                + "; regenerate it with `"
                + regenerate()
                + "`");
        err.flush();
        return EXIT_STALE;
      }
      stdout.printf("%s is up to date with %s%n", out, results);
      stdout.flush();
      return 0;
    }
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    AtomicFiles.writeString(out, document);
    stdout.printf("wrote %s from %s%n", out, results);
    stdout.flush();
    return 0;
  }

  /** The command that writes the document again, as this one was given. */
  private String regenerate() {
    StringBuilder s = new StringBuilder("./seqlab document");
    if (!results.equals(Path.of(ExperimentsDocument.DEFAULT_RESULTS)))
      s.append(' ').append(results);
    if (!out.equals(Path.of(ExperimentsDocument.DEFAULT_DOCUMENT))) s.append(" --out ").append(out);
    return s.toString();
  }

  private static String oneLine(String message) {
    return message == null
        ? "the results could not be read"
        : message.replaceAll("\\s*\\R\\s*", " ");
  }
}
