//! The overlay decides the surface: exposure is opt-in (one `Exposed` entry per navigation),
//! its restrictions pick the verbs, Microsoft's own restrictions can only narrow them, and a
//! document can never expose anything. Expectations come from the overlay text itself, not from
//! today's counts (those live in the golden `spec/generated/surface.txt`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use graph_odata_codegen::capabilities::EXPOSED;
use graph_odata_codegen::config::SpecConfig;
use graph_odata_codegen::csdl::{read_file, read_str, Model};
use graph_odata_codegen::generate::generate;
use graph_odata_codegen::operations::{navigations, operations, operations_with, WalkOptions};

fn spec(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec")).join(name)
}

fn overlay_text() -> String {
    std::fs::read_to_string(spec("overlay.xml")).unwrap()
}

fn with_overlay(overlay: &str) -> Model {
    Model::build_with_overlays(
        vec![read_file(&spec("securityCopilot.csdl.xml")).unwrap()],
        vec![read_str("overlay.xml", overlay).unwrap()],
    )
    .unwrap()
}

/// The `Target`s of the overlay blocks that carry the `Exposed` term, read from the text.
fn exposed_targets(overlay: &str) -> BTreeSet<String> {
    let mut targets = BTreeSet::new();
    for block in overlay.split("<Annotations Target=\"").skip(1) {
        let target = &block[..block.find('"').unwrap()];
        let body = &block[..block.find("</Annotations>").unwrap()];
        if body.contains(&format!("Term=\"{EXPOSED}\"")) {
            targets.insert(target.to_string());
        }
    }
    targets
}

/// The overlay with the `Exposed` annotation of one target's block removed.
fn unexpose(overlay: &str, target: &str) -> String {
    let start = overlay
        .find(&format!("<Annotations Target=\"{target}\">"))
        .unwrap();
    let tag = format!("<Annotation Term=\"{EXPOSED}\" />");
    let at = start + overlay[start..].find(&tag).unwrap();
    format!("{}{}", &overlay[..at], &overlay[at + tag.len()..])
}

#[test]
fn exactly_the_listed_navigations_are_exposed() {
    let overlay = overlay_text();
    let model = with_overlay(&overlay);
    let listed = exposed_targets(&overlay);
    assert!(!listed.is_empty());
    let entries = navigations(&model).unwrap();
    let exposed: BTreeSet<String> = entries
        .iter()
        .filter(|e| e.exposed)
        .map(|e| e.target.clone())
        .collect();
    assert_eq!(exposed, listed, "one overlay entry per exposed navigation");
    // Every operation lies on a path all of whose navigations are exposed.
    let exposed_paths: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.exposed)
        .map(|e| e.path.as_str())
        .collect();
    for op in operations(&model).unwrap() {
        let mut prefix = String::new();
        for segment in op.path.split('/').skip(1) {
            prefix.push('/');
            prefix.push_str(segment);
            if segment.starts_with('{') || segment == "$count" {
                continue;
            }
            assert!(
                exposed_paths.contains(prefix.as_str()),
                "{} runs through unexposed {prefix}",
                op.id
            );
        }
    }
}

#[test]
fn without_the_overlay_nothing_is_exposed_and_everything_is_reported() {
    let model = Model::build(vec![read_file(&spec("securityCopilot.csdl.xml")).unwrap()]).unwrap();
    assert!(operations(&model).unwrap().is_empty());
    assert!(generate(&model, &spec_config())
        .unwrap()
        .operations
        .is_empty());
    // The navigations are still listed, none exposed: what the refresh report shows.
    let entries = navigations(&model).unwrap();
    assert!(!entries.is_empty() && entries.iter().all(|e| !e.exposed));
    // Everything the document implies, for the emulator's surface and `new-crate`: a superset
    // of what the overlay exposes.
    let all: BTreeSet<String> = operations_with(&model, WalkOptions::EVERYTHING)
        .unwrap()
        .into_iter()
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    let exposed: BTreeSet<String> = operations(&with_overlay(&overlay_text()))
        .unwrap()
        .into_iter()
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    assert!(exposed.is_subset(&all), "{exposed:?} ⊄ {all:?}");
    assert!(all.len() > exposed.len());
}

#[test]
fn unexposing_a_navigation_removes_it_and_everything_below() {
    let overlay = overlay_text();
    let before = operations(&with_overlay(&overlay)).unwrap();
    for target in exposed_targets(&overlay) {
        let edited = unexpose(&overlay, &target);
        let model = with_overlay(&edited);
        let path = navigations(&model)
            .unwrap()
            .into_iter()
            .find(|e| e.target == target)
            .unwrap()
            .path;
        let after = operations(&model).unwrap();
        let expected: Vec<&str> = before
            .iter()
            .filter(|o| o.path != path && !o.path.starts_with(&format!("{path}/")))
            .map(|o| o.id.as_str())
            .collect();
        let got: Vec<&str> = after.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(got, expected, "unexposing {target}");
    }
}

#[test]
fn removing_a_restriction_adds_the_operation_and_no_name_changes() {
    let overlay = overlay_text();
    // The sessions block: allow DELETE there.
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
    let before = operations(&with_overlay(&overlay)).unwrap();
    let after = operations(&with_overlay(&edited)).unwrap();
    let added: Vec<_> = after
        .iter()
        .filter(|o| !before.iter().any(|b| b.id == o.id))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].method, "DELETE");
    assert!(added[0].path.ends_with("/sessions/{session-id}"));
    // Every operation that existed keeps its id.
    for op in &before {
        assert!(after.iter().any(|a| a.id == op.id && a.path == op.path));
    }
    let generated = generate(&with_overlay(&edited), &spec_config()).unwrap();
    assert!(generated
        .client
        .contains(&format!("pub fn {}", added[0].id)));
    assert!(generated.handles.contains("pub fn delete(&self)"));
}

#[test]
fn documents_narrow_but_never_expose() {
    let overlay = overlay_text();
    let fragment = std::fs::read_to_string(spec("securityCopilot.csdl.xml")).unwrap();
    // Microsoft's document forbids listing sessions and tags a navigation as exposed itself.
    let restricted = fragment.replacen(
        "</Schema>",
        r#"<Annotations Target="microsoft.graph.security.securityCopilot.workspace/sessions">
          <Annotation Term="Org.OData.Capabilities.V1.ReadRestrictions"><Record><PropertyValue Property="Readable" Bool="false" /></Record></Annotation>
        </Annotations>
        <Annotations Target="microsoft.graph.security.securityCopilot.session/prompts">
          <Annotation Term="graphSecurityCopilot.overlay.Exposed" />
        </Annotations>
        </Schema>"#,
        1,
    );
    let model = |document: &str, overlay: &str| {
        Model::build_with_overlays(
            vec![read_str("document.xml", document).unwrap()],
            vec![read_str("overlay.xml", overlay).unwrap()],
        )
        .unwrap()
    };
    let before = operations(&model(&fragment, &overlay)).unwrap();
    let after = operations(&model(&restricted, &overlay)).unwrap();
    let lost: Vec<_> = before
        .iter()
        .filter(|o| !after.iter().any(|a| a.id == o.id))
        .collect();
    // Readable=false forbids the list and, as ReadByKeyRestrictions inherits it, the get.
    let lost: BTreeSet<(&str, &str)> = lost
        .iter()
        .map(|o| {
            (
                o.method,
                o.path.rsplit_once("/sessions").map_or("", |(_, t)| t),
            )
        })
        .collect();
    assert_eq!(
        lost,
        BTreeSet::from([("GET", ""), ("GET", "/{session-id}")]),
        "only the reads of sessions go"
    );
    // The document's own `Exposed` tag exposes nothing: unexposed in the overlay, prompts stay
    // out even though the document tags them.
    let target = "microsoft.graph.security.securityCopilot.session/prompts";
    let edited = unexpose(&overlay, target);
    let ops = operations(&model(&restricted, &edited)).unwrap();
    assert!(ops.iter().all(|o| !o.path.contains("/prompts")), "{ops:?}");
}

fn spec_config() -> SpecConfig {
    SpecConfig::read(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec"
    )))
    .expect("spec/generator.json")
}
