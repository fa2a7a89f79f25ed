package org.seqlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.seqlab.sweep.SparkJvm;
import org.seqlab.sweep.SparkMaster;
import org.seqlab.sweep.SweepListener;

/** What a sweep asks of Spark, and that a user's --conf adds to it rather than undoing it. */
class SweepConfTest {

  @Test
  void theSweepsSettingsWithTheUsersAddedNotReplaced() {
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("spark.executor.extraJavaOptions", "-Xmx3g");
    extra.put("spark.extraListeners", "com.example.Audit");
    extra.put("spark.ui.enabled", "true");
    extra.put("spark.executor.memory", "2g");
    SparkConf conf = SweepCommand.conf(SparkMaster.parse("spark://head:7077"), "long-range", extra);
    assertEquals("spark://head:7077", conf.get("spark.master"));
    assertEquals("seqlab sweep long-range", conf.get("spark.app.name"));
    assertEquals("true", conf.get("spark.ui.enabled"));
    assertEquals("2g", conf.get("spark.executor.memory"));
    assertEquals("0", conf.get("spark.driver.maxResultSize"));
    assertEquals(
        "com.example.Audit," + SweepListener.class.getName(), conf.get("spark.extraListeners"));
    String options = conf.get("spark.executor.extraJavaOptions");
    assertTrue(options.startsWith("-Xmx3g "), options);
    assertTrue(options.contains("--add-modules jdk.incubator.vector"), options);
    for (String p : SparkJvm.OPENS) {
      assertTrue(options.contains("--add-opens=java.base/" + p + "=ALL-UNNAMED"), p);
    }
    // The executors get the sweep's side: its jar and the lib/ folder beside it (here the sweep
    // module's build), and nothing of the command line, the lab or the plots; where the sweep's
    // classes come from a folder (no jar to ship), they get this class path instead.
    java.nio.file.Path sweep = SweepCommand.codeSource();
    if (java.nio.file.Files.isRegularFile(sweep)) {
      String jars = conf.get("spark.jars");
      assertTrue(jars.startsWith(sweep.toUri() + ","), jars);
      assertTrue(jars.contains("seqlab-engine"), jars);
      assertTrue(jars.contains("seqlab-core"), jars);
      for (String face : new String[] {"helidon", "picocli", "xchart", "/seqlab.jar"}) {
        assertFalse(jars.contains(face), face + " in " + jars);
      }
    } else {
      assertEquals(
          System.getProperty("java.class.path"), conf.get("spark.executor.extraClassPath"));
    }
  }

  @Test
  void localModeShipsNothingAndKeepsItsUiOff() {
    SparkConf conf = SweepCommand.conf(SparkMaster.parse("local[2]"), "adding", Map.of());
    assertEquals("local[2]", conf.get("spark.master"));
    assertEquals("false", conf.get("spark.ui.enabled"));
    assertEquals(SweepListener.class.getName(), conf.get("spark.extraListeners"));
    assertTrue(!conf.contains("spark.jars") && !conf.contains("spark.executor.extraClassPath"));
  }
}
