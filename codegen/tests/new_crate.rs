//! `graph-spec new-crate` end to end: crates for two namespaces of Microsoft's real v1.0
//! `$metadata` are written, then built and tested with `cargo test` (their smoke tests run
//! against the emulator loaded with each crate's own spec). Expectations come from the spec the
//! crate holds, not from counts written here.
//!
//! The nested builds share the workspace's target directory (and the crates get the
//! workspace's `Cargo.lock`), so the runtime, emulator and their dependencies are not built
//! again from scratch; they run `--offline`, the lock's crates being in cargo's cache already.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use graph_odata_codegen::config::SpecConfig;
use graph_odata_codegen::generate::load_spec;
use graph_odata_codegen::new_crate::{new_crate, DependencySource, NewCrateOptions};
use graph_odata_codegen::operations::{operations, Verb};

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join(name)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen sits in the workspace")
        .to_path_buf()
}

/// The target directory this test was built in: `CARGO_TARGET_DIR`, else three levels above
/// the test executable (`target/debug/deps/new_crate-…`).
fn shared_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// `passed` of every `test result:` line of a `cargo test` output.
fn passed_tests(output: &str) -> Vec<usize> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect()
}

fn check_namespace(metadata: &Path, namespace: &str, dir: &Path, target: &Path) {
    let started = Instant::now();
    let options = NewCrateOptions::new(metadata, namespace, dir);
    assert_eq!(
        options.dependencies,
        DependencySource::Checkout(workspace_root().canonicalize().unwrap()),
        "run from a checkout, the crate depends on it by path"
    );
    let report = new_crate(&options).unwrap_or_else(|e| panic!("new-crate {namespace}: {e}"));
    let written = started.elapsed();

    // The spec the crate holds: every overlay entry explicit (no wildcard), each exposing a
    // navigation that reaches the namespace.
    let spec = dir.join("spec");
    let config = SpecConfig::read(&spec).unwrap();
    assert_eq!(config.namespace, namespace);
    let overlay = std::fs::read_to_string(spec.join(&config.overlay)).unwrap();
    assert!(!overlay.contains('*'), "no wildcard in the overlay");
    assert!(
        overlay.contains("REVIEW"),
        "the overlay is marked for review"
    );
    let entries = overlay.matches("<Annotations Target=").count();
    assert_eq!(
        entries,
        overlay
            .matches("graphSecurityCopilot.overlay.Exposed\" />")
            .count(),
        "one Exposed term per entry"
    );
    assert!(entries > 0);
    let model = load_spec(&config.files(&spec)).unwrap();
    let ops = operations(&model).unwrap();
    assert_eq!(report.operations, ops.len());
    assert!(
        ops.iter()
            .any(|op| op.entity_type.starts_with(&format!("{namespace}."))),
        "operations on the namespace's own types"
    );
    assert!(
        ops.iter().all(|op| op.path.split('/').all(|s| s != "*")),
        "explicit paths only"
    );
    // Every exposed entity collection (list or create) has its smoke test, and nothing else.
    let collections: BTreeSet<String> = ops
        .iter()
        .filter(|op| matches!(op.verb, Verb::List | Verb::Create))
        .map(|op| op.path.clone())
        .collect();
    let tested: BTreeSet<String> = report.smoke_tests.iter().cloned().collect();
    assert_eq!(
        tested, collections,
        "{namespace}: one smoke test per collection"
    );
    let smoke = std::fs::read_to_string(dir.join("tests/smoke.rs")).unwrap();
    for path in &collections {
        assert!(
            smoke.contains(&format!("/// `{path}`:")),
            "{namespace}: no smoke test for {path}"
        );
    }
    // Bound actions and functions are listed as not exposed.
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for bound in &report.bound_operations {
        assert!(readme.contains(bound.as_str()), "README lists {bound}");
    }
    assert!(readme.contains("refresh --metadata FULL.xml --spec spec"));

    // `cargo test` in the crate, with no edit.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build_started = Instant::now();
    let mut command = Command::new(cargo);
    command
        .args(["test", "--offline"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    // What cargo set for this test's own crate is not the nested build's business (and would
    // make its fingerprints differ from a build started by hand).
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let per_crate = [
            "CARGO_PKG_",
            "CARGO_BIN_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref());
        if per_crate {
            command.env_remove(name.as_ref());
        }
    }
    let output = command.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo test in the {namespace} crate failed:\n{stdout}\n{stderr}"
    );
    // The smoke tests ran: one per collection, plus the one that loads the spec.
    assert!(
        passed_tests(&stdout).contains(&(collections.len() + 1)),
        "{namespace}: expected {} passing smoke tests:\n{stdout}",
        collections.len() + 1
    );
    eprintln!(
        "{namespace}: {} operations, {} types, {} smoke tests; written in {:.1?}, built and tested in {:.1?}",
        report.operations,
        report.types,
        report.smoke_tests.len(),
        written,
        build_started.elapsed()
    );
}

#[test]
fn new_crates_build_and_pass_their_smoke_tests() {
    let metadata = reference("graph-v1.0-metadata.xml");
    assert!(
        metadata.is_file(),
        "{} is missing: ../shared/reference must sit beside the checkout",
        metadata.display()
    );
    let root = tempfile::tempdir().unwrap();
    let target = shared_target_dir();
    for (namespace, dir) in [
        ("microsoft.graph.externalConnectors", "external-connectors"),
        ("microsoft.graph.identityGovernance", "identity-governance"),
    ] {
        check_namespace(&metadata, namespace, &root.path().join(dir), &target);
    }
}

#[test]
fn a_namespace_that_cannot_be_named_fails_at_its_csdl_element() {
    // v1.0's termStore is reached both as `/sites/{site-id}/termStore` and through
    // `/sites/{site-id}/termStores/{store-id}`: the same operation names, a real collision.
    let metadata = reference("graph-v1.0-metadata.xml");
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("term-store");
    let error = new_crate(&NewCrateOptions::new(
        &metadata,
        "microsoft.graph.termStore",
        &out,
    ))
    .expect_err("termStore collides")
    .to_string();
    assert!(
        error.contains("termStore.csdl.xml:") && error.contains("<NavigationProperty Name="),
        "{error}"
    );
    assert!(
        error.contains("would both be"),
        "the error says what collides: {error}"
    );
    assert!(!out.join("Cargo.toml").exists(), "no crate is written");
}

#[test]
fn bad_options_are_refused_before_anything_is_written() {
    let metadata = reference("graph-v1.0-metadata.xml");
    let root = tempfile::tempdir().unwrap();
    let mut options =
        NewCrateOptions::new(&metadata, "microsoft.graph.search", &root.path().join("a"));
    options.name = Some("1bad name".to_string());
    assert!(new_crate(&options)
        .unwrap_err()
        .to_string()
        .contains("not a crate name"));
    let busy = root.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "mine").unwrap();
    let error = new_crate(&NewCrateOptions::new(
        &metadata,
        "microsoft.graph.search",
        &busy,
    ))
    .unwrap_err()
    .to_string();
    assert!(error.contains("not empty"), "{error}");
    assert_eq!(
        std::fs::read_to_string(busy.join("keep.txt")).unwrap(),
        "mine"
    );
    let error = new_crate(&NewCrateOptions::new(
        &metadata,
        "microsoft.graph.noSuchNamespace",
        &root.path().join("none"),
    ))
    .unwrap_err()
    .to_string();
    assert!(error.contains("noSuchNamespace"), "{error}");
}

/// The runtime is generic: no build script, no generated code, no dependency on the generator
/// (its own tests, run by `cargo test --workspace`, need nothing generated).
#[test]
fn the_runtime_has_no_generated_code() {
    let runtime = workspace_root().join("runtime");
    assert!(!runtime.join("build.rs").exists());
    let manifest = std::fs::read_to_string(runtime.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("graph-odata-codegen"));
    assert!(!manifest.contains("build ="));
    for entry in std::fs::read_dir(runtime.join("src")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("OUT_DIR"),
            "{} includes generated code",
            path.display()
        );
    }
}
