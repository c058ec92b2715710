//! Starting, configuring and stopping the emulator as a library.

use std::time::{Duration, Instant};

use authcloud_emulator::{Emulator, EmulatorConfig, EmulatorError};
use tokio::net::TcpStream;

use crate::common::start;

#[test]
fn emulator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<EmulatorConfig>();
}

#[tokio::test]
async fn stop_closes_the_port_and_is_idempotent() {
    let ctx = start().await;
    assert!(ctx.emu.base_url().starts_with("http://127.0.0.1:"));
    assert!(!ctx.emu.base_url().ends_with('/'));
    // A keep-alive connection is open while stopping.
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status(), 200);
    let addr = ctx.emu.local_addr();
    let started = Instant::now();
    ctx.emu.stop().await;
    ctx.emu.stop().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn drop_stops_it_too() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let addr = emu.local_addr();
    drop(emu);
    let deadline = Instant::now() + Duration::from_secs(3);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "still listening after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn configuration_is_checked_and_the_key_redacted() {
    let emu =
        Emulator::start(EmulatorConfig { access_key: Some("my-key".into()), ..Default::default() }).await.unwrap();
    assert_eq!(emu.access_key(), "my-key");
    let debug = format!("{emu:?}");
    assert!(debug.contains("<redacted>") && !debug.contains("my-key"), "{debug}");

    let random = Emulator::start(EmulatorConfig::default()).await.unwrap();
    assert!(random.access_key().len() >= 32);
    assert_ne!(random.access_key(), Emulator::start(EmulatorConfig::default()).await.unwrap().access_key());

    for bad in [
        EmulatorConfig { access_key: Some(String::new()), ..Default::default() },
        EmulatorConfig { access_key: Some("two words".into()), ..Default::default() },
        EmulatorConfig { transaction_ttl: Duration::ZERO, ..Default::default() },
        EmulatorConfig { intent_ttl: Duration::ZERO, ..Default::default() },
    ] {
        assert!(matches!(Emulator::start(bad).await, Err(EmulatorError::InvalidConfig(_))));
    }
    let taken = EmulatorConfig { bind: emu.local_addr(), ..Default::default() };
    assert!(matches!(Emulator::start(taken).await, Err(EmulatorError::Bind { .. })));
}
