/**
 * A Spark standalone cluster on one machine, for tests and for trying a sweep on several workers
 * without installing Spark: {@link org.seqlab.sweep.cluster.LoopbackCluster} starts a master and
 * its workers as child processes on 127.0.0.1, from the Spark jars Maven has already downloaded,
 * and can kill a worker the way a crash would.
 *
 * <p>A test harness, in the sweep module's tests (its test jar carries it to the application's
 * cluster test; {@code scripts/sweep/cluster.sh} runs it from {@code target/test-classes}). Nothing
 * here is needed to run a sweep in local mode or on a real cluster; a real cluster brings its own
 * Spark distribution, and a loopback cluster only imitates one (a {@code SPARK_HOME} whose {@code
 * jars/} folder links to the Maven jars).
 */
package org.seqlab.sweep.cluster;
