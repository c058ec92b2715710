// swift-tools-version:6.0
// AuthCloud for Swift (Linux and, with the XCFramework in ios/, Apple platforms).
// The generated sources (Sources/AuthCloud/AuthCloud.swift, Sources/AuthCloudFFI/*) are
// produced by ./generate.sh from the freshly built library and are not committed.
import PackageDescription

let package = Package(
    name: "AuthCloud",
    products: [
        .library(name: "AuthCloud", targets: ["AuthCloud"]),
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
        .testTarget(name: "AuthCloudTests", dependencies: ["AuthCloud"], path: "Tests/AuthCloudTests"),
    ],
    swiftLanguageModes: [.v6]
)
