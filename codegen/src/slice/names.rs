//! Interned qualified names (`namespace-or-alias` + `.` + simple identifier).
//!
//! A name is stored once as its qualifier id plus its simple identifier in one byte arena, and
//! found again through a [`hashbrown::HashTable`] of `u32` ids, so an interned name costs its
//! identifier's bytes plus about 17 bytes. Qualifiers (namespaces, aliases, and whatever else
//! appears left of the last dot, e.g. `Edm` or `Org.OData.Core.V1`) are few and kept in a plain map.
//!
//! Aliases are resolved when a name is interned if the alias is already known; names interned
//! before their alias was declared are mapped to their canonical form by [`Names::canonicalize`].

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use hashbrown::HashTable;

/// A [`Hasher`] running [`fx_hash`]: the slicer's maps are keyed by ids and names from the
/// document, so a fast hash is enough (no untrusted keys chosen to collide).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fx_hash(self.0, bytes);
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub(crate) type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// "No name" (an absent attribute).
pub(crate) const NONE: u32 = u32::MAX;
/// An EDM primitive type (`Edm.String`, ...): valid and never interned.
pub(crate) const PRIMITIVE: u32 = u32::MAX - 1;

/// The EDM primitive and abstract types a `Type` attribute may name.
const EDM_TYPES: &[&str] = &[
    "Binary",
    "Boolean",
    "Byte",
    "Date",
    "DateTimeOffset",
    "Decimal",
    "Double",
    "Duration",
    "Guid",
    "Int16",
    "Int32",
    "Int64",
    "SByte",
    "Single",
    "Stream",
    "String",
    "TimeOfDay",
    "Geography",
    "GeographyPoint",
    "GeographyLineString",
    "GeographyPolygon",
    "GeographyMultiPoint",
    "GeographyMultiLineString",
    "GeographyMultiPolygon",
    "GeographyCollection",
    "Geometry",
    "GeometryPoint",
    "GeometryLineString",
    "GeometryPolygon",
    "GeometryMultiPoint",
    "GeometryMultiLineString",
    "GeometryMultiPolygon",
    "GeometryCollection",
    "Untyped",
    "PrimitiveType",
    "ComplexType",
    "EntityType",
    "AnnotationPath",
    "PropertyPath",
    "NavigationPropertyPath",
    "AnyPropertyPath",
    "ModelElementPath",
];

/// Whether `local` names an EDM primitive or abstract type (the part after `Edm.`).
pub(crate) fn is_edm_type(local: &[u8]) -> bool {
    // The common ones first, without a search.
    match local {
        b"String" | b"Boolean" | b"Int32" | b"Int64" | b"DateTimeOffset" | b"Guid" | b"Double"
        | b"Binary" | b"Date" | b"Duration" | b"Stream" | b"TimeOfDay" | b"Byte" | b"Int16"
        | b"Single" | b"Decimal" | b"SByte" => true,
        _ => EDM_TYPES.iter().any(|t| t.as_bytes() == local),
    }
}

/// Strips `Collection(...)` from a type reference: returns the element type and whether it was
/// a collection.
pub(crate) fn strip_collection(value: &[u8]) -> (&[u8], bool) {
    match value.strip_prefix(b"Collection(") {
        Some(rest) => match rest.strip_suffix(b")") {
            Some(inner) => (inner.trim_ascii(), true),
            None => (value, false),
        },
        None => (value.trim_ascii(), false),
    }
}

/// Splits a qualified name at its last dot into (qualifier, simple identifier).
pub(crate) fn split_qualified(name: &[u8]) -> (&[u8], &[u8]) {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => (&name[..dot], &name[dot + 1..]),
        None => (&[], name),
    }
}

/// A small, fast, non-cryptographic hash (the FxHash mixing step over 8-byte words).
pub(crate) fn fx_hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = seed.wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    // Final avalanche so that the high bits hashbrown uses for its control bytes are mixed.
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 32)
}

/// 8 bytes: where the simple identifier is in the arena, its length, its qualifier.
#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u16,
    qual: u16,
}

impl Entry {
    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.start as usize + usize::from(self.len)
    }
}

/// The name table. Ids are dense `u32`s in interning order.
pub(crate) struct Names {
    quals: Vec<Box<str>>,
    qual_ids: FxMap<Box<str>, u32>,
    /// For each qualifier: the qualifier it stands for (an alias maps to its namespace).
    alias_of: Vec<u32>,
    arena: Vec<u8>,
    entries: Vec<Entry>,
    table: HashTable<u32>,
    /// Raw id → canonical id, for the few names written with an alias that was declared after
    /// them (filled by [`Names::canonicalize`]).
    canon: FxMap<u32, u32>,
    /// The qualifier looked up last (references come in runs with the same qualifier).
    last_qual: (Vec<u8>, u32),
}

/// The table is full (more than 2^32 bytes of names or 2^32 names).
#[derive(Debug)]
pub(crate) struct NamesFull;

impl Default for Names {
    fn default() -> Names {
        Names::with_capacity(0)
    }
}

impl Names {
    /// A table sized for about `names` names.
    pub(crate) fn with_capacity(names: usize) -> Names {
        Names {
            quals: Vec::new(),
            qual_ids: FxMap::default(),
            alias_of: Vec::new(),
            arena: Vec::with_capacity(names.saturating_mul(24)),
            entries: Vec::with_capacity(names),
            table: HashTable::with_capacity(names),
            canon: FxMap::default(),
            last_qual: (Vec::new(), NONE),
        }
    }

    /// The id of a qualifier string, added if new.
    pub(crate) fn qual(&mut self, bytes: &[u8]) -> u32 {
        if self.last_qual.1 != NONE && self.last_qual.0 == bytes {
            return self.last_qual.1;
        }
        let s = String::from_utf8_lossy(bytes);
        let q = match self.qual_ids.get(s.as_ref()) {
            Some(&q) => q,
            None => {
                let q = self.quals.len() as u32;
                let boxed: Box<str> = s.as_ref().into();
                self.quals.push(boxed.clone());
                self.qual_ids.insert(boxed, q);
                self.alias_of.push(q);
                q
            }
        };
        self.last_qual.0.clear();
        self.last_qual.0.extend_from_slice(bytes);
        self.last_qual.1 = q;
        q
    }

    /// The id of a qualifier string, if known.
    pub(crate) fn find_qual(&self, s: &str) -> Option<u32> {
        self.qual_ids.get(s).copied()
    }

    /// The text of a qualifier.
    pub(crate) fn qual_str(&self, q: u32) -> &str {
        self.quals.get(q as usize).map_or("", |s| s)
    }

    /// Declares `alias` as standing for `namespace` (both qualifier ids).
    pub(crate) fn set_alias(&mut self, alias: u32, namespace: u32) {
        if let Some(slot) = self.alias_of.get_mut(alias as usize) {
            *slot = namespace;
        }
    }

    /// The namespace a qualifier stands for (itself unless it is a declared alias).
    pub(crate) fn resolve_qual(&self, q: u32) -> u32 {
        self.alias_of.get(q as usize).copied().unwrap_or(q)
    }

    fn hash(qual: u32, local: &[u8]) -> u64 {
        fx_hash(u64::from(qual), local)
    }

    /// Interns `qual` + `.` + `local` (the qualifier resolved through known aliases).
    pub(crate) fn intern(&mut self, qual: u32, local: &[u8]) -> Result<u32, NamesFull> {
        let qual = self.resolve_qual(qual);
        let hash = Self::hash(qual, local);
        let Names {
            arena,
            entries,
            table,
            ..
        } = self;
        let eq = |id: &u32| {
            let e = entries[*id as usize];
            u32::from(e.qual) == qual && &arena[e.range()] == local
        };
        if let Some(&id) = table.find(hash, eq) {
            return Ok(id);
        }
        let id = u32::try_from(entries.len()).map_err(|_| NamesFull)?;
        if id >= PRIMITIVE {
            return Err(NamesFull);
        }
        let start = u32::try_from(arena.len()).map_err(|_| NamesFull)?;
        let len = u16::try_from(local.len()).map_err(|_| NamesFull)?;
        let qual16 = u16::try_from(qual).map_err(|_| NamesFull)?;
        start.checked_add(u32::from(len)).ok_or(NamesFull)?;
        arena.extend_from_slice(local);
        entries.push(Entry {
            start,
            len,
            qual: qual16,
        });
        table.insert_unique(hash, id, |id: &u32| {
            let e = entries[*id as usize];
            Self::hash(u32::from(e.qual), &arena[e.range()])
        });
        Ok(id)
    }

    /// Interns a qualified name written as one string (`graph.entity`); `Edm.` primitives give
    /// [`PRIMITIVE`].
    pub(crate) fn intern_qualified(&mut self, name: &[u8]) -> Result<u32, NamesFull> {
        let (qual, local) = split_qualified(name);
        if qual == b"Edm" && is_edm_type(local) {
            return Ok(PRIMITIVE);
        }
        let q = self.qual(qual);
        self.intern(q, local)
    }

    /// Finds the canonical id of a qualified name without interning it.
    pub(crate) fn lookup(&self, name: &str) -> Option<u32> {
        let (qual, local) = split_qualified(name.as_bytes());
        let q = self.resolve_qual(self.find_qual(std::str::from_utf8(qual).ok()?)?);
        let hash = Self::hash(q, local);
        let found = self.table.find(hash, |id: &u32| {
            let e = self.entries[*id as usize];
            u32::from(e.qual) == q && &self.arena[e.range()] == local
        })?;
        Some(self.canon(*found))
    }

    /// After every alias is known: maps names interned under an alias to their namespace form.
    pub(crate) fn canonicalize(&mut self) -> Result<(), NamesFull> {
        for id in 0..self.entries.len() {
            let e = self.entries[id];
            let q = self.resolve_qual(u32::from(e.qual));
            if q != u32::from(e.qual) {
                let local = self.arena[e.range()].to_vec();
                let canonical = self.intern(q, &local)?;
                self.canon.insert(id as u32, canonical);
            }
        }
        Ok(())
    }

    /// The canonical id of a raw id.
    pub(crate) fn canon(&self, id: u32) -> u32 {
        if self.canon.is_empty() {
            return id;
        }
        self.canon.get(&id).copied().unwrap_or(id)
    }

    /// The qualifier id of a name (resolved through aliases).
    pub(crate) fn qual_of(&self, id: u32) -> u32 {
        self.entries
            .get(id as usize)
            .map_or(NONE, |e| self.resolve_qual(u32::from(e.qual)))
    }

    /// The simple identifier of a name.
    pub(crate) fn local(&self, id: u32) -> &[u8] {
        match self.entries.get(id as usize) {
            Some(e) => &self.arena[e.range()],
            None => b"",
        }
    }

    /// The full text of a name, for messages and output summaries.
    pub(crate) fn display(&self, id: u32) -> String {
        match id {
            NONE => String::from("(none)"),
            PRIMITIVE => String::from("(Edm primitive)"),
            _ => {
                let e = match self.entries.get(id as usize) {
                    Some(e) => *e,
                    None => return String::from("(unknown)"),
                };
                let mut s = String::from(self.qual_str(u32::from(e.qual)));
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&String::from_utf8_lossy(self.local(id)));
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_resolved_early_and_late() {
        let mut n = Names::default();
        let early = n.intern_qualified(b"self.alert").unwrap();
        let ns = n.qual(b"microsoft.graph.security");
        let alias = n.qual(b"self");
        n.set_alias(alias, ns);
        let late = n.intern_qualified(b"self.alert").unwrap();
        let full = n
            .intern_qualified(b"microsoft.graph.security.alert")
            .unwrap();
        assert_eq!(late, full);
        assert_ne!(early, full);
        n.canonicalize().unwrap();
        assert_eq!(n.canon(early), full);
        assert_eq!(n.lookup("self.alert"), Some(full));
        assert_eq!(n.display(full), "microsoft.graph.security.alert");
        assert_eq!(n.intern_qualified(b"Edm.String").unwrap(), PRIMITIVE);
        assert_ne!(n.intern_qualified(b"Edm.Strin").unwrap(), PRIMITIVE);
        assert_eq!(
            strip_collection(b"Collection(graph.x)"),
            (&b"graph.x"[..], true)
        );
    }
}
