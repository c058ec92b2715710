//! TLS: an extra trusted CA works; an untrusted certificate is a typed TLS error that is
//! not retried.

#[path = "support/tls.rs"]
mod tls;

use authcloud::{Client, EnrollRequest, ErrorKind};
use authcloud_tests::{emulator, fast_retry, paths, requests_to};

#[tokio::test]
async fn extra_root_ca_is_trusted() {
    let emu = emulator().await;
    let front = tls::start(emu.local_addr()).await;
    let client = Client::builder()
        .base_url(&front.base_url)
        .access_key(emu.access_key())
        .add_root_certificate_pem(front.ca_pem.clone())
        .build()
        .unwrap();
    let enrolled = client.enroll(&EnrollRequest::username("tls-user")).await.unwrap();
    assert_eq!(enrolled.user.username.as_deref(), Some("tls-user"));
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let emu = emulator().await;
    let front = tls::start(emu.local_addr()).await;
    let client = Client::builder()
        .base_url(&front.base_url)
        .access_key(emu.access_key())
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    let err = client.enroll(&EnrollRequest::username("tls-user")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_eq!(front.connections(), 1, "a certificate failure is not retried");
    let err = client.status(&"token".into()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert_eq!(front.connections(), 2, "not even for idempotent calls");
    assert!(requests_to(&emu, paths::ENROLL).is_empty());
}

#[tokio::test]
async fn garbage_ca_pem_is_a_configuration_error() {
    let err = Client::builder()
        .base_url("https://localhost:1")
        .add_root_certificate_pem("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let err = Client::builder().base_url("https://localhost:1").add_root_certificate_pem("").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
}
