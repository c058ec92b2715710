//! The `authcloud` binary, run as a user runs it, against an emulator on loopback: every
//! subcommand, every exit code, `--json` parsing, and no secret on stderr.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use authcloud_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_authcloud");

/// A command aimed at `emu` through the environment, with tracing at its loudest.
fn cli(emu: &Emulator) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHCLOUD_BASE_URL", emu.base_url())
        .env("AUTHCLOUD_ACCESS_KEY", emu.access_key())
        .env("RUST_LOG", "trace");
    cmd
}

fn bare() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("RUST_LOG", "trace");
    cmd
}

#[derive(Clone)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
}

fn run(cmd: &mut Command) -> Run {
    run_with_stdin(cmd, None)
}

fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> Run {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = wait_bounded(child, Duration::from_secs(30));
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn wait_bounded(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("the CLI hung for more than {limit:?}");
        }
    }
}

/// Runs the async body on a runtime that keeps serving the emulator while the blocking
/// child processes run.
fn with_emulator(config: EmulatorConfig, body: impl FnOnce(Arc<Emulator>, &tokio::runtime::Runtime)) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let emu = Arc::new(rt.block_on(Emulator::start(config)).unwrap());
    body(emu.clone(), &rt);
    rt.block_on(emu.stop());
}

fn assert_no_secret(run: &Run, secrets: &[&str], stdout_may_hold: &[&str]) {
    for secret in secrets {
        assert!(!run.stderr.contains(secret), "a secret reached stderr:\n{}", run.stderr);
        if !stdout_may_hold.contains(secret) {
            assert!(!run.stdout.contains(secret), "a secret reached stdout:\n{}", run.stdout);
        }
    }
}

fn enroll_json(emu: &Emulator, username: &str) -> Value {
    let r = run(cli(emu).args(["enroll", "--json", "--username", username]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn demo_json_runs_the_whole_flow() {
    let started = Instant::now();
    let r = run(bare().args(["demo", "--approve-after", "1s", "--json"]));
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
    let doc = r.json();
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["username"], "demo-user");
    assert_eq!(doc["introspection"]["active"], true);
    let user_id = doc["userId"].as_str().unwrap();
    assert_eq!(user_id.len(), 36);
    assert_eq!(doc["introspection"]["sub"], user_id);
    // Then the login with the registered phone: pushed, approved, verified.
    assert_eq!(doc["login"]["status"], "succeeded");
    assert_eq!(doc["login"]["introspection"]["active"], true);
    assert_eq!(doc["login"]["introspection"]["sub"], user_id);
    assert_ne!(doc["login"]["transactionId"], doc["transactionId"]);
    assert!(!r.stdout.contains("eyJ") && !r.stderr.contains("eyJ"), "no token printed");
}

/// A `demo --approve-after never` run: its stdout lines arrive on a channel (read by a
/// thread, so the child never blocks on a full pipe).
struct ManualDemo {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl ManualDemo {
    /// The value of the next stdout line that starts with `label`.
    fn next_value(&self, label: &str) -> String {
        loop {
            let line =
                self.lines.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("demo printed {label}"));
            if let Some(value) = line.strip_prefix(label) {
                return value.trim().to_owned();
            }
        }
    }
}

/// Starts `demo --approve-after never` and reads the deep link from its stdout.
fn start_manual_demo(extra: &[&str]) -> (ManualDemo, String) {
    let mut child = bare()
        .args(["demo", "--approve-after", "never"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let demo = ManualDemo { child, lines };
    let link = demo.next_value("Deep link: ");
    (demo, link)
}

/// Plays the user on the simulated phone's page: the one pending login, then `button`.
fn press_on_phone(phone_url: &str, button: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        // The push arrives as soon as the registration is verified; the page may be early.
        let deadline = Instant::now() + Duration::from_secs(10);
        let page = loop {
            let page = http.get(phone_url).send().await.unwrap().text().await.unwrap();
            if page.contains("<section class=\"approval\"") || Instant::now() > deadline {
                break page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(page.contains("Log in to the <b>authcloud demo</b>?"), "the prompt's message is shown:\n{page}");
        let transaction_id = page.split("name=\"transactionId\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        let origin = phone_url.split("/phone/").next().unwrap();
        let resp = http
            .post(format!("{origin}/phone/{button}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("transactionId={transaction_id}"))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    });
}

/// Opens the deep link's page like a browser and submits one of its forms.
fn press(link: &str, button: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let page = http.get(link).send().await.unwrap().text().await.unwrap();
        let action = format!("action=\"/open/{button}\"");
        assert!(page.contains(&action), "page has the {button} form:\n{page}");
        let token = link.split_once("dispatchTokenResponse=").unwrap().1;
        assert!(page.contains(token), "the form carries the dispatch token");
        let origin = link.split("/open").next().unwrap();
        let body = format!("dispatchTokenResponse={token}");
        let resp = http
            .post(format!("{origin}/open/{button}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    });
}

#[test]
fn demo_never_completes_when_the_page_is_approved() {
    let (demo, link) = start_manual_demo(&[]);
    std::thread::sleep(Duration::from_millis(300));
    press(&link, "approve");
    // Registered: the demo goes on with a login, pushed to the simulated phone's page.
    let phone_url = demo.next_value("Phone: ");
    assert!(phone_url.contains("/phone/"), "{phone_url}");
    press_on_phone(&phone_url, "approve");
    let out = wait_bounded(demo.child, Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("7. Verifying the login"), "{stderr}");
    // The deep link's dispatch token is for stdout (the person) only, never the log.
    let dispatch = link.split_once("dispatchTokenResponse=").unwrap().1;
    assert!(!stderr.contains(dispatch), "{stderr}");
}

#[test]
fn demo_declined_exits_3_and_deadline_exits_4() {
    let (demo, link) = start_manual_demo(&[]);
    press(&link, "decline");
    let out = wait_bounded(demo.child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(3));
    // Registered, then the login declined on the phone: also 3.
    let (demo, link) = start_manual_demo(&[]);
    press(&link, "approve");
    press_on_phone(&demo.next_value("Phone: "), "decline");
    let out = wait_bounded(demo.child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));

    let r = run(bare().args(["demo", "--approve-after", "never", "--timeout", "1s"]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("gave up waiting"), "{}", r.stderr);
    let r = run(bare().args(["demo", "--approve-after", "4s", "--timeout", "1s", "--json"]));
    assert_eq!((r.code, r.json()["error"]["kind"].clone()), (4, Value::from("wait_timed_out")));
    let r = run(bare().args(["demo", "--approve-after", "never", "--json"]));
    assert_eq!((r.code, r.json()["error"]["kind"].clone()), (2, Value::from("usage")));
}

#[test]
fn terminal_qr_decodes_to_the_app_link() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let r = run(cli(&emu).args(["enroll", "--username", "qr-user"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let link = r.stdout.lines().find_map(|l| l.strip_prefix("Deep link:")).unwrap().trim().to_owned();
        assert_eq!(decode_terminal_qr(&r.stdout), link);
        let widest =
            r.stdout.lines().take_while(|l| !l.starts_with("Deep link")).map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= 80, "QR must fit an 80-column terminal, is {widest}");
    });
}

/// Turns half-block art back into pixels (blocks are light, as drawn for dark
/// terminals) and reads it with a QR decoder.
fn decode_terminal_qr(stdout: &str) -> String {
    let rows: Vec<Vec<char>> = stdout
        .lines()
        .take_while(|l| !l.starts_with("Deep link"))
        .filter(|l| !l.trim().is_empty() || l.contains(' '))
        .map(|l| l.chars().collect())
        .filter(|r: &Vec<char>| r.iter().all(|c| matches!(c, ' ' | '█' | '▀' | '▄')) && !r.is_empty())
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap();
    let scale = 4;
    let (w, h) = (width * scale, rows.len() * 2 * scale);
    let light = |x: usize, y: usize| -> bool {
        let row = &rows[y / (2 * scale)];
        let c = *row.get(x / scale).unwrap_or(&' ');
        let top = (y / scale) % 2 == 0;
        match c {
            '█' => true,
            '▀' => top,
            '▄' => !top,
            _ => false,
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| if light(x, y) { 255 } else { 0 });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the output");
    grids[0].decode().unwrap().1
}

#[test]
fn server_text_reaches_the_terminal_sanitised_and_odd_links_are_not_shown() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        // A hostile answer: escape sequences in the user id, a javascript: deep link.
        let body = serde_json::json!({
            "userId": "\u{1b}]0;pwned\u{7}\u{1b}[31mred-user\u{1b}[0m",
            "enrollment": {"transactionId": "t-1", "statusToken": "s-1", "appLinkUri": "javascript://x/%0Aalert(1)"}
        });
        emu.inject_fault(authcloud_emulator::Fault {
            path: "/api/v1/users/enroll".into(),
            count: 1,
            kind: authcloud_emulator::FaultKind::Json { status: 201, body },
        })
        .unwrap();
        let r = run(cli(&emu).args(["enroll", "--username", "u"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'), "{:?}", r.stdout);
        assert!(r.stdout.contains("red-user"), "{}", r.stdout);
        assert!(r.stdout.contains("Deep link:     not shown: appLinkUri has the scheme `javascript`"), "{}", r.stdout);
        assert!(!r.stdout.contains("javascript://"), "{}", r.stdout);
    });
}

/// Queues a `json` fault on `path`.
fn json_fault(emu: &Emulator, path: &str, status: u16, body: Value) {
    emu.inject_fault(authcloud_emulator::Fault {
        path: path.into(),
        count: 1,
        kind: authcloud_emulator::FaultKind::Json { status, body },
    })
    .unwrap();
}

#[test]
fn tokens_are_printed_whole_and_terminal_safe() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        // Longer than the 512 characters server prose is cut to.
        let long = format!("eyJ{}.sig", "a".repeat(700));
        let answer = |token: &str| {
            serde_json::json!({
                "userId": "u-1",
                "enrollment": {"transactionId": "t-1", "statusToken": token, "appLinkUri": "https://acme.example/open"}
            })
        };
        json_fault(&emu, "/api/v1/users/enroll", 201, answer(&long));
        let r = run(cli(&emu).args(["enroll", "--username", "u"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let line = r.stdout.lines().find(|l| l.starts_with("Status token:")).expect("a status token line");
        assert_eq!(line.split_whitespace().last(), Some(long.as_str()), "cut or altered: {line}");
        assert!(!line.contains('…'), "{line}");

        json_fault(&emu, "/api/v1/users/enroll", 201, answer(&long));
        let r = run(cli(&emu).args(["enroll", "--quiet", "--username", "u"]));
        assert_eq!((r.code, r.stdout.trim()), (0, long.as_str()), "{}", r.stderr);

        json_fault(&emu, "/api/v1/intent", 200, serde_json::json!({ "token": long }));
        let r = run(cli(&emu).args(["intent", "--username", "u"]));
        assert_eq!((r.code, r.stdout.trim()), (0, long.as_str()), "{}", r.stderr);

        // A token that could act on the terminal is shown escaped, whole, never raw.
        json_fault(&emu, "/api/v1/users/enroll", 201, answer("abc\u{1b}]0;pwned\u{7}def"));
        let r = run(cli(&emu).args(["enroll", "--username", "u"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'), "{:?}", r.stdout);
        assert!(r.stdout.contains("Status token:  abc\\u{1b}]0;pwned\\u{7}def"), "{}", r.stdout);
    });
}

#[test]
fn enroll_status_wait_verify_introspect_intent() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        // Every run, to check at the end that no secret reached stderr (or stdout beyond results).
        let mut runs: Vec<(&str, Run)> = Vec::new();
        let png_path = std::env::temp_dir().join(format!("authcloud-cli-qr-{}.png", std::process::id()));
        let r = run(cli(&emu).args(["enroll", "--json", "--username", "cli-user", "--qr-png"]).arg(&png_path));
        runs.push(("enroll", r.clone()));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc = r.json();
        let token = doc["statusToken"].as_str().unwrap().to_owned();
        let tx = doc["transactionId"].as_str().unwrap().to_owned();
        assert_eq!(doc["username"], "cli-user");
        assert_eq!(doc["userStatus"], "new");
        let png = std::fs::read(&png_path).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::remove_file(&png_path).ok();
        assert_no_secret(&r, &[emu.access_key()], &[]);

        // status: token as argument, and from stdin with `-`.
        let r = run(cli(&emu).args(["status", "--json", &token]));
        runs.push(("status", r.clone()));
        assert_eq!((r.code, r.json()["status"].clone()), (0, Value::from("pending")));
        let r = run_with_stdin(cli(&emu).args(["status", "-"]), Some(&format!("{token}\n")));
        runs.push(("status", r.clone()));
        assert_eq!((r.code, r.stdout.trim()), (0, "pending"));
        assert_no_secret(&r, &[emu.access_key(), &token], &[]);

        // verify before the user acted: not verified.
        let r = run(cli(&emu).args(["verify", "--json", &token]));
        runs.push(("verify", r.clone()));
        assert_eq!(r.code, 6, "{}", r.stdout);
        assert_eq!(r.json()["error"]["kind"], "not_verified");

        // wait: deadline, then success.
        let r = run(cli(&emu).args(["wait", "--json", "--interval", "100ms", "--timeout", "350ms", &token]));
        runs.push(("wait", r.clone()));
        assert_eq!(r.code, 4, "{}", r.stdout);
        emu.approve(&tx).unwrap();
        let r = run(cli(&emu).args(["wait", "--json", "--interval", "100ms", &token]));
        runs.push(("wait", r.clone()));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.json()["status"], "succeeded");
        assert_no_secret(&r, &[emu.access_key(), &token], &[]);

        // Bound to another user (someone else's token posted to our backend): refused,
        // naming the check.
        let other_user = "00000000-0000-4000-8000-000000000000";
        let r = run(cli(&emu).args(["verify", "--json", "--expect-user-id", other_user, &token]));
        runs.push(("verify", r.clone()));
        assert_eq!(r.code, 6, "{}", r.stdout);
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("(expected_user)"), "{}", r.stdout);

        let user_id = doc["userId"].as_str().unwrap().to_owned();
        let r = run(cli(&emu).args([
            "verify",
            "--json",
            "--expect-user-id",
            &user_id,
            "--expect-transaction-id",
            &tx,
            &token,
        ]));

        runs.push(("verify", r.clone()));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let verified = r.json();
        assert_eq!(verified["verified"], true);
        assert_eq!(verified["introspection"]["active"], true);
        assert_eq!(verified["username"], "cli-user");

        // introspect: the access key (from stdin) is active; garbage is inactive (exit 6).
        let r = run_with_stdin(cli(&emu).args(["introspect", "--json", "-"]), Some(emu.access_key()));
        runs.push(("introspect", r.clone()));
        assert_eq!((r.code, r.json()["active"].clone()), (0, Value::from(true)));
        let r = run(cli(&emu).args(["introspect", "not-a-token"]));
        runs.push(("introspect", r.clone()));
        assert_eq!((r.code, r.stdout.trim()), (6, "inactive"));

        // intent: the token is the result; a device enrolls with it.
        let r = run(cli(&emu).args(["intent", "--json", "--username", "phone-user", "--channel", "app"]));
        runs.push(("intent", r.clone()));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let intent = r.json()["token"].as_str().unwrap().to_owned();
        assert_no_secret(&r, &[emu.access_key(), &intent], &[&intent]);
        let r = run(bare().env("AUTHCLOUD_BASE_URL", emu.base_url()).env("AUTHCLOUD_INTENT_TOKEN", &intent).args([
            "enroll",
            "--json",
            "--username",
            "phone-user",
        ]));
        runs.push(("enroll", r.clone()));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_no_secret(&r, &[&intent], &[]);
        let device_token = r.json()["statusToken"].as_str().unwrap().to_owned();
        // The device cannot introspect: configuration error, exit 2.
        let r = run(bare().env("AUTHCLOUD_BASE_URL", emu.base_url()).env("AUTHCLOUD_INTENT_TOKEN", &intent).args([
            "introspect",
            "--json",
            &device_token,
        ]));
        runs.push(("introspect", r.clone()));
        assert_eq!(r.code, 2);
        assert_eq!(r.json()["error"]["kind"], "configuration");

        // The transaction token never travels through the CLI's output either.
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sdk = authcloud::Client::builder().base_url(emu.base_url()).access_key(emu.access_key()).build().unwrap();
        let status = rt.block_on(sdk.status(&authcloud::SecretString::new(token.clone()))).unwrap();
        let transaction_token = status.token.unwrap().expose().to_owned();
        let secrets =
            [emu.access_key(), token.as_str(), intent.as_str(), device_token.as_str(), transaction_token.as_str()];
        for (command, run) in &runs {
            for secret in secrets {
                assert!(!run.stderr.contains(secret), "`{command}` wrote a secret to stderr:\n{}", run.stderr);
            }
            // Only enroll (its status token) and intent (its token) print a token, as their result.
            let allowed: &[&str] = match *command {
                "enroll" => &[token.as_str(), device_token.as_str()],
                "intent" => &[intent.as_str()],
                _ => &[],
            };
            for secret in secrets.iter().filter(|s| !allowed.contains(s)) {
                assert!(!run.stdout.contains(secret), "`{command}` printed a secret:\n{}", run.stdout);
            }
        }
    });
}

#[test]
fn declined_wait_exits_3() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let doc = enroll_json(&emu, "decliner");
        emu.deny(doc["transactionId"].as_str().unwrap()).unwrap();
        let r = run(cli(&emu).args(["wait", "--json", "--interval", "100ms", doc["statusToken"].as_str().unwrap()]));
        assert_eq!(r.code, 3);
        assert_eq!(r.json()["status"], "failed");
    });
}

#[test]
fn network_and_api_errors_exit_5() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let r =
            run(cli(&emu).env("AUTHCLOUD_ACCESS_KEY", "wrong-key-123").args(["enroll", "--json", "--username", "x"]));
        assert_eq!(r.code, 5);
        assert_eq!(r.json()["error"]["kind"], "unauthorized");
        assert_eq!(r.json()["error"]["httpStatus"], 401);
        assert!(!r.stdout.contains("wrong-key-123") && !r.stderr.contains("wrong-key-123"));

        let r = run(cli(&emu).args(["enroll", "--json", "--user-id", "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"]));
        assert_eq!((r.code, r.json()["error"]["kind"].clone()), (5, Value::from("not_found")));
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = run(bare()
        .env("AUTHCLOUD_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("AUTHCLOUD_ACCESS_KEY", "k")
        .args(["status", "--json", "tok"]));
    assert_eq!((r.code, r.json()["error"]["kind"].clone()), (5, Value::from("network")));
}

#[test]
fn usage_errors_exit_2() {
    let r = run(bare().args(["status", "tok"]));
    assert_eq!(r.code, 2, "no target");
    let r = run(bare().args(["status", "--json", "--instance", "a.b", "tok"]));
    assert_eq!((r.code, r.json()["error"]["kind"].clone()), (2, Value::from("usage")));
    let r = run(bare().args(["status", "--no-such-flag"]));
    assert_eq!(r.code, 2);
    let r = run(bare().args(["demo", "--approve-after", "soon"]));
    assert_eq!(r.code, 2);
    let r = run(bare().args(["--help"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes:"));
}

#[test]
fn access_key_on_the_command_line_warns_but_works() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let r = run(bare().env("AUTHCLOUD_BASE_URL", emu.base_url()).args([
            "enroll",
            "--json",
            "--no-qr",
            "--username",
            "argv",
            "--access-key",
            emu.access_key(),
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("visible to other users"), "{}", r.stderr);
        assert_no_secret(&r, &[emu.access_key()], &[]);

        let r = run(cli(&emu).args(["enroll", "--json", "--username", "env"]));
        assert!(!r.stderr.contains("visible to other users"));

        let key_file = std::env::temp_dir().join(format!("authcloud-key-{}", std::process::id()));
        std::fs::write(&key_file, format!("{}\n", emu.access_key())).unwrap();
        let r =
            run(bare().env("AUTHCLOUD_BASE_URL", emu.base_url()).arg("enroll").arg("--access-key-file").arg(&key_file));
        std::fs::remove_file(&key_file).ok();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stderr.contains("visible to other users"));
    });
}

#[test]
fn emulator_subcommand_serves_until_sigterm() {
    let mut child = bare()
        .env("AUTHCLOUD_ACCESS_KEY", "emu-key-0123456789")
        .args(["emulator", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pong = rt.block_on(async { reqwest::get(format!("{base}/ping")).await.unwrap().text().await.unwrap() });
    assert_eq!(pong, "PONG");
    // The standalone emulator serves the SDK flow too.
    let r = run(bare().env("AUTHCLOUD_BASE_URL", &base).env("AUTHCLOUD_ACCESS_KEY", "emu-key-0123456789").args([
        "enroll",
        "--json",
        "--username",
        "standalone",
    ]));
    assert_eq!(r.code, 0);
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    let out = wait_bounded(child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("emu-key-0123456789"));

    let r = run(bare().args(["emulator"]));
    assert_eq!(r.code, 2, "the emulator needs a key");

    // The same flags as the authcloud-emulator binary (one implementation, LaunchArgs).
    let help = run(bare().args(["emulator", "--help"]));
    let mut flags: Vec<&str> = help
        .stdout
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches([',', '.']).split('=').next().unwrap())
        .collect();
    flags.sort();
    flags.dedup();
    let expected = [
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
    ];
    assert_eq!(flags, expected);
}

#[test]
fn quiet_prints_only_the_essential_value() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let r = run(cli(&emu).args(["enroll", "--quiet", "--username", "quiet-user"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let token = r.stdout.trim().to_owned();
        assert_eq!(r.stdout.lines().count(), 1, "one line: {}", r.stdout);
        assert!(token.starts_with("eyJ"), "the status token: {token}");
        assert!(r.stderr.lines().all(|l| !l.contains("Deep link")), "{}", r.stderr);

        let r = run(cli(&emu).args(["status", "-q", &token]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "pending\n"));
        let status = run(cli(&emu).args(["status", "--json", &token])).json();
        let tx = status["transactionId"].as_str().unwrap().to_owned();
        emu.approve(&tx).unwrap();
        let r = run(cli(&emu).args(["wait", "--quiet", "--interval", "100ms", &token]));
        assert_eq!((r.code, r.stdout.as_str()), (0, "succeeded\n"));
        assert!(!r.stderr.contains("status:"), "no progress lines when quiet: {}", r.stderr);
        let r = run(cli(&emu).args(["verify", "--quiet", &token]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout.trim(), status["userId"].as_str().unwrap());
        // Errors still reach stderr, as a sentence, with the exit code.
        let r = run(cli(&emu).args(["verify", "--quiet", "--expect-user-id", "someone-else", &token]));
        assert_eq!(r.code, 6);
        assert!(r.stdout.is_empty() && r.stderr.contains("not verified (expected_user)"), "{}", r.stderr);
        // --json and --quiet exclude each other.
        assert_eq!(run(cli(&emu).args(["status", "--json", "--quiet", &token])).code, 2);
    });
}

#[test]
fn completions_and_examples_in_help() {
    for (shell, marker) in
        [("bash", "complete -F _authcloud"), ("zsh", "#compdef authcloud"), ("fish", "complete -c authcloud")]
    {
        let r = run(bare().args(["completions", shell]));
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}: {}", &r.stdout[..r.stdout.len().min(300)]);
        // Long flags are spelled with or without their dashes (fish: `-l expect-user-id`).
        assert!(r.stdout.contains("enroll") && r.stdout.contains("expect-user-id"), "{shell} knows the subcommands");
    }
    assert_eq!(run(bare().args(["completions", "tcsh"])).code, 2);
    for sub in [
        "demo",
        "enroll",
        "status",
        "wait",
        "verify",
        "introspect",
        "intent",
        "emulator",
        "completions",
        "approve",
        "ping",
    ] {
        let r = run(bare().args([sub, "--help"]));
        assert_eq!(r.code, 0, "{sub}");
        let examples = r.stdout.split("Examples:\n").nth(1).unwrap_or_default();
        assert!(examples.contains(&format!("authcloud {sub}")), "{sub} --help has examples:\n{}", r.stdout);
    }
}

// --- beyond registration: approve, users, authenticators, ping ----------------------------

/// A user registered through the CLI and approved on the simulated phone: (user id,
/// authenticator id).
fn registered_user(emu: &Emulator, username: &str) -> (String, String) {
    let doc = enroll_json(emu, username);
    emu.approve(doc["transactionId"].as_str().unwrap()).unwrap();
    let r = run(cli(emu).args(["users", "find", "--json", username]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let user = r.json();
    assert_eq!(user["status"], "active");
    let user_id = user["userId"].as_str().unwrap().to_owned();
    (user_id, user["authenticators"][0]["authenticatorId"].as_str().unwrap().to_owned())
}

/// Plays the phone from another thread: approves (or denies) the user's first pending
/// approval as soon as it appears. Returns the message it carried.
fn phone_decides(emu: Arc<Emulator>, user_id: String, approve: bool) -> std::thread::JoinHandle<Option<String>> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(pending) = emu.pending_approvals(&user_id).into_iter().next() {
                let decided =
                    if approve { emu.approve(&pending.transaction_id) } else { emu.deny(&pending.transaction_id) };
                decided.unwrap();
                return pending.message;
            }
            assert!(Instant::now() < deadline, "no approval reached the phone");
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

fn approval_requests(emu: &Emulator) -> usize {
    emu.requests().iter().filter(|r| r.path == "/api/v1/approval").count()
}

#[test]
fn approve_pushes_waits_and_verifies_with_the_usual_exit_codes() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let (user_id, _) = registered_user(&emu, "cli-login");
        let phone = phone_decides(emu.clone(), user_id.clone(), true);
        let r = run(cli(&emu).args([
            "approve",
            "--json",
            "--username",
            "cli-login",
            "--message",
            "<html>Pay <b>42 CHF</b>?</html>",
            "--notification",
            "Confirm the payment",
            "--interval",
            "100ms",
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(phone.join().unwrap().as_deref(), Some("<html>Pay <b>42 CHF</b>?</html>"));
        let doc = r.json();
        assert_eq!(doc["userId"], user_id.as_str());
        assert_eq!(doc["introspection"]["active"], true);
        assert_eq!(approval_requests(&emu), 1, "sent once");
        assert_no_secret(&r, &[emu.access_key()], &[]);

        // Declined on the phone: exit 3, like `wait`.
        let phone = phone_decides(emu.clone(), user_id.clone(), false);
        let r = run(cli(&emu).args(["approve", "--user-id", &user_id, "--interval", "100ms"]));
        phone.join().unwrap();
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stdout.contains("Not approved:"), "{}", r.stdout);

        // --no-wait prints the status token (for a script to poll) and sends exactly one request.
        let r = run(cli(&emu).args(["approve", "--json", "--no-wait", "--username", "cli-login"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let token = r.json()["statusToken"].as_str().unwrap().to_owned();
        let r = run(cli(&emu).args(["status", "--json", &token]));
        assert_eq!(r.json()["status"], "pending");
        assert_eq!(approval_requests(&emu), 3);
    });
}

#[test]
fn approve_by_app_shows_the_deep_link_and_bad_messages_are_usage_errors() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        registered_user(&emu, "cli-app");
        let r = run(cli(&emu).args(["approve", "--no-wait", "--channel", "app", "--username", "cli-app"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let link = r.stdout.lines().find_map(|l| l.strip_prefix("Deep link:")).expect("a deep link").trim();
        assert!(link.starts_with(&format!("{}/open?dispatchTokenResponse=", emu.base_url())), "{link}");
        let dispatch = link.split_once('=').unwrap().1;
        assert!(!r.stderr.contains(dispatch), "the deep link is for stdout only");

        let before = approval_requests(&emu);
        for (message, named) in
            [("<html><script>x</script></html>", "<script>"), ("<html><b onclick=x>y</b></html>", "onclick")]
        {
            let r = run(cli(&emu).args(["approve", "--json", "--username", "cli-app", "--message", message]));
            assert_eq!(r.code, 2, "{}", r.stderr);
            let error = &r.json()["error"];
            assert_eq!(error["kind"], "invalid_input");
            assert!(error["message"].as_str().unwrap().contains(named), "{error}");
        }
        assert_eq!(run(cli(&emu).args(["approve", "--username", "u", "--channel", "fax"])).code, 2);
        let sms_without_placeholder = ["approve", "--username", "u", "--channel", "sms", "--message", "no code"];
        assert_eq!(run(cli(&emu).args(sms_without_placeholder)).code, 2);
        assert_eq!(
            run(cli(&emu).args(["approve", "--channel", "push", "--any-authenticator", "--username", "u"])).code,
            2
        );
        assert_eq!(run(cli(&emu).args(["approve", "--channel", "push"])).code, 2, "a user is required");
        assert_eq!(approval_requests(&emu), before, "nothing sent");
    });
}

#[test]
fn users_and_authenticators_are_managed_and_deletes_are_idempotent() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let (user_id, authenticator_id) = registered_user(&emu, "cli-managed");
        let r = run(cli(&emu).args(["users", "get", &user_id]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("cli-managed") && r.stdout.contains(&authenticator_id), "{}", r.stdout);
        assert_eq!(run(cli(&emu).args(["users", "find", "nobody-at-all"])).code, 3);

        let r = run(cli(&emu).args(["authenticators", "rename", "--json", &authenticator_id, "Anna's phone"]));
        assert_eq!((r.code, r.json()["name"].clone()), (0, Value::from("Anna's phone")), "{}", r.stderr);

        // A lost phone: delete it, then a login fails clearly (400 from the approval endpoint).
        let r = run(cli(&emu).args(["authenticators", "delete", "--json", &authenticator_id]));
        assert_eq!((r.code, r.json()["deleted"].clone()), (0, Value::Bool(true)));
        let r = run(cli(&emu).args(["authenticators", "delete", "--json", &authenticator_id]));
        assert_eq!((r.code, r.json()["deleted"].clone()), (0, Value::Bool(false)), "idempotent");
        let r = run(cli(&emu).args(["approve", "--json", "--user-id", &user_id]));
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert_eq!(r.json()["error"]["httpStatus"], 400);
        let r = run(cli(&emu).args(["approve", "--user-id", &user_id]));
        assert!(r.stderr.contains("400 Bad Request from POST /api/v1/approval"), "{}", r.stderr);
        assert_eq!(run(cli(&emu).args(["users", "find", "--json", "cli-managed"])).json()["status"], "new");

        let r = run(cli(&emu).args(["users", "delete", "--quiet", &user_id]));
        assert_eq!((r.code, r.stdout.trim()), (0, "true"));
        let r = run(cli(&emu).args(["users", "delete", "--quiet", &user_id]));
        assert_eq!((r.code, r.stdout.trim()), (0, "false"), "idempotent");
        let r = run(cli(&emu).args(["users", "get", "--json", &user_id]));
        assert_eq!((r.code, r.json()["error"]["kind"].clone()), (5, Value::from("not_found")));

        let r = run(cli(&emu).args(["ping"]));
        assert_eq!((r.code, r.stdout.trim()), (0, "PONG"), "{}", r.stderr);
    });
}

#[test]
fn ping_reports_an_unreachable_server_with_exit_5() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let r = run(bare()
        .args(["ping"])
        .env("AUTHCLOUD_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("AUTHCLOUD_ACCESS_KEY", "k"));
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[test]
fn sms_enrollment_recovery_codes_and_code_checks() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        let key = emu.access_key().to_owned();
        // SMS: enroll, read the code on the simulated phone, check it from stdin.
        let r = run(cli(&emu).args([
            "enroll",
            "--json",
            "--username",
            "cli-sms",
            "--channel",
            "sms",
            "--phone",
            "+41791234567",
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc = r.json();
        let user_id = doc["userId"].as_str().unwrap().to_owned();
        let token = doc["statusToken"].as_str().unwrap().to_owned();
        let code = emu.sms_messages_to(&user_id).last().unwrap().code.clone();
        let check = |code: &str| {
            run_with_stdin(
                cli(&emu).args(["verify-code", &user_id, "--channel", "sms", "--status-token", &token, "--code-stdin"]),
                Some(&format!("{code}\n")),
            )
        };
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = check(wrong);
        assert_eq!(r.code, 3, "incorrect: {}", r.stderr);
        let r = check(&code);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_no_secret(&r, &[&key, &code], &[]);

        // Recovery codes: printed once (with a warning on stderr), one works once.
        let r = run(cli(&emu).args(["recovery-codes", "--json", "--user-id", &user_id]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("shown once"), "{}", r.stderr);
        let codes: Vec<String> =
            r.json()["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 10);
        let recover =
            |code: &str| run(cli(&emu).args(["verify-code", &user_id, "--channel", "recovery", "--code", code]));
        assert_eq!(recover(&codes[0]).code, 0);
        assert_eq!(recover(&codes[0]).code, 3, "used up");

        // Bad input: exit 2, nothing sent.
        let before = emu.requests().len();
        let long_username = "u".repeat(301);
        let sms_enroll = |username: &'static str, message: &'static str| {
            vec![
                "enroll",
                "--username",
                username,
                "--channel",
                "sms",
                "--phone",
                "+41791234567",
                "--sms-message",
                message,
            ]
        };
        for (args, field) in [
            (vec!["enroll", "--username", "x", "--channel", "sms", "--phone", "41791234567"], "phone"),
            (sms_enroll("x", "no code"), "message"),
            (sms_enroll("x", "Kód {{CODE}} ✓"), "message"),
            (vec!["enroll", "--username", &long_username, "--channel", "sms", "--phone", "+41791234567"], "username"),
            (vec!["verify-code", &user_id, "--channel", "recovery", "--code", "Ab3dEf6hIj9kLm0"], "code"),
            (vec!["verify-code", &user_id, "--channel", "sms", "--code", "123456"], "status"),
        ] {
            let r = run(cli(&emu).args(&args));
            assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains(field), "{args:?} names {field}: {}", r.stderr);
        }
        assert_eq!(emu.requests().len(), before, "nothing was sent");
    });
}

#[test]
fn approve_by_sms_reads_the_code_from_stdin_then_logs_export_finds_it() {
    with_emulator(EmulatorConfig::default(), |emu, _| {
        // A phone registered for SMS codes.
        let r = run(cli(&emu).args([
            "enroll",
            "--json",
            "--username",
            "cli-sms-login",
            "--channel",
            "sms",
            "--phone",
            "+41791234567",
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc = r.json();
        let user_id = doc["userId"].as_str().unwrap().to_owned();
        let token = doc["statusToken"].as_str().unwrap().to_owned();
        let code = emu.sms_messages_to(&user_id).last().unwrap().code.clone();
        let args = ["verify-code", &user_id, "--channel", "sms", "--status-token", &token, "--code", &code];
        assert_eq!(run(cli(&emu).args(args)).code, 0);

        // The approval: the person types the code from the second SMS.
        let mut child = cli(&emu)
            .args(["approve", "--json", "--username", "cli-sms-login", "--channel", "sms"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while emu.sms_messages_to(&user_id).len() < 2 {
            assert!(Instant::now() < deadline, "no SMS for the approval");
            std::thread::sleep(Duration::from_millis(50));
        }
        let code = emu.sms_messages_to(&user_id).last().unwrap().code.clone();
        child.stdin.take().unwrap().write_all(format!("{code}\n").as_bytes()).unwrap();
        let out = wait_bounded(child, Duration::from_secs(30));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let verified: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(verified["userId"], user_id.as_str());

        // The log export: two filters, CSV and JSON agree.
        let filters = ["logs", "export", "--channel", "sms", "--category", "approval"];
        let r = run(cli(&emu).args(filters).arg("--json"));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let events = r.json()["events"].as_array().unwrap().clone();
        assert!(!events.is_empty());
        assert!(events.iter().all(|e| e["channel"] == "sms" && e["category"] == "approval"), "{events:?}");
        assert!(events.iter().all(|e| e["userId"] == user_id.as_str()));
        let r = run(cli(&emu).args(filters));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut lines = r.stdout.split("\r\n").filter(|l| !l.is_empty());
        assert!(lines.next().unwrap().starts_with("timestamp,eventId,category,event,status,channel,"));
        assert_eq!(lines.count(), events.len());
        assert!(!r.stdout.contains(&code), "no code in the log");

        // Bad filters: exit 2, nothing sent.
        let before = emu.requests().len();
        assert_eq!(run(cli(&emu).args(["logs", "export", "--filter", "a"])).code, 2);
        assert_eq!(run(cli(&emu).args(["logs", "export", "--channel", "email"])).code, 2);
        assert_eq!(run(cli(&emu).args(["logs", "export", "--from", "yesterday"])).code, 2);
        assert_eq!(emu.requests().len(), before);
    });
}
