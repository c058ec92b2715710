//! The `authcloud-emulator` binary: flags, the listening line, SIGTERM → exit 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_authcloud-emulator");

/// Reads the first stdout line of `child` (at most 20 s).
fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    receiver.recv_timeout(Duration::from_secs(20)).expect("the listening line in time")
}

/// One HTTP/1.1 exchange with `Connection: close`; returns the whole answer.
fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Waits for the process to exit (at most 10 s).
fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the emulator did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn binary_serves_until_sigterm() {
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--access-key", "bin-key-123", "--transaction-ttl", "2m"])
        .args(["--auto-approve-after", "3s"])
        .env_remove("AUTHCLOUD_ACCESS_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the emulator");
    let line = first_line(&mut child);
    let port: u16 = line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert_ne!(port, 0);

    let pong = http(port, "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(pong.starts_with("HTTP/1.1 200") && pong.ends_with("PONG"), "{pong}");
    let enroll = http(
        port,
        "POST /api/v1/users/enroll HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bin-key-123\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert!(enroll.starts_with("HTTP/1.1 201"), "{enroll}");
    assert!(enroll.contains(&format!("http://127.0.0.1:{port}/open?dispatchTokenResponse=")));

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn binary_reads_the_key_from_the_environment_and_never_prints_it() {
    let secret = "env-key-should-never-be-printed";
    let help = Command::new(BINARY).arg("--help").env("AUTHCLOUD_ACCESS_KEY", secret).output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--access-key") && text.contains("--auto-approve-after"));
    assert!(!text.contains(secret));

    let mut child = Command::new(BINARY)
        .args(["--port", "0"])
        .env("AUTHCLOUD_ACCESS_KEY", secret)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child);
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    let answer = http(
        port,
        &format!(
            "POST /api/v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\
             Connection: close\r\n\r\ntoken=abc"
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"active\":false"));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert_eq!(wait_exit(&mut child).code(), Some(0));
    let mut logs = String::new();
    child.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    assert!(logs.contains("/api/v1/introspect"), "trace logs were written");
    assert!(!logs.contains(secret), "the key leaked into the logs");
}

#[test]
fn binary_requires_an_access_key() {
    let output = Command::new(BINARY).args(["--port", "0"]).env_remove("AUTHCLOUD_ACCESS_KEY").output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
}

#[test]
fn host_flag_serves_every_address_and_advertises_loopback() {
    // As in a container: bound to 0.0.0.0, the key from the SDK's own variable.
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--host", "0.0.0.0"])
        .env("AUTHCLOUD_ACCESS_KEY", "container-key-123")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the emulator");
    let line = first_line(&mut child);
    let port: u16 = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("advertises loopback: {line:?}"))
        .parse()
        .unwrap();
    let answer = http(port, "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("PONG"), "{answer}");
    // Signals were installed before the line: SIGTERM right away ends it cleanly.
    unsafe_sigterm(child.id());
    assert!(wait_exit(&mut child).success());
}

fn unsafe_sigterm(pid: u32) {
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
    assert!(status.success());
}

#[test]
fn both_launchers_have_the_same_flags() {
    let flags = |help: &[u8]| {
        let text = String::from_utf8_lossy(help).into_owned();
        let mut found: Vec<String> = text
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.trim_end_matches([',', '.']).split('=').next().unwrap().to_owned())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let binary = Command::new(BINARY).arg("--help").output().unwrap();
    let mut expected = vec![
        "--access-key",
        "--auto-approve-after",
        "--help",
        "--host",
        "--iat-seconds",
        "--intent-ttl",
        "--port",
        "--push-limit",
        "--sms-limit",
        "--transaction-ttl",
        "--version",
    ];
    expected.sort();
    assert_eq!(flags(&binary.stdout), expected);
    // `authcloud emulator` flattens the very same `LaunchArgs`: cli/tests checks its list.
}

#[test]
fn rate_limit_flags_reach_the_emulator() {
    let bad = Command::new(BINARY).args(["--access-key", "k", "--push-limit", "3"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("MAX/PERIOD"), "{bad:?}");

    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--access-key", "bin-key-456", "--sms-limit", "0/1h", "--push-limit", "3/60s"])
        .env_remove("AUTHCLOUD_ACCESS_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the emulator");
    let line = first_line(&mut child);
    let port: u16 = line.trim_end().rsplit(':').next().and_then(|port| port.parse().ok()).expect("a port");
    let body = r#"{"channel":"sms","username":"lim","phone":"+41791234567"}"#;
    let refused = http(
        port,
        &format!(
            "POST /api/v1/users/enroll HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bin-key-456\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.to_ascii_lowercase().contains("retry-after: 3600\r\n"), "{refused}");
    let _ = child.kill();
    let _ = child.wait();
}
