// AuthCloudError reads as a sentence: uniffi generates `description` from the Rust
// `Display` implementation but does not declare the conformance, so `String(describing:)`
// and string interpolation would print the enum case. Declare it.

extension AuthCloudError: CustomStringConvertible {}
