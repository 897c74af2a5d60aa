//! Generates the Security Copilot models and operations from `spec/` into `$OUT_DIR`.
//!
//! Thin on purpose: everything lives in `graph-odata-codegen` (see its crate docs).

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    // Maintainers can build the client from another spec directory (a refresh candidate, or
    // the semver harness's old and new generations) without touching `spec/`.
    println!("cargo:rerun-if-env-changed=GRAPH_SECURITY_COPILOT_SPEC_DIR");
    let spec_dir = std::env::var_os("GRAPH_SECURITY_COPILOT_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("spec"));
    if let Err(error) = graph_odata_codegen::generate::build_script(&spec_dir, &out_dir) {
        // The error names the spec file, line, column and element.
        eprintln!("error: generating the Security Copilot client failed:\n  {error}");
        std::process::exit(1);
    }
}
