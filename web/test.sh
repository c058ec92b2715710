#!/usr/bin/env bash
# Tests @authcloud/status-poller: installs the dev dependencies when needed,
# checks that the committed dist/ is what src/ builds to, runs the unit tests.
# Works from any directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

. ../scripts/debian-packages.sh
need_commands web "node npm" nodejs npm

# npm ci only when node_modules is missing or was installed from another lock (or Node).
stamp=node_modules/.authcloud-install-stamp
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
  printf '%s\n' "$want" > "$stamp"
fi

echo "==> dist/ is up to date with src/"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$out"
if ! diff -r dist "$out"; then
  echo "web/dist is stale: run 'npm run build' in web/ and commit dist/" >&2
  exit 1
fi

echo "==> npm test"
npm test
