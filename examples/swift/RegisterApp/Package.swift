// swift-tools-version:6.0
// The guide's flow in Swift, against the emulator that the AuthCloud package carries.
import PackageDescription

let package = Package(
    name: "RegisterApp",
    // A path dependency is identified by its directory name: `swift`.
    dependencies: [.package(path: "../../../bindings/swift")],
    targets: [
        .executableTarget(name: "RegisterApp", dependencies: [.product(name: "AuthCloud", package: "swift")]),
    ],
    swiftLanguageModes: [.v6]
)
