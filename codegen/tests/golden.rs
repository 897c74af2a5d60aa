//! The generated OpenAPI and public-surface listing are committed under `spec/generated/`, so a
//! spec change shows up as a reviewable diff. This test fails when they are stale, printing the
//! diff and the command that refreshes them (`graph-spec refresh` writes them too).

use std::path::PathBuf;

use graph_odata_codegen::config::SpecConfig;
use graph_odata_codegen::generate::{generate, load_spec, spec_files};
use graph_odata_codegen::golden::{golden_files, line_diff, GOLDEN_DIR, UPDATE_COMMAND};

fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

#[test]
fn golden_files_are_up_to_date() {
    let model = load_spec(&spec_files(&spec_dir()).expect("generator.json")).expect("spec loads");
    let generated = generate(
        &model,
        &SpecConfig::read(&spec_dir()).expect("generator.json"),
    )
    .expect("spec generates");
    let files = golden_files(&generated);
    let dir = spec_dir().join(GOLDEN_DIR);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, contents) in &files {
            std::fs::write(dir.join(name), contents).unwrap();
        }
        return;
    }
    let mut stale = String::new();
    for (name, contents) in &files {
        let committed = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        if committed != *contents {
            stale.push_str(&format!(
                "\n--- spec/{GOLDEN_DIR}/{name} (committed)\n+++ generated from spec/\n{}",
                line_diff(&committed, contents, 2, 200)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "golden files are stale; if the change is intended, run `{UPDATE_COMMAND}` (or \
         `graph-spec refresh`) and review `git diff spec/`:{stale}"
    );
}
