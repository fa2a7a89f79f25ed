#!/usr/bin/env bash
# A Spark standalone cluster on this machine, for trying `seqlab sweep --master spark://...` without
# installing Spark: a master and workers on 127.0.0.1, started from the Spark jars Maven downloaded
# (org.seqlab.sweep.cluster.LoopbackCluster). Prints "master spark://127.0.0.1:PORT"; Ctrl-C stops
# every process it started.
#
#   scripts/sweep/cluster.sh --workers 2 --cores 1 --memory 1g [--dir DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/scripts/find-jdk.sh"
seqlab_find_jdk || exit 1
target="$root/sweep/target"
# ./seqlab builds whatever is missing or older than the sources.
"$root/seqlab" --version >/dev/null
# The loopback cluster is a test harness: it runs from the sweep module's test classes, with the test
# class path Maven wrote (target/test.classpath: Spark, seqlab's jars, JUnit).
if [ ! -f "$target/test-classes/org/seqlab/sweep/cluster/LoopbackCluster.class" ] || [ ! -f "$target/test.classpath" ] \
   || [ -n "$(find "$root/sweep/src/test" "$root/sweep/pom.xml" -newer "$target/test.classpath" -print -quit)" ]; then
  echo "cluster.sh: building the sweep module's tests (mvn package -pl sweep -am) ..." >&2
  (cd "$root" && JAVA_HOME="$SEQLAB_JAVA_HOME" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
     mvn -q -B -DskipTests package -pl sweep -am >&2)
  touch "$target/test.classpath"
fi
# A Spark distribution's jars/ holds Spark's class path and Jackson, which Maven resolved among
# seqlab's own jars (target/lib).
jackson=$(mktemp)
trap 'rm -f "$jackson"' EXIT
ls "$target"/lib/jackson-*.jar | paste -sd: >"$jackson"
"$SEQLAB_JAVA_HOME/bin/java" -cp "$target/test-classes:$target/seqlab-sweep.jar:$(cat "$target/test.classpath")" \
  org.seqlab.sweep.cluster.LoopbackCluster \
  --classpath-file "$target/spark.classpath" --classpath-file "$jackson" "$@"
