// swift-tools-version:6.0
// AuthCloud for iOS apps: the static library as an XCFramework (device + simulator),
// made by ./build-xcframework.sh on a Mac with Xcode. Not built in this repository's CI.
import PackageDescription

let package = Package(
    name: "AuthCloud",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "AuthCloud", targets: ["AuthCloud"]),
    ],
    targets: [
        .binaryTarget(name: "AuthCloudFFI", path: "AuthCloudFFI.xcframework"),
        .target(name: "AuthCloud", dependencies: ["AuthCloudFFI"], path: "Sources/AuthCloud"),
    ],
    swiftLanguageModes: [.v6]
)
