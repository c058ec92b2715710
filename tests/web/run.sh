#!/usr/bin/env bash
# The browser test of the web examples (./test.sh web): Debian's Chromium driven by
# Playwright for Python, against examples/web-python and examples/web-kotlin.
# Installs what it needs, idempotently: chromium (apt, as root), a venv in
# target/venv-web with tests/web/requirements.txt. Uses the wheel in $AUTHCLOUD_WHEEL
# (default: the portable target/wheels/authcloud-*manylinux*.whl) for the Python backend.
#   tests/web/run.sh                   every test: one pytest process per backend, side by side
#                                      (each backend built first, once), logs in target/web-test/
#   tests/web/run.sh [pytest args]     one process, e.g. -k python
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/target/venv-web"

. "$repo/scripts/debian-packages.sh"
. "$repo/scripts/lib.sh"
need_commands tests/web chromium chromium
ensure_venv "$venv" .requirements-installed "$(cat "$here/requirements.txt")" -r "$here/requirements.txt"
if [ -z "${AUTHCLOUD_WHEEL:-}" ]; then
  AUTHCLOUD_WHEEL=$(ls "$repo"/target/wheels/authcloud-*manylinux*.whl 2>/dev/null | head -1 || true)
  [ -n "$AUTHCLOUD_WHEEL" ] || { echo "no wheel in target/wheels: run ./test.sh python first (or set AUTHCLOUD_WHEEL)" >&2; exit 1; }
fi
export AUTHCLOUD_WHEEL
cd "$here"
[ $# -eq 0 ] || exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"

# The whole suite: most of its time is waiting (for a browser, a backend, a transaction to
# expire), so the two backends' tests run side by side. Each backend's first start builds
# it (web-python's venv, web-kotlin's jar); that happens here, once, before the tests, so
# two processes never build the same one at once.
logs="$repo/target/web-test"
mkdir -p "$logs"
names=(python kotlin)
step "web: building both backends (each run.sh --help)"
builds=()
for name in "${names[@]}"; do
  "$repo/examples/web-$name/run.sh" --help >"$logs/$name-build.log" 2>&1 &
  builds+=($!)
done
for i in "${!names[@]}"; do
  wait "${builds[$i]}" || { cat "$logs/${names[$i]}-build.log" >&2; echo "web-${names[$i]} did not build" >&2; exit 1; }
done
step "web: pytest, one process per backend"
tests=()
for name in "${names[@]}"; do
  AUTHCLOUD_WEB_BACKENDS=$name "$venv/bin/python" -m pytest -q -p no:cacheprovider >"$logs/$name-pytest.log" 2>&1 &
  tests+=($!)
done
status=0
for i in "${!names[@]}"; do
  if wait "${tests[$i]}"; then result=passed; else result=FAILED; status=1; fi
  echo "--- web tests, ${names[$i]} backend: $result (target/web-test/${names[$i]}-pytest.log)"
  cat "$logs/${names[$i]}-pytest.log"
done
exit $status
