//! Every documented example body decodes with the generated models and re-serializes to JSON
//! equal to the input (unknown members and unknown enum values included); Graph error examples
//! decode with request ids and dates.

use graph_security_copilot::error::ODataError;
use graph_security_copilot::models::{
    Evaluation, EvaluationState, Plugin, PluginCategory, Prompt, Session, Workspace,
};
use graph_security_copilot::Page;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Decodes `value` as `T` and checks the round trip is lossless.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> T {
    let decoded: T = serde_json::from_value(value.clone()).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(&again, value, "round trip changed the JSON");
    decoded
}

#[test]
fn documented_entities_round_trip() {
    let session: Session = round_trip(&fixture("create_session_201.json"));
    assert_eq!(session.display_name, Some(Some("Who am I".to_string())));
    round_trip::<Session>(&fixture("get_session_200.json"));
    round_trip::<Session>(&fixture("update_session_200.json"));
    let prompt: Prompt = round_trip(&fixture("create_prompt_201.json"));
    assert_eq!(prompt.skill_name, Some(None));
    assert_eq!(prompt.skill_input_descriptors, Some(vec![]));
    round_trip::<Prompt>(&fixture("get_prompt_200.json"));
    let created: Evaluation = round_trip(&fixture("create_evaluation_201.json"));
    assert_eq!(created.state, Some(EvaluationState::Created));
    assert_eq!(created.execution_count, Some(0));
    assert_eq!(
        created.run_start_date_time.map(|d| d.timestamp()),
        Some(-62135596800),
        "0001-01-01T00:00:00Z parses"
    );
    let done: Evaluation = round_trip(&fixture("get_evaluation_200.json"));
    assert!(done
        .answer()
        .unwrap()
        .starts_with("You are signed in as Lorenz X"));
    // The docs' list-evaluations example is a single entity.
    let running: Evaluation = round_trip(&fixture("list_evaluations_200.json"));
    assert_eq!(running.state, Some(EvaluationState::Running));
}

#[test]
fn documented_collections_round_trip() {
    let workspaces: Page<Workspace> = round_trip(&fixture("list_workspaces_200.json"));
    assert_eq!(workspaces.value.len(), 1);
    let plugins: Page<Plugin> = round_trip(&fixture("list_plugins_200.json"));
    assert_eq!(plugins.value[0].category, Some(PluginCategory::Microsoft));
    assert!(plugins
        .additional_properties
        .contains_key("@microsoft.graph.tips"));
    let sessions: Page<Session> = round_trip(&fixture("list_sessions_200.json"));
    assert_eq!(sessions.value.len(), 2);
    assert_eq!(sessions.next_link, None);
    let prompts: Page<Prompt> = round_trip(&fixture("list_prompts_200.json"));
    assert_eq!(prompts.value[0].content, Some(Some("who am I".to_string())));
}

/// The seed pages (`shared/seeds/`) are the project's first fixtures: their JSON bodies decode.
#[test]
fn seed_examples_round_trip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds");
    let mut bodies = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // `{workspaceId}` in the URL templates is a brace block too; only JSON bodies count.
        for body in json_objects(&text) {
            let Ok(value) = serde_json::from_str::<Value>(&body) else {
                assert!(
                    !body.contains('"'),
                    "a JSON-looking block does not parse: {body}"
                );
                continue;
            };
            if value.get("value").is_some() {
                let page: Page<Session> = round_trip(&value);
                assert!(!page.value.is_empty());
            } else {
                round_trip::<Session>(&value);
            }
            bodies += 1;
        }
    }
    assert_eq!(bodies, 3, "create request, create response, list response");
}

/// Top-level `{...}` blocks in a text (the seeds are rendered docs pages).
fn json_objects(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut depth = 0;
    let mut start = None;
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    if let Some(s) = start.take() {
                        found.push(text[s..=i].to_string());
                    }
                }
            }
            _ => {}
        }
    }
    found
}

#[test]
fn unknown_enum_values_and_properties_round_trip() {
    let value = json!({
        "id": "e1",
        "state": "thinkingVeryHard",
        "result": {"type": "partiallyRight", "previewState": "ga", "content": "x", "confidence": 0.5},
        "executionCount": "9007199254740993",
        "newBetaProperty": {"nested": [1, 2, 3]},
        "@odata.etag": "W/\"1\""
    });
    let evaluation: Evaluation = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(
        evaluation.state,
        Some(EvaluationState::Unrecognized(
            "thinkingVeryHard".to_string()
        ))
    );
    assert!(!evaluation.state.as_ref().unwrap().is_known());
    assert_eq!(
        evaluation.execution_count,
        Some(9_007_199_254_740_993),
        "Int64 from a string"
    );
    let again = serde_json::to_value(&evaluation).unwrap();
    // Everything is kept; the Int64 is written back as a number.
    let mut expected = value;
    expected["executionCount"] = json!(9_007_199_254_740_993_i64);
    assert_eq!(again, expected);
    // `unknownFutureValue` is an ordinary variant.
    let future: EvaluationState = serde_json::from_value(json!("unknownFutureValue")).unwrap();
    assert_eq!(future, EvaluationState::UnknownFutureValue);
}

#[test]
fn graph_error_examples_decode_with_request_ids_and_dates() {
    let documented = json!({
        "error": {
            "code": "invalidRange",
            "message": "Uploaded fragment overlaps with existing data.",
            "innerError": {"request-id": "request-id", "date": "date-time"}
        }
    });
    let error: ODataError = round_trip(&documented);
    assert_eq!(error.error.code, "invalidRange");
    let inner = error.error.inner_error.as_ref().unwrap();
    assert_eq!(inner.request_id.as_deref(), Some("request-id"));
    assert_eq!(
        inner.date_time(),
        None,
        "placeholder date is kept as text, not parsed"
    );

    let throttled = json!({
        "error": {
            "code": "activityLimitReached",
            "message": "The request has been throttled",
            "innerError": {
                "code": "throttledRequest",
                "innerError": {"code": "quota"},
                "date": "2021-11-30T12:17:46",
                "request-id": "01c3bdb8-fbb1-4613-96ad-be961ba99e11",
                "client-request-id": "01c3bdb8-fbb1-4613-96ad-be961ba99e11"
            }
        }
    });
    let error: ODataError = round_trip(&throttled);
    let inner = error.error.inner_error.as_ref().unwrap();
    assert_eq!(inner.code.as_deref(), Some("throttledRequest"));
    assert_eq!(
        inner.inner_error.as_ref().and_then(|i| i.code.as_deref()),
        Some("quota")
    );
    assert_eq!(
        inner.client_request_id.as_deref(),
        Some("01c3bdb8-fbb1-4613-96ad-be961ba99e11")
    );
    assert_eq!(
        inner.date_time().map(|d| d.to_rfc3339()),
        Some("2021-11-30T12:17:46+00:00".to_string())
    );
}

#[test]
fn create_evaluation_body_is_an_empty_object() {
    assert_eq!(serde_json::to_string(&Evaluation::default()).unwrap(), "{}");
}
