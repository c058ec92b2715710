#!/usr/bin/env bash
# The Swift stage of ./test.sh: XCTest of the AuthCloud package and the Swift example,
# compiled by a real Swift 6 compiler (Debian 13 swiftlang in a chroot, see chroot.sh),
# in Swift 6 language mode with warnings as errors, against the freshly built library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

. "$repo/scripts/lib.sh"

"$here/chroot.sh" ensure
# The release library with the emulator, in the release directory the wheel build shares
# (scripts/lib.sh). ./test.sh passes AUTHCLOUD_SWIFT_LIBRARY_BUILT=1 when its python stage
# has just built it there, so the library is not relinked for nothing.
if [ "${AUTHCLOUD_SWIFT_LIBRARY_BUILT:-}" != 1 ]; then
  cargo build --locked --release --target "$HOST_TRIPLE" -p authcloud-ffi --features emulator
fi
"$here/generate.sh" "$RELEASE_DIR/libauthcloud_ffi.so"

# Inside the chroot the repo is /work; build products stay in the repo's target/.
libdir=/work/target/$HOST_TRIPLE/release
flags="-Xswiftc -warnings-as-errors -Xlinker -L$libdir -Xlinker -rpath -Xlinker $libdir"
echo "swift test (bindings/swift)"
# Under a deadline (the build included): a hang fails the stage instead of stalling it.
"$here/chroot.sh" run "cd /work/bindings/swift && timeout 1500 swift test --build-path /work/target/swift-build $flags"
echo "swift run (examples/swift/RegisterApp)"
# SwiftPM 6.0's cached build manifest misses source files added to a dependency package
# (here bindings/swift): re-plan every time (about a second).
"$here/chroot.sh" run "cd /work/examples/swift/RegisterApp && swift run --disable-build-manifest-caching --build-path /work/target/swift-example-build $flags RegisterApp"
