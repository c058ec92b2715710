#!/usr/bin/env bash
# Builds AuthCloudFFI.xcframework (iOS device + simulator slices) and the Swift sources for
# ios/Package.swift. Needs macOS with Xcode and the Rust targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   bindings/swift/ios/build-xcframework.sh
# Not buildable on the Linux machines this project is developed on (no Xcode, no Apple
# targets); see bindings/swift/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$repo"
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

profile=ffi-small   # size-optimised, unwinding kept; no emulator feature on mobile
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --locked --profile "$profile" --target "$target" -p authcloud-ffi --lib
done

# Bindings come from an unstripped host build of the same crate and features.
cargo build --locked --profile "$profile" -p authcloud-ffi --lib
gen="$repo/target/ios-bindings"
rm -rf "$gen" && mkdir -p "$gen/headers"
scripts/bindgen.sh swift "target/$profile/libauthcloud_ffi.dylib" "$gen"
cp "$gen/AuthCloudFFI.h" "$gen/headers/"
cp "$gen/AuthCloudFFI.modulemap" "$gen/headers/module.modulemap"

# One library per platform: the two simulator architectures are merged.
sim="$repo/target/ios-sim-universal"
mkdir -p "$sim"
lipo -create "target/aarch64-apple-ios-sim/$profile/libauthcloud_ffi.a" \
  "target/x86_64-apple-ios/$profile/libauthcloud_ffi.a" -output "$sim/libauthcloud_ffi.a"

rm -rf "$here/AuthCloudFFI.xcframework"
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$profile/libauthcloud_ffi.a" -headers "$gen/headers" \
  -library "$sim/libauthcloud_ffi.a" -headers "$gen/headers" \
  -output "$here/AuthCloudFFI.xcframework"

rm -rf "$here/Sources/AuthCloud" && mkdir -p "$here/Sources/AuthCloud"
cp "$gen/AuthCloud.swift" "$here/Sources/AuthCloud/AuthCloud.swift"
# Every hand-written source of the AuthCloud module (not AuthCloudTesting: no emulator here).
for source in "$repo"/bindings/swift/Sources/AuthCloud/*.swift; do
  [ "$(basename "$source")" = AuthCloud.swift ] || cp "$source" "$here/Sources/AuthCloud/"
done
echo "built $here/AuthCloudFFI.xcframework; add bindings/swift/ios as a Swift package to your app"
