# Shell helpers shared by test.sh, the bench scripts and the platform scripts (issue 20,
# part 8), each of which used to carry its own copy. Sourced, never run:
#
#   . "$ROOT/scripts/lib.sh"
#
# Needs bash; safe under `set -euo pipefail`. Defines variables and functions only: no
# output, no cd, no trap.

# The repository (this file's parent directory), so the helpers work from any directory.
lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Pinned Python tools, here so one bump reaches every script that installs them.
MATURIN_VERSION=1.16.0     # the tool venv (tool_venv below), bench/clients/run.sh's venv
PYTEST_VERSION=9.2.0       # test.sh (tool venv, wheel venv), tests/ctrl-c-loop.sh
ZIG_VERSION=0.17.1         # the tool venv (tool_venv below)
AUDITWHEEL_VERSION=6.8.2   # the tool venv
WHEEL_VERSION=0.48.0       # the tool venv

# step TEXT...: a "==> " progress line, one format everywhere so ./test.sh's log (which runs
# the other scripts) reads as one. Set step_clock=$SECONDS to show the seconds since then,
# step_prefix to put a name before the text.
step_clock=
step_prefix=
step() {
  if [ -n "$step_clock" ]; then
    printf '\n==> [%4ss] %s%s\n' "$((SECONDS - step_clock))" "$step_prefix" "$*"
  else
    printf '\n==> %s%s\n' "$step_prefix" "$*"
  fi
}

# workspace_version: Cargo.toml's [workspace.package] version, the project's one version,
# parsed in this one place so no script can read it differently.
workspace_version() {
  sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$lib_root/Cargo.toml"
}

# fresh_venv DIR PIP_ARGS...: DIR removed, then a new venv with only `pip install -q
# PIP_ARGS`, because a test of an install must start from nothing.
fresh_venv() {
  local dir=$1
  shift
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q "$@"
}

# ensure_venv [--step TEXT] DIR STAMP WANT PIP_ARGS...: fresh_venv DIR PIP_ARGS unless
# DIR/STAMP already says WANT (pins, a requirements file, a wheel's name and time), so
# reruns skip pip yet a change always takes effect. --step: a step line when it builds.
ensure_venv() {
  local say=
  if [ "$1" = --step ]; then
    say=$2
    shift 2
  fi
  local dir=$1 stamp=$2 want=$3
  shift 3
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  [ -z "$say" ] || step "$say"
  fresh_venv "$dir" "$@"
  printf '%s\n' "$want" > "$dir/$stamp"
}

# tool_venv: the repository's .venv with the build tools at the pins above, defined once
# because test.sh and bench/clients/against-baseline.sh both build wheels with it.
tool_venv() {
  local want="maturin $MATURIN_VERSION pytest $PYTEST_VERSION zig $ZIG_VERSION auditwheel $AUDITWHEEL_VERSION wheel $WHEEL_VERSION"
  ensure_venv --step "creating the tool venv (.venv: $want)" "$lib_root/.venv" .tools "$want" \
    "maturin==$MATURIN_VERSION" "pytest==$PYTEST_VERSION" "ziglang==$ZIG_VERSION" \
    "auditwheel==$AUDITWHEEL_VERSION" "wheel==$WHEEL_VERSION"
}

# Release builds for this machine go through one target directory, the one maturin's
# portable (--zig) wheel build uses: it always names the target triple, so its crates land
# in target/<host triple>/release. A release build without the triple would compile every
# dependency a second time (about four minutes on two cores). So the wheel, the sdist
# install, the Swift stage and the benchmarks build with `--target "$HOST_TRIPLE"` (or
# CARGO_BUILD_TARGET) and find their files in $RELEASE_DIR; only the final crate is
# relinked when the linker differs.
HOST_TRIPLE=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
RELEASE_DIR=$lib_root/target/$HOST_TRIPLE/release
