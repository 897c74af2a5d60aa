//! Fault injection over raw HTTP: 429 with Retry-After (seconds and HTTP-date), 503, 504,
//! latency, dropped connections; first N, fractions, routes; determinism from the seed.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use graph_security_copilot_emulator::{Emulator, Fault, FaultRule, RetryAfter};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn throttles_the_first_requests_with_retry_after_seconds() {
    let api = start(
        Emulator::builder().fault(
            FaultRule::new(Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Seconds(7)),
            })
            .first(2),
        ),
    )
    .await;
    let path = format!("{WS}/sessions");
    for _ in 0..2 {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reply.header("retry-after"), "7");
        let body = reply.json();
        assert_eq!(body["error"]["code"], "activityLimitReached");
        assert_eq!(body["error"]["message"], "The request has been throttled");
        assert_eq!(body["error"]["innerError"]["code"], "throttledRequest");
        assert_eq!(
            body["error"]["innerError"]["request-id"],
            reply.header("request-id")
        );
    }
    assert_eq!(api.get(&path).await.status, StatusCode::OK);
    let log = api.emulator.requests();
    let faults: Vec<_> = log.iter().map(|r| r.fault.clone()).collect();
    assert_eq!(
        faults,
        vec![Some("429".to_string()), Some("429".to_string()), None]
    );
    assert_eq!(log[2].status, Some(200));
}

#[tokio::test]
async fn retry_after_as_an_http_date() {
    let api =
        start(Emulator::builder().fault("429,retry-after=date:30".parse::<FaultRule>().unwrap()))
            .await;
    let reply = api.get(&format!("{WS}/sessions")).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let when = httpdate::parse_http_date(reply.header("retry-after")).unwrap();
    let ahead = when.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead > Duration::from_secs(27) && ahead <= Duration::from_secs(30),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn server_errors_503_and_504() {
    let api = start(
        Emulator::builder()
            .fault("503,first=1,retry-after=2".parse().unwrap())
            .fault("504,first=2".parse().unwrap()),
    )
    .await;
    let path = format!("{WS}/sessions");
    let first = api.post(&path, json!({"displayName": "a"})).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.error().0, "serviceNotAvailable");
    assert_eq!(first.header("retry-after"), "2");
    // Every rule counts every request it matches: the 503 took the 504's first slot.
    let second = api.post(&path, json!({"displayName": "b"})).await;
    assert_eq!(second.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(second.error().0, "gatewayTimeout");
    assert!(second.headers.get("retry-after").is_none());
    let third = api.post(&path, json!({"displayName": "c"})).await;
    assert_eq!(third.status, StatusCode::CREATED);
    // Faulted requests did nothing.
    let list = api.get(&format!("{path}?$count=true")).await.json();
    assert_eq!(list["@odata.count"], 1);
    assert_eq!(column(&list, "displayName"), vec![json!("c")]);
}

#[tokio::test]
async fn fractions_follow_the_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let api = start(
            Emulator::builder()
                .seed(seed)
                .fault("503,fraction=0.5".parse().unwrap()),
        )
        .await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(api.get(&format!("{WS}/plugins")).await.status.as_u16());
        }
        out
    }
    let a = statuses(11).await;
    assert_eq!(a, statuses(11).await);
    assert_ne!(a, statuses(12).await);
    let failures = a.iter().filter(|s| **s == 503).count();
    assert!((8..=32).contains(&failures), "{failures} of 40");
    assert!(a.iter().all(|s| *s == 503 || *s == 200));
}

#[tokio::test]
async fn faults_scoped_to_one_route() {
    let api = start(
        Emulator::builder()
            .fault(FaultRule::new(Fault::GatewayTimeout).route("create_workspace_session")),
    )
    .await;
    let path = format!("{WS}/sessions");
    assert_eq!(
        api.post(&path, json!({"displayName": "a"})).await.status,
        StatusCode::GATEWAY_TIMEOUT
    );
    assert_eq!(api.get(&path).await.status, StatusCode::OK);
    assert_eq!(
        api.get(&format!("{WS}/plugins")).await.status,
        StatusCode::OK
    );
    // By path template and method, too.
    let api = start(
        Emulator::builder().fault(
            FaultRule::new(Fault::ServiceUnavailable { retry_after: None })
                .route("/security/securityCopilot/workspaces/{workspace-id}/plugins")
                .method("GET"),
        ),
    )
    .await;
    assert_eq!(
        api.get(&format!("{WS}/plugins")).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        api.get(&format!("{WS}/sessions")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn added_latency() {
    let api = start(
        Emulator::builder()
            .latency(Duration::from_millis(50))
            .fault(
                "latency=150ms,route=list_workspace_plugins"
                    .parse()
                    .unwrap(),
            ),
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        api.get(&format!("{WS}/sessions")).await.status,
        StatusCode::OK
    );
    let plain = started.elapsed();
    assert!(plain >= Duration::from_millis(50), "{plain:?}");
    let started = Instant::now();
    assert_eq!(
        api.get(&format!("{WS}/plugins")).await.status,
        StatusCode::OK
    );
    let slow = started.elapsed();
    assert!(slow >= Duration::from_millis(200), "{slow:?}");
}

#[tokio::test]
async fn dropped_connections_get_no_response_and_change_nothing() {
    let api = start(Emulator::builder().fault("drop,first=1".parse().unwrap())).await;
    let path = format!("{WS}/sessions");
    let error = api
        .request(reqwest::Method::POST, &path)
        .header("Content-Type", "application/json")
        .body(json!({"displayName": "lost"}).to_string())
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status() && !error.is_timeout(), "{error}");
    let list = api.get(&format!("{path}?$count=true")).await.json();
    assert_eq!(list["@odata.count"], 0);
    let log = api.emulator.requests();
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault.as_deref(), Some("drop"));
}

#[tokio::test]
async fn dropped_responses_keep_the_write() {
    let api = start(
        Emulator::builder().fault(
            "drop-response,first=1,route=create_workspace_session"
                .parse()
                .unwrap(),
        ),
    )
    .await;
    let path = format!("{WS}/sessions");
    let error = api
        .request(reqwest::Method::POST, &path)
        .header("Content-Type", "application/json")
        .body(json!({"displayName": "ghost"}).to_string())
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_status(), "{error}");
    let list = api.get(&path).await.json();
    assert_eq!(column(&list, "displayName"), vec![json!("ghost")]);
}
