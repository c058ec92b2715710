//! `http://localhost` is allowed because localhost is this machine: the client must make
//! sure of it without asking a resolver. Proven in a private mount namespace whose
//! `/etc/hosts` maps `localhost` to a remote address (TEST-NET-1): the system resolver then
//! says "remote", and the client must still reach the emulator on loopback.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "AUTHCLOUD_LOCALHOST_TEST_CHILD";
const TEST_NAME: &str = "localhost_is_loopback_whatever_the_resolver_says";
const REMOTE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

#[test]
fn localhost_is_loopback_whatever_the_resolver_says() {
    if std::env::var_os(CHILD).is_some() {
        return in_namespace();
    }
    let dir = std::env::temp_dir().join(format!("authcloud-hosts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, format!("{REMOTE} localhost\n")).unwrap();
    // As root a mount namespace is enough; otherwise map ourselves to root in a user
    // namespace first (unprivileged user namespaces).
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut unshare = Command::new("unshare");
    unshare.arg("--mount");
    if !is_root {
        unshare.arg("--map-root-user");
    }
    let status = unshare
        .args([
            "--propagation",
            "private",
            "sh",
            "-c",
            r#"mount --bind "$0" /etc/hosts && exec "$1" --exact "$2" --nocapture"#,
        ])
        .arg(&hosts)
        .arg(std::env::current_exe().unwrap())
        .arg(TEST_NAME)
        .env(CHILD, "1")
        .status()
        .expect("unshare (util-linux) runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(status.success(), "the test inside the namespace failed (or unshare/mount was refused): {status}");
}

fn in_namespace() {
    // The premise: the system resolver now answers "remote" for localhost.
    let resolved: Vec<IpAddr> = ("localhost", 80).to_socket_addrs().unwrap().map(|a| a.ip()).collect();
    assert!(resolved.contains(&REMOTE), "the hosts file did not take effect: {resolved:?}");

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let emu = authcloud_tests::emulator().await;
        let url = emu.base_url().replace("127.0.0.1", "localhost");
        let client = authcloud::Client::builder()
            .base_url(url)
            .access_key(emu.access_key())
            .connect_timeout(Duration::from_millis(500))
            .call_timeout(Duration::from_secs(3))
            .build()
            .unwrap();
        let enrolled = client.enroll(&authcloud::EnrollRequest::username("local")).await;
        assert!(enrolled.is_ok(), "localhost must mean loopback: {enrolled:?}");
    });
}
