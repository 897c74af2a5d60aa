//! Graph error bodies for the requests hyper rejects itself.
//!
//! hyper answers a request it cannot parse (a target that is not valid UTF-8 or has control
//! characters, a URI longer than it accepts, a head larger than its buffer or with too many
//! headers) with a bare status line and an empty body, before any handler runs. Graph answers
//! those with its JSON error body, and so does the emulator: [`GraphErrorIo`] wraps each
//! connection's socket and follows the responses written to it (the emulator's own output, which
//! always has a `Content-Length` and a `request-id`). A response head that carries no
//! `request-id`, with status 400, 414 or 431, can only be hyper's automatic answer; it is replaced
//! by the same status with a Graph error body. hyper closes the connection after such an answer,
//! so nothing follows it.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::SystemTime;

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::GraphError;
use crate::handler::JSON_CONTENT_TYPE;

/// The largest request head (request line and headers) the emulator reads, in bytes; larger
/// heads are answered 431.
pub const MAX_REQUEST_HEAD_BYTES: usize = 128 * 1024;
/// The most headers a request may have; more are answered 431.
pub const MAX_REQUEST_HEADERS: usize = 100;
/// The longest request URI hyper accepts (its own fixed limit); longer ones are answered 414.
pub const MAX_URI_BYTES: usize = 65_534;
/// A response head longer than this is not the emulator's; stop following the stream.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// Where the writer is in the stream of responses.
#[derive(Debug)]
enum Track {
    /// Collecting a response head.
    Head(Vec<u8>),
    /// Copying this many more body bytes.
    Body(u64),
    /// Lost track (or the connection is closing): copy everything as it is.
    Through,
}

/// A socket whose hyper-generated error answers get Graph error bodies (see the module docs).
#[derive(Debug)]
pub(crate) struct GraphErrorIo<S> {
    inner: S,
    out: Vec<u8>,
    sent: usize,
    track: Track,
}

impl<S> GraphErrorIo<S> {
    pub(crate) fn new(inner: S) -> Self {
        GraphErrorIo {
            inner,
            out: Vec::new(),
            sent: 0,
            track: Track::Head(Vec::new()),
        }
    }

    /// Runs written bytes through the tracker into `out`.
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.track {
                Track::Through => {
                    self.out.extend_from_slice(bytes);
                    return;
                }
                Track::Body(left) => {
                    let take = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    self.out.extend_from_slice(&bytes[..take]);
                    *left -= take as u64;
                    if *left == 0 {
                        self.track = Track::Head(Vec::new());
                    }
                    bytes = &bytes[take..];
                }
                Track::Head(head) => {
                    let already = head.len();
                    head.extend_from_slice(bytes);
                    // Search from a little before the new bytes, in case "\r\n\r\n" straddles.
                    let from = already.saturating_sub(3);
                    let Some(end) = find(&head[from..], b"\r\n\r\n").map(|i| from + i + 4) else {
                        if head.len() > MAX_RESPONSE_HEAD {
                            let head = std::mem::take(head);
                            self.out.extend_from_slice(&head);
                            self.track = Track::Through;
                        }
                        return;
                    };
                    let consumed = end - already;
                    let mut head = std::mem::take(head);
                    head.truncate(end);
                    bytes = &bytes[consumed..];
                    self.track = match inspect(&head) {
                        Inspected::Automatic(status) => {
                            self.out.extend_from_slice(&graph_answer(status));
                            Track::Through
                        }
                        Inspected::Framed(0) => {
                            self.out.extend_from_slice(&head);
                            Track::Head(Vec::new())
                        }
                        Inspected::Framed(length) => {
                            self.out.extend_from_slice(&head);
                            Track::Body(length)
                        }
                        Inspected::Unknown => {
                            self.out.extend_from_slice(&head);
                            Track::Through
                        }
                    };
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> GraphErrorIo<S> {
    /// Writes out what is pending; `Ready(Ok)` once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.out.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

enum Inspected {
    /// hyper's own answer to an unparseable request, with this status.
    Automatic(StatusCode),
    /// One of the emulator's responses, with this many body bytes.
    Framed(u64),
    /// Not something this module understands.
    Unknown,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn inspect(head: &[u8]) -> Inspected {
    let Ok(text) = std::str::from_utf8(head) else {
        return Inspected::Unknown;
    };
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.strip_prefix("HTTP/1.1 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok());
    let Some(status) = status else {
        return Inspected::Unknown;
    };
    let mut length = None;
    let mut request_id = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("request-id") {
            request_id = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<u64>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Inspected::Unknown;
        }
    }
    let automatic = matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::URI_TOO_LONG
            | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    if automatic && !request_id && length.unwrap_or(0) == 0 {
        return Inspected::Automatic(status);
    }
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    match (bodiless, length) {
        (true, _) => Inspected::Framed(0),
        (false, Some(n)) => Inspected::Framed(n),
        (false, None) => Inspected::Unknown,
    }
}

/// The Graph error for a request hyper could not take.
pub(crate) fn http_layer_error(status: StatusCode) -> GraphError {
    match status {
        StatusCode::URI_TOO_LONG => GraphError::new(
            status,
            "requestUriTooLong",
            format!("The request URI is longer than the limit of {MAX_URI_BYTES} bytes."),
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => GraphError::new(
            status,
            "requestHeaderFieldsTooLarge",
            format!(
                "The request head is larger than the limit of {MAX_REQUEST_HEAD_BYTES} bytes or has more than {MAX_REQUEST_HEADERS} headers."
            ),
        ),
        _ => GraphError::bad_request(
            "The request could not be parsed: the method, the target (which must be ASCII, with other bytes percent-encoded), the version or a header is malformed.",
        ),
    }
}

fn graph_answer(status: StatusCode) -> Vec<u8> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let now = SystemTime::now();
    let body =
        http_layer_error(status).body(&request_id, &request_id, &crate::time::error_date(now));
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {JSON_CONTENT_TYPE}\r\ncontent-length: {}\r\nrequest-id: {request_id}\r\nclient-request-id: {request_id}\r\ndate: {}\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
        httpdate::fmt_http_date(now),
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

impl<S: AsyncRead + Unpin> AsyncRead for GraphErrorIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GraphErrorIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        this.feed(buf);
        // Start sending now; whatever does not fit goes with the next write or flush.
        if let Poll::Ready(Err(e)) = this.drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut io = GraphErrorIo::new(Vec::<u8>::new());
        for chunk in chunks {
            io.feed(chunk);
        }
        io.out
    }

    #[test]
    fn own_responses_pass_unchanged_even_split_anywhere() {
        let first: &[u8] =
            b"HTTP/1.1 400 Bad Request\r\nrequest-id: r\r\ncontent-length: 5\r\n\r\nhello";
        let second: &[u8] = b"HTTP/1.1 204 No Content\r\nrequest-id: s\r\n\r\n";
        let whole = [first, second].concat();
        for cut in 0..whole.len() {
            assert_eq!(run(&[&whole[..cut], &whole[cut..]]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn automatic_answers_get_a_graph_body() {
        let own: &[u8] = b"HTTP/1.1 200 OK\r\nrequest-id: r\r\ncontent-length: 2\r\n\r\n{}";
        let automatic: &[u8] =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = run(&[own, &automatic[..10], &automatic[10..]]);
        assert!(out.starts_with(own));
        let answer = String::from_utf8(out[own.len()..].to_vec()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "requestHeaderFieldsTooLarge");
    }
}
