//! The HTTP server: its own accept loop over hyper (via hyper-util), with a per-connection
//! service in front of the axum router.
//!
//! Owning the connection (instead of `axum::serve`) is what lets faults end it for real:
//! `drop` closes it without an answer and `truncated` cuts it mid-body. The same wrapper
//! reads and size-limits the body (413), records the request log and applies faults.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::app::Shared;
use crate::errors::{ApiError, EmulatorError};
use crate::faults::{self, Action, CONTROL_PREFIX};
use crate::redact;
use crate::requests::RequestRecord;
use crate::routes::STATUS_PATH;

/// Largest request body the API accepts (64 KiB); larger ones get 413.
pub(crate) const MAX_BODY_BYTES: u64 = 64 * 1024;

/// Up to this many bytes of an over-long body are read and discarded before answering 413,
/// so the client finishes sending and can read the answer (closing on unread data would
/// reset the connection under it). Beyond it, the connection is closed.
const DRAIN_LIMIT_BYTES: u64 = 4 * 1024 * 1024;

/// Pending connections the OS queues for us: 1,000 clients may connect at once.
const BACKLOG: u32 = 4096;

/// How long in-flight requests may take to finish once the emulator is stopping.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Time a client has to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Binds a listening socket with a deep backlog.
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, EmulatorError> {
    let bind_error = |source| EmulatorError::Bind { addr, source };
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(bind_error)?;
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    socket.listen(BACKLOG).map_err(bind_error)
}

/// Accepts connections until `shutdown`, then waits for the open ones to finish.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, router: Router, shutdown: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                connections.spawn(connection(stream, Arc::clone(&shared), router.clone(), shutdown.clone()));
            }
            Err(err) => {
                // Typically out of file descriptors: back off instead of spinning.
                tracing::warn!(error = %err, "accept failed");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
        }
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Serves one connection; a fault can cut it short through its `abort` token.
async fn connection(stream: TcpStream, shared: Arc<Shared>, router: Router, shutdown: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let abort = CancellationToken::new();
    let service = {
        let abort = abort.clone();
        hyper::service::service_fn(move |request| {
            let (shared, router, abort) = (Arc::clone(&shared), router.clone(), abort.clone());
            async move { Ok::<_, Infallible>(handle(shared, router, abort, request).await) }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::trace!(error = %err, "connection ended with an error");
            }
        }
        // A `drop` or `truncated` fault: dropping `conn` closes the socket mid-exchange.
        () = abort.cancelled() => {}
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                () = abort.cancelled() => {}
                () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
            }
        }
    }
}

/// How long a request body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A request body as read by the wrapper.
enum BodyRead {
    Complete(Bytes),
    TooLarge,
    Broken,
}

/// Reads the whole body, keeping at most [`MAX_BODY_BYTES`]; returns it and the byte count.
async fn read_body(mut incoming: Incoming, declared: Option<u64>) -> (BodyRead, u64) {
    if declared.is_some_and(|length| length > DRAIN_LIMIT_BYTES) {
        return (BodyRead::TooLarge, 0);
    }
    let mut buffer = BytesMut::new();
    let mut size = 0u64;
    while let Some(frame) = incoming.frame().await {
        let Ok(frame) = frame else {
            return (BodyRead::Broken, size);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        size += data.len() as u64;
        if size <= MAX_BODY_BYTES {
            buffer.extend_from_slice(&data);
        } else if size > DRAIN_LIMIT_BYTES {
            break;
        }
    }
    if size > MAX_BODY_BYTES { (BodyRead::TooLarge, size) } else { (BodyRead::Complete(buffer.freeze()), size) }
}

/// The per-request wrapper: body, request log, faults, then the router.
async fn handle(shared: Arc<Shared>, router: Router, abort: CancellationToken, request: Request<Incoming>) -> Response {
    let started = Instant::now();
    let at_ms = shared.elapsed_ms();
    let (parts, incoming) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let shown_path = redact::target(&path, parts.uri.query(), shared.access_key());
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // A client that sends its body slowly must not hold a connection forever.
    let (read, body_size) =
        tokio::time::timeout(BODY_READ_TIMEOUT, read_body(incoming, declared)).await.unwrap_or((BodyRead::Broken, 0));

    // The control API is test tooling: neither logged nor faultable.
    let is_api = !path.starts_with(CONTROL_PREFIX);
    let seq = is_api.then(|| {
        shared.log().push(RequestRecord {
            seq: 0,
            at_ms,
            method: method.to_string(),
            path: shown_path.clone(),
            headers: redact::headers(&parts.headers, shared.access_key()),
            body_size,
            response_status: None,
        })
    });

    let mut response = match read {
        BodyRead::TooLarge => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than 64 KiB").into_response()
        }
        BodyRead::Broken => ApiError::bad_request("the request body could not be read").into_response(),
        BodyRead::Complete(bytes) => {
            let fault = if is_api { shared.faults().take(&path) } else { None };
            let request = Request::from_parts(parts, Body::from(bytes));
            match fault.map(|kind| faults::action(kind, &abort)) {
                None => route(router, request).await,
                Some(Action::Respond(response)) => response,
                Some(Action::Delay(delay)) => {
                    tokio::time::sleep(delay).await;
                    route(router, request).await
                }
                Some(Action::Drop) => {
                    tracing::debug!(path = %shown_path, "fault: dropping the connection unanswered");
                    abort.cancel();
                    return std::future::pending().await;
                }
            }
        }
    };

    if path == STATUS_PATH {
        // Browsers must be able to read every status answer, faulted ones included.
        response.headers_mut().entry(header::ACCESS_CONTROL_ALLOW_ORIGIN).or_insert(HeaderValue::from_static("*"));
        // ...and the back-off a 429 or 503 asks for.
        response
            .headers_mut()
            .entry(header::ACCESS_CONTROL_EXPOSE_HEADERS)
            .or_insert(HeaderValue::from_static("retry-after"));
    }
    let status = response.status().as_u16();
    if let Some(seq) = seq {
        shared.log().set_status(seq, status);
    }
    tracing::debug!(
        method = %method,
        path = %shown_path,
        status,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Hands a request to the axum router.
async fn route(router: Router, request: Request<Body>) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
