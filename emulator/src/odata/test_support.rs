//! Fixtures shared by the unit tests.

use serde_json::{json, Map, Value};

use super::shape::{EntityShape, PropertyKind};

/// A shape with one property of every kind.
pub(crate) fn shape() -> EntityShape {
    EntityShape::new("session", "id")
        .with_property("id", PropertyKind::String)
        .with_property("displayName", PropertyKind::String)
        .with_property("size", PropertyKind::Int32)
        .with_property("big", PropertyKind::Int64)
        .with_property("score", PropertyKind::Double)
        .with_property("isEnabled", PropertyKind::Boolean)
        .with_property("createdDateTime", PropertyKind::DateTimeOffset)
        .with_property("state", PropertyKind::Enum)
        .with_property("settings", PropertyKind::Collection)
        .with_property("authorization", PropertyKind::Complex)
        .with_property("extra", PropertyKind::Other)
}

/// Turns a `json!` object into a map.
pub(crate) fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Five entities covering nulls, missing values and every kind.
pub(crate) fn entities() -> Vec<Map<String, Value>> {
    vec![
        obj(json!({
            "@odata.type": "#microsoft.graph.security.securityCopilot.session",
            "id": "1", "displayName": "Entra", "size": 3, "big": "9007199254740993",
            "score": 1.5, "isEnabled": true,
            "createdDateTime": "2025-10-15T15:54:58.4862768Z", "state": "completed",
            "settings": [], "authorization": {"authType": "none"}, "extra": 7
        })),
        obj(json!({
            "id": "2", "displayName": "it's", "size": 10, "big": 5,
            "score": 2.25, "isEnabled": false,
            "createdDateTime": "2025-10-15T15:54:58.4862767Z", "state": "running",
            "settings": [{"name": "x"}], "authorization": null, "extra": "seven"
        })),
        obj(json!({
            "id": "3", "displayName": null, "size": 3, "big": "-4",
            "score": -1, "isEnabled": true,
            "createdDateTime": "0001-01-01T00:00:00Z", "state": "pending"
        })),
        obj(json!({
            "id": "4", "displayName": "Defender", "size": 7, "big": 12,
            "isEnabled": false,
            "createdDateTime": "2024-01-01T10:00:00+02:00", "state": "completed"
        })),
        obj(json!({
            "id": "5", "displayName": "entra id", "size": 1,
            "score": 0.5, "isEnabled": true,
            "createdDateTime": "2025-10-16T00:00:00Z", "state": "failed"
        })),
    ]
}
