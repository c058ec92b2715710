#!/usr/bin/env bash
# Starts the Kotlin web example:  examples/web-kotlin/run.sh --port 8000
# Needs Java 17+ and Maven. Installs dev.authcloud:authcloud:0.1.0 from ./bindings/kotlin
# when ~/.m2 lacks it (that builds the Rust library: needs Rust, a few minutes), and builds
# the fat jar target/authcloud-web-kotlin-example.jar when a source, the pom or the SDK jar
# is newer than it. Without AUTHCLOUD_INSTANCE/AUTHCLOUD_ACCESS_KEY it runs on the embedded
# emulator. Prints "listening on http://127.0.0.1:PORT" on stdout once it accepts
# connections; build output and logs go to stderr. JAVA_OPTS adds JVM options.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml")
sdk="$HOME/.m2/repository/dev/authcloud/authcloud/$version/authcloud-$version.jar"
jar="$here/target/authcloud-web-kotlin-example.jar"
plain='s/\x1b\[[0-9;]*m//g' # Maven's colour codes, which -B leaves in

if [ ! -f "$sdk" ]; then
  echo "installing dev.authcloud:authcloud:$version from ./bindings/kotlin (builds the Rust library; a few minutes the first time)" >&2
  mvn -B -ntp -q -f "$repo/bindings/kotlin/pom.xml" install -DskipTests 2>&1 | sed "$plain" >&2
fi
if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src" "$sdk" -newer "$jar" -print -quit)" ]; then
  echo "building $jar" >&2
  mvn -B -ntp -q -f "$here/pom.xml" package 2>&1 | sed "$plain" >&2
fi
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" ${JAVA_OPTS:-} -Dauthcloud.repo="$repo" -jar "$jar" "$@"
