//! 1,000 concurrent connections, each doing several status calls, all answered.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::common::{enrollment, raw_post, read_response, start};

const CONNECTIONS: usize = 1000;
const CALLS_PER_CONNECTION: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_thousand_concurrent_connections() {
    // Client and server sockets live in this process: make room for both.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "load" })).await;
    let (_, status_token) = enrollment(&answer);
    let request = Arc::new(raw_post("/api/v1/status", &json!({ "statusToken": status_token }).to_string(), ""));
    let addr = ctx.emu.local_addr();
    let all_connected = Arc::new(Barrier::new(CONNECTIONS));

    let mut tasks = JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (request, all_connected) = (Arc::clone(&request), Arc::clone(&all_connected));
        tasks.spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            // Every connection is open before any request is sent.
            all_connected.wait().await;
            let mut reader = BufReader::new(stream);
            for _ in 0..CALLS_PER_CONNECTION {
                reader.get_mut().write_all(&request).await?;
                let (status, body) = read_response(&mut reader).await?;
                if status != 200 || !String::from_utf8_lossy(&body).contains("\"pending\"") {
                    return Err(std::io::Error::other(format!("bad answer {status}")));
                }
            }
            Ok::<_, std::io::Error>(())
        });
    }
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        let (mut ok, mut errors) = (0usize, Vec::new());
        while let Some(joined) = tasks.join_next().await {
            match joined.expect("task ran") {
                Ok(()) => ok += 1,
                Err(err) => errors.push(err.to_string()),
            }
        }
        (ok, errors)
    })
    .await
    .expect("all connections finish within a minute");
    assert_eq!(outcome.0, CONNECTIONS, "errors: {:?}", &outcome.1[..outcome.1.len().min(5)]);
    let logged = ctx.emu.requests().len();
    assert_eq!(logged, 1 + CONNECTIONS * CALLS_PER_CONNECTION);
}
