//! Helpers shared by the HTTP tests: an emulator per test, a reqwest client, raw TCP.
// Also included by `tests/secrets.rs`, which uses only some of them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use authcloud_emulator::{CONTROL_HEADER, Emulator, EmulatorConfig};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One emulator and a client for it.
pub struct Ctx {
    pub emu: Emulator,
    pub http: Client,
}

/// An emulator with the default configuration.
pub async fn start() -> Ctx {
    start_with(EmulatorConfig::default()).await
}

/// An emulator with `config`.
pub async fn start_with(config: EmulatorConfig) -> Ctx {
    let emu = Emulator::start(config).await.expect("emulator starts");
    let http = Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    Ctx { emu, http }
}

impl Ctx {
    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    /// The access key.
    pub fn key(&self) -> String {
        self.emu.access_key().to_owned()
    }

    /// A POST of `body` as JSON, with `bearer` if given.
    pub fn post_json(&self, path: &str, bearer: Option<&str>, body: &Value) -> RequestBuilder {
        let request = self.http.post(self.url(path)).json(body);
        match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Enrolls with the access key; asserts 201 and returns the answer.
    pub async fn enroll(&self, body: Value) -> Value {
        let response =
            self.post_json("/api/v1/users/enroll", Some(&self.key()), &body).send().await.expect("enroll sent");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("enroll JSON")
    }

    /// Polls status; asserts 200 and returns the answer.
    pub async fn status(&self, status_token: &str) -> Value {
        let response = self
            .post_json("/api/v1/status", None, &json!({ "statusToken": status_token }))
            .send()
            .await
            .expect("status sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("status JSON")
    }

    /// Introspects `token` with the access key; asserts 200 and returns the answer.
    pub async fn introspect(&self, token: &str) -> Value {
        let response = self
            .http
            .post(self.url("/api/v1/introspect"))
            .bearer_auth(self.key())
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspect sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("introspect JSON")
    }

    /// Mints an intent token; asserts 200.
    pub async fn intent(&self, body: Value) -> String {
        let response = self.post_json("/api/v1/intent", Some(&self.key()), &body).send().await.expect("intent sent");
        assert_eq!(response.status(), StatusCode::OK);
        let value: Value = response.json().await.expect("intent JSON");
        value["token"].as_str().expect("token").to_owned()
    }

    /// A user with `phones` registered authenticators (each enrollment approved in turn, so
    /// `enrolledAt` grows). Returns the userId and the authenticator ids, oldest first.
    pub async fn user_with_phones(&self, username: &str, phones: usize) -> (String, Vec<String>) {
        let mut user_id = String::new();
        for _ in 0..phones.max(1) {
            let answer = self.enroll(json!({ "username": username })).await;
            user_id = answer["userId"].as_str().expect("userId").to_owned();
            if phones > 0 {
                self.emu.approve(&enrollment(&answer).0).expect("approve enrollment");
            }
        }
        let user = self.user(&user_id).await;
        let ids = user["authenticators"]
            .as_array()
            .expect("authenticators")
            .iter()
            .map(|a| a["authenticatorId"].as_str().expect("authenticatorId").to_owned())
            .collect();
        (user_id, ids)
    }

    /// `GET /api/v1/users/{userId}` with the access key; asserts 200.
    pub async fn user(&self, user_id: &str) -> Value {
        let response = self
            .http
            .get(self.url(&format!("/api/v1/users/{user_id}")))
            .bearer_auth(self.key())
            .send()
            .await
            .expect("users sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("user JSON")
    }

    /// Starts an approval with the access key; asserts 200 and returns the answer.
    pub async fn approval(&self, body: Value) -> Value {
        let response =
            self.post_json("/api/v1/approval", Some(&self.key()), &body).send().await.expect("approval sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("approval JSON")
    }

    /// A request to the control API, with the header it needs (`X-Emulator-Control: 1`).
    pub fn control_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).header(CONTROL_HEADER, "1")
    }

    /// `GET /_emulator/users/{userId}/approvals`; asserts 200.
    pub async fn pending(&self, user_id: &str) -> Vec<Value> {
        let path = format!("/_emulator/users/{user_id}/approvals");
        let response = self.control_request(Method::GET, &path).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("approvals JSON")
    }

    /// POSTs to a control endpoint without a body.
    pub async fn control(&self, path: &str) -> Response {
        self.control_request(Method::POST, path).send().await.expect("control sent")
    }
}

/// Asserts a vendor-style error body with `status` and returns the message.
pub async fn assert_error(response: Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["status"], status);
    assert!(body["error"].is_string(), "{body}");
    body["message"].as_str().expect("message").to_owned()
}

/// The `enrollment` fields most tests need.
pub fn enrollment(answer: &Value) -> (String, String) {
    let enrollment = &answer["enrollment"];
    (
        enrollment["transactionId"].as_str().expect("transactionId").to_owned(),
        enrollment["statusToken"].as_str().expect("statusToken").to_owned(),
    )
}

/// Sends raw bytes on a new connection and reads until the server closes it (or 10 s).
/// Returns what was read and whether the read ended in a clean EOF or an error.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (Vec<u8>, bool) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) => return true,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(_) => return true,
            }
        }
    })
    .await
    .expect("the server must close the connection");
    (received, closed)
}

/// A raw HTTP/1.1 request with a JSON body.
pub fn raw_post(path: &str, json_body: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{extra_headers}\r\n{json_body}",
        json_body.len()
    )
    .into_bytes()
}

/// Reads one HTTP/1.1 response (Content-Length framed) from a keep-alive connection.
pub async fn read_response<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<(u16, Vec<u8>)> {
    let mut status = None;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if status.is_none() {
            status = line.split(' ').nth(1).and_then(|code| code.parse::<u16>().ok());
        } else if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(|_| std::io::ErrorKind::InvalidData)?;
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await?;
    Ok((status.ok_or(std::io::ErrorKind::InvalidData)?, body))
}
