#!/usr/bin/env bash
# The one way to generate the UniFFI bindings (issue 20, part 3): every build, test and
# script that needs generated Python, Kotlin or Swift runs this, so the generator, the
# config (uniffi.toml) and the Kotlin patch cannot differ between two of them.
#
#   scripts/bindgen.sh LANG LIBRARY OUT    LANG: python | kotlin | swift
#   scripts/bindgen.sh --binary            the generator's path (built first when needed)
#
# LIBRARY: an unstripped libauthcloud_ffi (the bindings come from its UniFFI metadata).
# OUT: the directory uniffi-bindgen writes into; not emptied first (callers that want it
# clean remove it). Relative paths are taken from the caller's directory.
#   python  OUT/authcloud.py
#   kotlin  OUT/dev/authcloud/authcloud.kt, then bindings/kotlin/patch-bindings.sh on it
#           (which fails unless uniffi is the version it was written for)
#   swift   OUT/AuthCloud.swift, AuthCloudFFI.h and AuthCloudFFI.modulemap as uniffi writes
#           them; each consumer places them itself (bindings/swift/generate.sh for SwiftPM,
#           bindings/swift/ios/build-xcframework.sh for the xcframework)
#
# The generator: $AUTHCLOUD_BINDGEN when set (an uniffi-bindgen binary), else the
# workspace's bindings/uniffi-bindgen (uniffi pinned to the library's version), built by
# `cargo build --locked --bin uniffi-bindgen`, a no-op when it is up to date. CARGO_TARGET_DIR
# and CARGO_TERM_QUIET apply as to any cargo command. uniffi-bindgen runs in the repository
# (it reads the workspace's cargo metadata); its output is passed through.
# Bash 3.2 compatible: build-xcframework.sh runs it on macOS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/bindgen.sh python|kotlin|swift LIBRARY OUT  (or: scripts/bindgen.sh --binary)"

# PATH as an absolute path, a relative one taken from the caller's directory.
absolute() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

lang=
if [ $# -eq 1 ] && [ "$1" = --binary ]; then
  :
elif [ $# -eq 3 ]; then
  case $1 in python|kotlin|swift) lang=$1 ;; *) echo "$usage" >&2; exit 2 ;; esac
  library=$(absolute "$2")
  out=$(absolute "$3")
  [ -f "$library" ] || { echo "scripts/bindgen.sh: no library at $library" >&2; exit 1; }
else
  echo "$usage" >&2
  exit 2
fi
case ${CARGO_TARGET_DIR:-} in
  ''|/*) ;;
  *) CARGO_TARGET_DIR=$(absolute "$CARGO_TARGET_DIR"); export CARGO_TARGET_DIR ;;
esac

if [ -n "${AUTHCLOUD_BINDGEN:-}" ]; then
  case $AUTHCLOUD_BINDGEN in */*) bindgen=$(absolute "$AUTHCLOUD_BINDGEN") ;; *) bindgen=$AUTHCLOUD_BINDGEN ;; esac
else
  # `--bin` from the workspace root, as maturin runs it (`cargo run --bin uniffi-bindgen`),
  # not `-p uniffi-bindgen`: cargo picks dependency features by the packages selected, so a
  # `-p` build compiled the generator's dependencies a second time (~100 s on two cores).
  # Every dev-profile binary the scripts build is built this way, so they share one set.
  (cd "$repo" && cargo build --locked --bin uniffi-bindgen) >&2
  bindgen=${CARGO_TARGET_DIR:-$repo/target}/debug/uniffi-bindgen
fi
command -v "$bindgen" >/dev/null || { echo "scripts/bindgen.sh: no uniffi-bindgen at $bindgen" >&2; exit 1; }
if [ -z "$lang" ]; then
  printf '%s\n' "$bindgen"
  exit 0
fi

cd "$repo"
"$bindgen" generate --library "$library" --config "$repo/uniffi.toml" --language "$lang" \
  --out-dir "$out" --no-format
if [ "$lang" = kotlin ]; then
  # The generator's own version ("uniffi-bindgen 0.32.2"): the patch checks it.
  version=$("$bindgen" --version)
  AUTHCLOUD_UNIFFI_VERSION=${version##* } sh "$repo/bindings/kotlin/patch-bindings.sh" "$out"
fi
