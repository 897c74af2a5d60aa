//! Rate-limit mode over raw HTTP: a fixed window per bearer token, Graph's 429 with
//! `Retry-After` rounded up to whole seconds, the counters, and the `--rate-limit` flag.

mod common;

use std::time::Duration;

use common::*;
use graph_security_copilot_emulator::{Emulator, RateLimitCounts, StartError};
use reqwest::StatusCode;

#[tokio::test]
async fn over_the_limit_is_graphs_429_with_retry_after_to_the_window_end() {
    // A minute-long window: the test's own timing cannot reach its end.
    let api = start(Emulator::builder().rate_limit(3, Duration::from_secs(60))).await;
    let path = format!("{WS}/sessions");
    let first = std::time::Instant::now();
    for _ in 0..3 {
        assert_eq!(api.get(&path).await.status, StatusCode::OK);
    }
    for _ in 0..2 {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        // Less than 60 s but more than 59 s are left: rounded up to 60 (unless this machine
        // stalled for over a second since the window opened).
        let since_first = first.elapsed().as_secs();
        let retry_after: u64 = reply.header("retry-after").parse().unwrap();
        if since_first == 0 {
            assert_eq!(retry_after, 60);
        } else {
            assert!((60 - since_first.min(60)..=60).contains(&retry_after));
        }
        assert!(reply.header("content-type").starts_with("application/json"));
        let body = reply.json();
        let error = &body["error"];
        assert_eq!(error["code"], "activityLimitReached");
        assert_eq!(error["message"], "The request has been throttled");
        let inner = &error["innerError"];
        assert_eq!(inner["code"], "throttledRequest");
        assert_eq!(inner["request-id"], reply.header("request-id"));
        assert!(inner["client-request-id"].is_string());
        assert!(inner["date"].is_string());
        let keys: Vec<_> = error.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["code", "message", "innerError"]);
    }
    // Another bearer token has its own window.
    let other = api
        .send(
            api.http
                .get(api.url(&path))
                .bearer_auth("another-app-token"),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
    // Requests without a token are answered 401 and not counted.
    let anonymous = api.send(api.http.get(api.url(&path))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.emulator.rate_limit_counts(),
        Some(RateLimitCounts {
            admitted: 4,
            throttled: 2
        })
    );
    let log = api.emulator.requests();
    let faults: Vec<_> = log.iter().map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [
            None,
            None,
            None,
            Some("rate-limit"),
            Some("rate-limit"),
            None,
            None
        ]
    );
    assert_eq!(log[3].status, Some(429));
}

#[tokio::test]
async fn a_new_window_starts_with_the_first_request_after_the_last_one_ended() {
    let api = start(Emulator::builder().rate_limit(1, Duration::from_millis(300))).await;
    let path = format!("{WS}/sessions");
    assert_eq!(api.get(&path).await.status, StatusCode::OK);
    // Sleeping past the window guarantees the next request opens a new one.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(api.get(&path).await.status, StatusCode::OK);
    let counts = api.emulator.rate_limit_counts().unwrap();
    assert_eq!(counts.admitted, 2);
}

#[tokio::test]
async fn without_rate_limit_mode_there_are_no_counts() {
    let api = start_default().await;
    assert_eq!(
        api.get(&format!("{WS}/sessions")).await.status,
        StatusCode::OK
    );
    assert_eq!(api.emulator.rate_limit_counts(), None);
}

#[tokio::test]
async fn an_invalid_rate_limit_does_not_start() {
    for (limit, window) in [
        (0, Duration::from_secs(1)),
        (5, Duration::ZERO),
        (5, Duration::from_secs(2 * 24 * 3600)),
    ] {
        let error = Emulator::builder()
            .rate_limit(limit, window)
            .start()
            .await
            .unwrap_err();
        assert!(matches!(error, StartError::RateLimit(_)), "{error}");
    }
}

#[test]
fn a_malformed_rate_limit_flag_is_a_clear_cli_error() {
    for bad in ["50", "50/2", "0/2s", "fifty/2s", "50/-1s", "1.5/1s"] {
        let output =
            std::process::Command::new(env!("CARGO_BIN_EXE_graph-security-copilot-emulator"))
                .args(["--port", "0", "--rate-limit", bad])
                .output()
                .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "invalid value '{bad}' for '--rate-limit <N/DURATION>'"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("expected N/DURATION, e.g. 50/2s"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "started: {bad}");
    }
}
