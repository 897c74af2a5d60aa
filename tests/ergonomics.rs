//! The consumer's main path, on the wire (mockito on loopback): an entity gives its handle,
//! successes carry their status and request ids, errors answer `is_not_found()`, and waiting
//! on an evaluation tells completed, failed and cancelled apart.

use std::time::Duration;

use graph_security_copilot::evaluation::{EvaluationOutcome, WaitOptions};
use graph_security_copilot::models::{EvaluationResultType, Session};
use graph_security_copilot::prelude::*;
use graph_security_copilot::retry::RetryPolicy;
use mockito::{Matcher, ServerGuard};
use serde_json::json;

const TOKEN: &str = "test-token-0123456789";
const SESSIONS: &str = "/beta/security/securityCopilot/workspaces/default/sessions";

fn client(server: &ServerGuard) -> Client {
    Client::builder()
        .base_url(format!("{}/beta", server.url()))
        .credential(StaticToken::new(TOKEN))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .with_intervals(Duration::from_millis(5), Duration::from_millis(10))
        .with_deadline(Duration::from_secs(5))
}

#[tokio::test]
async fn a_created_entity_gives_its_handle_and_the_handle_names_its_path() {
    let mut server = mockito::Server::new_async().await;
    let create = server
        .mock("POST", SESSIONS)
        .with_status(201)
        .with_header("content-type", "application/json")
        .with_header("request-id", "req-create")
        .with_body(json!({"id": "s/1 x", "displayName": "Who am I"}).to_string())
        .create_async()
        .await;
    // The id is one percent-encoded path segment.
    let prompts = server
        .mock("GET", format!("{SESSIONS}/s%2F1%20x/prompts").as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(json!({"value": []}).to_string())
        .create_async()
        .await;
    let client = client(&server);
    let sessions = client.workspace("default").sessions();
    let created = sessions.create("Who am I").await.unwrap();
    let session = sessions.handle(&created).unwrap();
    assert_eq!(session.workspace_id(), "default");
    assert_eq!(session.session_id(), "s/1 x");
    let listed: Vec<_> = session.prompts().list().try_collect().await.unwrap();
    assert!(listed.is_empty());
    create.assert_async().await;
    prompts.assert_async().await;
}

#[tokio::test]
async fn an_entity_without_its_key_is_a_typed_error_before_anything_is_sent() {
    let mut server = mockito::Server::new_async().await;
    let any = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let client = client(&server);
    // What `$select=displayName` returns: no id.
    let selected: Session = serde_json::from_value(json!({"displayName": "x"})).unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .handle(&selected)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingKey {
                entity_type: "session",
                key: "id"
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the session has no `id`, so it cannot name a resource"
    );
    // An empty id names nothing either.
    let empty: Session = serde_json::from_value(json!({"id": ""})).unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .handle(&empty)
        .unwrap_err();
    assert!(
        matches!(error, Error::MissingKey { key: "id", .. }),
        "{error:?}"
    );
    any.assert_async().await;
}

#[tokio::test]
async fn successes_carry_status_and_request_ids() {
    let mut server = mockito::Server::new_async().await;
    let get = server
        .mock("GET", format!("{SESSIONS}/s1").as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_header("request-id", "req-get-1")
        .with_body(json!({"id": "s1"}).to_string())
        .create_async()
        .await;
    let list = server
        .mock("GET", SESSIONS)
        .match_query(Matcher::UrlEncoded("$top".into(), "1".into()))
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_header("request-id", "req-list-1")
        .with_body(json!({"value": [{"id": "s1"}]}).to_string())
        .create_async()
        .await;
    let client = client(&server);
    let workspace = client.workspace("default");
    let response = workspace
        .session("s1")
        .get()
        .send_with_metadata()
        .await
        .unwrap();
    assert_eq!(response.value.id.as_deref(), Some("s1"));
    let metadata = response.metadata();
    assert_eq!(metadata.status(), StatusCode::OK);
    assert_eq!(metadata.request_id(), Some("req-get-1"));
    assert_eq!(metadata.attempts(), 1);
    // The client-request-id is the one sent (a v4 UUID), not one made up afterwards.
    let sent = metadata.client_request_id().to_string();
    assert_eq!(sent.len(), 36);
    let page = workspace.sessions().list().top(1).page().await.unwrap();
    let page_metadata = page.metadata().unwrap();
    assert_eq!(page_metadata.request_id(), Some("req-list-1"));
    assert_ne!(page_metadata.client_request_id(), sent);
    get.assert_async().await;
    list.assert_async().await;
}

#[tokio::test]
async fn a_404_is_not_found_with_its_request_id() {
    let mut server = mockito::Server::new_async().await;
    let _missing = server
        .mock("GET", format!("{SESSIONS}/nope").as_str())
        .with_status(404)
        .with_header("content-type", "application/json")
        .with_header("request-id", "req-404")
        .with_body(
            json!({"error": {"code": "itemNotFound", "message": "Session not found"}}).to_string(),
        )
        .create_async()
        .await;
    let error = client(&server)
        .workspace("default")
        .session("nope")
        .get()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(!error.is_throttled());
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(error.code(), Some("itemNotFound"));
    assert_eq!(error.request_id(), Some("req-404"));
}

/// Waits on an evaluation the server reports as `body` (after one `running` poll).
async fn outcome_of(body: serde_json::Value) -> EvaluationOutcome {
    let mut server = mockito::Server::new_async().await;
    let path = format!("{SESSIONS}/s1/prompts/p1/evaluations/e1");
    let running = server
        .mock("GET", path.as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(json!({"id": "e1", "state": "running"}).to_string())
        .expect_at_least(1)
        .create_async()
        .await;
    let client = client(&server);
    let evaluation = client
        .workspace("default")
        .session("s1")
        .prompt("p1")
        .evaluation("e1");
    let waiting = tokio::spawn(async move { evaluation.wait(fast_wait()).await });
    // Let the first poll see `running`, then answer with the final state.
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.assert_async().await;
    running.remove_async().await;
    let _done = server
        .mock("GET", path.as_str())
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
        .create_async()
        .await;
    waiting.await.unwrap().unwrap()
}

#[tokio::test]
async fn wait_tells_completed_failed_and_cancelled_apart() {
    let completed = outcome_of(json!({
        "id": "e1", "state": "completed",
        "result": {"type": "success", "content": "You are you."}
    }))
    .await;
    assert!(completed.is_completed());
    assert_eq!(completed.answer(), Some("You are you."));
    assert_eq!(completed.to_string(), "completed");

    let failed = outcome_of(json!({
        "id": "e1", "state": "completed",
        "result": {"type": "rejected", "content": "Blocked by policy."}
    }))
    .await;
    assert!(matches!(failed, EvaluationOutcome::Failed(_)), "{failed:?}");
    assert_eq!(failed.answer(), None);
    assert_eq!(failed.failure(), Some(&EvaluationResultType::Rejected));
    assert_eq!(failed.to_string(), "failed (rejected)");
    assert_eq!(
        failed.evaluation().answer(),
        Some("Blocked by policy."),
        "the failure's explanation stays readable"
    );
    assert!(failed.clone().completed().is_err());

    let cancelled = outcome_of(json!({"id": "e1", "state": "running", "isCancelled": true})).await;
    assert!(
        matches!(cancelled, EvaluationOutcome::Cancelled(_)),
        "{cancelled:?}"
    );
    assert_eq!(cancelled.answer(), None);
}
