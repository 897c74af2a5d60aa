//! The generated OpenAPI and public-surface listing are committed under `spec/generated/`, so a
//! spec change shows up as a reviewable diff. This test fails when they are stale; refresh with
//! `UPDATE_GOLDEN=1 cargo test -p graph-security-copilot-codegen --test golden`.

use std::path::PathBuf;

use graph_security_copilot_codegen::generate::{generate, load_spec, spec_files};

fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

#[test]
fn golden_files_are_up_to_date() {
    let model = load_spec(&spec_files(&spec_dir())).expect("spec loads");
    let generated = generate(&model).expect("spec generates");
    let openapi = serde_json::to_string_pretty(&generated.openapi).unwrap() + "\n";
    let files = [
        ("openapi.json", openapi),
        ("surface.txt", generated.surface),
    ];
    let dir = spec_dir().join("generated");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, contents) in &files {
            std::fs::write(dir.join(name), contents).unwrap();
        }
        return;
    }
    for (name, contents) in &files {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            committed == *contents,
            "spec/generated/{name} is stale: run `UPDATE_GOLDEN=1 cargo test -p graph-security-copilot-codegen --test golden` and review the diff"
        );
    }
}
