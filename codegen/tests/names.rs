//! Rust names are a function of the wire name alone: hostile names get valid, distinct names,
//! and adding or removing other elements never renames an existing item.

mod support;

use graph_odata_codegen::csdl::{read_str, Model};
use graph_odata_codegen::generate::{generate, Generated};
use graph_odata_codegen::rust_names::type_name;
use support::*;

fn generated(fragment: &str) -> Generated {
    let overlay = std::fs::read_to_string(spec_dir().join("overlay.xml")).unwrap();
    let model = Model::build_with_overlays(
        vec![read_str("fragment.xml", fragment).unwrap()],
        vec![read_str("overlay.xml", &overlay).unwrap()],
    )
    .unwrap();
    generate(&model, &support::spec_config()).unwrap_or_else(|e| panic!("{e}"))
}

fn squash(code: &str) -> String {
    code.split_whitespace().collect()
}

#[test]
fn hostile_names_get_valid_distinct_names() {
    let code = squash(&generated(&hostile_fragment()).models);
    for field in [
        "pubself_:",
        "pubcrate_:",
        "pubsuper_:",
        "pubtype_:",
        "pubnew_:",
        "pubwith_display_name_:",
        "pubodata_type_:",
        "pubadditional_properties_:",
        "pubasync_:",
        "pubdisplay_name:",
    ] {
        assert!(code.contains(field), "{field} missing");
    }
    // Non-conventional spellings: a suffix of their own, never the plain name.
    for prefix in [
        "pubself_h",
        "pubdisplay_name_h",
        "pubodata_etag_h",
        "pubn_2fa_h",
    ] {
        assert!(code.contains(prefix), "{prefix} missing");
    }
    // In the probe type itself (the spec may have twins of its own): two twins, two names.
    let probe = type_name(&fresh(&fragment(), "hostileProbe"));
    let start = code
        .find(&format!("pubstruct{probe}{{"))
        .expect("probe struct");
    let probe_code = &code[start..start + code[start..].find("impl").unwrap_or(code.len() - start)];
    assert_eq!(
        probe_code.matches("pubdisplay_name_h").count(),
        2,
        "two twins, two names"
    );
    // Types: a prelude name gets `_`; `securityCopilot.entity` and `graph.entity` both exist.
    let text = fragment();
    let result = type_name(&fresh(&text, "result"));
    let entity = type_name(&fresh(&text, "entity"));
    assert!(code.contains(&format!("pubstruct{result}{{")), "{result}");
    if result == "Result" {
        panic!("test bug: `result` must be reserved");
    }
    assert!(
        code.contains(&format!("pubstruct{entity}{{")),
        "API-namespace {entity}"
    );
    assert!(code.contains("pubmodgraph{"), "other namespaces in modules");
    // Variants: `unrecognized` yields to the catch-all, `self`/`Self` are distinct.
    assert!(code.contains("Unrecognized_,"));
    assert!(code.contains("Self_,"));
    assert!(
        code.contains("Self_h"),
        "`Self` is non-conventional: suffixed"
    );
}

#[test]
fn adding_elements_renames_nothing() {
    let before = generated(&fragment());
    let after = generated(&hostile_fragment());
    // Every line of the old surface listing that names a Rust item is still there.
    for line in before.surface.lines() {
        if let Some(rest) = line.strip_prefix("enum ") {
            // Same enum, every old variant still there (new ones may join).
            let (name, variants) = rest.split_once(" {").unwrap();
            let new_line = after
                .surface
                .lines()
                .find(|l| l.starts_with(&format!("enum {name} {{")))
                .unwrap_or_else(|| panic!("enum {name} renamed"));
            for variant in variants.trim_end_matches('}').split(',').map(str::trim) {
                assert!(new_line.contains(variant), "{name}::{variant} renamed");
            }
        } else if line.starts_with("    ") || line.starts_with("struct") {
            assert!(after.surface.contains(line), "renamed or changed: {line}");
        }
    }
    let ids: Vec<&str> = before.operations.iter().map(|o| o.id.as_str()).collect();
    let after_ids: Vec<&str> = after.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, after_ids);
}
