//! Semver-true verdicts, checked by the compiler: one batched harness crate with a caller module
//! per change class, compiled (`cargo check`) against the committed generation and against the
//! generation of a refresh that `graph-spec refresh` calls additive. Every caller that compiles
//! against the old generation must compile against the new one. One breaking class is compiled
//! too, to show the harness does fail when a change is breaking. The client crate itself (its
//! hand-written `src/`) is compiled against each generation as the harness's dependency.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use graph_odata_codegen::rust_models::field_name;
use graph_odata_codegen::rust_names::type_name;
use support::*;

const CALLERS: &str = r#"#![allow(dead_code, unused_variables, clippy::all)]
use graph_security_copilot::models::*;

/// enum_member_added: matches need a wildcard (the enums are non_exhaustive), so a new member
/// only moves a value from `Unrecognized("x")` or `_` to its own variant.
pub mod enum_member_added {
    use super::*;
    pub fn label(state: &EvaluationState) -> &'static str {
        match state {
            EvaluationState::Completed => "completed",
            EvaluationState::Running => "running",
            EvaluationState::Unrecognized(_) => "unknown to this build",
            _ => "other",
        }
    }
    pub fn from_wire() -> EvaluationState {
        EvaluationState::from("paused")
    }
}

/// property_added: models are built with `new` and setters, read through accessors, fields and
/// `..` patterns; a new optional field disturbs none of them.
pub mod property_added {
    use super::*;
    pub fn build() -> Session {
        Session::new().with_display_name("Who am I")
    }
    pub fn read(session: &Session) -> (Option<&str>, Option<&Option<String>>) {
        let Session { display_name, .. } = session;
        (session.display_name(), display_name.as_ref())
    }
    pub fn prompt() -> Prompt {
        Prompt::new(PromptType::Prompt).with_content("who am I")
    }
}

/// property_added (case twin): `displayName` keeps its Rust name when `DisplayName` appears.
pub mod case_twin {
    use super::*;
    pub fn name(session: &Session) -> Option<&str> {
        session.display_name()
    }
}

/// type_added, navigation_added: existing types and handles are untouched.
pub mod type_and_navigation_added {
    use super::*;
    pub fn evaluation(e: &Evaluation) -> Option<&EvaluationResult> {
        e.result()
    }
}

/// operation_added, query_option_added: handles and their builders keep every method.
pub mod operations {
    use futures::TryStreamExt;
    pub async fn recent(client: &graph_security_copilot::Client) -> Result<usize, graph_security_copilot::Error> {
        let workspace = client.workspace("default");
        let sessions: Vec<_> = workspace.sessions().list().top(5).select(["displayName"]).try_collect().await?;
        let _plugins = workspace.plugins();
        Ok(sessions.len())
    }
}

"#;

/// A query option the spec does not allow for the operation is a compile error, not a request
/// refused at run time (no Graph entity read accepts `$top`).
const REFUSED_CALLER: &str = r#"
#[cfg(feature = "refused")]
pub mod refused_query_option {
    pub async fn get_with_top(client: &graph_security_copilot::Client) {
        let _ = client.workspace("default").session("s").get().top(5).await;
    }
}
"#;

/// property_removed (breaking): a caller that reads the property stops compiling.
fn breaking_caller(owner: &str, field: &str) -> String {
    format!(
        r#"
#[cfg(feature = "breaking")]
pub mod property_removed {{
    use super::*;
    pub fn read(value: &{owner}) -> Option<&str> {{
        value.{field}()
    }}
}}
"#
    )
}

fn harness(dir: &Path, callers: &str) -> PathBuf {
    let crate_dir = dir.join("harness");
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "semver-callers"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
graph-security-copilot = {{ path = {:?} }}
futures = "0.3"

[features]
breaking = []
refused = []

[workspace]
"#,
            repo_root().canonicalize().unwrap()
        ),
    )
    .unwrap();
    std::fs::write(crate_dir.join("src/lib.rs"), callers).unwrap();
    // The workspace's lock, so the harness builds the same dependency versions.
    std::fs::copy(repo_root().join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    crate_dir
}

/// `cargo check` of the harness against the generation from `spec`; (success, stderr).
fn check(crate_dir: &Path, spec: &Path, features: &[&str]) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("check")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("semver-harness"))
        .env("GRAPH_SECURITY_COPILOT_SPEC_DIR", spec)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn callers_of_the_old_generation_compile_against_an_additive_refresh() {
    let additive = Case::new("semver-additive", &additive_fragment());
    let report = additive.refresh();
    assert!(!report.is_breaking(), "{}", report.to_markdown());
    let edits = breaking();
    let breaking = Case::new("semver-breaking", &edits.fragment);
    assert!(breaking.refresh().is_breaking());
    // The breaking case removes an exposed navigation, whose overlay entry must go too.
    let overlay = breaking.spec().join("overlay.xml");
    let text = std::fs::read_to_string(&overlay).unwrap();
    let start = text
        .find(&format!(
            r#"<Annotations Target="{}">"#,
            edits.navigation_target
        ))
        .unwrap();
    let end = start + text[start..].find("</Annotations>").unwrap() + "</Annotations>".len();
    std::fs::write(&overlay, format!("{}{}", &text[..start], &text[end..])).unwrap();

    let field = field_name(&edits.property);
    let callers = format!(
        "{CALLERS}{}{REFUSED_CALLER}",
        breaking_caller(&type_name(&edits.owner), &field)
    );
    let crate_dir = harness(&additive.dir, &callers);
    let old = spec_dir().canonicalize().unwrap();
    let (ok, stderr) = check(&crate_dir, &old, &["breaking"]);
    assert!(
        ok,
        "every caller compiles against the committed generation:\n{stderr}"
    );
    let (ok, stderr) = check(&crate_dir, &old, &["refused"]);
    assert!(!ok, "`$top` on an entity read must not compile");
    // An entity read has no `$top` setter at all (list builders gate theirs on the
    // operation's `supports::Top`).
    assert!(
        stderr.contains("no method named `top`") && stderr.contains("GetWorkspaceSessionOptions"),
        "{stderr}"
    );
    let (ok, stderr) = check(&crate_dir, &additive.spec(), &[]);
    assert!(ok, "an additive refresh broke a caller:\n{stderr}");
    let (ok, stderr) = check(&crate_dir, &breaking.spec(), &["breaking"]);
    assert!(!ok, "removing a property must break its caller");
    assert!(stderr.contains(&field), "{stderr}");

    // Hostile wire names (keywords, the generator's own item names, case twins, non-identifiers,
    // prelude type names, a second `entity`) build, and leave every existing caller compiling.
    let hostile = Case::new("semver-hostile", &hostile_fragment());
    let report = hostile.refresh();
    assert!(!report.is_breaking(), "{}", report.to_markdown());
    let (ok, stderr) = check(&crate_dir, &hostile.spec(), &[]);
    assert!(ok, "hostile names must build:\n{stderr}");
}
