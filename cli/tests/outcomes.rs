//! `gsc ask` when the evaluation does not complete: exit status 3, the outcome on stderr, the
//! evaluation still on stdout. The emulator's evaluations always complete, so a mockito server
//! on loopback plays the service here (the documented create calls, then the final state).

use assert_cmd::Command;
use mockito::{Matcher, ServerGuard};
use serde_json::json;

const TOKEN: &str = "gsc-test-token-0123456789";
const SESSIONS: &str = "/beta/security/securityCopilot/workspaces/default/sessions";

/// A service whose evaluation of the prompt ends as `evaluation`.
async fn service(evaluation: serde_json::Value) -> ServerGuard {
    let mut server = mockito::Server::new_async().await;
    let created = |body: serde_json::Value| (201, body.to_string());
    for (path, (status, body)) in [
        (
            SESSIONS.to_string(),
            created(json!({"id": "s1", "displayName": "Who am I"})),
        ),
        (
            format!("{SESSIONS}/s1/prompts"),
            created(json!({"id": "p1", "content": "Who am I"})),
        ),
        (
            format!("{SESSIONS}/s1/prompts/p1/evaluations"),
            created(evaluation.clone()),
        ),
    ] {
        server
            .mock("POST", path.as_str())
            .match_header("authorization", format!("Bearer {TOKEN}").as_str())
            .with_status(status)
            .with_header("content-type", "application/json")
            .with_body(body)
            .create_async()
            .await;
    }
    server
        .mock(
            "GET",
            Matcher::Regex(format!("^{SESSIONS}/s1/prompts/p1/evaluations/e1")),
        )
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_body(evaluation.to_string())
        .create_async()
        .await;
    server
}

fn ask(server: &ServerGuard) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gsc"))
        .env_remove("GRAPH_TOKEN")
        .env_remove("GRAPH_BASE_URL")
        .args([
            "--base-url",
            &format!("{}/beta", server.url()),
            "--token",
            TOKEN,
        ])
        .args(["ask", "Who am I"])
        .output()
        .expect("gsc runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_evaluation_exits_3_and_names_the_failure() {
    let server = service(json!({
        "id": "e1", "state": "completed",
        "result": {"type": "rejected", "content": "Blocked by policy."}
    }))
    .await;
    let (code, stdout, stderr) = ask(&server);
    assert_eq!(code, 3, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("failed (rejected)"), "{stderr}");
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(document["outcome"], "failed (rejected)");
    assert_eq!(
        document["answer"],
        serde_json::Value::Null,
        "a failure is no answer"
    );
    assert_eq!(
        document["evaluation"]["result"]["content"],
        "Blocked by policy."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_evaluation_exits_3() {
    let server = service(json!({"id": "e1", "state": "cancelled", "isCancelled": true})).await;
    let (code, stdout, stderr) = ask(&server);
    assert_eq!(code, 3, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
}
