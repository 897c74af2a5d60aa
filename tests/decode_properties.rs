//! Property tests of response decoding (issue 10): whatever JSON (or not-JSON) a server sends,
//! decoding gives a value or a typed error, never a panic.
//!
//! Case counts stay small for `cargo test`; for a long run:
//! `PROPTEST_CASES=20000 cargo test --test decode_properties`.

use std::time::Duration;

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::error::ODataError;
use graph_security_copilot::models::{Evaluation, Plugin, Prompt, Session, Workspace};
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error, Page};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Member names the models and pages use, so generated objects reach the field decoders.
const KEYS: &[&str] = &[
    "id",
    "displayName",
    "createdDateTime",
    "lastModifiedDateTime",
    "state",
    "content",
    "type",
    "result",
    "executionCount",
    "runningDateTime",
    "completedDateTime",
    "isEnabled",
    "value",
    "@odata.nextLink",
    "@odata.count",
    "@odata.context",
    "error",
    "code",
    "message",
    "innerError",
    "details",
    "date",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just("2025-10-15T15:54:58.4862768Z"),
            Just("2025-13-45T99:99:99Z"),
            Just("9223372036854775808"),
            Just("-9223372036854775808"),
            Just("completed"),
            Just("NaN"),
            Just("INF"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..8).prop_map(
                |members| {
                    Value::Object(
                        members
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<String, Value>>(),
                    )
                }
            ),
            prop::collection::vec((any::<String>(), inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Bodies: generated JSON, JSON cut short, deep nesting, or arbitrary bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => (json(), any::<usize>()).prop_map(|(v, cut)| {
            let bytes = serde_json::to_vec(&v).unwrap_or_default();
            let cut = cut % (bytes.len() + 1);
            bytes[..cut].to_vec()
        }),
        1 => (1usize..20_000).prop_map(|depth| {
            [b"{\"value\":".to_vec(), b"[".repeat(depth), b"]".repeat(depth), b"}".to_vec()]
                .concat()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Page<Session>>(bytes);
    let _ = serde_json::from_slice::<Page<Evaluation>>(bytes);
    let _ = serde_json::from_slice::<Page<Plugin>>(bytes);
    let _ = serde_json::from_slice::<Session>(bytes);
    let _ = serde_json::from_slice::<Prompt>(bytes);
    let _ = serde_json::from_slice::<Evaluation>(bytes);
    let _ = serde_json::from_slice::<Workspace>(bytes);
    let _ = serde_json::from_slice::<Plugin>(bytes);
    if let Ok(error) = serde_json::from_slice::<ODataError>(bytes) {
        let _ = error.error.inner_error.as_ref().map(|i| i.date_time());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_body_decodes_or_fails_without_panicking(bytes in body()) {
        decode_all(&bytes);
    }
}

/// Through the client: every body gives a value, a typed decode error or a typed API error.
#[test]
fn any_response_is_a_value_or_a_typed_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = std::cell::RefCell::new(runtime.block_on(mockito::Server::new_async()));
    let client = Client::builder()
        .base_url(format!("{}/beta", server.borrow().url()))
        .credential(StaticToken::new("token-for-decoding-tests"))
        .retry_policy(RetryPolicy::disabled())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let path = "/beta/security/securityCopilot/workspaces/default/sessions";
    let mut runner = TestRunner::new(config(48));
    let result = runner.run(
        &(
            body(),
            prop::sample::select(&[200u16, 201, 400, 429, 500][..]),
        ),
        |(bytes, status)| {
            let mut server = server.borrow_mut();
            let mock = runtime.block_on(
                server
                    .mock("GET", path)
                    .with_status(usize::from(status))
                    .with_header("content-type", "application/json")
                    .with_body(&bytes)
                    .create_async(),
            );
            let page = runtime.block_on(client.workspace("default").sessions().list().page());
            let session = runtime.block_on(
                client
                    .raw()
                    .list_workspace_sessions()
                    .workspace_id("default")
                    .send(),
            );
            runtime.block_on(mock.remove_async());
            drop(session);
            match page {
                Ok(_) => prop_assert!(status < 300),
                Err(Error::Decode(e)) => prop_assert_eq!(e.status.as_u16(), status),
                Err(Error::Api(e)) => {
                    prop_assert!(status >= 400);
                    prop_assert_eq!(e.status.as_u16(), status);
                }
                Err(other) => prop_assert!(false, "unexpected error kind {other:?}"),
            }
            Ok(())
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
