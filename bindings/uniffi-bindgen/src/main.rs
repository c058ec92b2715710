//! `cargo run -p uniffi-bindgen -- generate --library <lib> --language <lang> ...`
fn main() {
    uniffi::uniffi_bindgen_main()
}
