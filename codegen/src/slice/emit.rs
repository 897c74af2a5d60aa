//! Pass 2: copy the kept byte ranges of the input to the output, filtering inside kept elements.
//!
//! Only kept top-level elements (and the `<Annotations>` blocks whose target's head is kept)
//! are read again, each by seeking to its recorded range. Inside a kept element the bytes are
//! copied verbatim except for the children the selection drops (navigation properties, the
//! non-key properties of path types, entity sets, bindings), which are cut out together with
//! the whitespace before them, so the output keeps the input's formatting.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::{locate, SliceError};
use super::index::{attr_value, ChildKind, Index, TopKind};
use super::select::{Members, Selection, DROP, FULL, PATH};

/// What pass 2 wrote.
pub(crate) struct EmitStats {
    pub bytes: u64,
    pub schemas: Vec<String>,
    pub annotation_blocks: usize,
    pub container_children: Vec<String>,
}

/// What to do with a child element.
enum Action {
    Keep,
    Drop,
    /// Keep, with this start tag instead.
    Replace(Vec<u8>),
}

struct Input<'a> {
    ix: &'a Index,
    file: File,
}

impl Input<'_> {
    fn read_err(&self, source: std::io::Error) -> SliceError {
        SliceError::Read {
            path: self.ix.file.clone(),
            source,
        }
    }

    /// Reads `len` bytes at `start` into `buf`.
    fn read(&mut self, start: u64, len: u64, buf: &mut Vec<u8>) -> Result<(), SliceError> {
        buf.clear();
        self.file
            .seek(SeekFrom::Start(start))
            .map_err(|e| self.read_err(e))?;
        let got = (&mut self.file)
            .take(len)
            .read_to_end(buf)
            .map_err(|e| self.read_err(e))?;
        if (got as u64) < len {
            return Err(self.read_err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file changed while it was being sliced",
            )));
        }
        Ok(())
    }

    /// The whitespace that indents the line on which `start` is (`fallback` if the element
    /// does not start its line).
    fn indent(&mut self, start: u64, fallback: &[u8]) -> Result<Vec<u8>, SliceError> {
        let from = start.saturating_sub(128).max(self.ix.base);
        let mut buf = Vec::new();
        self.read(from, start - from, &mut buf)?;
        let line = match buf.iter().rposition(|&b| b == b'\n') {
            Some(nl) => &buf[nl + 1..],
            None if from == self.ix.base => &buf[..],
            None => return Ok(fallback.to_vec()),
        };
        if line.iter().all(|&b| b == b' ' || b == b'\t') {
            Ok(line.to_vec())
        } else {
            Ok(fallback.to_vec())
        }
    }
}

struct Output<'p, W: Write> {
    w: W,
    path: &'p Path,
    bytes: u64,
}

impl<W: Write> Output<'_, W> {
    fn put(&mut self, parts: &[&[u8]]) -> Result<(), SliceError> {
        for p in parts {
            self.w.write_all(p).map_err(|source| SliceError::Write {
                path: self.path.to_path_buf(),
                source,
            })?;
            self.bytes += p.len() as u64;
        }
        Ok(())
    }
}

/// Writes the slice to `out` (`out_path` names it in errors).
pub(crate) fn emit<W: Write>(
    ix: &Index,
    sel: &Selection,
    out: W,
    out_path: &Path,
) -> Result<EmitStats, SliceError> {
    let file = File::open(&ix.file).map_err(|source| SliceError::Read {
        path: ix.file.clone(),
        source,
    })?;
    let mut input = Input { ix, file };
    let mut out = Output {
        w: out,
        path: out_path,
        bytes: 0,
    };
    let mut buf = Vec::new();

    // The declared members of kept types, to check annotation targets and binding paths
    // (documents do have annotations on members that do not exist).
    let mut members = Members::new();
    for (i, top) in ix.tops.iter().enumerate() {
        let kind = top.kind();
        if matches!(
            kind,
            TopKind::EntityType | TopKind::ComplexType | TopKind::EnumType
        ) && sel.types[top.item as usize] != DROP
        {
            let (start, len) = ix.top_span(i as u32);
            input.read(start, len, &mut buf)?;
            members.insert(top.item, member_names(&buf));
        }
    }

    // Decide every top-level element first: a schema is written only if something in it is.
    let mut keep = vec![false; ix.tops.len()];
    let mut annotation_blocks = 0;
    for (i, top) in ix.tops.iter().enumerate() {
        keep[i] = match top.kind() {
            TopKind::EntityType
            | TopKind::ComplexType
            | TopKind::EnumType
            | TopKind::TypeDefinition => sel.types[top.item as usize] != DROP,
            TopKind::Term => sel.terms[top.item as usize],
            TopKind::Action | TopKind::Function => sel.ops[top.item as usize],
            TopKind::Container => sel.containers[top.item as usize],
            TopKind::Annotations => {
                let head = ix.names.canon(top.item);
                if sel.head_kept(ix, head) {
                    let (start, len) = ix.top_span(i as u32);
                    input.read(start, len, &mut buf)?;
                    let kept =
                        annotations_target(&buf).is_some_and(|t| sel.target_kept(ix, &members, &t));
                    annotation_blocks += usize::from(kept);
                    kept
                } else {
                    false
                }
            }
            TopKind::SchemaAnnotation | TopKind::Other => false,
        };
    }
    let mut schemas = Vec::new();
    let written: Vec<bool> = ix
        .schemas
        .iter()
        .map(|s| keep[s.first as usize..s.end as usize].iter().any(|&k| k))
        .collect();
    for (s, schema) in ix.schemas.iter().enumerate() {
        if written[s] {
            for i in schema.first..schema.end {
                if ix.tops[i as usize].kind() == TopKind::SchemaAnnotation {
                    keep[i as usize] = true;
                }
            }
        }
    }

    out.put(&[b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"])?;
    input.read(ix.root.tag.start, ix.root.tag.len, &mut buf)?;
    out.put(&[&buf])?;
    for r in &ix.references {
        let indent = input.indent(r.start, b"  ")?;
        input.read(r.start, r.len, &mut buf)?;
        out.put(&[b"\n", &indent, &buf])?;
    }
    let ds = &ix.data_services;
    let ds_indent = input.indent(ds.tag.start, b"  ")?;
    input.read(ds.tag.start, ds.tag.len, &mut buf)?;
    out.put(&[b"\n", &ds_indent, &buf])?;

    let mut filtered = Vec::new();
    let mut container_children = Vec::new();
    for (s, schema) in ix.schemas.iter().enumerate() {
        if !written[s] {
            continue;
        }
        schemas.push(schema.namespace.clone());
        let indent = input.indent(schema.frame.tag.start, b"    ")?;
        input.read(schema.frame.tag.start, schema.frame.tag.len, &mut buf)?;
        out.put(&[b"\n", &indent, &buf])?;
        for i in schema.first..schema.end {
            if !keep[i as usize] {
                continue;
            }
            let top = ix.tops[i as usize];
            let (start, len) = ix.top_span(i);
            let child_indent = input.indent(start, b"      ")?;
            input.read(start, len, &mut buf)?;
            filtered.clear();
            let result = match top.kind() {
                TopKind::EntityType | TopKind::ComplexType => {
                    filter_type(ix, sel, top.item, &buf, &mut filtered)
                }
                TopKind::Container => {
                    let c = top.item as usize;
                    for (k, ch) in ix.containers[c].children.iter().enumerate() {
                        if sel.children[c][k]
                            && matches!(ch.kind, ChildKind::EntitySet | ChildKind::Singleton)
                        {
                            container_children.push(ch.name.to_string());
                        }
                    }
                    filter_container(ix, sel, &members, c, &buf, &mut filtered)
                }
                _ => {
                    filtered.extend_from_slice(&buf);
                    Ok(())
                }
            };
            if let Err(err) = result {
                // Pass 1 parsed these bytes already; if they no longer parse the file changed.
                return Err(SliceError::Xml {
                    at: locate(&ix.file, start),
                    element: super::error::describe_bytes(&buf),
                    message: format!("{err} (did the file change while it was being sliced?)"),
                });
            }
            out.put(&[b"\n", &child_indent, &filtered])?;
        }
        out.put(&[b"\n", &indent, b"</", &schema.frame.qname, b">"])?;
    }
    out.put(&[
        b"\n",
        &ds_indent,
        b"</",
        &ds.qname,
        b">\n</",
        &ix.root.qname,
        b">\n",
    ])?;
    out.w.flush().map_err(|source| SliceError::Write {
        path: out_path.to_path_buf(),
        source,
    })?;
    Ok(EmitStats {
        bytes: out.bytes,
        schemas,
        annotation_blocks,
        container_children,
    })
}

/// The names of the properties, navigation properties and enum members declared by the type
/// element `el`.
fn member_names(el: &[u8]) -> HashSet<Box<str>> {
    let mut names = HashSet::new();
    let mut reader = Reader::from_reader(el);
    let mut depth = 0usize;
    loop {
        let (e, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        if depth == 1
            && matches!(
                e.local_name().as_ref(),
                b"Property" | b"NavigationProperty" | b"Member"
            )
        {
            if let Some(name) = attr_string(&e, "Name") {
                names.insert(name.into());
            }
        }
        if !empty {
            depth += 1;
        }
    }
    names
}

/// The `Target` of the `<Annotations>` start tag at the beginning of `bytes`.
fn annotations_target(bytes: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(bytes);
    match reader.read_event() {
        Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
            let a = e.try_get_attribute("Target").ok()??;
            let v = attr_value(&a);
            Some(String::from_utf8_lossy(&v).into_owned())
        }
        _ => None,
    }
}

fn attr_string(e: &BytesStart<'_>, key: &str) -> Option<String> {
    let a = e.try_get_attribute(key).ok()??;
    let v = attr_value(&a);
    Some(String::from_utf8_lossy(&v).into_owned())
}

/// Copies `el` to `out`, asking `decide` about every element below the root of `el`
/// (`depth` 1 = children of the root).
fn filter(
    el: &[u8],
    out: &mut Vec<u8>,
    mut decide: impl FnMut(usize, &BytesStart<'_>, bool) -> Action,
) -> Result<(), quick_xml::Error> {
    let mut reader = Reader::from_reader(el);
    reader.config_mut().trim_text(false);
    let mut depth = 0usize;
    let mut copied = 0usize;
    let mut ws_start: Option<usize> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event()?;
        let end = reader.buffer_position() as usize;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                ws_start = None;
                continue;
            }
            Event::Text(t) => {
                ws_start = t.iter().all(u8::is_ascii_whitespace).then_some(pos);
                continue;
            }
            Event::Eof => break,
            _ => {
                ws_start = None;
                continue;
            }
        };
        let this = depth;
        if !empty {
            depth += 1;
        }
        if this >= 1 {
            match decide(this, &e, empty) {
                Action::Keep => {}
                Action::Drop => {
                    // Cut the element and the indentation before it.
                    let cut = ws_start.unwrap_or(pos);
                    out.extend_from_slice(&el[copied..cut]);
                    if !empty {
                        reader.read_to_end(e.name())?;
                        depth -= 1;
                    }
                    copied = reader.buffer_position() as usize;
                }
                Action::Replace(tag) => {
                    out.extend_from_slice(&el[copied..pos]);
                    out.extend_from_slice(&tag);
                    copied = end;
                }
            }
        }
        ws_start = None;
    }
    out.extend_from_slice(&el[copied..]);
    Ok(())
}

/// The start tag `e` without attribute `drop`.
fn without_attribute(e: &BytesStart<'_>, drop: &[u8], empty: bool) -> Vec<u8> {
    let mut tag = Vec::with_capacity(e.len() + 3);
    tag.push(b'<');
    tag.extend_from_slice(e.name().as_ref());
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.as_ref() == drop {
            continue;
        }
        tag.push(b' ');
        tag.extend_from_slice(a.key.as_ref());
        tag.extend_from_slice(b"=\"");
        for &b in a.value.iter() {
            if b == b'"' {
                tag.extend_from_slice(b"&quot;");
            } else {
                tag.push(b);
            }
        }
        tag.push(b'"');
    }
    tag.extend_from_slice(if empty { b" />" } else { b">" });
    tag
}

fn filter_type(
    ix: &Index,
    sel: &Selection,
    t: u32,
    el: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), quick_xml::Error> {
    let state = sel.types[t as usize];
    let navs = ix.type_navs(t);
    let needed = sel.needed.get(&t);
    let mut nav_ordinal = 0u32;
    filter(el, out, |depth, e, empty| {
        if depth != 1 {
            return Action::Keep;
        }
        match e.local_name().as_ref() {
            b"NavigationProperty" => {
                let n = navs.start + nav_ordinal;
                nav_ordinal += 1;
                if n >= navs.end || !sel.nav_keep[n as usize] {
                    return Action::Drop;
                }
                match attr_string(e, "Partner") {
                    Some(p) if !sel.partner_kept(ix, n, &p) => {
                        Action::Replace(without_attribute(e, b"Partner", empty))
                    }
                    _ => Action::Keep,
                }
            }
            b"Property" if state == PATH => {
                let name = attr_string(e, "Name").unwrap_or_default();
                if needed.is_some_and(|n| n.iter().any(|k| **k == *name)) {
                    Action::Keep
                } else {
                    Action::Drop
                }
            }
            _ if state == FULL || state == PATH => Action::Keep,
            _ => Action::Drop,
        }
    })
}

fn filter_container(
    ix: &Index,
    sel: &Selection,
    members: &Members,
    c: usize,
    el: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), quick_xml::Error> {
    let cd = &ix.containers[c];
    let mut ordinal = 0usize;
    let mut current: Option<usize> = None;
    filter(el, out, |depth, e, _| match depth {
        1 => {
            let k = ordinal;
            ordinal += 1;
            current = Some(k);
            if sel.children[c].get(k).copied().unwrap_or(false) {
                Action::Keep
            } else {
                Action::Drop
            }
        }
        2 if e.local_name().as_ref() == b"NavigationPropertyBinding" => {
            let Some(ch) = current.and_then(|k| cd.children.get(k)) else {
                return Action::Drop;
            };
            let path = attr_string(e, "Path").unwrap_or_default();
            let target = attr_string(e, "Target").unwrap_or_default();
            if sel.binding_kept(ix, members, c, ch, &path, &target) {
                Action::Keep
            } else {
                Action::Drop
            }
        }
        _ => Action::Keep,
    })
}
