//! Decide what the slice keeps, from the index alone.
//!
//! # Rules
//!
//! 1. **Seeds.** Every `EntityType`, `ComplexType`, `EnumType`, `TypeDefinition` and `Term`
//!    declared in a requested namespace; every `Action`/`Function` whose binding parameter's
//!    type (collection or not) is a type of a requested namespace; every unbound operation
//!    declared in a requested namespace.
//! 2. **Closure** ("full" items). A full type pulls in its base type, the types of its
//!    structural properties (element types of `Collection(...)` included), the terms and record
//!    types its annotations use, and those of the `<Annotations>` blocks that target it. A full
//!    operation pulls in its parameter and return types. Navigation properties do **not** pull
//!    in their target: a navigation property of a full type is kept only if its target ends up
//!    in the slice anyway (as a full type or as a path type). Every reference the closure walks
//!    must resolve (to a declaration, an EDM primitive, or a namespace of an `edmx:Reference`),
//!    or the slice fails with [`SliceError::DanglingReference`].
//! 3. **Containment paths.** A breadth-first search runs from the types of all entity sets and
//!    singletons of every `EntityContainer` over navigation properties with
//!    `ContainsTarget="true"` (including those inherited from base types). It does not expand
//!    types of the requested namespaces: those are the destinations. For every requested type
//!    the search reaches, **all shortest paths** to it are kept. The types on those paths (and
//!    their base types) that are not full become "path types": they keep only their `Key`, their
//!    key properties, their annotations, and the navigation properties on the kept paths. The
//!    container keeps only the entity sets and singletons those paths start from (plus function
//!    and action imports of kept operations), and a `NavigationPropertyBinding` only if its path
//!    and target still resolve in the slice.
//! 4. **Annotations.** An `<Annotations Target="...">` block is kept if its target resolves in
//!    the slice: a kept type (or a kept member of it), a kept operation (overload signature
//!    checked on the binding parameter), a kept term, or the container (or one of its kept
//!    children). Inline annotations go wherever their element goes.

use std::collections::{HashMap, HashSet, VecDeque};

/// Declared member names (properties, navigation properties, enum members) of kept types,
/// collected by pass 2 from the kept elements.
pub(crate) type Members = HashMap<u32, HashSet<Box<str>>>;

use super::error::{describe_at, locate, SliceError};
use super::index::{
    prop_tag, ChildDef, ChildKind, Index, Ref, Resolved, TopKind, REF_ANNOTATION, REF_PLAIN,
};
use super::names::NONE;

/// Not in the slice.
pub(crate) const DROP: u8 = 0;
/// In the slice with everything.
pub(crate) const FULL: u8 = 1;
/// On a containment path only: keys, key properties and path navigation properties.
pub(crate) const PATH: u8 = 2;

/// What the slice keeps.
pub(crate) struct Selection {
    requested: HashSet<u32>,
    /// Per type: [`DROP`], [`FULL`] or [`PATH`].
    pub types: Vec<u8>,
    pub ops: Vec<bool>,
    pub terms: Vec<bool>,
    /// Per navigation property of a kept type.
    pub nav_keep: Vec<bool>,
    /// Per path type: the names of the properties it keeps (its keys and inherited keys).
    pub needed: HashMap<u32, Vec<Box<str>>>,
    /// Per container, per child element.
    pub children: Vec<Vec<bool>>,
    pub containers: Vec<bool>,
    /// The kept containment paths, as `child/navigation/...` (at most [`MAX_PATHS`]).
    pub paths: Vec<String>,
}

/// How many paths the summary lists.
const MAX_PATHS: usize = 64;

#[derive(Clone, Copy)]
enum Item {
    Type(u32),
    Op(u32),
    Term(u32),
}

/// Computes the selection for `namespaces`.
pub(crate) fn select(ix: &Index, namespaces: &[String]) -> Result<Selection, SliceError> {
    if namespaces.is_empty() {
        return Err(SliceError::NoNamespace);
    }
    let mut requested = HashSet::new();
    for ns in namespaces {
        match ix.namespace_qual(ns) {
            Some(q) => {
                requested.insert(q);
            }
            None => {
                let at = ix.data_services.tag.start;
                return Err(SliceError::UnknownNamespace {
                    at: locate(&ix.file, at),
                    element: describe_at(&ix.file, at),
                    namespace: ns.clone(),
                    available: ix.namespaces(),
                });
            }
        }
    }
    let mut sel = Selection {
        requested,
        types: vec![DROP; ix.types.len()],
        ops: vec![false; ix.ops.len()],
        terms: vec![false; ix.terms.len()],
        nav_keep: vec![false; ix.navs.len()],
        needed: HashMap::new(),
        children: ix
            .containers
            .iter()
            .map(|c| vec![false; c.children.len()])
            .collect(),
        containers: vec![false; ix.containers.len()],
        paths: Vec::new(),
    };

    // 1. Seeds.
    let mut work = Vec::new();
    for (t, d) in ix.types.iter().enumerate() {
        if sel.in_requested_top(ix, d.top) {
            work.push(Item::Type(t as u32));
        }
    }
    for (o, op) in ix.ops.iter().enumerate() {
        let seed = if op.bound {
            matches!(ix.resolve(op.binding), Resolved::Type(b) if sel.is_requested(ix, b))
        } else {
            sel.in_requested_top(ix, op.top)
        };
        if seed {
            work.push(Item::Op(o as u32));
        }
    }
    for (t, d) in ix.terms.iter().enumerate() {
        if sel.in_requested_top(ix, d.top) {
            work.push(Item::Term(t as u32));
        }
    }
    // 2. Closure.
    sel.close(ix, &mut work)?;

    // 3. Containment paths.
    let (marked, path_navs, sources) = sel.containment(ix);
    let mut path_types: Vec<u32> = (0..ix.types.len() as u32)
        .filter(|&t| marked[t as usize] && !sel.is_requested(ix, t))
        .collect();
    path_types.extend(path_navs.iter().filter_map(|&n| declaring_type(ix, n)));
    for t in path_types {
        for c in checked_chain(ix, t)? {
            if sel.types[c as usize] == DROP {
                sel.types[c as usize] = PATH;
            }
        }
    }
    for &(t, c, k) in &sources {
        if marked[t as usize] {
            sel.children[c][k] = true;
        }
    }
    for (c, cd) in ix.containers.iter().enumerate() {
        for (k, ch) in cd.children.iter().enumerate() {
            if matches!(ch.kind, ChildKind::FunctionImport | ChildKind::ActionImport) {
                if let Some(o) = ix.resolve_op(ch.target) {
                    sel.children[c][k] = sel.any_overload_kept(ix, o);
                }
            }
        }
        sel.containers[c] = sel.children[c].iter().any(|&k| k);
        if sel.containers[c] {
            for (k, ch) in cd.children.iter().enumerate() {
                if ch.kind == ChildKind::Other {
                    sel.children[c][k] = true;
                }
            }
            let (a, b) = cd.refs;
            for r in &ix.refs[a as usize..b as usize] {
                sel.need(ix, *r, cd.top, &mut work)?;
            }
            sel.need_annotations(ix, cd.name, &mut work)?;
        }
    }

    // Path types keep their own keys and those of kept types deriving from them.
    let path_list: Vec<u32> = (0..ix.types.len() as u32)
        .filter(|&t| sel.types[t as usize] == PATH)
        .collect();
    for &t in &path_list {
        let Some(keys) = ix.keys.get(&t) else {
            continue;
        };
        for b in ix.chain(t) {
            if sel.types[b as usize] == PATH {
                let entry = sel.needed.entry(b).or_default();
                for k in keys {
                    if !entry.contains(k) {
                        entry.push(k.clone());
                    }
                }
            }
        }
    }
    for &t in &path_list {
        let d = ix.types[t as usize];
        let tags: Vec<u32> = sel
            .needed
            .get(&t)
            .map(|names| names.iter().map(|n| prop_tag(n.as_bytes())).collect())
            .unwrap_or_default();
        for r in ix.type_refs(t) {
            if r.tag == REF_ANNOTATION || (r.tag & 1 == 1 && tags.contains(&r.tag)) {
                sel.need(ix, *r, d.top, &mut work)?;
            }
        }
        sel.need_annotations(ix, d.name, &mut work)?;
    }
    sel.close(ix, &mut work)?;

    // A base-type cycle among the kept types is the error `openapi` would give one step later.
    ix.check_base_cycles(|t| sel.types[t as usize] != DROP)?;

    // Navigation properties.
    for t in 0..ix.types.len() {
        let state = sel.types[t];
        for n in ix.type_navs(t as u32) {
            sel.nav_keep[n as usize] = match state {
                FULL => matches!(ix.resolve(ix.navs[n as usize].target),
                    Resolved::Type(v) if sel.types[v as usize] != DROP),
                PATH => path_navs.contains(&n),
                _ => false,
            };
        }
    }
    sel.paths = sel.describe_paths(ix, &sources, &marked, &path_navs);
    Ok(sel)
}

/// The index of the `)` closing a parenthesis opened just before `s` (signatures contain
/// `Collection(...)`).
fn matching_parenthesis(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The type that declares navigation property `n`.
fn declaring_type(ix: &Index, n: u32) -> Option<u32> {
    let t = ix.types.partition_point(|d| d.navs_end() <= n) as u32;
    ((t as usize) < ix.types.len() && ix.type_navs(t).contains(&n)).then_some(t)
}

/// `t` and its base types; a base type that does not resolve is an error.
fn checked_chain(ix: &Index, t: u32) -> Result<Vec<u32>, SliceError> {
    let chain = ix.chain(t);
    if let Some(&last) = chain.last() {
        let d = ix.types[last as usize];
        if d.base != NONE
            && ix.type_kind(last) != TopKind::EnumType
            && ix.type_kind(last) != TopKind::TypeDefinition
            && !matches!(ix.resolve(d.base), Resolved::Type(_))
        {
            return Err(ix.dangling(d.top, d.base));
        }
    }
    Ok(chain)
}

impl Selection {
    fn is_requested(&self, ix: &Index, t: u32) -> bool {
        ix.types
            .get(t as usize)
            .is_some_and(|d| self.in_requested_top(ix, d.top))
    }

    fn in_requested_top(&self, ix: &Index, top: u32) -> bool {
        ix.schemas
            .get(ix.schema_of_top(top) as usize)
            .is_some_and(|s| self.requested.contains(&s.qual))
    }

    /// Whether type `t` is in the slice.
    pub(crate) fn type_kept(&self, t: u32) -> bool {
        self.types.get(t as usize).is_some_and(|&s| s != DROP)
    }

    /// Whether some overload of the operation chain starting at `o` is kept.
    pub(crate) fn any_overload_kept(&self, ix: &Index, mut o: u32) -> bool {
        let mut guard = 0;
        while o != NONE && guard < 1 << 16 {
            if self.ops.get(o as usize).copied().unwrap_or(false) {
                return true;
            }
            o = ix.ops.get(o as usize).map_or(NONE, |d| d.next);
            guard += 1;
        }
        false
    }

    fn need(
        &mut self,
        ix: &Index,
        r: Ref,
        top: u32,
        work: &mut Vec<Item>,
    ) -> Result<(), SliceError> {
        match ix.resolve(r.target) {
            Resolved::Type(t) => {
                if self.types[t as usize] != FULL {
                    work.push(Item::Type(t));
                }
            }
            Resolved::Term(t) => {
                if !self.terms[t as usize] {
                    work.push(Item::Term(t));
                }
            }
            Resolved::Primitive | Resolved::External => {}
            Resolved::Unknown { document: false } if r.tag == REF_ANNOTATION => {}
            Resolved::Unknown { .. } | Resolved::Op(_) | Resolved::Container(_) => {
                return Err(ix.dangling(top, r.target));
            }
        }
        Ok(())
    }

    fn need_annotations(
        &mut self,
        ix: &Index,
        head: u32,
        work: &mut Vec<Item>,
    ) -> Result<(), SliceError> {
        for ar in ix.ann_refs_for(head) {
            let r = Ref {
                target: ar.target,
                tag: REF_ANNOTATION,
            };
            self.need(ix, r, ar.top, work)?;
        }
        Ok(())
    }

    fn close(&mut self, ix: &Index, work: &mut Vec<Item>) -> Result<(), SliceError> {
        while let Some(item) = work.pop() {
            match item {
                Item::Type(t) => {
                    if self.types[t as usize] == FULL {
                        continue;
                    }
                    self.types[t as usize] = FULL;
                    let d = ix.types[t as usize];
                    if d.base != NONE {
                        let kind = ix.type_kind(t);
                        let base = Ref {
                            target: d.base,
                            tag: REF_PLAIN,
                        };
                        let ok = match ix.resolve(d.base) {
                            Resolved::Type(_) => true,
                            // Enum and type definitions have an underlying primitive type.
                            Resolved::Primitive => {
                                matches!(kind, TopKind::EnumType | TopKind::TypeDefinition)
                            }
                            _ => false,
                        };
                        if !ok {
                            return Err(ix.dangling(d.top, d.base));
                        }
                        self.need(ix, base, d.top, work)?;
                    }
                    for r in ix.type_refs(t) {
                        self.need(ix, *r, d.top, work)?;
                    }
                    for n in ix.type_navs(t) {
                        let target = ix.navs[n as usize].target;
                        if !matches!(ix.resolve(target), Resolved::Type(_)) {
                            return Err(ix.dangling(d.top, target));
                        }
                    }
                    self.need_annotations(ix, d.name, work)?;
                }
                Item::Op(o) => {
                    if self.ops[o as usize] {
                        continue;
                    }
                    self.ops[o as usize] = true;
                    let d = ix.ops[o as usize];
                    for r in &ix.refs[d.refs.0 as usize..d.refs.1 as usize] {
                        self.need(ix, *r, d.top, work)?;
                    }
                    self.need_annotations(ix, d.name, work)?;
                }
                Item::Term(t) => {
                    if self.terms[t as usize] {
                        continue;
                    }
                    self.terms[t as usize] = true;
                    let d = ix.terms[t as usize];
                    for r in &ix.refs[d.refs.0 as usize..d.refs.1 as usize] {
                        self.need(ix, *r, d.top, work)?;
                    }
                    self.need_annotations(ix, d.name, work)?;
                }
            }
        }
        Ok(())
    }

    /// Breadth-first search over contained navigations; returns the types on kept paths, the
    /// navigation properties on kept paths, and every (type, container, child) source.
    #[allow(clippy::type_complexity)]
    fn containment(&self, ix: &Index) -> (Vec<bool>, HashSet<u32>, Vec<(u32, usize, usize)>) {
        let nt = ix.types.len();
        let mut dist = vec![u32::MAX; nt];
        // Edges (target, source, navigation property) on shortest paths, sorted by target below.
        let mut edges: Vec<(u32, u32, u32)> = Vec::new();
        let mut sources = Vec::new();
        let mut queue = VecDeque::new();
        for (c, cd) in ix.containers.iter().enumerate() {
            for (k, ch) in cd.children.iter().enumerate() {
                if !matches!(ch.kind, ChildKind::EntitySet | ChildKind::Singleton) {
                    continue;
                }
                if let Resolved::Type(t) = ix.resolve(ch.target) {
                    sources.push((t, c, k));
                    if dist[t as usize] == u32::MAX {
                        dist[t as usize] = 0;
                        queue.push_back(t);
                    }
                }
            }
        }
        while let Some(u) = queue.pop_front() {
            if self.is_requested(ix, u) {
                continue;
            }
            let du = dist[u as usize];
            // Navigation properties of `u` and of its base types (no allocation per type).
            let mut declaring = Some(u);
            let mut depth = 0;
            while let Some(d) = declaring {
                for n in ix.type_navs(d) {
                    let nav = ix.navs[n as usize];
                    if !nav.contains {
                        continue;
                    }
                    let Resolved::Type(v) = ix.resolve(nav.target) else {
                        continue;
                    };
                    if dist[v as usize] == u32::MAX {
                        dist[v as usize] = du + 1;
                        queue.push_back(v);
                    }
                    if dist[v as usize] == du + 1 {
                        edges.push((v, u, n));
                    }
                }
                depth += 1;
                declaring = ix.base_of(d).filter(|_| depth < 64);
            }
        }
        edges.sort_unstable();
        let mut marked = vec![false; nt];
        let mut path_navs = HashSet::new();
        let mut stack: Vec<u32> = (0..nt as u32)
            .filter(|&t| dist[t as usize] != u32::MAX && self.is_requested(ix, t))
            .collect();
        for &t in &stack {
            marked[t as usize] = true;
        }
        while let Some(v) = stack.pop() {
            let lo = edges.partition_point(|e| e.0 < v);
            let hi = edges.partition_point(|e| e.0 <= v);
            for &(_, u, n) in &edges[lo..hi] {
                path_navs.insert(n);
                if !marked[u as usize] {
                    marked[u as usize] = true;
                    stack.push(u);
                }
            }
        }
        (marked, path_navs, sources)
    }

    fn describe_paths(
        &self,
        ix: &Index,
        sources: &[(u32, usize, usize)],
        marked: &[bool],
        path_navs: &HashSet<u32>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for &(t, c, k) in sources {
            if !marked[t as usize] {
                continue;
            }
            let name = ix.containers[c].children[k].name.to_string();
            self.walk_paths(ix, t, name, path_navs, &mut out, 0);
        }
        out
    }

    fn walk_paths(
        &self,
        ix: &Index,
        t: u32,
        prefix: String,
        path_navs: &HashSet<u32>,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if out.len() >= MAX_PATHS || depth > 32 {
            return;
        }
        if self.is_requested(ix, t) {
            out.push(prefix);
            return;
        }
        for d in ix.chain(t) {
            for n in ix.type_navs(d) {
                if !path_navs.contains(&n) {
                    continue;
                }
                if let Resolved::Type(v) = ix.resolve(ix.navs[n as usize].target) {
                    let next = format!("{prefix}/{}", String::from_utf8_lossy(ix.nav_name(n)));
                    self.walk_paths(ix, v, next, path_navs, out, depth + 1);
                }
            }
        }
    }

    /// A navigation property named `name` on `t` or its base types.
    fn nav_named(ix: &Index, t: u32, name: &str) -> Option<u32> {
        for d in ix.chain(t) {
            if let Some(n) = ix.type_navs(d).find(|&n| ix.nav_name(n) == name.as_bytes()) {
                return Some(n);
            }
        }
        None
    }

    /// Whether the property `name` of `t` (a path type or one of its bases) is kept.
    fn path_property_kept(&self, ix: &Index, t: u32, name: &str) -> bool {
        ix.chain(t)
            .into_iter()
            .any(|d| match self.types[d as usize] {
                FULL => true,
                PATH => self
                    .needed
                    .get(&d)
                    .is_some_and(|n| n.iter().any(|k| &**k == name)),
                _ => false,
            })
    }

    /// Follows a path of member names and type casts from type `t` through the slice.
    /// Returns `None` if some segment is not kept; otherwise the type reached (`None` for a
    /// primitive or enum member) and whether the last segment was a navigation property.
    pub(crate) fn walk(
        &self,
        ix: &Index,
        members: &Members,
        t: u32,
        segments: &[&str],
    ) -> Option<(Option<u32>, bool)> {
        let mut cur = Some(t);
        let mut last_nav = false;
        for seg in segments {
            let c = cur?;
            last_nav = false;
            if seg.contains('.') {
                match ix.resolve_str(seg) {
                    Resolved::Type(u) if self.type_kept(u) => cur = Some(u),
                    _ => return None,
                }
                continue;
            }
            if let Some(n) = Self::nav_named(ix, c, seg) {
                if !self.nav_keep[n as usize] {
                    return None;
                }
                match ix.resolve(ix.navs[n as usize].target) {
                    Resolved::Type(v) if self.type_kept(v) => cur = Some(v),
                    _ => return None,
                }
                last_nav = true;
                continue;
            }
            let chain = ix.chain(c);
            let declared = chain
                .iter()
                .any(|d| members.get(d).is_some_and(|m| m.contains(*seg)));
            if !declared || !self.path_property_kept(ix, c, seg) {
                return None;
            }
            // A structural property: follow it if its type is a (complex) type.
            let tag = prop_tag(seg.as_bytes());
            cur = chain.into_iter().find_map(|d| {
                ix.type_refs(d).iter().find(|r| r.tag == tag).and_then(|r| {
                    match ix.resolve(r.target) {
                        Resolved::Type(v) => Some(v),
                        _ => None,
                    }
                })
            });
        }
        Some((cur, last_nav))
    }

    /// Whether an `<Annotations Target="...">` target resolves in the slice.
    pub(crate) fn target_kept(&self, ix: &Index, members: &Members, target: &str) -> bool {
        let target = target.trim();
        let head_end = target.find(['(', '/']).unwrap_or(target.len());
        let head = &target[..head_end];
        let mut rest = &target[head_end..];
        let mut signature: Option<&str> = None;
        if let Some(r) = rest.strip_prefix('(') {
            let Some(close) = matching_parenthesis(r) else {
                return false;
            };
            signature = Some(&r[..close]);
            rest = &r[close + 1..];
        }
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        if signature.is_some() {
            return ix
                .resolve_op_str(head)
                .is_some_and(|o| self.op_target_kept(ix, o, signature));
        }
        if let Some(o) = ix.resolve_op_str(head) {
            if self.op_target_kept(ix, o, None) {
                return true;
            }
        }
        match ix.resolve_str(head) {
            Resolved::Type(t) => {
                self.type_kept(t)
                    && (segments.is_empty() || self.walk(ix, members, t, &segments).is_some())
            }
            Resolved::Op(o) => self.op_target_kept(ix, o, signature),
            Resolved::Term(t) => self.terms.get(t as usize).copied().unwrap_or(false),
            Resolved::Container(c) => {
                if !self.containers.get(c as usize).copied().unwrap_or(false) {
                    return false;
                }
                match segments.split_first() {
                    None => true,
                    Some((child, path)) => {
                        self.kept_child(ix, c as usize, child).is_some_and(|ch| {
                            match self.child_type(ix, ch) {
                                Some(t) => {
                                    path.is_empty() || self.walk(ix, members, t, path).is_some()
                                }
                                None => path.is_empty(),
                            }
                        })
                    }
                }
            }
            _ => false,
        }
    }

    fn op_target_kept(&self, ix: &Index, first: u32, signature: Option<&str>) -> bool {
        let params: Vec<&str> = signature
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        // Every type in the signature must be in the slice.
        for p in &params {
            let inner = p
                .strip_prefix("Collection(")
                .and_then(|p| p.strip_suffix(')'))
                .unwrap_or(p);
            match ix.resolve_str(inner) {
                Resolved::Primitive | Resolved::External => {}
                Resolved::Type(t) if self.type_kept(t) => {}
                _ => return false,
            }
        }
        let mut o = first;
        let mut guard = 0;
        while o != NONE && guard < 1 << 16 {
            guard += 1;
            let Some(d) = ix.ops.get(o as usize) else {
                break;
            };
            if self.ops.get(o as usize).copied().unwrap_or(false) {
                let Some(binding) = params.first() else {
                    return true;
                };
                if !d.bound {
                    return true;
                }
                let (inner, collection) = match binding
                    .strip_prefix("Collection(")
                    .and_then(|p| p.strip_suffix(')'))
                {
                    Some(inner) => (inner, true),
                    None => (*binding, false),
                };
                let same = match (ix.resolve_str(inner), ix.resolve(d.binding)) {
                    (Resolved::Type(a), Resolved::Type(b)) => a == b,
                    _ => false,
                };
                if same && collection == d.binding_collection {
                    return true;
                }
            }
            o = d.next;
        }
        false
    }

    /// The kept entity set or singleton named `name` in container `c`.
    fn kept_child<'a>(&self, ix: &'a Index, c: usize, name: &str) -> Option<&'a ChildDef> {
        let cd = ix.containers.get(c)?;
        cd.children
            .iter()
            .enumerate()
            .find(|(k, ch)| &*ch.name == name && self.children[c][*k])
            .map(|(_, ch)| ch)
    }

    fn child_type(&self, ix: &Index, ch: &ChildDef) -> Option<u32> {
        match ix.resolve(ch.target) {
            Resolved::Type(t) if self.type_kept(t) => Some(t),
            _ => None,
        }
    }

    /// Whether a `NavigationPropertyBinding` of the kept child `ch` of container `c` still
    /// resolves: its path through kept navigation properties, its target to a kept child.
    pub(crate) fn binding_kept(
        &self,
        ix: &Index,
        members: &Members,
        c: usize,
        ch: &ChildDef,
        path: &str,
        target: &str,
    ) -> bool {
        let Some(t) = self.child_type(ix, ch) else {
            return false;
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if !matches!(self.walk(ix, members, t, &segments), Some((Some(_), true))) {
            return false;
        }
        let mut segs: Vec<&str> = target.split('/').filter(|s| !s.is_empty()).collect();
        let mut container = c;
        if segs.first().is_some_and(|s| s.contains('.')) {
            match ix.resolve_str(segs[0]) {
                Resolved::Container(k) if self.containers[k as usize] => container = k as usize,
                _ => return false,
            }
            segs.remove(0);
        }
        let Some((first, rest)) = segs.split_first() else {
            return false;
        };
        match self.kept_child(ix, container, first) {
            Some(target_child) => match self.child_type(ix, target_child) {
                Some(tt) => rest.is_empty() || self.walk(ix, members, tt, rest).is_some(),
                None => false,
            },
            None => false,
        }
    }

    /// Whether the `Partner` of kept navigation property `n` is kept on its target type.
    pub(crate) fn partner_kept(&self, ix: &Index, n: u32, partner: &str) -> bool {
        if partner.contains('/') {
            return false;
        }
        match ix.resolve(ix.navs[n as usize].target) {
            Resolved::Type(v) => {
                Self::nav_named(ix, v, partner).is_some_and(|p| self.nav_keep[p as usize])
            }
            _ => false,
        }
    }

    /// Whether the head of an `<Annotations>` target (canonical name id) is kept at all.
    pub(crate) fn head_kept(&self, ix: &Index, head: u32) -> bool {
        if head == NONE {
            return false;
        }
        if ix
            .resolve_op(head)
            .is_some_and(|o| self.any_overload_kept(ix, o))
        {
            return true;
        }
        match ix.resolve(head) {
            Resolved::Type(t) => self.type_kept(t),
            Resolved::Term(t) => self.terms.get(t as usize).copied().unwrap_or(false),
            Resolved::Container(c) => self.containers.get(c as usize).copied().unwrap_or(false),
            _ => false,
        }
    }
}
