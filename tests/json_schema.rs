//! With the `schemars` feature, models describe themselves as JSON Schema under their wire
//! names (`cargo test --features schemars --test json_schema`; CI runs it).
#![cfg(feature = "schemars")]

use graph_security_copilot::models::{EvaluationState, Session};

#[test]
fn models_have_json_schemas_under_their_wire_names() {
    let session = serde_json::to_value(schemars::schema_for!(Session)).unwrap();
    let properties = session["properties"].as_object().unwrap();
    assert!(properties.contains_key("displayName"), "{session}");
    assert!(properties.contains_key("@odata.type"), "{session}");
    assert!(!properties.contains_key("display_name"), "{session}");
    // Open enums list the values this crate knows, and accept any other string.
    let state = serde_json::to_value(schemars::schema_for!(EvaluationState)).unwrap();
    assert_eq!(state["type"], "string", "{state}");
    let examples: Vec<&str> = state["examples"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(examples.contains(&"completed"), "{state}");
}
