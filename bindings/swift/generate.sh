#!/usr/bin/env bash
# Generates the Swift sources of the AuthCloud package from a built library (with
# scripts/bindgen.sh swift), then puts them where SwiftPM on Linux wants them:
#   bindings/swift/generate.sh [path/to/libauthcloud_ffi.so]   (default: release build)
# Output (not committed): Sources/AuthCloud/AuthCloud.swift and
# Sources/AuthCloudFFI/{AuthCloudFFI.h,module.modulemap}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/scripts/lib.sh"
lib=${1:-$RELEASE_DIR/libauthcloud_ffi.so}
out=$repo/target/bindings/swift
cd "$repo"
rm -rf "$out"
CARGO_TERM_QUIET=true scripts/bindgen.sh swift "$lib" "$out" >/dev/null
# Every file in Sources/AuthCloudFFI is generated, so a fresh clone lacks the directory.
mkdir -p "$here/Sources/AuthCloudFFI"
cp "$out/AuthCloud.swift" "$here/Sources/AuthCloud/AuthCloud.swift"
cp "$out/AuthCloudFFI.h" "$here/Sources/AuthCloudFFI/AuthCloudFFI.h"
# SwiftPM wants the module map under this name; the Apple-only `use "Darwin"` line goes.
grep -v 'use "Darwin"' "$out/AuthCloudFFI.modulemap" > "$here/Sources/AuthCloudFFI/module.modulemap"
