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
# A Spark distribution's jars/ holds Spark's class path and Jackson, which Maven resolved among
# seqlab's own jars (target/lib).
jackson=$(mktemp)
trap 'rm -f "$jackson"' EXIT
ls "$target"/lib/jackson-*.jar | paste -sd: >"$jackson"
"$SEQLAB_JAVA_HOME/bin/java" -cp "$target/seqlab-sweep.jar:$(cat "$target/spark.classpath")" \
  org.seqlab.sweep.cluster.LoopbackCluster \
  --classpath-file "$target/spark.classpath" --classpath-file "$jackson" "$@"
