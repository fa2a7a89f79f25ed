package org.seqlab.sweep;

import java.util.List;

/**
 * The JVM options Spark and seqlab need on Java 25, in every driver, master, worker and executor.
 */
public final class SparkJvm {
  private SparkJvm() {}

  /** The JDK packages Spark reaches into by reflection; without them it fails as it starts. */
  public static final List<String> OPENS =
      List.of(
          "java.lang",
          "java.lang.invoke",
          "java.lang.reflect",
          "java.io",
          "java.net",
          "java.nio",
          "java.util",
          "java.util.concurrent",
          "java.util.concurrent.atomic",
          "sun.nio.ch",
          "sun.nio.cs",
          "sun.util.calendar");

  /** {@code --add-opens=java.base/P=ALL-UNNAMED} for every package of {@link #OPENS}. */
  public static List<String> opens() {
    return OPENS.stream().map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").toList();
  }

  /**
   * An executor's options: Spark's opens, the Vector API that seqlab's kernels use, and the stack
   * size the launcher gives seqlab.
   */
  public static String executorOptions() {
    return String.join(" ", opens())
        + " --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss16m"
        + " --sun-misc-unsafe-memory-access=allow";
  }
}
