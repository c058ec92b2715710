//! Proxy settings from the environment: used for remote hosts, bypassed for loopback (an
//! emulator or local gateway is never reachable through a remote proxy). Its own test
//! binary, because it sets process-wide environment variables.

use std::time::Duration;

use authcloud::{Client, EnrollRequest, SecretString};
use tokio::io::AsyncReadExt;

#[test]
fn environment_proxy_is_used_for_remote_hosts_and_bypassed_for_loopback() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let emu = authcloud_tests::emulator().await;
        // A "proxy" that records the first line it is sent.
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://127.0.0.1:{}", proxy.local_addr().unwrap().port());
        let first_line = tokio::spawn(async move {
            let (mut socket, _) = proxy.accept().await.unwrap();
            let mut buf = vec![0u8; 256];
            let n = socket.read(&mut buf).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
        });
        // SAFETY: this binary has one test; nothing else reads the environment meanwhile.
        unsafe {
            for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"] {
                std::env::set_var(name, &proxy_url);
            }
            std::env::remove_var("NO_PROXY");
            std::env::remove_var("no_proxy");
        }

        // Loopback: straight to the emulator despite the proxy variables.
        let local = Client::builder().base_url(emu.base_url()).access_key(emu.access_key()).build().unwrap();
        assert!(local.enroll(&EnrollRequest::username("direct")).await.is_ok());

        // Remote: through the proxy (which never answers, so the call times out).
        let remote = Client::builder()
            .instance("acme")
            .access_key("k")
            .request_timeout(Duration::from_millis(500))
            .retry_policy(authcloud::RetryPolicy::none())
            .build()
            .unwrap();
        let _ = remote.status(&SecretString::new("t")).await;
        let line = tokio::time::timeout(Duration::from_secs(2), first_line).await.unwrap().unwrap();
        assert_eq!(line, "CONNECT acme.mauth.nevis.cloud:443 HTTP/1.1");
    });
}
