// swift-tools-version:6.0
// AuthCloud for Swift (Linux and, with the XCFramework in ios/, Apple platforms).
// The generated sources (Sources/AuthCloud/AuthCloud.swift, Sources/AuthCloudFFI/*) are
// produced by ./generate.sh from the freshly built library and are not committed.
import PackageDescription

let package = Package(
    name: "AuthCloud",
    products: [
        .library(name: "AuthCloud", targets: ["AuthCloud"]),
        // For your test target only: the emulator per XCTest test (it links XCTest).
        .library(name: "AuthCloudTesting", targets: ["AuthCloudTesting"]),
    ],
    targets: [
        // The C side: the generated header and module map of libauthcloud_ffi.
        .systemLibrary(name: "AuthCloudFFI", path: "Sources/AuthCloudFFI"),
        .target(
            name: "AuthCloud",
            dependencies: ["AuthCloudFFI"],
            path: "Sources/AuthCloud",
            linkerSettings: [.linkedLibrary("authcloud_ffi")]
        ),
        // Needs a library built with the `emulator` feature (the one test.sh builds).
        .target(name: "AuthCloudTesting", dependencies: ["AuthCloud"], path: "Sources/AuthCloudTesting"),
        .testTarget(name: "AuthCloudTests", dependencies: ["AuthCloud"], path: "Tests/AuthCloudTests"),
        // Uses only AuthCloudTesting's public API, as a user's test suite would.
        .testTarget(
            name: "AuthCloudTestingTests",
            dependencies: ["AuthCloud", "AuthCloudTesting"],
            path: "Tests/AuthCloudTestingTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
