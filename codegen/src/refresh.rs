//! `graph-spec refresh`: the day Microsoft changes the beta `$metadata`, in one step.
//!
//! [`refresh`] slices the crate's namespace out of a full document, compares it with the
//! committed spec (overlay applied to both), checks that the new spec generates (names,
//! collisions, a parse of the generated code), and only then writes the new fragment and every
//! golden file under `spec/generated/`. The [`RefreshReport`] lists each change with its impact,
//! CSDL path and the Rust item it touches, every navigation that is new in the document but not
//! exposed (with the overlay block that would expose it), new bound actions and functions (never
//! exposed), and overlay entries whose target the document removed (breaking).
//!
//! Bad input (not CSDL, no such namespace, truncated, or a spec the generator rejects) is a
//! [`RefreshError`] naming file, line, column and element, and nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::SpecConfig;
use crate::csdl::{read_file, read_str, CsdlError, CsdlErrorKind, Model};
use crate::diff::{diff, Change, ChangeKind, Impact};
use crate::generate::{generate, GenerateError, Generated};
use crate::golden::{golden_files, GOLDEN_DIR};
use crate::operations::{
    navigations, resource_words, walked_through, ApiOperation, NavigationEntry,
};
use crate::overlay::exposure_block;
use crate::rust_models::{field_name, TypeSet};
use crate::slice::{slice_to_writer, write_atomically, SliceError};

/// What to refresh.
#[derive(Clone, Debug)]
pub struct RefreshOptions {
    /// The full `$metadata` document (or any CSDL document containing the namespace).
    pub metadata: PathBuf,
    /// The spec directory (`spec/`): fragment, overlay and `generated/`.
    pub spec_dir: PathBuf,
    /// The namespace to slice, when not the one the spec directory's `generator.json` names.
    pub namespace: Option<String>,
}

impl RefreshOptions {
    /// Refresh `spec_dir` from `metadata` for this crate's namespace.
    pub fn new(metadata: impl Into<PathBuf>, spec_dir: impl Into<PathBuf>) -> RefreshOptions {
        RefreshOptions {
            metadata: metadata.into(),
            spec_dir: spec_dir.into(),
            namespace: None,
        }
    }
}

/// Why nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The document could not be sliced (not CSDL, truncated, no such namespace, ...).
    #[error(transparent)]
    Slice(#[from] SliceError),
    /// The committed spec or the new fragment is malformed or inconsistent.
    #[error(transparent)]
    Csdl(#[from] CsdlError),
    /// The new spec fails the generator's checks (names, collisions, generated code).
    #[error("the new spec does not generate: {0}")]
    Generate(#[from] GenerateError),
    /// Writing the spec directory failed (some files may be written).
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

/// One change, as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ReportedChange {
    /// The change, as `graph-spec diff` classifies it.
    #[serde(flatten)]
    pub change: Change,
    /// The Rust item it touches, e.g. `models::Session::display_name` or
    /// `resources::WorkspaceSessionsHandle::list`.
    pub rust_item: String,
}

/// A navigation new in the document that the overlay does not expose.
#[derive(Clone, Debug, Serialize)]
pub struct UnexposedNavigation {
    /// Its URL path.
    pub path: String,
    /// The overlay target that would expose it.
    pub target: String,
    /// Whether every navigation above it is exposed (otherwise those need entries too).
    pub reachable: bool,
    /// The block to add to `spec/overlay.xml`.
    pub overlay_entry: String,
}

/// The outcome of a refresh.
#[derive(Clone, Debug, Serialize)]
pub struct RefreshReport {
    /// The document refreshed from.
    pub metadata: PathBuf,
    /// The namespace.
    pub namespace: String,
    /// Every change, sorted like `graph-spec diff`.
    pub changes: Vec<ReportedChange>,
    /// Navigations new in the document that are not exposed.
    pub unexposed_navigations: Vec<UnexposedNavigation>,
    /// Bound actions and functions new in the namespace (never exposed: the generator does not
    /// emit them), as `name(binding type)`.
    pub unexposed_operations: Vec<String>,
    /// Overlay entries whose target the new document removed (breaking: the build rejects the
    /// overlay until the entry is removed or retargeted).
    pub removed_overlay_targets: Vec<String>,
    /// What could not be compared.
    pub warnings: Vec<String>,
    /// The files of the spec directory and whether the refresh changed them.
    pub files: Vec<(PathBuf, bool)>,
}

impl RefreshReport {
    /// Whether anything is breaking for callers of the previous generation.
    pub fn is_breaking(&self) -> bool {
        !self.removed_overlay_targets.is_empty()
            || self
                .changes
                .iter()
                .any(|c| c.change.impact() == Impact::Breaking)
    }

    /// The number of changes of one impact (removed overlay targets count as breaking).
    pub fn count(&self, impact: Impact) -> usize {
        let changes = self
            .changes
            .iter()
            .filter(|c| c.change.impact() == impact)
            .count();
        match impact {
            Impact::Breaking => changes + self.removed_overlay_targets.len(),
            Impact::Additive => changes,
        }
    }

    /// The report for people (Markdown).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# graph-spec refresh: `{}` from `{}`\n",
            self.namespace,
            self.metadata.display()
        );
        for warning in &self.warnings {
            let _ = writeln!(out, "> **Warning:** {warning}\n");
        }
        let (breaking, additive) = (self.count(Impact::Breaking), self.count(Impact::Additive));
        if breaking + additive == 0 {
            out.push_str("No API changes.\n");
        } else {
            let _ = writeln!(
                out,
                "**{} change{}: {breaking} breaking, {additive} additive.**\n",
                breaking + additive,
                if breaking + additive == 1 { "" } else { "s" }
            );
            out.push_str("| Impact | Change | CSDL path | Rust item | Old | New |\n");
            out.push_str("| --- | --- | --- | --- | --- | --- |\n");
            for target in &self.removed_overlay_targets {
                let _ = writeln!(
                    out,
                    "| **breaking** | overlay target removed | `{target}` | the operations under it | | |"
                );
            }
            for c in &self.changes {
                let impact = match c.change.impact() {
                    Impact::Breaking => "**breaking**",
                    Impact::Additive => "additive",
                };
                let code = |v: &Option<String>| {
                    v.as_deref()
                        .map(|v| format!("`{}`", v.replace('|', "\\|")))
                        .unwrap_or_default()
                };
                let _ = writeln!(
                    out,
                    "| {impact} | {} | `{}` | `{}` | {} | {} |",
                    c.change.kind.phrase(),
                    c.change.element,
                    c.rust_item,
                    code(&c.change.old),
                    code(&c.change.new)
                );
            }
        }
        if !self.unexposed_navigations.is_empty() || !self.unexposed_operations.is_empty() {
            out.push_str(
                "\n## New in the spec, not exposed\n\nExposure is opt-in: these are not generated. \
                 To expose one, add its block to `spec/overlay.xml` (with Capabilities \
                 restrictions for what the service implements), then run `cargo test --workspace`.\n",
            );
            for n in &self.unexposed_navigations {
                let _ = writeln!(
                    out,
                    "\n- `{}`{}\n\n```xml\n{}\n```",
                    n.path,
                    if n.reachable {
                        ""
                    } else {
                        " (below an unexposed navigation: expose that one too)"
                    },
                    n.overlay_entry
                );
            }
            for o in &self.unexposed_operations {
                let _ = writeln!(
                    out,
                    "\n- bound action/function `{o}`: not generated (out of scope)"
                );
            }
        }
        out.push_str("\n## Files\n\n");
        for (path, changed) in &self.files {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                path.display(),
                if *changed { "updated" } else { "unchanged" }
            );
        }
        out
    }
}

/// Runs the refresh: see the module docs. Nothing is written unless the new spec reads and
/// generates.
pub fn refresh(options: &RefreshOptions) -> Result<RefreshReport, RefreshError> {
    let mut config = SpecConfig::read(&options.spec_dir).map_err(GenerateError::from)?;
    if let Some(namespace) = &options.namespace {
        config.namespace = namespace.clone();
    }
    let fragment_name = config.fragment.as_str();
    let fragment_path = options.spec_dir.join(fragment_name);
    let overlay_path = options.spec_dir.join(&config.overlay);

    // 1. Slice into memory.
    let mut sliced = Vec::new();
    slice_to_writer(
        &options.metadata,
        std::slice::from_ref(&config.namespace),
        &mut sliced,
        &fragment_path,
    )?;
    let sliced = String::from_utf8(sliced).map_err(|_| CsdlError {
        location: Default::default(),
        element: fragment_name.to_string(),
        kind: CsdlErrorKind::NotUtf8,
    })?;

    // 2. Old spec: as committed. New spec: the slice with the committed overlay, where an
    //    overlay target the slice lacks is reported rather than fatal.
    //    The committed overlay is read leniently on the old side too: an entry added ahead of
    //    the refresh (to expose what the new document brings) has no target there yet.
    let old_files = config.files(&options.spec_dir);
    let old = Model::build_with_overlays_lenient(
        vec![read_file(&old_files[0])?],
        vec![read_file(&old_files[1])?],
    )?;
    let new_fragment = read_str(&fragment_path.display().to_string(), &sliced)?;
    let overlay = read_file(&overlay_path)?;
    let new = Model::build_with_overlays_lenient(vec![new_fragment], vec![overlay])?;
    let removed_overlay_targets: Vec<String> = new
        .warnings()
        .iter()
        .filter_map(|w| match &w.kind {
            CsdlErrorKind::UnknownTarget(target) => Some(target.clone()),
            _ => None,
        })
        .collect();

    // 3. The new spec must pass the generator's checks before anything is written.
    let old_generated = generate(&old, &config)?;
    let new_generated = generate(&new, &config)?;

    // 4. The report.
    let api = diff(&old, &new);
    let old_side = Side::new(&old, &old_generated, &config);
    let new_side = Side::new(&new, &new_generated, &config);
    let changes = api
        .changes
        .into_iter()
        .map(|change| ReportedChange {
            rust_item: rust_item(&change, &old_side, &new_side),
            change,
        })
        .collect();
    let old_navigations: BTreeSet<String> = navigations(&old)
        .map_err(GenerateError::from)?
        .into_iter()
        .map(|n| n.target)
        .collect();
    let unexposed_navigations = navigations(&new)
        .map_err(GenerateError::from)?
        .into_iter()
        .filter(|n| !n.exposed && !old_navigations.contains(&n.target))
        .map(|n: NavigationEntry| UnexposedNavigation {
            overlay_entry: exposure_block(&n),
            path: n.path,
            target: n.target,
            reachable: n.reachable,
        })
        .collect();
    let bound = |model: &Model| -> BTreeSet<String> {
        model
            .document()
            .schemas
            .iter()
            .filter(|s| s.namespace == config.namespace)
            .flat_map(|s| &s.operations)
            .filter(|o| o.is_bound)
            .map(|o| {
                let binding = o
                    .parameters
                    .first()
                    .map(|p| p.type_ref.raw.clone())
                    .unwrap_or_default();
                format!("{}.{}({binding})", config.namespace, o.name)
            })
            .collect()
    };
    let old_bound = bound(&old);
    let unexposed_operations = bound(&new)
        .into_iter()
        .filter(|o| !old_bound.contains(o))
        .collect();

    // 5. Write what changed: the fragment, then the golden files.
    let mut outputs: Vec<(PathBuf, String)> = vec![(fragment_path, sliced)];
    let golden_dir = options.spec_dir.join(GOLDEN_DIR);
    for (name, contents) in golden_files(&new_generated) {
        outputs.push((golden_dir.join(name), contents));
    }
    let mut files = Vec::new();
    for (path, contents) in outputs {
        let current = std::fs::read(&path).ok();
        let changed = current.as_deref() != Some(contents.as_bytes());
        if changed {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| RefreshError::Write {
                    path: parent.to_path_buf(),
                    message: e.to_string(),
                })?;
            }
            write_atomically(&path, contents.as_bytes()).map_err(|e| RefreshError::Write {
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
        files.push((path, changed));
    }
    Ok(RefreshReport {
        metadata: options.metadata.clone(),
        namespace: config.namespace.clone(),
        changes,
        unexposed_navigations,
        unexposed_operations,
        removed_overlay_targets,
        warnings: api.warnings,
        files,
    })
}

/// One generation, with its type names computed once for every change of the report.
struct Side<'a> {
    generated: &'a Generated,
    types: Option<TypeSet>,
}

impl<'a> Side<'a> {
    fn new(model: &Model, generated: &'a Generated, config: &SpecConfig) -> Side<'a> {
        Side {
            generated,
            // `generate` already named these types, so this cannot fail here; `None` is a guard.
            types: TypeSet::new(model, &[config.namespace.as_str()], &generated.operations).ok(),
        }
    }
}

/// The Rust item a change touches, named in the generation where it exists.
fn rust_item(change: &Change, old: &Side<'_>, new: &Side<'_>) -> String {
    use ChangeKind::*;
    let element = change.element.as_str();
    let (type_name, member) = match element.split_once('/') {
        Some((t, m)) => (t, Some(m)),
        None => (element, None),
    };
    let removed = matches!(
        change.kind,
        TypeRemoved
            | PropertyRemoved
            | NavigationRemoved
            | EnumMemberRemoved
            | OperationRemoved
            | ContainmentRemoved
    );
    let side = if removed { old } else { new };
    let generated = side.generated;
    match change.section() {
        crate::diff::Section::Operations => {
            let op = generated
                .operations
                .iter()
                .find(|o| o.id == element || format!("{} {}", o.method, o.path) == element);
            match op {
                Some(op) => handle_method(op, &generated.operations),
                None => element.to_string(),
            }
        }
        _ => {
            let Some(types) = &side.types else {
                return element.to_string();
            };
            let Some(path) = types.rust_path(type_name) else {
                return format!("(not generated: `{type_name}` is not used by the API)");
            };
            match (member, change.section()) {
                (Some(m), crate::diff::Section::Enums) => {
                    format!("models::{path}::{}", crate::rust_names::variant_name(m))
                }
                (Some(m), _) => format!("models::{path}::{}", field_name(m)),
                (None, _) => format!("models::{path}"),
            }
        }
    }
}

/// `resources::WorkspaceSessionsHandle::list` for an operation.
pub fn handle_method(op: &ApiOperation, all: &[ApiOperation]) -> String {
    let words = resource_words(&op.segments, &walked_through(all));
    let handle: String = words
        .iter()
        .map(|w| heck::ToUpperCamelCase::to_upper_camel_case(w.as_str()))
        .collect();
    format!("resources::{handle}Handle::{}", op.verb.as_str())
}

/// The fragment and golden files of a spec directory, keyed by path relative to it: what a
/// refresh may write (for tests that check nothing else changed).
pub fn spec_outputs(spec_dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut paths = vec![PathBuf::from(crate::config::CONFIG_FILE)];
    if let Ok(config) = SpecConfig::read(spec_dir) {
        paths.extend([
            PathBuf::from(config.fragment),
            PathBuf::from(config.overlay),
        ]);
    }
    if let Ok(entries) = std::fs::read_dir(spec_dir.join(GOLDEN_DIR)) {
        for entry in entries.flatten() {
            paths.push(PathBuf::from(GOLDEN_DIR).join(entry.file_name()));
        }
    }
    for path in paths {
        if let Ok(bytes) = std::fs::read(spec_dir.join(&path)) {
            files.insert(path, bytes);
        }
    }
    files
}
