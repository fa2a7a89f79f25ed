package org.seqlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.seqlab.sweep.SparkJvm;

/** {@code seqlab sweep} in a JVM of its own, started as {@code ./seqlab sweep} starts it. */
final class SweepProcess {
  private SweepProcess() {}

  /**
   * @param classPath the class path: the packaged jar and Spark's, or this test's own
   * @param args what follows {@code seqlab}
   */
  static Process start(String classPath, List<String> args) throws IOException {
    List<String> command = java(classPath, Main.class.getName());
    command.addAll(args);
    return new ProcessBuilder(command).start();
  }

  /** A JVM's command line up to {@code mainClass}, with the options Spark and seqlab need. */
  static List<String> java(String classPath, String mainClass) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(SparkJvm.opens());
    command.addAll(
        List.of(
            "--add-modules",
            "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Xss16m",
            "-cp",
            classPath,
            mainClass));
    return command;
  }
}
