#!/usr/bin/env bash
# Sets the project's version everywhere it is written down:
#   scripts/set-version.sh 0.2.0
# The Cargo workspace version is the source (the wheel, the crates and the CLI take it from
# there); this carries it into the manifests that cannot read Cargo.toml (Maven, Gradle,
# npm). tests/tests/versions.rs fails when they disagree. Add a CHANGELOG.md entry yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
new=${1:?usage: scripts/set-version.sh NEW_VERSION}
old=$(workspace_version)
[ -n "$old" ] || { echo "no workspace version in Cargo.toml" >&2; exit 1; }
sed -i "/^\[workspace.package\]/,/^\[/s/^version = \"$old\"/version = \"$new\"/" Cargo.toml
# The artifact's own version, and every dependency on dev.authcloud:authcloud.
for pom in bindings/kotlin/pom.xml examples/kotlin/pom.xml examples/web-kotlin/pom.xml examples/java/pom.xml; do
  [ -f "$pom" ] && sed -i "s|<version>$old</version>|<version>$new</version>|g" "$pom"
done
sed -i "s/^version = \"$old\"/version = \"$new\"/" bindings/kotlin/android/build.gradle.kts
sed -i "s/\"version\": \"$old\"/\"version\": \"$new\"/" web/package.json
sed -i "s/^Version $old /Version $new /" bindings/swift/README.md
echo "version $old -> $new; now: cargo update --workspace, and a CHANGELOG.md entry"
