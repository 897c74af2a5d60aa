//! Behaviour of the hand-written layer over real HTTP on loopback (mockito): auth and refresh,
//! 401 retry, throttling and retries, paging and resume, origin checks, errors, timeouts,
//! redaction and tracing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, TryStreamExt};
use graph_security_copilot::auth::{self, AccessToken, StaticToken};
use graph_security_copilot::models::Session;
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error, Page};
use mockito::{Matcher, ServerGuard};
use serde_json::json;

const TOKEN: &str = "secret-token-must-not-leak-7f3a";

fn sessions_path() -> &'static str {
    "/beta/security/securityCopilot/workspaces/default/sessions"
}

fn builder(server: &ServerGuard) -> graph_security_copilot::ClientBuilder {
    Client::builder()
        .base_url(format!("{}/beta", server.url()))
        .credential(StaticToken::new(TOKEN))
        .retry_policy(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(10))
                .with_max_delay(Duration::from_secs(5)),
        )
}

fn page(ids: &[&str], next: Option<String>) -> String {
    let mut body = json!({"value": ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
    if let Some(next) = next {
        body["@odata.nextLink"] = json!(next);
    }
    body.to_string()
}

/// Records a header of every request a mock sees.
fn recorder(name: &'static str) -> (Arc<Mutex<Vec<String>>>, impl Fn(&mockito::Request) -> bool) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (seen, move |request: &mockito::Request| {
        let value = request
            .header(name)
            .first()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        sink.lock().unwrap().push(value);
        true
    })
}

#[tokio::test]
async fn tokens_are_cached_and_refreshed_before_expiry() {
    let mut server = mockito::Server::new_async().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let provider = auth::from_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            Ok(AccessToken::expiring_in(
                format!("token-{n}"),
                Duration::from_millis(400),
            ))
        }
    });
    let (seen, record) = recorder("authorization");
    let mock = server
        .mock("GET", sessions_path())
        .match_request(record)
        .with_body(page(&[], None))
        .expect(3)
        .create_async()
        .await;
    let client = builder(&server)
        .credential(provider)
        .token_refresh_skew(Duration::from_millis(100))
        .build()
        .unwrap();
    let sessions = client.workspace("default").sessions();
    sessions.list().page().await.unwrap();
    sessions.list().page().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    sessions.list().page().await.unwrap();
    mock.assert_async().await;
    assert_eq!(
        *seen.lock().unwrap(),
        ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_401_drops_the_token_and_retries_once_with_a_fresh_one() {
    let mut server = mockito::Server::new_async().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let provider = auth::from_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok(AccessToken::new(format!("token-{n}"), None)) }
    });
    let rejected = server
        .mock("GET", sessions_path())
        .match_header("authorization", "Bearer token-1")
        .with_status(401)
        .with_body(r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired."}}"#)
        .expect(1)
        .create_async()
        .await;
    let accepted = server
        .mock("GET", sessions_path())
        .match_header("authorization", "Bearer token-2")
        .with_body(page(&["s1"], None))
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server).credential(provider).build().unwrap();
    let items: Vec<Session> = client
        .workspace("default")
        .sessions()
        .list()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    rejected.assert_async().await;
    accepted.assert_async().await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A second 401 in the same call is returned, not retried again.
    let mut server = mockito::Server::new_async().await;
    let always = server
        .mock("GET", sessions_path())
        .with_status(401)
        .with_body(r#"{"error":{"code":"InvalidAuthenticationToken","message":"nope"}}"#)
        .expect(2)
        .create_async()
        .await;
    let client = builder(&server)
        .credential(auth::from_fn(|| async { Ok(AccessToken::new("t", None)) }))
        .build()
        .unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.code(), Some("InvalidAuthenticationToken"));
    always.assert_async().await;
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_with_the_same_client_request_id() {
    let mut server = mockito::Server::new_async().await;
    let (ids, record_ids) = recorder("client-request-id");
    let (attempts, record_attempts) = recorder("retry-attempt");
    let throttled = server
        .mock("GET", sessions_path())
        .match_request(move |r| record_ids(r) && record_attempts(r))
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(r#"{"error":{"code":"activityLimitReached","message":"throttled"}}"#)
        .expect(1)
        .create_async()
        .await;
    let ok = server
        .mock("GET", sessions_path())
        .with_body(page(&["s1"], None))
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let started = Instant::now();
    let first = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap();
    let waited = started.elapsed();
    throttled.assert_async().await;
    ok.assert_async().await;
    assert_eq!(first.value.len(), 1);
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    // The recorders see every request the server evaluates against that mock: both attempts.
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "one client-request-id across retries");
    assert_eq!(
        *attempts.lock().unwrap(),
        ["", "1"],
        "only the retry carries Retry-Attempt"
    );
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let mut server = mockito::Server::new_async().await;
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let throttled = server
        .mock("GET", sessions_path())
        .with_status(503)
        .with_header("retry-after", &when)
        .expect(1)
        .create_async()
        .await;
    let (seen, record) = recorder("retry-attempt");
    let ok = server
        .mock("GET", sessions_path())
        .match_request(record)
        .with_body(page(&[], None))
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let started = Instant::now();
    client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap();
    let waited = started.elapsed();
    throttled.assert_async().await;
    ok.assert_async().await;
    // HTTP dates have one-second resolution: the wait is between 1 and 2 seconds.
    assert!(
        waited >= Duration::from_millis(900),
        "waited only {waited:?}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["", "1"],
        "the retry says it is attempt 1"
    );
}

#[tokio::test]
async fn post_is_not_retried_on_503_but_is_on_429() {
    let mut server = mockito::Server::new_async().await;
    let unavailable = server
        .mock("POST", sessions_path())
        .with_status(503)
        .with_header("request-id", "r-503")
        .with_body(r#"{"error":{"code":"serviceNotAvailable","message":"try later"}}"#)
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .create("x")
        .await
        .unwrap_err();
    unavailable.assert_async().await;
    match &error {
        Error::Api(api) => {
            assert_eq!(api.status.as_u16(), 503);
            assert_eq!(api.attempts, 1);
            assert_eq!(api.request_id.as_deref(), Some("r-503"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }

    let mut server = mockito::Server::new_async().await;
    let throttled = server
        .mock("POST", sessions_path())
        .with_status(429)
        .with_header("retry-after", "0")
        .expect(1)
        .create_async()
        .await;
    let created = server
        .mock("POST", sessions_path())
        .with_status(201)
        .with_body(r#"{"id":"new"}"#)
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let session = client
        .workspace("default")
        .sessions()
        .create("x")
        .await
        .unwrap();
    assert_eq!(session.id.as_deref(), Some("new"));
    throttled.assert_async().await;
    created.assert_async().await;
}

#[tokio::test]
async fn spent_retry_budget_gives_the_last_status() {
    let mut server = mockito::Server::new_async().await;
    let failing = server
        .mock("GET", sessions_path())
        .with_status(504)
        .with_header("request-id", "r-504")
        .with_body(r#"{"error":{"code":"gatewayTimeout","message":"upstream"}}"#)
        .expect(3)
        .create_async()
        .await;
    let client = builder(&server)
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_base_delay(Duration::from_millis(5)),
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
    failing.assert_async().await;
    let Error::Api(api) = &error else {
        panic!("expected API error, got {error:?}")
    };
    assert_eq!((api.status.as_u16(), api.attempts), (504, 3));
    assert_eq!(api.code.as_deref(), Some("gatewayTimeout"));
    assert!(error.to_string().contains("after 3 attempts"), "{error}");

    // Retries switched off: one attempt.
    let mut server = mockito::Server::new_async().await;
    let once = server
        .mock("GET", sessions_path())
        .with_status(503)
        .expect(1)
        .create_async()
        .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    assert!(client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .is_err());
    once.assert_async().await;
}

#[tokio::test]
async fn paging_follows_next_links_lazily_and_resumes() {
    let mut server = mockito::Server::new_async().await;
    let url = server.url();
    let next = |token: &str| format!("{url}{}?$skiptoken={token}", sessions_path());
    let page2_link = next("p2");
    let p1 = server
        .mock("GET", sessions_path())
        .match_query(Matcher::Missing)
        .with_body(page(&["a", "b"], Some(page2_link.clone())))
        .expect(1)
        .create_async()
        .await;
    let p2 = server
        .mock("GET", sessions_path())
        .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p2".into()))
        .match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .with_body(page(&["c", "d"], Some(next("p3"))))
        .expect(2)
        .create_async()
        .await;
    let p3 = server
        .mock("GET", sessions_path())
        .match_query(Matcher::UrlEncoded("$skiptoken".into(), "p3".into()))
        .with_body(page(&["e"], None))
        .expect(2)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let ids: Vec<String> = client
        .workspace("default")
        .sessions()
        .list()
        .map_ok(|s| s.id.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    // Resume from a saved link: pages 2 and 3 only.
    let resumed: Vec<Page<Session>> = client.resume(page2_link).try_collect().await.unwrap();
    assert_eq!(resumed.len(), 2);
    assert_eq!(resumed[1].next_link, None);
    p1.assert_async().await;
    p2.assert_async().await;
    p3.assert_async().await;
}

#[tokio::test]
async fn take_stops_fetching_pages() {
    let mut server = mockito::Server::new_async().await;
    // Endless, but every page links to a new one (a repeated link would be a loop error).
    let root = server.url();
    let mock = server
        .mock("GET", sessions_path())
        .match_query(Matcher::Any)
        .with_body_from_request(move |request| {
            let n = request.path_and_query().len();
            let next = format!("{root}{}?$skiptoken={}", sessions_path(), "x".repeat(n));
            page(&["x", "y"], Some(next)).into_bytes()
        })
        .expect(3)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let five: Vec<Session> = client
        .workspace("default")
        .sessions()
        .list()
        .take(5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(five.len(), 5);
    mock.assert_async().await;
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_refused_and_gets_no_token() {
    let mut server = mockito::Server::new_async().await;
    let mut elsewhere = mockito::Server::new_async().await;
    let stolen = elsewhere
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let first = server
        .mock("GET", sessions_path())
        .with_body(page(
            &["a"],
            Some(format!("{}/steal?$skiptoken=1", elsewhere.url())),
        ))
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let results: Vec<Result<Session, Error>> = client
        .workspace("default")
        .sessions()
        .list()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let error = results[1].as_ref().unwrap_err();
    assert!(
        matches!(error, Error::InvalidRequest(m) if m.contains("not on the API origin")),
        "{error}"
    );
    let resumed: Vec<_> = client
        .resume::<Session>(format!("{}/steal", elsewhere.url()))
        .collect()
        .await;
    assert!(resumed[0].is_err());
    first.assert_async().await;
    stolen.assert_async().await;
}

#[tokio::test]
async fn tokens_are_never_sent_in_clear_text_off_the_machine() {
    // Base URL on a non-loopback http host: refused before any connection is made.
    let client = Client::builder()
        .base_url("http://graph.example.invalid/beta")
        .credential(StaticToken::new(TOKEN))
        .build()
        .unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test]
async fn graph_errors_decode_with_request_ids_and_raw_body() {
    let mut server = mockito::Server::new_async().await;
    let body = r#"{"error":{"code":"itemNotFound","message":"Session not found","innerError":{"date":"2025-10-22T20:10:54","request-id":"inner-req","client-request-id":"inner-client","extra":1}}}"#;
    let _mock = server
        .mock("GET", format!("{}/missing", sessions_path()).as_str())
        .with_status(404)
        .with_header("request-id", "hdr-req")
        .with_header("content-type", "application/json")
        .with_body(body)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let error = client
        .workspace("default")
        .session("missing")
        .get()
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("expected API error: {error:?}")
    };
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.code.as_deref(), Some("itemNotFound"));
    assert_eq!(api.message.as_deref(), Some("Session not found"));
    assert_eq!(
        api.request_id.as_deref(),
        Some("hdr-req"),
        "the header wins"
    );
    assert_eq!(api.date.as_deref(), Some("2025-10-22T20:10:54"));
    assert_eq!(api.raw_body, body);
    let inner = api
        .body
        .as_ref()
        .unwrap()
        .error
        .inner_error
        .as_ref()
        .unwrap();
    assert_eq!(
        inner.additional_properties.get("extra"),
        Some(&json!(1)),
        "unknown members kept"
    );
    let line = error.to_string();
    assert!(!line.contains('\n'));
    assert!(
        line.contains("404") && line.contains("itemNotFound") && line.contains("hdr-req"),
        "{line}"
    );

    // A non-JSON error body is kept as is.
    let _html = server
        .mock("GET", format!("{}/html", sessions_path()).as_str())
        .with_status(502)
        .with_body("<html>bad gateway</html>")
        .create_async()
        .await;
    let error = builder(&server)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
        .workspace("default")
        .session("html")
        .get()
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("expected API error: {error:?}")
    };
    assert_eq!(
        (api.status.as_u16(), api.raw_body.as_str()),
        (502, "<html>bad gateway</html>")
    );
    assert!(api.body.is_none());
}

#[tokio::test]
async fn malformed_success_bodies_are_decode_errors_with_status_and_request_id() {
    let mut server = mockito::Server::new_async().await;
    for (id, body) in [
        ("notjson", "this is not json"),
        ("truncated", r#"{"id":"s1","displayName":"cut"#),
        ("wrongshape", r#"{"id": 42}"#),
    ] {
        let _mock = server
            .mock("GET", format!("{}/{id}", sessions_path()).as_str())
            .with_header("request-id", "req-decode")
            .with_body(body)
            .create_async()
            .await;
        let error = builder(&server)
            .build()
            .unwrap()
            .workspace("default")
            .session(id)
            .get()
            .await
            .unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("{id}: expected decode error: {error:?}")
        };
        assert_eq!(decode.status.as_u16(), 200, "{id}");
        assert_eq!(decode.request_id.as_deref(), Some("req-decode"), "{id}");
        assert_eq!(decode.body.as_ref(), body.as_bytes(), "{id}");
        assert!(decode.client_request_id.is_some());
    }
}

#[tokio::test]
async fn a_slow_server_hits_the_timeout() {
    let mut server = mockito::Server::new_async().await;
    let _slow = server
        .mock("GET", sessions_path())
        .with_chunked_body(|writer| {
            std::thread::sleep(Duration::from_millis(1500));
            writer.write_all(b"{\"value\":[]}")
        })
        .create_async()
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::disabled())
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
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1400));
}

#[tokio::test]
async fn tokens_never_show_in_debug_or_errors() {
    let server = mockito::Server::new_async().await;
    let client = builder(&server).build().unwrap();
    let text = format!(
        "{client:?} {:?} {:?}",
        builder(&server),
        AccessToken::new(TOKEN, None)
    );
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("redacted"), "{text}");
    let error = Error::Auth(auth::AuthError::provider("could not refresh"));
    assert!(!format!("{error:?} {error}").contains(TOKEN));
}

#[tokio::test]
async fn client_is_cheap_to_clone_send_sync_and_its_futures_can_be_spawned() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", sessions_path())
        .with_body(page(&["a"], None))
        .expect(4)
        .create_async()
        .await;
    let client = builder(&server).build().unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.workspace("default").sessions().list().page().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().value.len(), 1);
    }
    mock.assert_async().await;
}
