#!/usr/bin/env bash
# Builds the authcloud AAR: the Rust library for every Android ABI (cargo ndk), the Kotlin
# bindings generated from the same code, then the Gradle library module.
#
# NOT run in this repository's CI (no Android NDK or SDK there). Needs:
#   - ANDROID_NDK_HOME: an Android NDK, r27 or newer (16 KB page alignment by default)
#   - ANDROID_HOME:     an Android SDK with platform 35 (for Gradle)
#   - cargo-ndk:        cargo install cargo-ndk
#   - rustup (the script adds the four Android targets)
#   - Gradle 8.9+ on PATH, or GRADLE=/path/to/gradlew
# Usage: bindings/kotlin/android/build-android.sh [--publish-local]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PROFILE=${PROFILE:-ffi-small}     # small, fat LTO, unwinding kept (see the top-level Cargo.toml)
PLATFORM=24                       # = minSdk in build.gradle.kts
ABIS=(arm64-v8a armeabi-v7a x86_64 x86)
TARGETS=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android)

: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to an Android NDK (r27 or newer)}"
: "${ANDROID_HOME:?set ANDROID_HOME to an Android SDK}"
command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
GRADLE=${GRADLE:-gradle}
command -v "$GRADLE" >/dev/null || { echo "Gradle is missing: put gradle on PATH or set GRADLE" >&2; exit 1; }

cd "$ROOT"
rustup target add "${TARGETS[@]}"

echo "==> the native library for ${ABIS[*]} (profile $PROFILE, Android API $PLATFORM)"
# Per target, so host build scripts are unaffected: 16 KB pages (Android 15+ devices);
# identical code folded and relative relocations packed (APS2, API 23+) by the NDK's lld —
# the link the size budget of ./test.sh measures (with Linux's RELR standing in for APS2).
for target in "${TARGETS[@]}"; do
  var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_RUSTFLAGS"
  export "$var=${!var:-} -C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,--icf=all -C link-arg=-Wl,--pack-dyn-relocs=android"
done
rm -rf "$HERE/build/jniLibs"
abi_args=()
for abi in "${ABIS[@]}"; do abi_args+=(-t "$abi"); done
# No `emulator` feature: the test kit stays out of apps. cargo ndk strips the copies.
cargo ndk --platform "$PLATFORM" "${abi_args[@]}" -o "$HERE/build/jniLibs" \
  build --locked --profile "$PROFILE" -p authcloud-ffi --lib

echo "==> the Kotlin bindings (from the unstripped host build of the same code and features), patched"
cargo build --locked --profile "$PROFILE" -p authcloud-ffi --lib
rm -rf "$HERE/build/generated/uniffi"
# scripts/bindgen.sh, as for the JVM jar: uniffi-bindgen, then patch-bindings.sh
# (AuthCloudException.message = the Rust sentence; fails if uniffi's template changed shape).
CARGO_TERM_QUIET=true scripts/bindgen.sh kotlin "target/$PROFILE/libauthcloud_ffi.so" "$HERE/build/generated/uniffi"

echo "==> the AAR"
cd "$HERE"
"$GRADLE" --no-daemon assembleRelease
if [ "${1:-}" = "--publish-local" ]; then
  "$GRADLE" --no-daemon publishToMavenLocal
fi
ls -l build/outputs/aar/
