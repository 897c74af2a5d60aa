//! `graph-spec refresh`, end to end on full documents built by embedding the committed fragment
//! (edited per case) into Microsoft's real v1.0 `$metadata` (`../shared/reference/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use graph_security_copilot_codegen::diff::{ChangeKind, Impact};
use graph_security_copilot_codegen::embed::embed;
use graph_security_copilot_codegen::refresh::{
    refresh, spec_outputs, RefreshOptions, RefreshReport,
};

fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

fn host() -> String {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join("graph-v1.0-metadata.xml");
    std::fs::read_to_string(path).expect("../shared/reference/graph-v1.0-metadata.xml")
}

fn fragment() -> String {
    std::fs::read_to_string(spec_dir().join("securityCopilot.csdl.xml")).unwrap()
}

/// A scratch copy of `spec/` (fragment, overlay, golden files) and a full document written
/// beside it.
struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(name: &str, fragment: &str) -> Case {
        let dir =
            std::env::temp_dir().join(format!("graph-spec-refresh-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let spec = dir.join("spec");
        for (path, bytes) in spec_outputs(&spec_dir()) {
            let target = spec.join(&path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, bytes).unwrap();
        }
        let full = embed(&host(), fragment).expect("embed");
        std::fs::write(dir.join("FULL.xml"), full).unwrap();
        Case { dir }
    }

    fn spec(&self) -> PathBuf {
        self.dir.join("spec")
    }

    fn metadata(&self) -> PathBuf {
        self.dir.join("FULL.xml")
    }

    fn refresh(&self) -> RefreshReport {
        refresh(&RefreshOptions::new(self.metadata(), self.spec())).expect("refresh")
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn unchanged_document_changes_no_file() {
    let case = Case::new("unchanged", &fragment());
    let before = spec_outputs(&case.spec());
    let report = case.refresh();
    assert!(report.changes.is_empty(), "{}", report.to_markdown());
    assert!(!report.is_breaking());
    let after = spec_outputs(&case.spec());
    for (path, bytes) in &before {
        assert!(
            after.get(path) == Some(bytes),
            "{} changed:\n{}",
            path.display(),
            graph_security_copilot_codegen::golden::line_diff(
                &String::from_utf8_lossy(bytes),
                &String::from_utf8_lossy(after.get(path).map(Vec::as_slice).unwrap_or_default()),
                2,
                60
            )
        );
    }
    assert!(report.files.iter().all(|(_, changed)| !changed));
}
