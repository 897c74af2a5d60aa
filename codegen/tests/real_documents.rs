//! The CSDL reader on Microsoft's full documents: every element read, every reference resolved.

use graph_odata_codegen::csdl::{read_file, Model, StructuredKind, TypeKind};
use std::path::PathBuf;

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join(name)
}

fn check_every_reference_resolves(model: &Model) -> usize {
    let mut checked = 0;
    for (name, t) in model.structured_types() {
        for p in &t.properties {
            assert!(
                model.lookup(&p.type_ref.name).is_some(),
                "{name}/{}: {}",
                p.name,
                p.type_ref.raw
            );
            checked += 1;
        }
        for n in &t.navigation_properties {
            assert!(
                matches!(model.lookup(&n.type_ref.name), Some(TypeKind::Structured(s)) if s.kind == StructuredKind::Entity),
                "{name}/{}",
                n.name
            );
            checked += 1;
        }
        if let Some(base) = &t.base_type {
            assert!(
                model.structured(&base.name).is_some(),
                "{name} base {}",
                base.raw
            );
        }
    }
    checked
}

#[test]
fn reads_graph_v1_metadata_completely() {
    let document = read_file(&reference("graph-v1.0-metadata.xml")).expect("v1.0 document reads");
    assert_eq!(document.schemas.len(), 11, "11 namespaces");
    let model = Model::build(vec![document]).expect("v1.0 document resolves");
    // Microsoft's document annotates a navigation that no longer exists: tolerated, reported.
    assert!(model
        .warnings()
        .iter()
        .any(|w| w.element.contains("microsoft.graph.user/joinedGroups")));
    let types = model.structured_types().count();
    assert!(types > 1500, "only {types} structured types");
    let references = check_every_reference_resolves(&model);
    assert!(references > 10_000, "only {references} references checked");
    // Aliased references (`graph.entity`) resolve to the namespace.
    let user = model.structured("microsoft.graph.user").expect("user type");
    assert_eq!(
        user.base_type.as_ref().map(|b| b.name.as_str()),
        Some("microsoft.graph.directoryObject")
    );
    assert_eq!(model.key("microsoft.graph.user"), vec!["id".to_string()]);
    // Flags enums are recognised.
    assert!(
        model.enum_types().any(|(_, e)| e.is_flags),
        "no IsFlags enum found"
    );
    // Out-of-line capability annotations land on navigation properties.
    let security = model
        .structured("microsoft.graph.security")
        .expect("security type");
    let alerts = security
        .navigation_properties
        .iter()
        .find(|n| n.name == "alerts")
        .expect("security/alerts");
    assert!(alerts
        .annotations
        .iter()
        .any(|a| a.term == "Org.OData.Capabilities.V1.DeleteRestrictions"));
}

#[test]
fn reads_graph_beta_usnat_metadata_completely() {
    let document =
        read_file(&reference("graph-beta-usnat-metadata.xml")).expect("beta document reads");
    let model = Model::build(vec![document]).expect("beta document resolves");
    assert!(model.structured_types().count() > 500);
    assert!(check_every_reference_resolves(&model) > 5_000);
    assert!(
        model.containers().next().is_some(),
        "has an entity container"
    );
}
