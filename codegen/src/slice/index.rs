//! Pass 1: stream the document once and build a compact index.
//!
//! The index holds no element content. It records, for every child of a `Schema` ("top-level
//! element"), its byte range and kind; for every type, operation, term and entity container, the
//! names it references (as interned ids); for navigation properties also their name and whether
//! they contain their target; the few key property names; and the start tags of the frame
//! (`edmx:Edmx`, `edmx:DataServices`, each `Schema`). Pass 2 ([`super::emit`]) copies the kept
//! byte ranges, so the index is all that lives in memory.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::{describe_at, describe_bytes, describe_start, locate, read_at, SliceError};
use super::names::{
    fx_hash, split_qualified, strip_collection, FxMap, FxSet, Names, NamesFull, NONE, PRIMITIVE,
};

/// Pass 1 reads the file in chunks of this size (grown if one comment, CDATA section or text
/// node is larger).
const CHUNK: usize = 1 << 18;
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

/// A top-level element: 12 bytes (its kind is packed into the length's high bits).
#[derive(Clone, Copy)]
pub(crate) struct Top {
    /// Byte offset of its `<` from the start of its `Schema` start tag.
    rel: u32,
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

/// An `EntityType`, `ComplexType`, `EnumType` or `TypeDefinition` (20 bytes: its references
/// and navigation properties start where those of the previous type end).
#[derive(Clone, Copy)]
pub(crate) struct TypeDef {
    /// Canonical name id.
    pub name: u32,
    /// `BaseType` (or `UnderlyingType`), raw name id, or [`NONE`].
    pub base: u32,
    pub top: u32,
    refs_end: u32,
    navs_end: u32,
}

impl TypeDef {
    /// One past the index of its last navigation property.
    pub(crate) fn navs_end(&self) -> u32 {
        self.navs_end
    }
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
    external_quals: FxSet<u32>,
    document_quals: FxSet<u32>,
    pub schemas: Vec<SchemaInfo>,
    pub tops: Vec<Top>,
    pub types: Vec<TypeDef>,
    /// References of types, in type order.
    type_refs: Vec<Ref>,
    /// References of operations, terms and containers.
    pub refs: Vec<Ref>,
    pub navs: Vec<Nav>,
    nav_names: Vec<u8>,
    /// Key property names, per type index (only types that declare a `Key`).
    pub keys: FxMap<u32, Vec<Box<str>>>,
    pub ops: Vec<OpDef>,
    pub terms: Vec<TermDef>,
    pub containers: Vec<ContainerDef>,
    /// Sorted by canonical `head` after pass 1.
    pub ann_refs: Vec<AnnRef>,
    /// Canonical name id → packed definition of a type, term or container.
    defs: Vec<u32>,
    /// Canonical name id → the last declared overload of an action or function with that name
    /// (operations may share a name with a type: Graph has type and function `image`).
    op_defs: FxMap<u32, u32>,
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
                DEF_TERM => Resolved::Term(index),
                _ => Resolved::Container(index),
            };
        }
        if let Some(&op) = self.op_defs.get(&id) {
            return Resolved::Op(op);
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

    /// The operation (last overload) named by a raw name id, if any.
    pub(crate) fn resolve_op(&self, raw: u32) -> Option<u32> {
        if raw == NONE || raw == PRIMITIVE {
            return None;
        }
        self.op_defs.get(&self.names.canon(raw)).copied()
    }

    /// The operation (last overload) named by a qualified name written in the document.
    pub(crate) fn resolve_op_str(&self, name: &str) -> Option<u32> {
        self.op_defs.get(&self.names.lookup(name)?).copied()
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

    /// The references of type `t` (property types, annotation terms; not its base type).
    pub(crate) fn type_refs(&self, t: u32) -> &[Ref] {
        let t = t as usize;
        let start = t.checked_sub(1).map_or(0, |p| self.types[p].refs_end) as usize;
        &self.type_refs[start..self.types[t].refs_end as usize]
    }

    /// The indexes (into `navs`) of the navigation properties of type `t`.
    pub(crate) fn type_navs(&self, t: u32) -> Range<u32> {
        let t = t as usize;
        let start = t.checked_sub(1).map_or(0, |p| self.types[p].navs_end);
        start..self.types[t].navs_end
    }

    /// Byte offset and length of top-level element `i`.
    pub(crate) fn top_span(&self, i: u32) -> (u64, u64) {
        let top = self.tops[i as usize];
        let schema = &self.schemas[self.schema_of_top(i) as usize];
        (schema.frame.tag.start + u64::from(top.rel), top.len())
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

    /// Fails with [`SliceError::BaseTypeCycle`] for the first type `t` (in document order) with
    /// `selected(t)` whose `BaseType` chain loops (a type deriving from itself included); a
    /// base that does not resolve to a type ends a chain. Linear in the number of types: a
    /// chain known to end is not walked again.
    pub(crate) fn check_base_cycles(
        &self,
        selected: impl Fn(u32) -> bool,
    ) -> Result<(), SliceError> {
        let mut ends = vec![false; self.types.len()];
        for t in 0..self.types.len() as u32 {
            if selected(t) {
                self.check_base_cycle(t, &mut ends)?;
            }
        }
        Ok(())
    }

    fn check_base_cycle(&self, t: u32, ends: &mut [bool]) -> Result<(), SliceError> {
        let mut seen = std::collections::HashSet::new();
        let mut chain = vec![t];
        seen.insert(t);
        let mut cur = t;
        while let Some(d) = self.types.get(cur as usize) {
            if d.base == NONE {
                break;
            }
            let Resolved::Type(b) = self.resolve(d.base) else {
                break;
            };
            if ends.get(b as usize).copied().unwrap_or(false) {
                break;
            }
            chain.push(b);
            if !seen.insert(b) {
                let (start, _) = self.top_span(self.types[t as usize].top);
                return Err(SliceError::BaseTypeCycle {
                    at: locate(&self.file, start),
                    element: describe_at(&self.file, start),
                    chain: chain
                        .iter()
                        .map(|&c| self.names.display(self.types[c as usize].name))
                        .collect(),
                });
            }
            cur = b;
        }
        for c in chain {
            if let Some(end) = ends.get_mut(c as usize) {
                *end = true;
            }
        }
        Ok(())
    }

    /// A [`SliceError::DanglingReference`] for `raw`, named in the top-level element `top`:
    /// finds the referencing element by reading that element again.
    pub(crate) fn dangling(&self, top: u32, raw: u32) -> SliceError {
        let want = self.names.canon(raw);
        let name = self.names.display(want);
        let span = ((top as usize) < self.tops.len()).then(|| self.top_span(top));
        let (mut offset, mut element) = match span {
            Some((start, _)) => (start, describe_at(&self.file, start)),
            None => (0, String::from("(document)")),
        };
        if let Some((start, len)) = span {
            if let Ok(bytes) = read_at(&self.file, start, len as usize) {
                if let Some((at, desc)) = self.find_reference(&bytes, want) {
                    offset = start + at;
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

/// The position of `needle` in `hay`: a plain loop for the short slices of names and values
/// (where `memchr`'s setup costs more than it saves), `memchr` for long ones.
fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    if hay.len() < 64 {
        hay.iter().position(|&b| b == needle)
    } else {
        memchr::memchr(needle, hay)
    }
}

/// Equality of short byte strings, inline (slice `==` calls `memcmp`, which costs more than
/// it saves on names of a few bytes).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The part of a qualified XML name after its prefix.
fn local_part(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// Unescapes an attribute value if it contains a reference.
fn unescape_value(value: &[u8]) -> Cow<'_, [u8]> {
    if find_byte(b'&', value).is_some() {
        if let Ok(s) = std::str::from_utf8(value) {
            if let Ok(u) = quick_xml::escape::unescape(s) {
                return Cow::Owned(u.into_owned().into_bytes());
            }
        }
    }
    Cow::Borrowed(value)
}

/// Scans the attributes of a start tag (`raw`: the bytes after the element name) for the
/// values of `keys`, matched on local names, and stops when it has them all. Faster than
/// quick-xml's general iterator for the few attributes pass 1 reads, and as strict about the
/// syntax of what it reads: `name = "value"` or `name = 'value'`, separated by whitespace.
fn scan_attributes<'a, const N: usize>(
    raw: &'a [u8],
    keys: [&[u8]; N],
) -> Result<[Option<Cow<'a, [u8]>>; N], &'static str> {
    let mut out: [Option<Cow<'a, [u8]>>; N] = std::array::from_fn(|_| None);
    let mut missing = N;
    let mut rest = raw.trim_ascii_start();
    while !rest.is_empty() && missing > 0 {
        let Some(eq) = find_byte(b'=', rest) else {
            return Err("attribute without a value");
        };
        let name = rest[..eq].trim_ascii_end();
        if name.is_empty()
            || name
                .iter()
                .any(|&b| b.is_ascii_whitespace() || b == b'"' || b == b'\'')
        {
            return Err("malformed attribute name");
        }
        let after = rest[eq + 1..].trim_ascii_start();
        let quote = match after.first() {
            Some(&q) if q == b'"' || q == b'\'' => q,
            _ => return Err("attribute value not in quotes"),
        };
        // The closing quote, noting on the way whether there is a reference to unescape.
        let mut len = None;
        let mut reference = false;
        for (j, &b) in after[1..].iter().enumerate() {
            if b == quote {
                len = Some(j);
                break;
            }
            reference |= b == b'&';
        }
        let Some(len) = len else {
            return Err("unclosed attribute value");
        };
        let value = &after[1..1 + len];
        rest = &after[len + 2..];
        if rest.first().is_some_and(|b| !b.is_ascii_whitespace()) {
            return Err("no whitespace between attributes");
        }
        rest = rest.trim_ascii_start();
        let local = local_part(name);
        if let Some(k) = keys.iter().position(|k| same(k, local)) {
            if out[k].is_none() {
                missing -= 1;
            }
            out[k] = Some(if reference {
                unescape_value(value)
            } else {
                Cow::Borrowed(value)
            });
        }
    }
    Ok(out)
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

/// An open element: its context, where its start tag begins, and its name (in `open_names`).
struct Open {
    ctx: Ctx,
    start: u64,
    name_start: usize,
}

struct Builder<'p> {
    path: &'p Path,
    file_len: u64,
    ix: Index,
    stack: Vec<Open>,
    /// Names of the open elements, back to back (for checking end tags).
    open_names: Vec<u8>,
    root_seen: bool,
    data_services_seen: bool,
    /// Parameters seen so far in the current operation.
    params: u32,
}

/// Pass 1 over `path`.
///
/// The file is read in chunks, each cut just before its last `<`, so that a chunk ends with
/// complete markup and complete text; each chunk is checked to be UTF-8 as a whole and parsed
/// with a slice reader, whose events borrow the chunk (no copy per event). Markup that still
/// spans a cut (a comment or CDATA section containing `<`) is re-read with the next chunk.
/// quick-xml's own end-tag check cannot see across chunks, so end tags are checked here.
pub(crate) fn build(path: &Path) -> Result<Index, SliceError> {
    let read_err = |source| SliceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    let file_len = file.metadata().map_err(read_err)?.len();
    let mut data = vec![0u8; (file_len as usize).saturating_add(1).clamp(4096, CHUNK)];
    let mut filled = 0usize;
    let mut eof = false;
    fill(&mut file, &mut data, &mut filled, &mut eof).map_err(read_err)?;
    let base = check_start(&data[..filled], path)?;
    data.copy_within(base as usize..filled, 0);
    filled -= base as usize;

    let mut b = Builder {
        path,
        file_len,
        ix: Index {
            file: path.to_path_buf(),
            base,
            names: Names::with_capacity(estimate(file_len, 600)),
            root: Frame::default(),
            data_services: Frame::default(),
            references: Vec::new(),
            external_quals: FxSet::default(),
            document_quals: FxSet::default(),
            schemas: Vec::new(),
            // Capacities from the file size (Graph has about one top-level element per 340 bytes,
            // one type per 850, ...), so that the tables do not grow by copying; capacity that
            // is never written is never resident.
            tops: Vec::with_capacity(estimate(file_len, 256)),
            types: Vec::with_capacity(estimate(file_len, 640)),
            type_refs: Vec::with_capacity(estimate(file_len, 1024)),
            refs: Vec::with_capacity(estimate(file_len, 1024)),
            navs: Vec::with_capacity(estimate(file_len, 2048)),
            nav_names: Vec::with_capacity(estimate(file_len, 128)),
            keys: FxMap::default(),
            ops: Vec::new(),
            terms: Vec::new(),
            containers: Vec::new(),
            ann_refs: Vec::new(),
            defs: Vec::new(),
            op_defs: FxMap::default(),
        },
        stack: Vec::with_capacity(32),
        open_names: Vec::with_capacity(512),
        root_seen: false,
        data_services_seen: false,
        params: 0,
    };
    let mut chunk_base = base;
    loop {
        fill(&mut file, &mut data, &mut filled, &mut eof).map_err(read_err)?;
        if filled == 0 {
            break;
        }
        let cut = if eof {
            filled
        } else {
            match data[..filled].iter().rposition(|&c| c == b'<') {
                Some(p) if p > 0 => p,
                // One text node fills the buffer: read more.
                _ => {
                    grow(&mut data);
                    continue;
                }
            }
        };
        let (limit, bad) = match std::str::from_utf8(&data[..cut]) {
            Ok(_) => (cut, None),
            Err(e) => (e.valid_up_to(), Some(e)),
        };
        let last = eof && bad.is_none();
        let resume = b.parse_chunk(&data[..limit], chunk_base, last)?;
        if let Some(e) = bad {
            return Err(b.not_utf8(&data[..cut], chunk_base, limit, e, resume));
        }
        let consumed = resume.unwrap_or(limit);
        if consumed == 0 {
            // One piece of markup fills the buffer: read more.
            grow(&mut data);
            continue;
        }
        data.copy_within(consumed..filled, 0);
        filled -= consumed;
        chunk_base += consumed as u64;
    }
    if let Some(open) = b.stack.last() {
        return Err(SliceError::Truncated {
            at: locate(path, file_len),
            element: describe_at(path, open.start),
        });
    }
    b.finish()
}

/// A capacity of one item per `bytes_per_item` bytes of input (bounded, for absurd sizes).
fn estimate(file_len: u64, bytes_per_item: u64) -> usize {
    (file_len / bytes_per_item).min(1 << 26) as usize
}

/// Reads until `data` is full or the file ends.
fn fill(
    file: &mut File,
    data: &mut [u8],
    filled: &mut usize,
    eof: &mut bool,
) -> std::io::Result<()> {
    while !*eof && *filled < data.len() {
        match file.read(&mut data[*filled..]) {
            Ok(0) => *eof = true,
            Ok(n) => *filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn grow(data: &mut Vec<u8>) {
    let n = data.len().max(4096);
    data.resize(n * 2, 0);
}

/// Length of a UTF-8 byte-order mark at the start (0 or 3); UTF-16 and UTF-32 are refused.
fn check_start(head: &[u8], path: &Path) -> Result<u64, SliceError> {
    if head.starts_with(UTF8_BOM) {
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
            Some(open) => describe_at(self.path, open.start),
            None => String::from("(document)"),
        }
    }

    /// Parses one chunk (`last`: the end of the file). Returns where to resume if the chunk
    /// ends inside a piece of markup.
    fn parse_chunk(
        &mut self,
        chunk: &[u8],
        chunk_base: u64,
        last: bool,
    ) -> Result<Option<usize>, SliceError> {
        let mut reader = Reader::from_reader(chunk);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        loop {
            let pos = reader.buffer_position();
            let event = match reader.read_event() {
                Ok(Event::Eof) => return Ok(None),
                Ok(event) => event,
                Err(err) => {
                    let at = reader.error_position();
                    if !last && is_unclosed(&err) {
                        return Ok(Some(at as usize));
                    }
                    return Err(self.xml_error(err, chunk_base + at));
                }
            };
            let end = chunk_base + reader.buffer_position();
            self.handle(event, chunk_base + pos, end)?;
        }
    }

    fn handle(&mut self, event: Event<'_>, pos: u64, end: u64) -> Result<(), SliceError> {
        match event {
            Event::Start(e) => {
                let ctx = self.enter(&e, pos, end)?;
                let name_start = self.open_names.len();
                self.open_names.extend_from_slice(e.name().as_ref());
                self.stack.push(Open {
                    ctx,
                    start: pos,
                    name_start,
                });
            }
            Event::Empty(e) => {
                let ctx = self.enter(&e, pos, end)?;
                self.leave(ctx, pos, end)?;
            }
            Event::End(e) => {
                let Some(open) = self.stack.pop() else {
                    return Err(self.xml_message(
                        pos,
                        format!(
                            "end tag </{}> without a start tag",
                            String::from_utf8_lossy(e.name().as_ref())
                        ),
                    ));
                };
                if !same(&self.open_names[open.name_start..], e.name().as_ref()) {
                    let expected =
                        String::from_utf8_lossy(&self.open_names[open.name_start..]).into_owned();
                    self.stack.push(open);
                    return Err(self.xml_message(
                        pos,
                        format!(
                            "expected </{expected}>, found </{}>",
                            String::from_utf8_lossy(e.name().as_ref())
                        ),
                    ));
                }
                self.open_names.truncate(open.name_start);
                self.leave(open.ctx, open.start, end)?;
            }
            Event::Text(t) => {
                if self.stack.is_empty() && !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(self
                        .ix
                        .not_csdl(pos, "text outside the root element".into()));
                }
            }
            Event::CData(_) | Event::GeneralRef(_) => {
                if self.stack.is_empty() {
                    return Err(self
                        .ix
                        .not_csdl(pos, "text outside the root element".into()));
                }
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.trim_ascii();
                    if !enc.eq_ignore_ascii_case(b"utf-8") && !enc.eq_ignore_ascii_case(b"utf8") {
                        return Err(SliceError::NotUtf8 {
                            at: locate(self.path, pos),
                            element: String::from("<?xml?> declaration"),
                            detail: format!(
                                "the document declares encoding \"{}\"; only UTF-8 is supported",
                                String::from_utf8_lossy(enc)
                            ),
                        });
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::DocType(_) | Event::Eof => {}
        }
        Ok(())
    }

    fn xml_message(&self, at: u64, message: String) -> SliceError {
        SliceError::Xml {
            at: locate(self.path, at),
            element: self.innermost(),
            message,
        }
    }

    fn xml_error(&self, err: quick_xml::Error, at: u64) -> SliceError {
        if is_unclosed(&err) {
            let max = self.file_len.saturating_sub(at).min(80) as usize;
            let tail = read_at(self.path, at, max)
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
        self.xml_message(at, err.to_string())
    }

    /// The error for the first byte that is not UTF-8, at `bad` in `chunk`; the chunk has been
    /// parsed up to there (`resume` is set if that stopped inside a tag, which is then named).
    fn not_utf8(
        &self,
        chunk: &[u8],
        chunk_base: u64,
        bad: usize,
        e: std::str::Utf8Error,
        resume: Option<usize>,
    ) -> SliceError {
        let len = e.error_len().unwrap_or(chunk.len() - bad).min(4);
        let shown: Vec<String> = chunk[bad..bad + len]
            .iter()
            .map(|b| format!("{b:#04x}"))
            .collect();
        let element = match resume {
            Some(tag) if chunk.get(tag) == Some(&b'<') => {
                describe_at(self.path, chunk_base + tag as u64)
            }
            _ => self.innermost(),
        };
        SliceError::NotUtf8 {
            at: locate(self.path, chunk_base + bad as u64),
            element,
            detail: format!("invalid byte sequence {}", shown.join(" ")),
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

    /// The values of the attributes named `keys` (local names) of `e`.
    fn attrs<'a, const N: usize>(
        &self,
        e: &'a BytesStart<'a>,
        keys: [&[u8]; N],
        at: u64,
    ) -> Result<[Option<Cow<'a, [u8]>>; N], SliceError> {
        scan_attributes(e.attributes_raw(), keys).map_err(|message| SliceError::Xml {
            at: locate(self.path, at),
            element: describe_at(self.path, at),
            message: message.into(),
        })
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
        if self.ix.defs[i] != NONE {
            return Err(self.ix.not_csdl(
                at,
                format!("`{}` is declared twice", self.ix.names.display(id)),
            ));
        }
        self.ix.defs[i] = (kind << DEF_SHIFT) | index;
        Ok(())
    }

    /// Registers operation `index` under name `id`, chaining it to earlier overloads.
    fn define_op(&mut self, id: u32, index: u32) {
        if let Some(previous) = self.ix.op_defs.insert(id, index) {
            if let Some(op) = self.ix.ops.get_mut(index as usize) {
                op.next = previous;
            }
        }
    }

    fn enter(&mut self, e: &BytesStart<'_>, pos: u64, end: u64) -> Result<Ctx, SliceError> {
        let qname = e.name();
        let name = local_part(qname.as_ref());
        let Some(parent) = self.stack.last().map(|o| o.ctx) else {
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
                let nrefs = self.ix.refs.len() as u32;
                let (ntype_refs, nnavs) =
                    (self.ix.type_refs.len() as u32, self.ix.navs.len() as u32);
                let top = &mut self.ix.tops[t as usize];
                top.len_kind |= len as u32;
                let item = top.item as usize;
                match top.kind() {
                    TopKind::EntityType
                    | TopKind::ComplexType
                    | TopKind::EnumType
                    | TopKind::TypeDefinition => {
                        if let Some(d) = self.ix.types.get_mut(item) {
                            d.refs_end = ntype_refs;
                            d.navs_end = nnavs;
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

    fn top(
        &mut self,
        e: &BytesStart<'_>,
        name: &[u8],
        pos: u64,
        s: u32,
    ) -> Result<Ctx, SliceError> {
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
        let schema = &self.ix.schemas[s as usize];
        let schema_qual = schema.qual;
        let Ok(rel) = u32::try_from(pos - schema.frame.tag.start) else {
            return Err(self.ix.not_csdl(
                pos,
                "Schema element larger than 4 GiB (not supported)".into(),
            ));
        };
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
                self.ix.types.push(TypeDef {
                    name: id,
                    base,
                    top,
                    refs_end: self.ix.type_refs.len() as u32,
                    navs_end: self.ix.navs.len() as u32,
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
                self.define_op(id, index);
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
            rel,
            len_kind: (kind as u32) << 28,
            item,
        });
        Ok(Ctx::Top(top))
    }

    fn member(
        &mut self,
        e: &BytesStart<'_>,
        name: &[u8],
        pos: u64,
        t: u32,
    ) -> Result<Ctx, SliceError> {
        let top = self.ix.tops[t as usize];
        match (top.kind(), name) {
            (TopKind::EntityType | TopKind::ComplexType, b"Property") => {
                let [n, ty] = self.attrs(e, [b"Name", b"Type"], pos)?;
                let n = self.required(n, "Name", pos)?;
                let ty = self.required(ty, "Type", pos)?;
                let (target, _) = self.intern_ref(&ty, pos)?;
                if target != PRIMITIVE {
                    self.ix.type_refs.push(Ref {
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
                let name_start =
                    u32::try_from(self.ix.nav_names.len()).map_err(|_| self.names_full(pos))?;
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
    fn annotation_ref(
        &mut self,
        e: &BytesStart<'_>,
        name: &[u8],
        pos: u64,
        t: u32,
    ) -> Result<(), SliceError> {
        let key: &[u8] = match name {
            b"Annotation" => b"Term",
            b"Record" => b"Type",
            _ => return Ok(()),
        };
        // Fast path: almost every annotation uses an OData vocabulary, written first.
        let raw = e.attributes_raw().trim_ascii_start();
        if raw.is_empty()
            || (raw.starts_with(key) && raw[key.len()..].starts_with(b"=\"Org.OData."))
        {
            return Ok(());
        }
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
            TopKind::EntityType
            | TopKind::ComplexType
            | TopKind::EnumType
            | TopKind::TypeDefinition => self.ix.type_refs.push(Ref {
                target,
                tag: REF_ANNOTATION,
            }),
            TopKind::Term | TopKind::Action | TopKind::Function | TopKind::Container => {
                self.ix.refs.push(Ref {
                    target,
                    tag: REF_ANNOTATION,
                })
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Index, SliceError> {
        if !self.root_seen {
            return Err(self
                .ix
                .not_csdl(0, "no root element (not an XML document?)".into()));
        }
        if !self.data_services_seen {
            return Err(self.ix.not_csdl(
                self.ix.root.tag.start,
                "no edmx:DataServices element".into(),
            ));
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

#[cfg(test)]
mod tests {
    use super::scan_attributes;

    #[test]
    fn attribute_scanner() {
        let [name, ty] = scan_attributes(
            b" Name=\"id\"  Type = 'Edm.String' Nullable=\"false\"",
            [b"Name", b"Type"],
        )
        .expect("well-formed");
        assert_eq!(name.as_deref(), Some(&b"id"[..]));
        assert_eq!(ty.as_deref(), Some(&b"Edm.String"[..]));
        let [t] = scan_attributes(b"edm:Target=\"a&amp;b\"", [b"Target"]).expect("prefixed");
        assert_eq!(t.as_deref(), Some(&b"a&b"[..]));
        let [none] = scan_attributes(b"", [b"Name"]).expect("empty");
        assert!(none.is_none());
        for bad in [
            &b"Name"[..],
            b"Name=id",
            b"Name=\"id",
            b"=\"x\"",
            b"Name=\"a\"Type=\"b\"",
            b"Na\"me=\"a\"",
        ] {
            assert!(scan_attributes(bad, [b"Name", b"Type"]).is_err(), "{bad:?}");
        }
    }
}
