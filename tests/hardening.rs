//! Whatever a server sends, the client stays bounded: response bodies are capped, paging cannot
//! loop, one huge `Retry-After` cannot stall the client, and no error shows a bearer token the
//! client sent. Regression tests for issue 10 (each failed, hung or grew without bound before).

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::error::REDACTED;
use graph_security_copilot::models::Session;
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error, Page};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "secret-token-echoed-back-9c1d";
const SESSIONS: &str = "/beta/security/securityCopilot/workspaces/default/sessions";
const MIB: u64 = 1024 * 1024;

/// What the raw server writes after the head of every request.
#[derive(Clone, Copy)]
enum Body {
    /// `Content-Length: n`, then only a few bytes (a liar, or a slow giant).
    Declared(u64),
    /// Chunked, `total` bytes (`u64::MAX`: endless), 64 KiB a chunk.
    Chunked(u64),
}

/// A loopback HTTP server that answers every request with a 200 of the given `body`.
async fn raw_server(body: Body) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                match body {
                    Body::Declared(n) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {n}\r\n\r\n{{\"value\":["
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    Body::Chunked(total) => {
                        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                        if socket.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let chunk = [b"10000\r\n".as_slice(), &[b' '; 0x10000], b"\r\n"].concat();
                        let mut sent = 0u64;
                        while sent < total {
                            if socket.write_all(&chunk).await.is_err() {
                                return;
                            }
                            sent += 0x10000;
                        }
                        let _ = socket.write_all(b"0\r\n\r\n").await;
                    }
                }
            });
        }
    });
    format!("http://{address}/beta")
}

fn client(base_url: &str) -> graph_security_copilot::ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .credential(StaticToken::new(TOKEN))
        .retry_policy(RetryPolicy::disabled())
        .timeout(Duration::from_secs(60))
}

fn too_large(error: &Error) -> (u64, Option<u64>) {
    match error {
        Error::ResponseTooLarge {
            limit,
            declared,
            status,
            client_request_id,
        } => {
            assert_eq!(status.as_u16(), 200);
            assert!(client_request_id.is_some());
            (*limit, *declared)
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn a_declared_length_over_the_cap_fails_before_reading() {
    let base = raw_server(Body::Declared(1 << 30)).await;
    let client = client(&base).max_response_body_bytes(MIB).build().unwrap();
    let started = Instant::now();
    let error = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap_err();
    // The server never sends the body: only failing before reading can be this quick.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(too_large(&error), (MIB, Some(1 << 30)));
    assert_eq!(
        error.to_string(),
        format!(
            "response body exceeds the limit of 1048576 bytes (max_response_body_bytes); Content-Length is 1073741824 (client-request-id {})",
            error.client_request_id().unwrap()
        )
    );
}

#[tokio::test]
async fn an_endless_chunked_body_fails_as_soon_as_it_passes_the_cap() {
    let base = raw_server(Body::Chunked(u64::MAX)).await;
    let client = client(&base)
        .max_response_body_bytes(4 * MIB)
        .build()
        .unwrap();
    let error = tokio::time::timeout(
        Duration::from_secs(20),
        client.workspace("default").sessions().list().page(),
    )
    .await
    .expect("the cap ends the read, not the timeout")
    .unwrap_err();
    assert_eq!(too_large(&error), (4 * MIB, None));
    // The same through a nextLink (the paging path).
    let resumed: Result<Vec<Page<Session>>, Error> = client
        .resume(format!(
            "{base}/security/securityCopilot/workspaces/default/sessions"
        ))
        .try_collect()
        .await;
    assert_eq!(too_large(&resumed.unwrap_err()), (4 * MIB, None));
}

#[tokio::test]
async fn a_body_under_the_cap_is_read() {
    let base = raw_server(Body::Chunked(3 * 0x10000)).await;
    let client = client(&base)
        .max_response_body_bytes(4 * MIB)
        .build()
        .unwrap();
    // 192 KiB of spaces is not JSON: a decode error, i.e. the body was read whole.
    let error = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
}

mod paging {
    use super::*;
    use mockito::Matcher;

    fn body(ids: &[&str], next: Option<String>) -> String {
        let mut body = json!({"value": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
        if let Some(next) = next {
            body["@odata.nextLink"] = json!(next);
        }
        body.to_string()
    }

    #[tokio::test]
    async fn a_next_link_to_itself_is_an_error_not_a_loop() {
        let mut server = mockito::Server::new_async().await;
        let base = format!("{}/beta", server.url());
        let again = format!("{}{SESSIONS}?$skiptoken=again", server.url());
        let first = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::Missing)
            .with_body(body(&["a"], Some(again.clone())))
            .expect(1)
            .create_async()
            .await;
        let looping = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::UrlEncoded("$skiptoken".into(), "again".into()))
            .with_body(body(&["b"], Some(again)))
            .expect(1)
            .create_async()
            .await;
        let client = client(&base).build().unwrap();
        let mut ids = Vec::new();
        let mut stream = client.workspace("default").sessions().list().items();
        let error = loop {
            match stream.try_next().await {
                Ok(Some(session)) => ids.push(session.id.unwrap_or_default()),
                Ok(None) => panic!("the stream ended without an error"),
                Err(error) => break error,
            }
        };
        assert_eq!(ids, ["a", "b"], "{error:?}");
        assert!(
            matches!(error, Error::NextLinkLoop { page: 2 }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "@odata.nextLink of page 2 repeats a link this listing already followed; not following it"
        );
        first.assert_async().await;
        looping.assert_async().await;
    }

    #[tokio::test]
    async fn a_cycle_back_to_an_earlier_page_is_an_error() {
        let mut server = mockito::Server::new_async().await;
        let base = format!("{}/beta", server.url());
        let root = server.url();
        let link = |token: &str| format!("{root}{SESSIONS}?$skiptoken={token}");
        let _first = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::Missing)
            .with_body(body(&["a"], Some(link("p2"))))
            .create_async()
            .await;
        let _p2 = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p2".into()))
            .with_body(body(&["b"], Some(link("p3"))))
            .create_async()
            .await;
        let p3 = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p3".into()))
            .with_body(body(&["c"], Some(link("p2"))))
            .expect(1)
            .create_async()
            .await;
        let client = client(&base).build().unwrap();
        let pages: Vec<Result<Page<Session>, Error>> =
            futures::StreamExt::collect(client.workspace("default").sessions().list().pages())
                .await;
        assert_eq!(pages.len(), 4);
        assert!(
            matches!(pages[3], Err(Error::NextLinkLoop { page: 3 })),
            "{:?}",
            pages[3]
        );
        p3.assert_async().await;
    }

    #[tokio::test]
    async fn the_page_limit_stops_a_listing() {
        let mut server = mockito::Server::new_async().await;
        let base = format!("{}/beta", server.url());
        let root = server.url();
        let link = |token: &str| format!("{root}{SESSIONS}?$skiptoken={token}");
        let _first = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::Missing)
            .with_body(body(&["a"], Some(link("p2"))))
            .create_async()
            .await;
        let p2 = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p2".into()))
            .with_body(body(&["b"], Some(link("p3"))))
            .expect(1)
            .create_async()
            .await;
        let p3 = server
            .mock("GET", SESSIONS)
            .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p3".into()))
            .with_body(body(&["c"], None))
            .expect(1)
            .create_async()
            .await;
        // Client-wide limit of 2: two pages, then the error; page 3 is never fetched.
        let limited = client(&base).max_pages(2).build().unwrap();
        let pages: Vec<Result<Page<Session>, Error>> =
            futures::StreamExt::collect(limited.workspace("default").sessions().list().pages())
                .await;
        assert_eq!(pages.len(), 3);
        assert!(
            matches!(pages[2], Err(Error::PageLimit { limit: 2 })),
            "{:?}",
            pages[2]
        );
        // A per-listing limit overrides it; three pages fit in a limit of 3.
        let all: Vec<Session> = limited
            .workspace("default")
            .sessions()
            .list()
            .max_pages(3)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
        p2.expect(2).assert_async().await;
        p3.assert_async().await;
    }
}

mod throttling {
    use super::*;

    async fn throttling_server() -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
        let mut server = mockito::Server::new_async().await;
        let throttled = server
            .mock("GET", SESSIONS)
            .with_status(429)
            .with_header("Retry-After", "86400")
            .with_body(
                json!({"error": {"code": "activityLimitReached", "message": "throttled"}})
                    .to_string(),
            )
            .create_async()
            .await;
        let other = server
            .mock("GET", "/beta/security/securityCopilot/workspaces")
            .with_body(json!({"value": []}).to_string())
            .create_async()
            .await;
        (server, throttled, other)
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_policy_fails_at_once_and_does_not_stall_the_client() {
        let (server, throttled, other) = throttling_server().await;
        let policy = RetryPolicy::default().with_max_delay(Duration::from_millis(800));
        let client = client(&format!("{}/beta", server.url()))
            .retry_policy(policy)
            .build()
            .unwrap();
        let started = Instant::now();
        let error = client
            .workspace("default")
            .sessions()
            .list()
            .page()
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(700));
        assert!(error.is_throttled(), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(86_400)));
        // The next call of the client waits for the gate at most the policy's max_delay.
        let started = Instant::now();
        let result =
            tokio::time::timeout(Duration::from_secs(10), client.workspaces().list().page())
                .await
                .expect("the gate holds no call longer than its policy would wait");
        result.unwrap();
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        throttled.assert_async().await;
        other.assert_async().await;
    }

    #[tokio::test]
    async fn with_retries_disabled_a_closed_gate_fails_calls_at_once_with_a_throttled_error() {
        let (server, throttled, other) = throttling_server().await;
        let client = client(&format!("{}/beta", server.url())).build().unwrap();
        let error = client
            .workspace("default")
            .sessions()
            .list()
            .page()
            .await
            .unwrap_err();
        assert!(error.is_throttled());
        let started = Instant::now();
        let error =
            tokio::time::timeout(Duration::from_secs(10), client.workspaces().list().page())
                .await
                .expect("not held by the gate")
                .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(error.is_throttled(), "{error:?}");
        let Error::Throttled { retry_after, .. } = &error else {
            panic!("expected Error::Throttled, got {error:?}");
        };
        // The gate closes for the policy's max_delay (default 180 s), not the asked-for day.
        assert!(*retry_after <= Duration::from_secs(180), "{retry_after:?}");
        assert!(*retry_after > Duration::from_secs(170), "{retry_after:?}");
        assert_eq!(error.retry_after(), Some(*retry_after));
        assert!(error
            .to_string()
            .starts_with("throttled: the service asked to wait"));
        throttled.assert_async().await;
        // The refused call never reached the server.
        other.expect(0).assert_async().await;
    }

    #[tokio::test]
    async fn an_exhausted_429_is_throttled_too() {
        let mut server = mockito::Server::new_async().await;
        let _throttled = server
            .mock("GET", SESSIONS)
            .with_status(429)
            .with_header("Retry-After", "0")
            .create_async()
            .await;
        let client = client(&format!("{}/beta", server.url()))
            .retry_policy(
                RetryPolicy::default()
                    .with_max_retries(2)
                    .with_base_delay(Duration::from_millis(1)),
            )
            .build()
            .unwrap();
        let error = client
            .workspace("default")
            .sessions()
            .list()
            .page()
            .await
            .unwrap_err();
        assert!(error.is_throttled());
        assert_eq!(error.retry_after(), Some(Duration::ZERO));
        let Error::Api(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.attempts, 3);
        // Other errors are not throttled.
        assert!(!Error::InvalidRequest("x".into()).is_throttled());
    }
}

mod redaction {
    use super::*;

    #[tokio::test]
    async fn an_echoed_token_is_redacted_from_every_rendering_of_an_error() {
        let mut server = mockito::Server::new_async().await;
        let echo = format!("Bearer {TOKEN}");
        let _error = server
            .mock("GET", SESSIONS)
            .with_status(403)
            .with_header("request-id", &format!("req-{TOKEN}"))
            .with_body(
                json!({"error": {"code": "Forbidden", "message": format!("token {echo} is not allowed"),
                    "innerError": {"client-request-id": TOKEN}}})
                .to_string(),
            )
            .create_async()
            .await;
        let _decode = server
            .mock("GET", "/beta/security/securityCopilot/workspaces")
            .with_body(json!({"value": TOKEN}).to_string())
            .create_async()
            .await;
        let client = client(&format!("{}/beta", server.url())).build().unwrap();
        let api = client
            .workspace("default")
            .sessions()
            .list()
            .page()
            .await
            .unwrap_err();
        let decode = client.workspaces().list().page().await.unwrap_err();
        for error in [&api, &decode] {
            let renderings = [
                error.to_string(),
                format!("{error:?}"),
                format!("{error:#?}"),
            ];
            for text in renderings {
                assert!(!text.contains(TOKEN), "{text}");
                assert!(text.contains(REDACTED), "{text}");
            }
        }
        let Error::Api(api) = &api else {
            panic!("{api:?}")
        };
        assert!(!api.raw_body.contains(TOKEN) && api.raw_body.contains(REDACTED));
        assert_eq!(
            api.message.as_deref(),
            Some("token Bearer [REDACTED] is not allowed")
        );
        assert_eq!(api.request_id.as_deref(), Some("req-[REDACTED]"));
        let Error::Decode(decode) = &decode else {
            panic!("{decode:?}")
        };
        assert_eq!(&decode.body[..], br#"{"value":"[REDACTED]"}"#);
        assert!(!decode.message.contains(TOKEN));
    }
}

mod terminal {
    use super::*;
    use graph_security_copilot_emulator::Emulator;

    /// The quickstart example's binary, which `cargo test` builds beside the test binaries.
    fn quickstart() -> Option<std::path::PathBuf> {
        let exe = std::env::current_exe().ok()?;
        let path = exe
            .parent()?
            .parent()?
            .join("examples")
            .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
        path.exists().then_some(path)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_quickstart_escapes_server_provided_text() {
        let Some(quickstart) = quickstart() else {
            eprintln!("quickstart example not built (run the whole `cargo test`); skipped");
            return;
        };
        let emulator = Emulator::builder()
            .evaluation_delays(Duration::from_millis(10), Duration::from_millis(10))
            .start()
            .await
            .unwrap();
        let client = client(emulator.base_url()).build().unwrap();
        let hostile = "evil\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\rname";
        client
            .workspace("default")
            .sessions()
            .create(hostile)
            .await
            .unwrap();
        let output = tokio::process::Command::new(quickstart)
            .env("GRAPH_TOKEN", TOKEN)
            .env("GRAPH_BASE_URL", emulator.base_url())
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !stdout.chars().any(|c| c.is_control() && c != '\n'),
            "control characters reached the terminal: {stdout:?}"
        );
        assert!(
            stdout.contains("evil\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m\\rname"),
            "{stdout}"
        );
    }
}
