#!/usr/bin/env bash
# Linux aarch64 (ARM servers): cross-builds the native library and runs the Rust tests of
# the core and the FFI crate under qemu-aarch64, against the emulator — with Debian 13's own
# Rust toolchain (rustc 1.85, the std for arm64 from multiarch), cross gcc and qemu-user,
# in the Debian 13 chroot the Swift stage uses (bindings/swift/chroot.sh). No rustup target,
# no network beyond Debian's mirror and crates.io.
#
#   scripts/linux-aarch64.sh build   target/linux-aarch64/jna/linux-aarch64/libauthcloud_ffi.so
#   scripts/linux-aarch64.sh test    cargo test --release -p authcloud -p authcloud-ffi under qemu
#   scripts/linux-aarch64.sh wheel   target/wheels-aarch64/*.whl from the x86-64 wheel's Python
#                                    files and the aarch64 library (not runnable here)
#
# What had to give for rustc 1.85 (the project's own code needs 1.85, edition 2024):
# - `time` ≥ 0.3.46 needs rustc 1.88: the build pins time 0.3.41 and simple_asn1 0.6.3
#   (the emulator's JWT crate pulls them; the emulator only signs HS256 tokens, it never
#   parses the ASN.1 those crates exist for). The x86-64 artifacts keep the newer versions.
# - uniffi's bindgen (askama ≥ 0.16, cargo_metadata 0.23) needs 1.86–1.88: it is not built
#   here; the bindings are generated on the host from the x86-64 library (same metadata).
# Both are done in a copy of the sources under target/linux-aarch64/src, never in the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
chroot_sh="$repo/bindings/swift/chroot.sh"
CHROOT=${AUTHCLOUD_SWIFT_CHROOT:-/var/tmp/authcloud-swift-trixie}
work="$repo/target/linux-aarch64"
TARGET=aarch64-unknown-linux-gnu
PACKAGES="rustc cargo libstd-rust-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

. "$repo/scripts/lib.sh"
step_prefix="linux-aarch64: "

# Inside the chroot the repo is /work; cargo there needs this machine's CA bundle (a TLS
# inspecting proxy may sit between it and crates.io).
ENV="export CARGO_HTTP_CAINFO=/etc/ssl/certs/host-ca-certificates.crt \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER='qemu-aarch64 -L /usr/aarch64-linux-gnu' \
CARGO_TERM_COLOR=never"

toolchain() {
  "$chroot_sh" ensure
  cp /etc/ssl/certs/ca-certificates.crt "$CHROOT/etc/ssl/certs/host-ca-certificates.crt"
  if [ ! -f "$CHROOT/.authcloud-aarch64-ready" ]; then
    step "installing $PACKAGES in the chroot"
    "$chroot_sh" run "dpkg --add-architecture arm64 && apt-get update -qq && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null && apt-get clean"
    touch "$CHROOT/.authcloud-aarch64-ready"
  fi
}

# A copy of the tracked sources (as in the working tree), with the pins rustc 1.85 needs.
sources() {
  step "copying the sources and pinning dependencies rustc 1.85 can build"
  rm -rf "$work/src"
  mkdir -p "$work/src"
  (cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work/src" 2>/dev/null || true)
  # The sdist-only dev-dependency on the bindings generator needs rustc 1.88.
  sed -i '/^uniffi-bindgen = { path = "uniffi-bindgen" }$/d' "$work/src/bindings/Cargo.toml"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo update -q -p simple_asn1 --precise 0.6.3 \
    && cargo update -q -p time --precise 0.3.41"
}

build() {
  toolchain
  sources
  step "cargo build --release --target $TARGET -p authcloud-ffi --features emulator"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo build --locked --release --target $TARGET \
    --target-dir /work/target/linux-aarch64/build -p authcloud-ffi --features emulator"
  local lib="$work/build/$TARGET/release/libauthcloud_ffi.so"
  mkdir -p "$work/jna/linux-aarch64"
  "$chroot_sh" run "aarch64-linux-gnu-strip -o /work/target/linux-aarch64/jna/linux-aarch64/libauthcloud_ffi.so \
    /work/target/linux-aarch64/build/$TARGET/release/libauthcloud_ffi.so"
  file "$work/jna/linux-aarch64/libauthcloud_ffi.so" | grep -q "ARM aarch64" \
    || { echo "linux-aarch64: the library is not an aarch64 ELF" >&2; exit 1; }
  printf 'linux-aarch64 library: %s bytes (stripped; unstripped %s)\n' \
    "$(stat -c %s "$work/jna/linux-aarch64/libauthcloud_ffi.so")" "$(stat -c %s "$lib")"
}

run_tests() {
  [ -d "$work/src" ] || { toolchain; sources; }
  step "cargo test --release -p authcloud -p authcloud-ffi under qemu-aarch64"
  "$chroot_sh" run "$ENV && cd /work/target/linux-aarch64/src && cargo test --locked --release --target $TARGET \
    --target-dir /work/target/linux-aarch64/build -p authcloud -p authcloud-ffi"
}

# The x86-64 wheel's Python files with the aarch64 library, tagged by what auditwheel finds.
wheel() {
  local x86 lib tag
  x86=$(ls "$repo"/target/wheels/authcloud-*manylinux*.whl 2>/dev/null | head -1)
  [ -n "$x86" ] || { echo "no x86-64 wheel in target/wheels: ./test.sh python first" >&2; exit 1; }
  lib="$work/jna/linux-aarch64/libauthcloud_ffi.so"
  [ -f "$lib" ] || build
  step "aarch64 wheel from $(basename "$x86")"
  rm -rf "$repo/target/wheels-aarch64" && mkdir -p "$repo/target/wheels-aarch64/unpacked"
  "$repo/.venv/bin/python" -m wheel unpack -d "$repo/target/wheels-aarch64/unpacked" "$x86" >/dev/null
  local dir
  dir=$(ls -d "$repo"/target/wheels-aarch64/unpacked/*)
  cp "$lib" "$dir/authcloud/_native/libauthcloud_ffi.so"
  rm -f "$dir"/*.dist-info/sboms/*
  sed -i 's/^Tag: .*/Tag: py3-none-linux_aarch64/' "$dir"/*.dist-info/WHEEL
  "$repo/.venv/bin/python" -m wheel pack -d "$repo/target/wheels-aarch64" "$dir" >/dev/null
  rm -rf "$repo/target/wheels-aarch64/unpacked"
  # auditwheel names the manylinux tag the library's glibc symbols allow; apply it.
  (cd "$repo/target/wheels-aarch64" && "$repo/.venv/bin/auditwheel" show ./*.whl | tee auditwheel.txt)
  tag=$(grep -o '"manylinux_[0-9_]*_aarch64"' "$repo/target/wheels-aarch64/auditwheel.txt" | head -1 | tr -d '"')
  [ -n "$tag" ] || { echo "auditwheel found no manylinux tag" >&2; exit 1; }
  (cd "$repo/target/wheels-aarch64" && "$repo/.venv/bin/python" -m wheel tags --remove --platform-tag "$tag" ./*.whl >/dev/null)
  ls -l "$repo/target/wheels-aarch64"/*.whl
}

case "${1:-}" in
  build) build ;;
  test) run_tests ;;
  wheel) wheel ;;
  *) echo "usage: $0 build | test | wheel" >&2; exit 2 ;;
esac
