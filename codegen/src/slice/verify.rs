//! A checker that a CSDL document is self-contained: every name it uses is declared in it.
//!
//! It is written independently of the slicer (it reads the whole document into a small model of
//! strings), so it can check the slicer's output. It is meant for slice-sized documents; memory
//! grows with the document.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::error::{describe_start, Location, SliceError};
use super::index::attr_value;
use super::names::{is_edm_type, split_qualified};

/// A name used in a document that does not resolve within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// Where it is used.
    pub at: Location,
    /// The element that uses it.
    pub element: String,
    /// The name or path as written.
    pub reference: String,
    /// What was looked for.
    pub problem: String,
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: `{}`: {}",
            self.at, self.element, self.reference, self.problem
        )
    }
}

#[derive(Default)]
struct TypeInfo {
    base: Option<String>,
    /// Structural property → its type (collection stripped).
    props: HashMap<String, String>,
    /// Navigation property → its type (collection stripped).
    navs: HashMap<String, String>,
    /// Enum members.
    members: HashSet<String>,
}

#[derive(Default)]
struct OpInfo {
    params: Vec<(String, String)>,
}

enum Check {
    Type(String),
    Term(String),
    Record(String),
    Key {
        owner: String,
        name: String,
    },
    Partner {
        target: String,
        name: String,
    },
    Operation(String),
    Target(String),
    Binding {
        container: String,
        child: String,
        path: String,
        target: String,
    },
}

struct Use {
    offset: usize,
    element: String,
    check: Check,
}

#[derive(Default)]
struct Model {
    aliases: HashMap<String, String>,
    namespaces: HashSet<String>,
    external: HashSet<String>,
    types: HashMap<String, TypeInfo>,
    ops: HashMap<String, Vec<OpInfo>>,
    terms: HashSet<String>,
    /// Container → child → type or operation.
    containers: HashMap<String, HashMap<String, String>>,
    uses: Vec<Use>,
}

/// Checks that every type, term, operation, key property, partner, annotation target and
/// navigation property binding used in the document at `path` is declared in it (or is an EDM
/// primitive, or belongs to a namespace the document includes through `edmx:Reference`; terms
/// and record types of namespaces the document does not declare are taken as vocabularies).
///
/// Returns the names that do not resolve (empty if the document is self-contained), or an
/// error if the document cannot be read or is not well-formed XML.
pub fn verify_self_contained(path: &Path) -> Result<Vec<Unresolved>, SliceError> {
    let bytes = std::fs::read(path).map_err(|source| SliceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let location = |offset: usize| {
        let before = &body[..offset.min(body.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = before[line_start..]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count() as u64
            + 1;
        Location {
            file: path.to_path_buf(),
            line,
            column,
        }
    };
    let model = read_model(body).map_err(|(offset, message)| SliceError::Xml {
        at: location(offset),
        element: String::from("(document)"),
        message,
    })?;
    let mut problems = Vec::new();
    for u in &model.uses {
        if let Some((reference, problem)) = model.check(&u.check) {
            problems.push(Unresolved {
                at: location(u.offset),
                element: u.element.clone(),
                reference,
                problem,
            });
        }
    }
    Ok(problems)
}

fn text(e: &BytesStart<'_>, key: &str) -> Option<String> {
    let a = e.try_get_attribute(key).ok()??;
    Some(String::from_utf8_lossy(&attr_value(&a)).into_owned())
}

fn strip(t: &str) -> &str {
    t.strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t)
        .trim()
}

fn read_model(body: &[u8]) -> Result<Model, (usize, String)> {
    let mut m = Model::default();
    let mut reader = Reader::from_reader(body);
    // Element path: local names, plus the current schema namespace, type, op and container.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut schema = String::new();
    let mut current_type: Option<String> = None;
    let mut current_op: Option<(String, usize)> = None;
    let mut current_container: Option<String> = None;
    let mut current_child: Option<String> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| (reader.error_position() as usize, e.to_string()))?;
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                if let Some(name) = stack.pop() {
                    match name.as_slice() {
                        b"EntityType" | b"ComplexType" | b"EnumType" | b"TypeDefinition" => {
                            current_type = None
                        }
                        b"Action" | b"Function" => current_op = None,
                        b"EntityContainer" => current_container = None,
                        b"EntitySet" | b"Singleton" => current_child = None,
                        _ => {}
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let local = e.local_name().as_ref().to_vec();
        let element = describe_start(&e);
        let mut add = |check: Check| {
            m.uses.push(Use {
                offset: pos,
                element: element.clone(),
                check,
            })
        };
        let parent = stack.last().map(Vec::as_slice);
        match (parent, local.as_slice()) {
            (_, b"Include") => {
                for k in ["Namespace", "Alias"] {
                    if let Some(v) = text(&e, k) {
                        m.external.insert(v);
                    }
                }
            }
            (_, b"Schema") => {
                schema = text(&e, "Namespace").unwrap_or_default();
                m.namespaces.insert(schema.clone());
                if let Some(a) = text(&e, "Alias") {
                    m.aliases.insert(a, schema.clone());
                }
            }
            (Some(b"Schema"), b"EntityType" | b"ComplexType" | b"EnumType" | b"TypeDefinition") => {
                let name = format!("{schema}.{}", text(&e, "Name").unwrap_or_default());
                let base = text(&e, "BaseType").or_else(|| text(&e, "UnderlyingType"));
                if let Some(b) = &base {
                    add(Check::Type(b.clone()));
                }
                m.types.insert(
                    name.clone(),
                    TypeInfo {
                        base,
                        ..TypeInfo::default()
                    },
                );
                current_type = Some(name);
            }
            (Some(b"Schema"), b"Term") => {
                m.terms
                    .insert(format!("{schema}.{}", text(&e, "Name").unwrap_or_default()));
                for k in ["Type", "BaseTerm"] {
                    if let Some(v) = text(&e, k) {
                        add(if k == "Type" {
                            Check::Type(v)
                        } else {
                            Check::Term(v)
                        });
                    }
                }
            }
            (Some(b"Schema"), b"Action" | b"Function") => {
                let name = format!("{schema}.{}", text(&e, "Name").unwrap_or_default());
                let ops = m.ops.entry(name.clone()).or_default();
                ops.push(OpInfo::default());
                current_op = Some((name, ops.len() - 1));
            }
            (Some(b"Schema"), b"EntityContainer") => {
                let name = format!("{schema}.{}", text(&e, "Name").unwrap_or_default());
                m.containers.entry(name.clone()).or_default();
                current_container = Some(name);
            }
            (Some(b"Schema"), b"Annotations") => {
                if let Some(t) = text(&e, "Target") {
                    add(Check::Target(t));
                }
            }
            (Some(b"EntityType" | b"ComplexType"), b"Property" | b"NavigationProperty") => {
                let name = text(&e, "Name").unwrap_or_default();
                let ty = text(&e, "Type").unwrap_or_default();
                add(Check::Type(ty.clone()));
                if local == b"NavigationProperty" {
                    if let Some(p) = text(&e, "Partner") {
                        add(Check::Partner {
                            target: strip(&ty).to_string(),
                            name: p,
                        });
                    }
                }
                if let Some(t) = current_type.as_ref().and_then(|t| m.types.get_mut(t)) {
                    let table = if local == b"Property" {
                        &mut t.props
                    } else {
                        &mut t.navs
                    };
                    table.insert(name, strip(&ty).to_string());
                }
            }
            (Some(b"EnumType"), b"Member") => {
                if let Some(t) = current_type.as_ref().and_then(|t| m.types.get_mut(t)) {
                    t.members.insert(text(&e, "Name").unwrap_or_default());
                }
            }
            (Some(b"Key"), b"PropertyRef") => {
                if let Some(owner) = &current_type {
                    add(Check::Key {
                        owner: owner.clone(),
                        name: text(&e, "Name").unwrap_or_default(),
                    });
                }
            }
            (Some(b"Action" | b"Function"), b"Parameter" | b"ReturnType") => {
                let ty = text(&e, "Type").unwrap_or_default();
                add(Check::Type(ty.clone()));
                if local == b"Parameter" {
                    if let Some((name, i)) = &current_op {
                        if let Some(op) = m.ops.get_mut(name).and_then(|v| v.get_mut(*i)) {
                            op.params.push((text(&e, "Name").unwrap_or_default(), ty));
                        }
                    }
                }
            }
            (Some(b"EntityContainer"), child) => {
                let name = text(&e, "Name").unwrap_or_default();
                let target = match child {
                    b"EntitySet" => text(&e, "EntityType").inspect(|t| add(Check::Type(t.clone()))),
                    b"Singleton" => text(&e, "Type").inspect(|t| add(Check::Type(t.clone()))),
                    b"FunctionImport" => {
                        text(&e, "Function").inspect(|t| add(Check::Operation(t.clone())))
                    }
                    b"ActionImport" => {
                        text(&e, "Action").inspect(|t| add(Check::Operation(t.clone())))
                    }
                    _ => None,
                };
                if let (Some(c), Some(t)) = (&current_container, target) {
                    if let Some(children) = m.containers.get_mut(c) {
                        children.insert(name.clone(), t);
                    }
                }
                if matches!(child, b"EntitySet" | b"Singleton") {
                    current_child = Some(name);
                }
            }
            (Some(b"EntitySet" | b"Singleton"), b"NavigationPropertyBinding") => {
                if let (Some(c), Some(ch)) = (&current_container, &current_child) {
                    add(Check::Binding {
                        container: c.clone(),
                        child: ch.clone(),
                        path: text(&e, "Path").unwrap_or_default(),
                        target: text(&e, "Target").unwrap_or_default(),
                    });
                }
            }
            (_, b"Annotation") => {
                if let Some(t) = text(&e, "Term") {
                    add(Check::Term(t));
                }
            }
            (_, b"Record") => {
                if let Some(t) = text(&e, "Type") {
                    add(Check::Record(t));
                }
            }
            _ => {}
        }
        if !empty {
            stack.push(local);
        }
    }
    Ok(m)
}

impl Model {
    /// The namespace form of a qualified name.
    fn canon(&self, name: &str) -> String {
        let name = strip(name);
        let (q, local) = split_qualified(name.as_bytes());
        let q = String::from_utf8_lossy(q);
        match self.aliases.get(q.as_ref()) {
            Some(ns) => format!("{ns}.{}", String::from_utf8_lossy(local)),
            None => name.to_string(),
        }
    }

    fn qualifier(&self, name: &str) -> String {
        let c = self.canon(name);
        let (q, _) = split_qualified(c.as_bytes());
        String::from_utf8_lossy(q).into_owned()
    }

    fn is_primitive(name: &str) -> bool {
        let (q, local) = split_qualified(strip(name).as_bytes());
        q == b"Edm" && is_edm_type(local)
    }

    fn type_ok(&self, name: &str) -> bool {
        Self::is_primitive(name)
            || self.types.contains_key(&self.canon(name))
            || self.external.contains(&self.qualifier(name))
    }

    /// The type and its bases.
    fn chain(&self, name: &str) -> Vec<&TypeInfo> {
        let mut out = Vec::new();
        let mut cur = Some(self.canon(name));
        while let Some(n) = cur {
            match self.types.get(&n) {
                Some(t) if out.len() < 64 => {
                    out.push(t);
                    cur = t.base.as_ref().map(|b| self.canon(b));
                }
                _ => break,
            }
        }
        out
    }

    /// Follows member names and type casts from `ty`; returns the type reached ("" for a
    /// primitive) and whether the last step was a navigation property.
    fn walk(&self, ty: &str, segments: &[&str]) -> Option<(String, bool)> {
        let mut cur = self.canon(ty);
        let mut nav = false;
        for seg in segments {
            if seg.contains('.') {
                let c = self.canon(seg);
                self.types.get(&c)?;
                cur = c;
                nav = false;
                continue;
            }
            let chain = self.chain(&cur);
            if chain.is_empty() {
                return None;
            }
            if let Some(t) = chain.iter().find_map(|t| t.navs.get(*seg)) {
                cur = self.canon(t);
                nav = true;
            } else if let Some(t) = chain.iter().find_map(|t| t.props.get(*seg)) {
                cur = self.canon(t);
                nav = false;
            } else if chain.iter().any(|t| t.members.contains(*seg)) {
                cur = String::new();
                nav = false;
            } else {
                return None;
            }
        }
        Some((cur, nav))
    }

    fn check(&self, check: &Check) -> Option<(String, String)> {
        let fail = |r: &str, p: &str| Some((r.to_string(), p.to_string()));
        match check {
            Check::Type(t) => {
                if self.type_ok(t) {
                    None
                } else {
                    fail(t, "no such type in the document")
                }
            }
            Check::Term(t) => {
                let q = self.qualifier(t);
                if self.namespaces.contains(&q) && !self.terms.contains(&self.canon(t)) {
                    fail(t, "no such term in the document")
                } else {
                    None
                }
            }
            Check::Record(t) => {
                let q = self.qualifier(t);
                if self.namespaces.contains(&q) && !self.types.contains_key(&self.canon(t)) {
                    fail(t, "no such record type in the document")
                } else {
                    None
                }
            }
            Check::Key { owner, name } => {
                if self.chain(owner).iter().any(|t| t.props.contains_key(name)) {
                    None
                } else {
                    fail(name, "key property not declared on the type or its bases")
                }
            }
            Check::Partner { target, name } => {
                if self.chain(target).iter().any(|t| t.navs.contains_key(name)) {
                    None
                } else {
                    fail(
                        name,
                        "partner navigation property not declared on the target type",
                    )
                }
            }
            Check::Operation(o) => {
                if self.ops.contains_key(&self.canon(o)) {
                    None
                } else {
                    fail(o, "no such action or function in the document")
                }
            }
            Check::Target(t) => self.check_target(t),
            Check::Binding {
                container,
                child,
                path,
                target,
            } => {
                let ty = self.containers.get(container).and_then(|c| c.get(child))?;
                let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                if !matches!(self.walk(ty, &segs), Some((_, true))) {
                    return fail(path, "binding path does not end in a navigation property");
                }
                let mut tsegs: Vec<&str> = target.split('/').filter(|s| !s.is_empty()).collect();
                let mut c = container.clone();
                if tsegs.first().is_some_and(|s| s.contains('.')) {
                    c = self.canon(tsegs.remove(0));
                }
                let Some((first, rest)) = tsegs.split_first() else {
                    return fail(target, "empty binding target");
                };
                match self.containers.get(&c).and_then(|ch| ch.get(*first)) {
                    Some(t) if rest.is_empty() || self.walk(t, rest).is_some() => None,
                    _ => fail(target, "binding target not found in the container"),
                }
            }
        }
    }

    fn check_target(&self, target: &str) -> Option<(String, String)> {
        let fail = |p: &str| Some((target.to_string(), p.to_string()));
        let head_end = target.find(['(', '/']).unwrap_or(target.len());
        let head = self.canon(&target[..head_end]);
        let rest = &target[head_end..];
        let rest = match rest.strip_prefix('(') {
            Some(r) => {
                let mut depth = 1;
                let mut end = r.len();
                for (i, ch) in r.char_indices() {
                    match ch {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                r.get(end + 1..).unwrap_or("")
            }
            None => rest,
        };
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        if self.types.contains_key(&head) {
            return match self.walk(&head, &segs) {
                Some(_) => None,
                None => fail("member not declared on the target type"),
            };
        }
        if let Some(ops) = self.ops.get(&head) {
            return match segs.first() {
                None => None,
                Some(&"$ReturnType") => None,
                Some(p) if ops.iter().any(|o| o.params.iter().any(|(n, _)| n == p)) => None,
                Some(_) => fail("parameter not declared on the operation"),
            };
        }
        if self.terms.contains(&head) {
            return None;
        }
        if let Some(children) = self.containers.get(&head) {
            return match segs.split_first() {
                None => None,
                Some((child, path)) => match children.get(*child) {
                    Some(t) if path.is_empty() || self.walk(t, path).is_some() => None,
                    _ => fail("container child not declared"),
                },
            };
        }
        fail("annotation target not declared in the document")
    }
}
