//! The example as a user runs it: its binary, on the embedded emulator (no instance or key
//! in the environment), must register, wait for the simulated phone and verify.
//!
//! A test of this package (rather than `cargo run -p authcloud-example` in test.sh) so the
//! binary is built by `cargo test --workspace` with the workspace's features: a separate
//! `-p` build resolved different features for tokio, reqwest and syn and compiled them again.

use std::process::Command;

#[test]
fn the_example_registers_and_verifies_on_the_embedded_emulator() {
    let output = Command::new(env!("CARGO_BIN_EXE_register-app"))
        .env_remove("AUTHCLOUD_INSTANCE")
        .env_remove("AUTHCLOUD_ACCESS_KEY")
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("Using the embedded emulator at http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("succeeded"), "the wait saw the approval: {stdout}");
    assert!(stdout.contains("Verified: user ") && stdout.contains("token active=true"), "{stdout}");
    print!("{stdout}");
}
