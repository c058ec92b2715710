// AuthCloudError reads as a sentence. uniffi generates `description` (the Rust `Display`:
// the sentence) and `debugDescription` (the Rust `Debug`: `AuthCloudError.<Case>: ` and
// the sentence) but declares neither conformance, so `String(describing:)`, string
// interpolation and `String(reflecting:)` would print the enum case and its fields.
// Declare both:
//   String(describing: e), "\(e)", e.describe()  → the sentence
//   String(reflecting: e), e.localizedDescription → `AuthCloudError.<Case>: ` + the sentence
//     (uniffi's `errorDescription` is `String(reflecting: self)`, so NSError bridging and
//     `localizedDescription` show this too)

extension AuthCloudError: CustomStringConvertible {}
extension AuthCloudError: CustomDebugStringConvertible {}
