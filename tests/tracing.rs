//! Tracing: one span per call with operation, method, path, status, attempts and request id;
//! no tokens, no query values. In its own test binary so no other test races the subscriber.

use std::sync::{Arc, Mutex};

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::Client;
use mockito::Matcher;
use serde_json::json;

const TOKEN: &str = "secret-token-must-not-leak-7f3a";

#[tokio::test]
async fn one_span_per_call_without_secrets() {
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut server = mockito::Server::new_async().await;
    let _mock = server
        .mock(
            "GET",
            "/beta/security/securityCopilot/workspaces/default/sessions",
        )
        .match_query(Matcher::Any)
        .with_header("request-id", "trace-req")
        .with_body(json!({"value": [{"id": "a"}]}).to_string())
        .create_async()
        .await;
    let client = Client::builder()
        .base_url(format!("{}/beta", server.url()))
        .credential(StaticToken::new(TOKEN))
        .build()
        .unwrap();
    client
        .workspace("default")
        .sessions()
        .list()
        .filter("displayName eq 'private value'")
        .page()
        .await
        .unwrap();
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("graph_call"), "{log}");
    assert!(
        log.contains("operation=\"list_workspace_sessions\""),
        "{log}"
    );
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("attempts=1"), "{log}");
    assert!(log.contains("request_id=\"trace-req\""), "{log}");
    assert!(
        log.contains("path=\"/beta/security/securityCopilot/workspaces/default/sessions\""),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "token in logs");
    assert!(!log.contains("private value"), "query values in logs");
}
