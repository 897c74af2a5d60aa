//! Pass 1: stream the document once and build a compact index.
//!
//! The index holds no element content. It records, for every child of a `Schema` ("top-level
//! element"), its byte range and kind; for every type, operation, term and entity container, the
//! names it references (as interned ids); for navigation properties also their name and whether
//! they contain their target; the few key property names; and the start tags of the frame
//! (`edmx:Edmx`, `edmx:DataServices`, each `Schema`). Pass 2 ([`super::emit`]) copies the kept
//! byte ranges, so the index is all that lives in memory.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::{describe_at, describe_bytes, describe_start, locate, read_at, SliceError};
use super::names::{fx_hash, split_qualified, strip_collection, Names, NamesFull, NONE, PRIMITIVE};

/// Read buffer of the streaming passes.
const READ_BUF: usize = 1 << 17;
/// Largest top-level element (its length shares a `u32` with its kind).
const MAX_TOP_LEN: u64 = (1 << 28) - 1;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a top-level element (a child of `Schema`) is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum TopKind {
    EntityType = 0,
    ComplexType,
    EnumType,
    TypeDefinition,
    Term,
    Action,
    Function,
    Container,
    Annotations,
    SchemaAnnotation,
    Other,
}

impl TopKind {
    const ALL: [TopKind; 11] = [
        TopKind::EntityType,
        TopKind::ComplexType,
        TopKind::EnumType,
        TopKind::TypeDefinition,
        TopKind::Term,
        TopKind::Action,
        TopKind::Function,
        TopKind::Container,
        TopKind::Annotations,
        TopKind::SchemaAnnotation,
        TopKind::Other,
    ];
}

/// A top-level element: 16 bytes (its kind is packed into the length's high bits).
#[derive(Clone, Copy)]
pub(crate) struct Top {
    /// Byte offset of its `<`.
    pub start: u64,
    len_kind: u32,
    /// Index into the table of its kind (types, ops, terms, containers); for `Annotations`, the
    /// raw name id of the target's first path segment; for a schema annotation, the schema.
    pub item: u32,
}

impl Top {
    pub(crate) fn len(&self) -> u64 {
        u64::from(self.len_kind & ((1 << 28) - 1))
    }

    pub(crate) fn kind(&self) -> TopKind {
        TopKind::ALL
            .get((self.len_kind >> 28) as usize)
            .copied()
            .unwrap_or(TopKind::Other)
    }
}

/// A byte range of the input.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    pub start: u64,
    pub len: u64,
}

/// A frame element: the range of its start tag and its qualified name (for the end tag).
#[derive(Clone, Debug, Default)]
pub(crate) struct Frame {
    pub tag: Span,
    pub qname: Vec<u8>,
}

/// A `Schema` element.
pub(crate) struct SchemaInfo {
    pub namespace: String,
    pub qual: u32,
    pub alias_qual: Option<u32>,
    pub frame: Frame,
    /// Its top-level elements: `tops[first..end]`.
    pub first: u32,
    pub end: u32,
}

/// A type reference from a type, operation, term or container. `tag` tells what refers:
/// [`REF_PLAIN`], [`REF_ANNOTATION`], or (odd values) a structural property, whose name hashes
/// to `tag`.
#[derive(Clone, Copy)]
pub(crate) struct Ref {
    pub target: u32,
    pub tag: u32,
}

/// A reference that is not a property (base type, parameter, return type, term type, ...).
pub(crate) const REF_PLAIN: u32 = 0;
/// A term or record type named inside an annotation: an unknown qualifier is a vocabulary.
pub(crate) const REF_ANNOTATION: u32 = 2;

/// The tag of a structural property named `name` (always odd, so never a plain tag).
pub(crate) fn prop_tag(name: &[u8]) -> u32 {
    (fx_hash(7, name) as u32) | 1
}

/// A navigation property.
#[derive(Clone, Copy)]
pub(crate) struct Nav {
    pub name_start: u32,
    pub target: u32,
    pub name_len: u16,
    pub contains: bool,
}

/// An `EntityType`, `ComplexType`, `EnumType` or `TypeDefinition`.
#[derive(Clone, Copy)]
pub(crate) struct TypeDef {
    /// Canonical name id.
    pub name: u32,
    /// `BaseType` (or `UnderlyingType`), raw name id, or [`NONE`].
    pub base: u32,
    pub top: u32,
    pub refs: (u32, u32),
    pub navs: (u32, u32),
}

/// An `Action` or `Function` (overloads are chained through `next`).
#[derive(Clone, Copy)]
pub(crate) struct OpDef {
    pub name: u32,
    pub top: u32,
    pub bound: bool,
    /// The binding parameter's type (raw name id, collection stripped), or [`NONE`].
    pub binding: u32,
    pub binding_collection: bool,
    pub refs: (u32, u32),
    pub next: u32,
}

/// A `Term`.
#[derive(Clone, Copy)]
pub(crate) struct TermDef {
    pub name: u32,
    pub top: u32,
    pub refs: (u32, u32),
}

/// What a child of an `EntityContainer` is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ChildKind {
    EntitySet,
    Singleton,
    FunctionImport,
    ActionImport,
    Other,
}

/// A child element of an `EntityContainer`, in document order.
pub(crate) struct ChildDef {
    pub kind: ChildKind,
    pub name: Box<str>,
    /// Its type (sets and singletons) or operation (imports), raw name id, or [`NONE`].
    pub target: u32,
}

/// An `EntityContainer`.
pub(crate) struct ContainerDef {
    pub name: u32,
    pub top: u32,
    pub refs: (u32, u32),
    pub children: Vec<ChildDef>,
}

/// A term or record type used inside an `<Annotations>` block, filed under the block's target.
#[derive(Clone, Copy)]
pub(crate) struct AnnRef {
    pub head: u32,
    pub target: u32,
    pub top: u32,
}

/// What a name stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Resolved {
    Type(u32),
    Op(u32),
    Term(u32),
    Container(u32),
    Primitive,
    /// Its qualifier is a namespace of an `edmx:Reference`d document.
    External,
    /// Declared nowhere; `document` tells whether its qualifier is one of this document's
    /// namespaces or aliases (otherwise it may be a vocabulary the document does not include).
    Unknown {
        document: bool,
    },
}

const DEF_SHIFT: u32 = 29;
const DEF_INDEX: u32 = (1 << DEF_SHIFT) - 1;
const DEF_TYPE: u32 = 1;
const DEF_OP: u32 = 2;
const DEF_TERM: u32 = 3;
const DEF_CONTAINER: u32 = 4;

/// The result of pass 1.
pub(crate) struct Index {
    pub file: PathBuf,
    /// Length of a leading byte-order mark (0 or 3).
    pub base: u64,
    pub names: Names,
    pub root: Frame,
    pub data_services: Frame,
    /// `edmx:Reference` elements (copied to the output as they are).
    pub references: Vec<Span>,
    external_quals: HashSet<u32>,
    document_quals: HashSet<u32>,
    pub schemas: Vec<SchemaInfo>,
    pub tops: Vec<Top>,
    pub types: Vec<TypeDef>,
    pub refs: Vec<Ref>,
    pub navs: Vec<Nav>,
    nav_names: Vec<u8>,
    /// Key property names, per type index (only types that declare a `Key`).
    pub keys: HashMap<u32, Vec<Box<str>>>,
    pub ops: Vec<OpDef>,
    pub terms: Vec<TermDef>,
    pub containers: Vec<ContainerDef>,
    /// Sorted by canonical `head` after pass 1.
    pub ann_refs: Vec<AnnRef>,
    /// Canonical name id → packed definition.
    defs: Vec<u32>,
}

impl Index {
    /// What a raw name id stands for.
    pub(crate) fn resolve(&self, raw: u32) -> Resolved {
        match raw {
            PRIMITIVE => Resolved::Primitive,
            NONE => Resolved::Unknown { document: false },
            _ => self.resolve_canonical(self.names.canon(raw)),
        }
    }

    fn resolve_canonical(&self, id: u32) -> Resolved {
        let def = self.defs.get(id as usize).copied().unwrap_or(NONE);
        if def != NONE {
            let index = def & DEF_INDEX;
            return match def >> DEF_SHIFT {
                DEF_TYPE => Resolved::Type(index),
                DEF_OP => Resolved::Op(index),
                DEF_TERM => Resolved::Term(index),
                _ => Resolved::Container(index),
            };
        }
        let q = self.names.qual_of(id);
        if self.external_quals.contains(&q) {
            Resolved::External
        } else {
            Resolved::Unknown {
                document: self.document_quals.contains(&q),
            }
        }
    }

    /// Resolves a qualified name written in the document (aliases allowed).
    pub(crate) fn resolve_str(&self, name: &str) -> Resolved {
        let (qual, local) = split_qualified(name.as_bytes());
        if qual == b"Edm" && super::names::is_edm_type(local) {
            return Resolved::Primitive;
        }
        match self.names.lookup(name) {
            Some(id) => self.resolve_canonical(id),
            None => {
                let q = std::str::from_utf8(qual)
                    .ok()
                    .and_then(|q| self.names.find_qual(q))
                    .map(|q| self.names.resolve_qual(q));
                match q {
                    Some(q) if self.external_quals.contains(&q) => Resolved::External,
                    Some(q) => Resolved::Unknown {
                        document: self.document_quals.contains(&q),
                    },
                    None => Resolved::Unknown { document: false },
                }
            }
        }
    }

    /// Whether `name` is a namespace (not an alias) of a schema.
    pub(crate) fn namespace_qual(&self, name: &str) -> Option<u32> {
        self.schemas
            .iter()
            .find(|s| s.namespace == name)
            .map(|s| s.qual)
    }

    pub(crate) fn type_refs(&self, t: u32) -> &[Ref] {
        let (a, b) = self.types[t as usize].refs;
        &self.refs[a as usize..b as usize]
    }

    pub(crate) fn nav_name(&self, nav: u32) -> &[u8] {
        let n = self.navs[nav as usize];
        let start = n.name_start as usize;
        &self.nav_names[start..start + usize::from(n.name_len)]
    }

    /// The base type of `t`, if it has one that resolves to a type.
    pub(crate) fn base_of(&self, t: u32) -> Option<u32> {
        let base = self.types.get(t as usize)?.base;
        if base == NONE {
            return None;
        }
        match self.resolve(base) {
            Resolved::Type(b) if b != t => Some(b),
            _ => None,
        }
    }

    /// `t` and its base types (stopping at a cycle).
    pub(crate) fn chain(&self, t: u32) -> Vec<u32> {
        let mut chain = vec![t];
        let mut cur = t;
        while let Some(b) = self.base_of(cur) {
            if chain.contains(&b) {
                break;
            }
            chain.push(b);
            cur = b;
        }
        chain
    }

    /// The kind of type `t` (from its top-level element).
    pub(crate) fn type_kind(&self, t: u32) -> TopKind {
        self.types
            .get(t as usize)
            .and_then(|d| self.tops.get(d.top as usize))
            .map_or(TopKind::Other, Top::kind)
    }

    /// The schema a top-level element belongs to.
    pub(crate) fn schema_of_top(&self, top: u32) -> u32 {
        let i = self.schemas.partition_point(|s| s.end <= top);
        i as u32
    }

    /// Term and record types used in `<Annotations>` blocks whose target starts with `head`.
    pub(crate) fn ann_refs_for(&self, head: u32) -> &[AnnRef] {
        let lo = self.ann_refs.partition_point(|r| r.head < head);
        let hi = self.ann_refs.partition_point(|r| r.head <= head);
        &self.ann_refs[lo..hi]
    }

    /// The display name of the declaring namespace of every schema.
    pub(crate) fn namespaces(&self) -> Vec<String> {
        let mut v: Vec<String> = self.schemas.iter().map(|s| s.namespace.clone()).collect();
        v.dedup();
        v
    }

    /// A [`SliceError::DanglingReference`] for `raw`, named in the top-level element `top`:
    /// finds the referencing element by reading that element again.
    pub(crate) fn dangling(&self, top: u32, raw: u32) -> SliceError {
        let want = self.names.canon(raw);
        let name = self.names.display(want);
        let t = self.tops.get(top as usize).copied();
        let (mut offset, mut element) = match t {
            Some(t) => (t.start, describe_at(&self.file, t.start)),
            None => (0, String::from("(document)")),
        };
        if let Some(t) = t {
            if let Ok(bytes) = read_at(&self.file, t.start, t.len() as usize) {
                if let Some((at, desc)) = self.find_reference(&bytes, want) {
                    offset = t.start + at;
                    element = desc;
                }
            }
        }
        SliceError::DanglingReference {
            at: locate(&self.file, offset),
            element,
            name,
        }
    }

    fn find_reference(&self, bytes: &[u8], want: u32) -> Option<(u64, String)> {
        let mut reader = Reader::from_reader(bytes);
        loop {
            let pos = reader.buffer_position();
            match reader.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                    for a in e.attributes().with_checks(false).flatten() {
                        let key = a.key.local_name();
                        if !matches!(
                            key.as_ref(),
                            b"Type"
                                | b"BaseType"
                                | b"UnderlyingType"
                                | b"EntityType"
                                | b"Term"
                                | b"BaseTerm"
                                | b"Function"
                                | b"Action"
                        ) {
                            continue;
                        }
                        let value = attr_value(&a);
                        let (inner, _) = strip_collection(&value);
                        let Ok(s) = std::str::from_utf8(inner) else {
                            continue;
                        };
                        if self.names.lookup(s) == Some(want) {
                            return Some((pos, describe_start(&e)));
                        }
                    }
                }
                Ok(Event::Eof) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// A [`SliceError::NotCsdl`] at `offset`.
    pub(crate) fn not_csdl(&self, offset: u64, reason: String) -> SliceError {
        SliceError::NotCsdl {
            at: locate(&self.file, offset),
            element: describe_at(&self.file, offset),
            reason,
        }
    }
}

/// The value of an attribute (moved out of it), unescaped only if it contains a reference.
fn owned_value(a: Attribute<'_>) -> Cow<'_, [u8]> {
    if a.value.contains(&b'&') {
        if let Ok(s) = std::str::from_utf8(&a.value) {
            if let Ok(u) = quick_xml::escape::unescape(s) {
                return Cow::Owned(u.into_owned().into_bytes());
            }
        }
    }
    a.value
}

/// The raw value of an attribute, unescaped only if it contains a reference.
pub(crate) fn attr_value<'a>(a: &'a Attribute<'a>) -> Cow<'a, [u8]> {
    if a.value.contains(&b'&') {
        if let Ok(s) = std::str::from_utf8(&a.value) {
            if let Ok(u) = quick_xml::escape::unescape(s) {
                return Cow::Owned(u.into_owned().into_bytes());
            }
        }
    }
    Cow::Borrowed(&a.value)
}

#[derive(Clone, Copy, Debug)]
enum Ctx {
    Root,
    Reference { start: u64 },
    DataServices,
    Schema(u32),
    Top(u32),
    Key(u32),
    Inner(u32),
    Ignore,
}

struct Builder<'p> {
    path: &'p Path,
    ix: Index,
    stack: Vec<(Ctx, u64)>,
    root_seen: bool,
    data_services_seen: bool,
    /// Parameters seen so far in the current operation.
    params: u32,
}

/// Pass 1 over `path`.
pub(crate) fn build(path: &Path) -> Result<Index, SliceError> {
    let read_err = |source| SliceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let file_len = file.metadata().map_err(read_err)?.len();
    let mut rd = BufReader::with_capacity(READ_BUF, file);
    let base = check_start(&mut rd, path)?;
    let mut reader = Reader::from_reader(rd);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;

    let mut b = Builder {
        path,
        ix: Index {
            file: path.to_path_buf(),
            base,
            names: Names::default(),
            root: Frame::default(),
            data_services: Frame::default(),
            references: Vec::new(),
            external_quals: HashSet::new(),
            document_quals: HashSet::new(),
            schemas: Vec::new(),
            tops: Vec::new(),
            types: Vec::new(),
            refs: Vec::new(),
            navs: Vec::new(),
            nav_names: Vec::new(),
            keys: HashMap::new(),
            ops: Vec::new(),
            terms: Vec::new(),
            containers: Vec::new(),
            ann_refs: Vec::new(),
            defs: Vec::new(),
        },
        stack: Vec::with_capacity(32),
        root_seen: false,
        data_services_seen: false,
        params: 0,
    };
    let mut buf = Vec::with_capacity(1 << 12);
    loop {
        buf.clear();
        let pos = base + reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => return Err(b.xml_error(err, base + reader.error_position(), file_len)),
        };
        let end = base + reader.buffer_position();
        match event {
            Event::Start(e) => {
                b.check_utf8(&e, pos + 1)?;
                let ctx = b.enter(&e, pos, end)?;
                b.stack.push((ctx, pos));
            }
            Event::Empty(e) => {
                b.check_utf8(&e, pos + 1)?;
                let ctx = b.enter(&e, pos, end)?;
                b.leave(ctx, pos, end)?;
            }
            Event::End(e) => {
                b.check_utf8(&e, pos + 2)?;
                if let Some((ctx, start)) = b.stack.pop() {
                    b.leave(ctx, start, end)?;
                }
            }
            Event::Text(t) => {
                b.check_utf8(&t, pos)?;
                if b.stack.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(b.ix.not_csdl(pos, "text outside the root element".into()));
                }
            }
            Event::CData(t) => {
                b.check_utf8(&t, pos + 9)?;
                if b.stack.is_empty() {
                    return Err(b.ix.not_csdl(pos, "CDATA outside the root element".into()));
                }
            }
            Event::GeneralRef(r) => {
                b.check_utf8(&r, pos + 1)?;
                if b.stack.is_empty() {
                    return Err(b.ix.not_csdl(pos, "text outside the root element".into()));
                }
            }
            Event::Comment(t) => b.check_utf8(&t, pos + 4)?,
            Event::PI(t) => b.check_utf8(&t, pos + 2)?,
            Event::DocType(t) => b.check_utf8(&t, pos + 9)?,
            Event::Decl(d) => {
                b.check_utf8(&d, pos + 2)?;
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.trim_ascii();
                    if !enc.eq_ignore_ascii_case(b"utf-8") && !enc.eq_ignore_ascii_case(b"utf8") {
                        return Err(SliceError::NotUtf8 {
                            at: locate(path, pos),
                            element: String::from("<?xml?> declaration"),
                            detail: format!(
                                "the document declares encoding \"{}\"; only UTF-8 is supported",
                                String::from_utf8_lossy(enc)
                            ),
                        });
                    }
                }
            }
            Event::Eof => break,
        }
    }
    if let Some(&(_, start)) = b.stack.last() {
        return Err(SliceError::Truncated {
            at: locate(path, file_len),
            element: describe_at(path, start),
        });
    }
    b.finish()
}

/// Skips a UTF-8 byte-order mark (returning its length) and rejects UTF-16/UTF-32 input.
fn check_start(rd: &mut BufReader<File>, path: &Path) -> Result<u64, SliceError> {
    let head = rd.fill_buf().map_err(|source| SliceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if head.starts_with(UTF8_BOM) {
        rd.consume(UTF8_BOM.len());
        return Ok(UTF8_BOM.len() as u64);
    }
    let detail = if head.starts_with(b"\xFE\xFF") || head.starts_with(b"\xFF\xFE") {
        Some("the file starts with a UTF-16 or UTF-32 byte-order mark")
    } else if head.iter().take(4).any(|&b| b == 0) {
        Some("NUL bytes at the start of the file (UTF-16 or UTF-32 without a byte-order mark?)")
    } else {
        None
    };
    match detail {
        Some(detail) => Err(SliceError::NotUtf8 {
            at: locate(path, 0),
            element: String::from("(start of file)"),
            detail: detail.into(),
        }),
        None => Ok(0),
    }
}

fn is_unclosed(err: &quick_xml::Error) -> bool {
    use quick_xml::errors::SyntaxError as S;
    matches!(
        err,
        quick_xml::Error::Syntax(
            S::UnclosedTag
                | S::UnclosedComment
                | S::UnclosedCData
                | S::UnclosedDoctype
                | S::UnclosedPIOrXmlDecl
        )
    )
}

impl Builder<'_> {
    fn innermost(&self) -> String {
        match self.stack.last() {
            Some(&(_, start)) => describe_at(self.path, start),
            None => String::from("(document)"),
        }
    }

    fn xml_error(&self, err: quick_xml::Error, at: u64, file_len: u64) -> SliceError {
        if let quick_xml::Error::Io(e) = &err {
            return SliceError::Read {
                path: self.path.to_path_buf(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            };
        }
        if is_unclosed(&err) {
            let tail = read_at(self.path, at, (file_len.saturating_sub(at)).min(80) as usize)
                .map(|b| describe_bytes(&b))
                .unwrap_or_default();
            let element = match self.stack.last() {
                Some(_) => format!("{tail} in {}", self.innermost()),
                None => tail,
            };
            return SliceError::Truncated {
                at: locate(self.path, at),
                element,
            };
        }
        SliceError::Xml {
            at: locate(self.path, at),
            element: self.innermost(),
            message: err.to_string(),
        }
    }

    /// Checks that the bytes of an event are UTF-8; `at` is the offset of `bytes[0]`.
    fn check_utf8(&self, bytes: &[u8], at: u64) -> Result<(), SliceError> {
        if bytes.is_ascii() {
            return Ok(());
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) => {
                let bad = e.valid_up_to();
                let len = e.error_len().unwrap_or(bytes.len() - bad);
                let shown: Vec<String> = bytes[bad..bad + len.min(4)]
                    .iter()
                    .map(|b| format!("{b:#04x}"))
                    .collect();
                let element = match self.stack.last() {
                    Some(&(_, start)) if start < at => describe_at(self.path, start),
                    _ => String::from("(document)"),
                };
                // Report the enclosing element unless the bad byte is inside a tag we can name.
                let tag_start = at.saturating_sub(1);
                let element = match read_at(self.path, tag_start, 1) {
                    Ok(b) if b == b"<" => describe_at(self.path, tag_start),
                    _ => element,
                };
                Err(SliceError::NotUtf8 {
                    at: locate(self.path, at + bad as u64),
                    element,
                    detail: format!("invalid byte sequence {}", shown.join(" ")),
                })
            }
        }
    }

    fn names_full(&self, at: u64) -> SliceError {
        self.ix
            .not_csdl(at, "too many names for the slicer's tables".into())
    }

    fn intern_ref(&mut self, value: &[u8], at: u64) -> Result<(u32, bool), SliceError> {
        let (inner, collection) = strip_collection(value);
        match self.ix.names.intern_qualified(inner) {
            Ok(id) => Ok((id, collection)),
            Err(NamesFull) => Err(self.names_full(at)),
        }
    }

    fn attrs<'a, const N: usize>(
        &self,
        e: &'a BytesStart<'a>,
        keys: [&[u8]; N],
        at: u64,
    ) -> Result<[Option<Cow<'a, [u8]>>; N], SliceError> {
        let mut out: [Option<Cow<'a, [u8]>>; N] = std::array::from_fn(|_| None);
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|err| SliceError::Xml {
                at: locate(self.path, at),
                element: describe_at(self.path, at),
                message: err.to_string(),
            })?;
            let key = a.key.local_name();
            if let Some(i) = keys.iter().position(|k| *k == key.as_ref()) {
                out[i] = Some(owned_value(a));
            }
        }
        Ok(out)
    }

    fn required<'a>(
        &self,
        value: Option<Cow<'a, [u8]>>,
        attr: &str,
        at: u64,
    ) -> Result<Cow<'a, [u8]>, SliceError> {
        value.ok_or_else(|| {
            self.ix
                .not_csdl(at, format!("missing required attribute `{attr}`"))
        })
    }

    fn define(&mut self, id: u32, kind: u32, index: u32, at: u64) -> Result<(), SliceError> {
        if index > DEF_INDEX {
            return Err(self.names_full(at));
        }
        let i = id as usize;
        if self.ix.defs.len() <= i {
            self.ix.defs.resize(i + 1, NONE);
        }
        let old = self.ix.defs[i];
        if old != NONE {
            if kind == DEF_OP && old >> DEF_SHIFT == DEF_OP {
                // An overload: chain it to the previous declaration of that name.
                if let Some(op) = self.ix.ops.get_mut(index as usize) {
                    op.next = old & DEF_INDEX;
                }
            } else {
                return Err(self.ix.not_csdl(
                    at,
                    format!("`{}` is declared twice", self.ix.names.display(id)),
                ));
            }
        }
        self.ix.defs[i] = (kind << DEF_SHIFT) | index;
        Ok(())
    }

    fn enter(&mut self, e: &BytesStart<'_>, pos: u64, end: u64) -> Result<Ctx, SliceError> {
        let local = e.local_name();
        let name = local.as_ref();
        let Some(&(parent, _)) = self.stack.last() else {
            if self.root_seen {
                return Err(self
                    .ix
                    .not_csdl(pos, "a second element after the root element".into()));
            }
            self.root_seen = true;
            if name != b"Edmx" {
                return Err(self.ix.not_csdl(
                    pos,
                    format!(
                        "the root element is <{}>, not <edmx:Edmx>",
                        String::from_utf8_lossy(e.name().as_ref())
                    ),
                ));
            }
            self.ix.root = Frame {
                tag: Span {
                    start: pos,
                    len: end - pos,
                },
                qname: e.name().as_ref().to_vec(),
            };
            return Ok(Ctx::Root);
        };
        Ok(match parent {
            Ctx::Root => match name {
                b"DataServices" => {
                    if self.data_services_seen {
                        return Err(self
                            .ix
                            .not_csdl(pos, "a second edmx:DataServices element".into()));
                    }
                    self.data_services_seen = true;
                    self.ix.data_services = Frame {
                        tag: Span {
                            start: pos,
                            len: end - pos,
                        },
                        qname: e.name().as_ref().to_vec(),
                    };
                    Ctx::DataServices
                }
                b"Reference" => Ctx::Reference { start: pos },
                _ => Ctx::Ignore,
            },
            Ctx::Reference { .. } => {
                if name == b"Include" {
                    let [ns, alias] = self.attrs(e, [b"Namespace", b"Alias"], pos)?;
                    for q in [ns, alias].into_iter().flatten() {
                        let q = self.ix.names.qual(&q);
                        self.ix.external_quals.insert(q);
                    }
                }
                Ctx::Ignore
            }
            Ctx::DataServices if name == b"Schema" => self.schema(e, pos, end)?,
            Ctx::Schema(s) => self.top(e, name, pos, s)?,
            Ctx::Top(t) => self.member(e, name, pos, t)?,
            Ctx::Key(t) => {
                if name == b"PropertyRef" {
                    let [n] = self.attrs(e, [b"Name"], pos)?;
                    let n = self.required(n, "Name", pos)?;
                    let item = self.ix.tops[t as usize].item;
                    self.ix
                        .keys
                        .entry(item)
                        .or_default()
                        .push(String::from_utf8_lossy(&n).into());
                }
                Ctx::Inner(t)
            }
            Ctx::Inner(t) => {
                self.annotation_ref(e, name, pos, t)?;
                Ctx::Inner(t)
            }
            Ctx::DataServices | Ctx::Ignore => Ctx::Ignore,
        })
    }

    fn leave(&mut self, ctx: Ctx, start: u64, end: u64) -> Result<(), SliceError> {
        match ctx {
            Ctx::Reference { start } => self.ix.references.push(Span {
                start,
                len: end - start,
            }),
            Ctx::Schema(s) => {
                let n = self.ix.tops.len() as u32;
                if let Some(schema) = self.ix.schemas.get_mut(s as usize) {
                    schema.end = n;
                }
            }
            Ctx::Top(t) => {
                let len = end - start;
                if len > MAX_TOP_LEN {
                    return Err(self.ix.not_csdl(
                        start,
                        "element larger than 256 MiB (not supported by the slicer)".into(),
                    ));
                }
                let (nrefs, nnavs) = (self.ix.refs.len() as u32, self.ix.navs.len() as u32);
                let top = &mut self.ix.tops[t as usize];
                top.len_kind |= len as u32;
                let item = top.item as usize;
                match top.kind() {
                    TopKind::EntityType
                    | TopKind::ComplexType
                    | TopKind::EnumType
                    | TopKind::TypeDefinition => {
                        if let Some(d) = self.ix.types.get_mut(item) {
                            d.refs.1 = nrefs;
                            d.navs.1 = nnavs;
                        }
                    }
                    TopKind::Action | TopKind::Function => {
                        if let Some(d) = self.ix.ops.get_mut(item) {
                            d.refs.1 = nrefs;
                        }
                    }
                    TopKind::Term => {
                        if let Some(d) = self.ix.terms.get_mut(item) {
                            d.refs.1 = nrefs;
                        }
                    }
                    TopKind::Container => {
                        if let Some(d) = self.ix.containers.get_mut(item) {
                            d.refs.1 = nrefs;
                        }
                    }
                    TopKind::Annotations | TopKind::SchemaAnnotation | TopKind::Other => {}
                }
            }
            Ctx::Root | Ctx::DataServices | Ctx::Key(_) | Ctx::Inner(_) | Ctx::Ignore => {}
        }
        Ok(())
    }

    fn schema(&mut self, e: &BytesStart<'_>, pos: u64, end: u64) -> Result<Ctx, SliceError> {
        let [ns, alias] = self.attrs(e, [b"Namespace", b"Alias"], pos)?;
        let ns = self.required(ns, "Namespace", pos)?;
        let namespace = String::from_utf8_lossy(&ns).into_owned();
        let qual = self.ix.names.qual(&ns);
        if self.ix.names.resolve_qual(qual) != qual {
            return Err(self.ix.not_csdl(
                pos,
                format!("namespace `{namespace}` is already used as an alias"),
            ));
        }
        let alias_qual = match alias {
            Some(alias) => {
                let a = self.ix.names.qual(&alias);
                let taken = self.ix.names.resolve_qual(a) != a
                    || self.ix.schemas.iter().any(|s| s.qual == a);
                if taken && self.ix.names.resolve_qual(a) != qual {
                    return Err(self.ix.not_csdl(
                        pos,
                        format!(
                            "alias `{}` is already used by another schema",
                            String::from_utf8_lossy(&alias)
                        ),
                    ));
                }
                self.ix.names.set_alias(a, qual);
                Some(a)
            }
            None => None,
        };
        let first = self.ix.tops.len() as u32;
        let s = self.ix.schemas.len() as u32;
        self.ix.schemas.push(SchemaInfo {
            namespace,
            qual,
            alias_qual,
            frame: Frame {
                tag: Span {
                    start: pos,
                    len: end - pos,
                },
                qname: e.name().as_ref().to_vec(),
            },
            first,
            end: first,
        });
        Ok(Ctx::Schema(s))
    }

    fn top(&mut self, e: &BytesStart<'_>, name: &[u8], pos: u64, s: u32) -> Result<Ctx, SliceError> {
        let kind = match name {
            b"EntityType" => TopKind::EntityType,
            b"ComplexType" => TopKind::ComplexType,
            b"EnumType" => TopKind::EnumType,
            b"TypeDefinition" => TopKind::TypeDefinition,
            b"Term" => TopKind::Term,
            b"Action" => TopKind::Action,
            b"Function" => TopKind::Function,
            b"EntityContainer" => TopKind::Container,
            b"Annotations" => TopKind::Annotations,
            b"Annotation" => TopKind::SchemaAnnotation,
            _ => TopKind::Other,
        };
        let top = self.ix.tops.len() as u32;
        let schema_qual = self.ix.schemas[s as usize].qual;
        let nrefs = self.ix.refs.len() as u32;
        let item = match kind {
            TopKind::EntityType
            | TopKind::ComplexType
            | TopKind::EnumType
            | TopKind::TypeDefinition => {
                let [n, base, underlying] =
                    self.attrs(e, [b"Name", b"BaseType", b"UnderlyingType"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let id = self
                    .ix
                    .names
                    .intern(schema_qual, &n)
                    .map_err(|_| self.names_full(pos))?;
                let base = match base.or(underlying) {
                    Some(b) => self.intern_ref(&b, pos)?.0,
                    None => NONE,
                };
                let index = self.ix.types.len() as u32;
                self.define(id, DEF_TYPE, index, pos)?;
                let nnavs = self.ix.navs.len() as u32;
                self.ix.types.push(TypeDef {
                    name: id,
                    base,
                    top,
                    refs: (nrefs, nrefs),
                    navs: (nnavs, nnavs),
                });
                index
            }
            TopKind::Term => {
                let [n, ty, base] = self.attrs(e, [b"Name", b"Type", b"BaseTerm"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let id = self
                    .ix
                    .names
                    .intern(schema_qual, &n)
                    .map_err(|_| self.names_full(pos))?;
                let index = self.ix.terms.len() as u32;
                self.define(id, DEF_TERM, index, pos)?;
                for v in [ty, base].into_iter().flatten() {
                    let target = self.intern_ref(&v, pos)?.0;
                    self.ix.refs.push(Ref {
                        target,
                        tag: REF_PLAIN,
                    });
                }
                self.ix.terms.push(TermDef {
                    name: id,
                    top,
                    refs: (nrefs, nrefs),
                });
                index
            }
            TopKind::Action | TopKind::Function => {
                let [n, bound] = self.attrs(e, [b"Name", b"IsBound"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let id = self
                    .ix
                    .names
                    .intern(schema_qual, &n)
                    .map_err(|_| self.names_full(pos))?;
                let index = self.ix.ops.len() as u32;
                self.ix.ops.push(OpDef {
                    name: id,
                    top,
                    bound: bound.is_some_and(|b| b.as_ref() == b"true"),
                    binding: NONE,
                    binding_collection: false,
                    refs: (nrefs, nrefs),
                    next: NONE,
                });
                self.define(id, DEF_OP, index, pos)?;
                self.params = 0;
                index
            }
            TopKind::Container => {
                let [n] = self.attrs(e, [b"Name"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let id = self
                    .ix
                    .names
                    .intern(schema_qual, &n)
                    .map_err(|_| self.names_full(pos))?;
                let index = self.ix.containers.len() as u32;
                self.define(id, DEF_CONTAINER, index, pos)?;
                self.ix.containers.push(ContainerDef {
                    name: id,
                    top,
                    refs: (nrefs, nrefs),
                    children: Vec::new(),
                });
                index
            }
            TopKind::Annotations => {
                let [target] = self.attrs(e, [b"Target"], pos)?;
                let target = self.required(target, "Target", pos)?;
                let head_end = target
                    .iter()
                    .position(|&b| b == b'/' || b == b'(')
                    .unwrap_or(target.len());
                let head = target[..head_end].trim_ascii();
                if head.contains(&b'.') {
                    self.ix
                        .names
                        .intern_qualified(head)
                        .map_err(|_| self.names_full(pos))?
                } else {
                    NONE
                }
            }
            TopKind::SchemaAnnotation => s,
            TopKind::Other => NONE,
        };
        self.ix.tops.push(Top {
            start: pos,
            len_kind: (kind as u32) << 28,
            item,
        });
        Ok(Ctx::Top(top))
    }

    fn member(&mut self, e: &BytesStart<'_>, name: &[u8], pos: u64, t: u32) -> Result<Ctx, SliceError> {
        let top = self.ix.tops[t as usize];
        match (top.kind(), name) {
            (TopKind::EntityType | TopKind::ComplexType, b"Property") => {
                let [n, ty] = self.attrs(e, [b"Name", b"Type"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let ty = self.required(ty, "Type", pos)?;
                let (target, _) = self.intern_ref(&ty, pos)?;
                if target != PRIMITIVE {
                    self.ix.refs.push(Ref {
                        target,
                        tag: prop_tag(&n),
                    });
                }
            }
            (TopKind::EntityType | TopKind::ComplexType, b"NavigationProperty") => {
                let [n, ty, contains] =
                    self.attrs(e, [b"Name", b"Type", b"ContainsTarget"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let ty = self.required(ty, "Type", pos)?;
                let (target, _) = self.intern_ref(&ty, pos)?;
                let name_start = u32::try_from(self.ix.nav_names.len())
                    .map_err(|_| self.names_full(pos))?;
                let name_len = u16::try_from(n.len()).map_err(|_| {
                    self.ix
                        .not_csdl(pos, "navigation property name too long".into())
                })?;
                self.ix.nav_names.extend_from_slice(&n);
                self.ix.navs.push(Nav {
                    name_start,
                    target,
                    name_len,
                    contains: contains.is_some_and(|c| c.as_ref() == b"true"),
                });
            }
            (TopKind::EntityType, b"Key") => return Ok(Ctx::Key(t)),
            (TopKind::Action | TopKind::Function, b"Parameter" | b"ReturnType") => {
                let [ty] = self.attrs(e, [b"Type"], pos)?;
                let ty = self.required(ty, "Type", pos)?;
                let (target, collection) = self.intern_ref(&ty, pos)?;
                let op = top.item as usize;
                if name == b"Parameter" {
                    self.params += 1;
                    if self.params == 1 {
                        if let Some(d) = self.ix.ops.get_mut(op) {
                            if d.bound {
                                d.binding = target;
                                d.binding_collection = collection;
                            }
                        }
                    }
                }
                if target != PRIMITIVE {
                    self.ix.refs.push(Ref {
                        target,
                        tag: REF_PLAIN,
                    });
                }
            }
            (TopKind::Container, _) => {
                let (kind, attr): (ChildKind, &[u8]) = match name {
                    b"EntitySet" => (ChildKind::EntitySet, b"EntityType"),
                    b"Singleton" => (ChildKind::Singleton, b"Type"),
                    b"FunctionImport" => (ChildKind::FunctionImport, b"Function"),
                    b"ActionImport" => (ChildKind::ActionImport, b"Action"),
                    _ => (ChildKind::Other, b"-"),
                };
                let [n, target] = self.attrs(e, [b"Name", attr], pos)?;
                let target = match (kind, target) {
                    (ChildKind::Other, _) | (_, None) => NONE,
                    (_, Some(v)) => self.intern_ref(&v, pos)?.0,
                };
                let child = ChildDef {
                    kind,
                    name: String::from_utf8_lossy(n.as_deref().unwrap_or_default()).into(),
                    target,
                };
                if let Some(c) = self.ix.containers.get_mut(top.item as usize) {
                    c.children.push(child);
                }
                if kind == ChildKind::Other {
                    self.annotation_ref(e, name, pos, t)?;
                }
            }
            _ => self.annotation_ref(e, name, pos, t)?,
        }
        Ok(Ctx::Inner(t))
    }

    /// Records the term of an `Annotation` or the type of a `Record` inside a top-level element
    /// (vocabularies under `Org.OData.` are skipped right away: they are never declared here).
    fn annotation_ref(&mut self, e: &BytesStart<'_>, name: &[u8], pos: u64, t: u32) -> Result<(), SliceError> {
        let key: &[u8] = match name {
            b"Annotation" => b"Term",
            b"Record" => b"Type",
            _ => return Ok(()),
        };
        let [v] = self.attrs(e, [key], pos)?;
        let Some(v) = v else { return Ok(()) };
        if v.starts_with(b"Org.OData.") || v.is_empty() {
            return Ok(());
        }
        let (target, _) = self.intern_ref(&v, pos)?;
        if target == PRIMITIVE {
            return Ok(());
        }
        let top = self.ix.tops[t as usize];
        match top.kind() {
            TopKind::Annotations => {
                if top.item != NONE {
                    self.ix.ann_refs.push(AnnRef {
                        head: top.item,
                        target,
                        top: t,
                    });
                }
            }
            TopKind::SchemaAnnotation | TopKind::Other => {}
            _ => self.ix.refs.push(Ref {
                target,
                tag: REF_ANNOTATION,
            }),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Index, SliceError> {
        if !self.root_seen {
            return Err(self.ix.not_csdl(0, "no root element (not an XML document?)".into()));
        }
        if !self.data_services_seen {
            return Err(self
                .ix
                .not_csdl(self.ix.root.tag.start, "no edmx:DataServices element".into()));
        }
        let at = self.ix.root.tag.start;
        self.ix
            .names
            .canonicalize()
            .map_err(|_| self.names_full(at))?;
        for s in &self.ix.schemas {
            self.ix.document_quals.insert(s.qual);
            if let Some(a) = s.alias_qual {
                self.ix.document_quals.insert(a);
            }
        }
        let names = &self.ix.names;
        for r in &mut self.ix.ann_refs {
            r.head = names.canon(r.head);
        }
        self.ix.ann_refs.sort_by_key(|r| r.head);
        Ok(self.ix)
    }
}
