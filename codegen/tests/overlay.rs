//! The overlay decides the surface: 12 documented operations with it, Microsoft's SDK surface
//! (33) without it, and removing one restriction adds exactly that operation.

use std::path::PathBuf;

use graph_security_copilot_codegen::csdl::{read_file, read_str, Model};
use graph_security_copilot_codegen::generate::generate;
use graph_security_copilot_codegen::operations::{operations, QueryOption};

fn spec(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec")).join(name)
}

fn ids(model: &Model) -> Vec<String> {
    operations(model)
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect()
}

fn with_overlay(overlay: &str) -> Model {
    Model::build_with_overlays(
        vec![read_file(&spec("securityCopilot.csdl.xml")).unwrap()],
        vec![read_str("overlay.xml", overlay).unwrap()],
    )
    .unwrap()
}

#[test]
fn overlay_declares_the_twelve_documented_operations() {
    let overlay = std::fs::read_to_string(spec("overlay.xml")).unwrap();
    let model = with_overlay(&overlay);
    assert_eq!(
        ids(&model),
        [
            "list_workspaces",
            "list_plugins",
            "list_sessions",
            "create_session",
            "get_session",
            "update_session",
            "list_prompts",
            "create_prompt",
            "get_prompt",
            "list_evaluations",
            "create_evaluation",
            "get_evaluation"
        ]
    );
    let ops = operations(&model).unwrap();
    let list_sessions = ops.iter().find(|o| o.id == "list_sessions").unwrap();
    assert_eq!(
        list_sessions.query_options,
        [
            QueryOption::Top,
            QueryOption::Filter,
            QueryOption::Count,
            QueryOption::Select
        ]
    );
    assert_eq!(list_sessions.summary, "List sessions");
    let workspaces = ops.iter().find(|o| o.id == "list_workspaces").unwrap();
    assert_eq!(
        workspaces.query_options,
        [QueryOption::Filter, QueryOption::Count, QueryOption::Select]
    );
    let create = ops.iter().find(|o| o.id == "create_session").unwrap();
    assert_eq!((create.method, create.success_status), ("POST", 201));
    let get_plugin_path = "/security/securityCopilot/workspaces/{workspace-id}/plugins";
    assert!(ops.iter().any(|o| o.path == get_plugin_path));
}

#[test]
fn without_the_overlay_every_sdk_operation_exists() {
    let model = Model::build(vec![read_file(&spec("securityCopilot.csdl.xml")).unwrap()]).unwrap();
    let ids = ids(&model);
    assert_eq!(ids.len(), 33, "{ids:?}");
    for expected in [
        "get_security_copilot",
        "delete_workspace",
        "count_workspaces",
        "get_plugin",
        "count_evaluations",
        "delete_evaluation",
    ] {
        assert!(
            ids.iter().any(|i| i == expected),
            "{expected} missing from {ids:?}"
        );
    }
    let ops = operations(&model).unwrap();
    let plugin = ops.iter().find(|o| o.id == "get_plugin").unwrap();
    assert!(
        plugin.path.ends_with("/plugins/{plugin-name}"),
        "plugins are keyed by name: {}",
        plugin.path
    );
    // Progenitor accepts the full surface too.
    let generated = generate(&model).unwrap();
    assert!(generated.client.contains("pub fn count_evaluations"));
    assert!(generated.handles.contains("pub fn delete"));
}

#[test]
fn removing_a_restriction_adds_the_operation() {
    let overlay = std::fs::read_to_string(spec("overlay.xml")).unwrap();
    // The sessions block is the one with "Create session" in it; allow DELETE there.
    let start = overlay
        .find("Target=\"microsoft.graph.security.securityCopilot.workspace/sessions\"")
        .unwrap();
    let delete_at = start
        + overlay[start..]
            .find("<Annotation Term=\"Org.OData.Capabilities.V1.DeleteRestrictions\">")
            .unwrap();
    let end =
        delete_at + overlay[delete_at..].find("</Annotation>").unwrap() + "</Annotation>".len();
    let edited = format!("{}{}", &overlay[..delete_at], &overlay[end..]);
    let before = ids(&with_overlay(&overlay));
    let after = ids(&with_overlay(&edited));
    let added: Vec<&String> = after.iter().filter(|i| !before.contains(i)).collect();
    assert_eq!(added, ["delete_session"]);
    let generated = generate(&with_overlay(&edited)).unwrap();
    assert!(generated.client.contains("pub fn delete_session"));
    assert!(generated.handles.contains("pub fn delete(&self)"));
}
