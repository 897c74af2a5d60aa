//! A loopback HTTP/1.1 server for the benches (127.0.0.1 only), and Graph-shaped session JSON.
//!
//! The server runs on its own thread with its own single-threaded tokio runtime, so the client
//! under test has the bench's runtime to itself. Dropping [`Server`] stops it.
#![allow(dead_code)] // each bench uses part of this module

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Answers one request (the body of a GET is never read).
pub type Handler = Arc<dyn Fn(&Request<Incoming>) -> Response<Full<Bytes>> + Send + Sync>;

/// The list path, under the base URL `http://{addr}/beta`.
pub const SESSIONS_PATH: &str = "/beta/security/securityCopilot/workspaces/default/sessions";

/// A running loopback server.
pub struct Server {
    /// Where it listens (127.0.0.1, an ephemeral port).
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// The client's base URL: `http://{addr}/beta`.
    pub fn base_url(&self) -> String {
        format!("http://{}/beta", self.addr)
    }

    /// The absolute URL of the session list.
    pub fn sessions_url(&self) -> String {
        format!("http://{}{SESSIONS_PATH}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a server on 127.0.0.1:0 that answers every request with `handler`.
pub fn start(handler: Handler) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local address");
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("loopback-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let _ = stream.set_nodelay(true);
                            let handler = Arc::clone(&handler);
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |request| {
                                    let response = handler(&request);
                                    async move { Ok::<_, Infallible>(response) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
            // Dropping the runtime ends the connection tasks.
        })
        .expect("server thread");
    Server {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    }
}

/// A 200 response with Graph's JSON content type and headers, echoing `client-request-id`.
pub fn json_response(request: &Request<Incoming>, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        ),
    );
    headers.insert(
        "request-id",
        http::HeaderValue::from_static("4f1c2a9e-5d0b-4c1e-9a53-0d2b7e6f8a11"),
    );
    if let Some(id) = request.headers().get("client-request-id") {
        headers.insert("client-request-id", id.clone());
    }
    response
}

/// Appends session number `i` as Graph writes it: a UUID id, `createdDateTime` and
/// `lastModifiedDateTime` with 7-digit fractions, and a `displayName` that is sometimes `null`.
pub fn write_session(out: &mut String, i: u64) {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
    let month = 1 + i % 12;
    let day = 1 + (i / 12) % 28;
    let (hour, minute, second) = ((i / 7) % 24, (i * 13) % 60, (i * 29) % 60);
    let fraction = h % 10_000_000;
    let modified_minute = (minute + 1 + i % 5) % 60;
    let _ = write!(
        out,
        "{{\"id\":\"{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}\",\
         \"createdDateTime\":\"2025-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{fraction:07}Z\",\
         \"lastModifiedDateTime\":\"2025-{month:02}-{day:02}T{hour:02}:{modified_minute:02}:{second:02}.{:07}Z\",\
         \"displayName\":",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        0x8000 | ((h >> 20) & 0x3fff),
        (h.rotate_left(17)) & 0xffff_ffff_ffff,
        (fraction * 7 + 3) % 10_000_000,
    );
    match i % 4 {
        0 => out.push_str("null"),
        1 => out.push_str("\"who am i\""),
        2 => {
            let _ = write!(
                out,
                "\"Investigate incident {} on host WS-{:04}\"",
                1000 + i,
                i % 7919
            );
        }
        _ => {
            let _ = write!(out, "\"Summarize alerts for user{}@contoso.com\"", i % 97);
        }
    }
    out.push('}');
}

/// A page of sessions `first..first + count`, with `@odata.context` and, when given, `@odata.nextLink`.
pub fn sessions_page(first: u64, count: u64, next_link: Option<&str>) -> String {
    let mut out = String::with_capacity(64 + count as usize * 240);
    out.push_str(
        "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#security/securityCopilot/workspaces('default')/sessions\",",
    );
    if let Some(link) = next_link {
        let _ = write!(out, "\"@odata.nextLink\":\"{link}\",");
    }
    out.push_str("\"value\":[");
    for i in first..first + count {
        if i > first {
            out.push(',');
        }
        write_session(&mut out, i);
    }
    out.push_str("]}");
    out
}

/// Whether cargo ran the bench as a benchmark (`cargo bench`) rather than as a smoke test
/// (`cargo test --benches`, or `cargo bench -- --test`): the same rule as criterion's.
pub fn benchmark_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list")
}
