#!/usr/bin/env bash
# The browser test of the web examples (./test.sh web): Debian's Chromium driven by
# Playwright for Python, against examples/web-python and examples/web-kotlin.
# Installs what it needs, idempotently: chromium (apt, as root), a venv in
# target/venv-web with tests/web/requirements.txt. Uses the wheel in $AUTHCLOUD_WHEEL
# (default: the portable target/wheels/authcloud-*manylinux*.whl) for the Python backend.
#   tests/web/run.sh [pytest args]     e.g. -k python
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
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
