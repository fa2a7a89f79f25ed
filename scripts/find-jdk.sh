# Sourced by ./seqlab and ./run-tests: sets SEQLAB_JAVA_HOME to a JDK of version 25 or later.
# Looks at JAVA_HOME, then the usual install locations; says in one line what to install if none fits.

seqlab_java_major() {
  # Prints the major version of the JDK at $1 (nothing if it is not a JDK with javac).
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  local line
  line=$("$1/bin/java" -version 2>&1 | head -n 1)
  line=${line#*\"}
  line=${line%%\"*}
  line=${line%%.*}
  line=${line%%-*}
  case "$line" in (''|*[!0-9]*) return 0 ;; esac
  printf '%s\n' "$line"
}

seqlab_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -n "$candidate" ] && [ -d "$candidate" ] || continue
    major=$(seqlab_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      SEQLAB_JAVA_HOME=$candidate
      return 0
    fi
  done
  echo "seqlab: needs a JDK 25 or later (none found in JAVA_HOME or /usr/lib/jvm); install one, e.g. Temurin 25, and set JAVA_HOME to it." >&2
  return 1
}
