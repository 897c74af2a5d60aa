//! Slice a full CSDL `$metadata` document down to a few namespaces (`graph-spec slice`).
//!
//! Microsoft Graph's `$metadata` is megabytes of CSDL; a client for one API surface needs a
//! small, **self-contained** document: the requested namespaces, every type they reference
//! (transitively), the containment path from the entity container to them, and the annotations
//! that target what is kept. [`slice_file`] produces that document.
//!
//! ```no_run
//! use std::path::Path;
//! use graph_odata_codegen::slice::{slice_file, verify_self_contained};
//!
//! let summary = slice_file(
//!     Path::new("graph-beta-metadata.xml"),
//!     &["microsoft.graph.security.securityCopilot".to_string()],
//!     Path::new("securityCopilot.csdl.xml"),
//! )?;
//! println!("{} types, paths {:?}", summary.types, summary.paths);
//! assert!(verify_self_contained(Path::new("securityCopilot.csdl.xml"))?.is_empty());
//! # Ok::<(), graph_odata_codegen::slice::SliceError>(())
//! ```
//!
//! # How
//!
//! The document is never held whole in memory, and no DOM is built:
//!
//! 1. **Index**: one streaming pass over all bytes with `quick-xml` (the file is read in
//!    chunks, each parsed with a borrowing slice reader). It records the byte range of every
//!    child of every `Schema`, and for types, operations, terms and containers the names they
//!    reference, interned as `u32` ids; navigation properties with their names and
//!    `ContainsTarget`; key property names. Aliases (`graph.entity` for
//!    `microsoft.graph.entity`) are resolved document-wide.
//! 2. **Select**, from the index only; see the rules below.
//! 3. **Emit**: seek to each kept element's byte range and copy it verbatim, cutting out the
//!    children the selection drops (with the whitespace before them, so the input's
//!    formatting is kept). This second pass reads only what is kept.
//!
//! Memory is the index, about 15% of the input size for Graph-like documents (16 MB for a
//! 106 MB document; see `BENCHMARKS.md`), plus one chunk and one kept element at a time.
//!
//! # What is kept
//!
//! - **Seeds**: every `EntityType`, `ComplexType`, `EnumType`, `TypeDefinition` and `Term` of
//!   the requested namespaces; every `Action`/`Function` bound to one of their types; every
//!   unbound operation declared in a requested namespace.
//! - **Closure**: base types, structural property types (`Collection(...)` element types too),
//!   parameter and return types, and terms or record types used by kept annotations, in any
//!   namespace, transitively. These types are kept whole, except that a navigation property is
//!   kept only if its target type is in the slice anyway: navigation targets are never pulled
//!   in, so the slice does not drag in all of Graph.
//! - **Containment path**: a breadth-first search from every entity set and singleton over
//!   navigation properties with `ContainsTarget="true"` (inherited ones included), not
//!   expanding types of the requested namespaces. For every requested type it reaches, **all
//!   shortest paths** are kept. Types on those paths that are not otherwise kept become *path
//!   types*: they keep their `Key`, key properties, annotations and base type, and only the
//!   navigation properties on the paths. The container keeps only the entity sets and
//!   singletons the paths start from (and imports of kept operations), and their
//!   `NavigationPropertyBinding`s whose path and target still resolve.
//! - **Annotations**: an `<Annotations Target="...">` block is kept if its target (type,
//!   member, operation overload, term, container or container child) is kept; inline
//!   annotations go with their element.
//!
//! Every `Schema` with kept content is written with its original start tag (`Namespace`,
//! `Alias`, `xmlns`), inside the original `edmx:Edmx` and `edmx:DataServices` start tags;
//! `edmx:Reference` elements are copied. A reference the slice needs that resolves nowhere is
//! an error ([`SliceError::DanglingReference`]); broken parts of the document the slice does
//! not need are not examined, except that the whole document must be well-formed UTF-8 XML
//! with an `edmx:Edmx` root and an `edmx:DataServices` element.
//!
//! # Errors
//!
//! Every error about the input names the file, the line and column (1-based; columns count
//! characters, a byte-order mark is not counted) and the element, e.g.
//! `metadata.xml:120:9: <Property Name="authorization"> references
//! `microsoft.graph.security.securityCopilot.pluginAuthorization`, which is declared nowhere
//! in the document`. See [`SliceError`].

mod emit;
mod error;
mod index;
mod names;
mod select;
mod verify;

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use error::{Location, SliceError};
pub use verify::{verify_self_contained, Unresolved};

/// What a slice contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceSummary {
    /// Size of the input, in bytes.
    pub input_bytes: u64,
    /// Size of the output, in bytes.
    pub output_bytes: u64,
    /// Namespaces of the `Schema` elements written, in document order.
    pub schemas: Vec<String>,
    /// Types kept whole.
    pub types: usize,
    /// Types kept only as part of a containment path (keys and path navigation properties).
    pub path_types: usize,
    /// Actions and functions kept.
    pub operations: usize,
    /// Terms kept.
    pub terms: usize,
    /// `<Annotations>` blocks kept.
    pub annotation_blocks: usize,
    /// Entity sets and singletons kept in the entity container.
    pub container_children: Vec<String>,
    /// Kept containment paths, e.g. `security/securityCopilot/workspaces` (at most 64 listed).
    pub paths: Vec<String>,
}

/// Slices `metadata` down to `namespaces` and writes the result to `output`.
///
/// The output is written to a temporary file in the same directory and renamed over `output`
/// at the end, so on error no (partial) output file is left behind and an existing `output`
/// is untouched.
pub fn slice_file(
    metadata: &Path,
    namespaces: &[String],
    output: &Path,
) -> Result<SliceSummary, SliceError> {
    let index = index::build(metadata)?;
    let selection = select::select(&index, namespaces)?;
    let tmp = TempOutput::create(output)?;
    let mut writer = BufWriter::with_capacity(1 << 16, tmp.file()?);
    let stats = emit::emit(&index, &selection, &mut writer, output)?;
    drop(writer);
    tmp.commit()?;
    Ok(summary(metadata, &selection, stats))
}

/// Like [`slice_file`], but writes to `out` (named `out_name` in errors). A failure may leave
/// partial output in `out`.
pub fn slice_to_writer<W: Write>(
    metadata: &Path,
    namespaces: &[String],
    out: W,
    out_name: &Path,
) -> Result<SliceSummary, SliceError> {
    let index = index::build(metadata)?;
    let selection = select::select(&index, namespaces)?;
    let stats = emit::emit(&index, &selection, out, out_name)?;
    Ok(summary(metadata, &selection, stats))
}

fn summary(metadata: &Path, sel: &select::Selection, stats: emit::EmitStats) -> SliceSummary {
    SliceSummary {
        input_bytes: fs::metadata(metadata).map_or(0, |m| m.len()),
        output_bytes: stats.bytes,
        schemas: stats.schemas,
        types: sel.types.iter().filter(|&&s| s == select::FULL).count(),
        path_types: sel.types.iter().filter(|&&s| s == select::PATH).count(),
        operations: sel.ops.iter().filter(|&&k| k).count(),
        terms: sel.terms.iter().filter(|&&k| k).count(),
        annotation_blocks: stats.annotation_blocks,
        container_children: stats.container_children,
        paths: sel.paths.clone(),
    }
}

/// Writes `contents` to `path` through a temporary file beside it, renamed into place: on error
/// the target is untouched and no temporary file is left (what `slice` does for its output).
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), SliceError> {
    let output = TempOutput::create(path)?;
    let mut file = output.file()?;
    file.write_all(contents)
        .map_err(|source| SliceError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    output.commit()
}

/// A temporary output file next to the target; removed on drop unless committed.
struct TempOutput {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<File>,
    committed: bool,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TempOutput {
    fn create(target: &Path) -> Result<TempOutput, SliceError> {
        let write_err = |source| SliceError::Write {
            path: target.to_path_buf(),
            source,
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| String::from("slice"));
        let mut attempt = 0;
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    return Ok(TempOutput {
                        tmp,
                        target: target.to_path_buf(),
                        file: Some(file),
                        committed: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(write_err(e)),
            }
        }
    }

    fn file(&self) -> Result<&File, SliceError> {
        self.file.as_ref().ok_or_else(|| SliceError::Write {
            path: self.target.clone(),
            source: std::io::Error::other("temporary file already closed"),
        })
    }

    fn commit(mut self) -> Result<(), SliceError> {
        let write_err = |source| SliceError::Write {
            path: self.target.clone(),
            source,
        };
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(write_err)?;
        }
        fs::rename(&self.tmp, &self.target).map_err(write_err)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
