//! The system trust store is honoured: a CA named by `SSL_CERT_FILE` (how corporate CAs
//! and containers configure OpenSSL-compatible tools) is trusted without any SDK setting.
//! Its own test binary, because it sets a process-wide environment variable.

#[path = "support/tls.rs"]
mod tls;

use authcloud::{Client, EnrollRequest};

#[test]
fn ssl_cert_file_is_trusted() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let emu = authcloud_tests::emulator().await;
        let front = tls::start(emu.local_addr()).await;
        let dir = std::env::temp_dir().join(format!("authcloud-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, &front.ca_pem).unwrap();
        // Without the variable the certificate is untrusted: the test below can fail.
        let plain = Client::builder().base_url(&front.base_url).access_key(emu.access_key()).build().unwrap();
        let err = plain.enroll(&EnrollRequest::username("corp-user")).await.unwrap_err();
        assert_eq!(err.kind(), authcloud::ErrorKind::Tls, "{err}");
        // SAFETY: this test binary has exactly one test, and no other thread reads the
        // environment while it is set (the runtime's workers are idle here).
        unsafe { std::env::set_var("SSL_CERT_FILE", &ca_file) };
        let client = Client::builder().base_url(&front.base_url).access_key(emu.access_key()).build().unwrap();
        let enrolled = client.enroll(&EnrollRequest::username("corp-user")).await;
        unsafe { std::env::remove_var("SSL_CERT_FILE") };
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(enrolled.unwrap().user.username.as_deref(), Some("corp-user"));
    });
}
