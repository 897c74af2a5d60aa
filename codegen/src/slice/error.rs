//! Errors of the slicer, and turning byte offsets into lines, columns and element descriptions.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};

/// A position in a file.
///
/// Lines and columns start at 1. Columns count characters (Unicode scalar values), not bytes;
/// a UTF-8 byte-order mark at the start of the file is not counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Why a slice could not be made. Every variant about the input names the file, line, column
/// and element.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SliceError {
    /// No namespace was requested.
    #[error("no namespace to slice was given")]
    NoNamespace,
    /// The input could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The input file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The output could not be written (or renamed into place).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The input is not well-formed XML.
    #[error("{at}: malformed XML in {element}: {message}")]
    Xml {
        /// Where the parser stopped.
        at: Location,
        /// The innermost open element.
        element: String,
        /// The parser's message.
        message: String,
    },
    /// The input ends in the middle of the document.
    #[error("{at}: the document ends inside {element} (truncated file?)")]
    Truncated {
        /// Where the document stops (end of file, or the start of an unfinished tag).
        at: Location,
        /// The innermost unfinished element or markup.
        element: String,
    },
    /// The input is not UTF-8 (a UTF-8 byte-order mark is fine).
    #[error("{at}: not UTF-8 in {element}: {detail}")]
    NotUtf8 {
        /// The first byte that is not UTF-8.
        at: Location,
        /// The element (or markup) it is in.
        element: String,
        /// What was found.
        detail: String,
    },
    /// Well-formed XML that is not a CSDL document (or breaks a CSDL rule the slicer relies on).
    #[error("{at}: not a CSDL document: {reason} ({element})")]
    NotCsdl {
        /// The offending element.
        at: Location,
        /// The offending element.
        element: String,
        /// What is wrong.
        reason: String,
    },
    /// A requested namespace is declared by no `Schema`.
    #[error("{at}: no Schema in {element} declares namespace `{namespace}`; declared: {}", .available.join(", "))]
    UnknownNamespace {
        /// The `edmx:DataServices` element.
        at: Location,
        /// The `edmx:DataServices` element.
        element: String,
        /// The namespace asked for.
        namespace: String,
        /// The namespaces the document declares.
        available: Vec<String>,
    },
    /// A kept type's chain of `BaseType`s loops: the same error (and text) as the CSDL reader's
    /// [`crate::csdl::CsdlErrorKind::BaseTypeCycle`], so `slice` rejects what `openapi` would.
    #[error("{at}: {element}: base type cycle: {}", .chain.join(" -> "))]
    BaseTypeCycle {
        /// The type whose chain loops.
        at: Location,
        /// The type whose chain loops.
        element: String,
        /// Qualified names from that type round to the first repeated one.
        chain: Vec<String>,
    },
    /// A type (or term, or operation) the slice needs is referenced but declared nowhere.
    #[error("{at}: {element} references `{name}`, which is declared nowhere in the document")]
    DanglingReference {
        /// The referencing element.
        at: Location,
        /// The referencing element.
        element: String,
        /// The name that does not resolve.
        name: String,
    },
}

impl SliceError {
    /// Where in the input the problem is, if it is about the input's content.
    pub fn location(&self) -> Option<&Location> {
        match self {
            SliceError::Xml { at, .. }
            | SliceError::Truncated { at, .. }
            | SliceError::NotUtf8 { at, .. }
            | SliceError::NotCsdl { at, .. }
            | SliceError::UnknownNamespace { at, .. }
            | SliceError::DanglingReference { at, .. }
            | SliceError::BaseTypeCycle { at, .. } => Some(at),
            SliceError::NoNamespace | SliceError::Read { .. } | SliceError::Write { .. } => None,
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Computes line and column of byte `offset` by reading the file again (errors are rare, so the
/// fast path never tracks lines). If the file cannot be read again, line and column are 0.
pub(crate) fn locate(file: &Path, offset: u64) -> Location {
    let (line, column) = line_column(file, offset).unwrap_or((0, 0));
    Location {
        file: file.to_path_buf(),
        line,
        column,
    }
}

fn line_column(file: &Path, offset: u64) -> io::Result<(u64, u64)> {
    let mut f = File::open(file)?.take(offset);
    let mut buf = vec![0u8; 1 << 16];
    let (mut line, mut column) = (1u64, 1u64);
    let mut first = true;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if first {
            first = false;
            if let Some(rest) = chunk.strip_prefix(BOM) {
                chunk = rest;
            }
        }
        for &b in chunk {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                // Count characters: every byte that does not continue a UTF-8 sequence.
                column += 1;
            }
        }
    }
    Ok((line, column))
}

/// Reads up to `max` bytes of `file` at `offset`.
pub(crate) fn read_at(file: &Path, offset: u64, max: usize) -> io::Result<Vec<u8>> {
    let mut f = File::open(file)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut out = Vec::with_capacity(max.min(1 << 16));
    f.take(max as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// Describes the element whose start tag begins at `offset`, e.g. `<EntityType Name="x">`.
pub(crate) fn describe_at(file: &Path, offset: u64) -> String {
    match read_at(file, offset, 4096) {
        Ok(bytes) => describe_bytes(&bytes),
        Err(_) => String::from("(unreadable)"),
    }
}

/// Describes the markup at the start of `bytes`.
pub(crate) fn describe_bytes(bytes: &[u8]) -> String {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    match reader.read_event() {
        Ok(Event::Start(e)) | Ok(Event::Empty(e)) => describe_start(&e),
        _ => {
            let end = bytes
                .iter()
                .position(|&b| b == b'>' || b == b'\n')
                .map_or(bytes.len().min(80), |p| (p + 1).min(80));
            let text = String::from_utf8_lossy(&bytes[..end]).into_owned();
            if text.is_empty() {
                String::from("end of file")
            } else {
                format!("`{text}`")
            }
        }
    }
}

/// `<Name Key="value">` with the identifying attribute of a CSDL element, if any.
pub(crate) fn describe_start(e: &BytesStart<'_>) -> String {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    for key in [
        &b"Name"[..],
        b"Target",
        b"Namespace",
        b"Term",
        b"Path",
        b"Include",
    ] {
        if let Ok(Some(a)) = e.try_get_attribute(key) {
            let mut value = String::from_utf8_lossy(&a.value).into_owned();
            if value.len() > 120 {
                let mut cut = 117;
                while !value.is_char_boundary(cut) {
                    cut -= 1;
                }
                value.truncate(cut);
                value.push_str("...");
            }
            return format!("<{name} {}=\"{value}\">", String::from_utf8_lossy(key));
        }
    }
    format!("<{name}>")
}
