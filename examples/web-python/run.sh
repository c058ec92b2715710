#!/usr/bin/env bash
# Starts the Python web example:  examples/web-python/run.sh --port 8000
# The first run creates examples/web-python/.venv with FastAPI, uvicorn, argon2-cffi and authcloud
# (built from ./bindings/python, which needs Rust; or the wheel in $AUTHCLOUD_WHEEL).
# Without AUTHCLOUD_INSTANCE/AUTHCLOUD_ACCESS_KEY it runs on the embedded emulator.
# Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv (first run)" >&2
  python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$venv/.requirements-installed" 2>/dev/null; then
  "$venv/bin/pip" install -q -r "$here/requirements.txt" >&2
  cp "$here/requirements.txt" "$venv/.requirements-installed"
fi
if [ -n "${AUTHCLOUD_WHEEL:-}" ]; then
  # A given wheel (the test command's freshly built one): install it when it changed.
  stamp=$(sha256sum "$AUTHCLOUD_WHEEL" | cut -d' ' -f1)
  if [ "$(cat "$venv/.authcloud-installed" 2>/dev/null)" != "$stamp" ]; then
    "$venv/bin/pip" install -q --force-reinstall --no-deps "$AUTHCLOUD_WHEEL" >&2
    echo "$stamp" > "$venv/.authcloud-installed"
  fi
elif ! "$venv/bin/python" -c "import authcloud" 2>/dev/null; then
  echo "building and installing authcloud from ./bindings/python (a few minutes the first time)" >&2
  "$venv/bin/pip" install -q "$repo/bindings/python" >&2
fi
exec "$venv/bin/python" "$here/app.py" "$@"
