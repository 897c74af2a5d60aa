//! Interned qualified names (`namespace-or-alias` + `.` + simple identifier).
//!
//! A name is stored once as its qualifier id plus its simple identifier in one byte arena, and
//! found again through a [`hashbrown::HashTable`] of `u32` ids, so an interned name costs its
//! identifier's bytes plus about 17 bytes. Qualifiers (namespaces, aliases, and whatever else
//! appears left of the last dot, e.g. `Edm` or `Org.OData.Core.V1`) are few and kept in a plain map.
//!
//! Aliases are resolved when a name is interned if the alias is already known; names interned
//! before their alias was declared are mapped to their canonical form by [`Names::canonicalize`].

use std::collections::HashMap;

use hashbrown::HashTable;

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
    EDM_TYPES.iter().any(|t| t.as_bytes() == local)
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

#[derive(Clone, Copy)]
struct Entry {
    qual: u32,
    start: u32,
    len: u32,
}

/// The name table. Ids are dense `u32`s in interning order.
#[derive(Default)]
pub(crate) struct Names {
    quals: Vec<Box<str>>,
    qual_ids: HashMap<Box<str>, u32>,
    /// For each qualifier: the qualifier it stands for (an alias maps to its namespace).
    alias_of: Vec<u32>,
    arena: Vec<u8>,
    entries: Vec<Entry>,
    table: HashTable<u32>,
    /// Raw id → canonical id, filled by [`Names::canonicalize`] (ids past its end are canonical).
    canon: Vec<u32>,
}

/// The table is full (more than 2^32 bytes of names or 2^32 names).
#[derive(Debug)]
pub(crate) struct NamesFull;

impl Names {
    /// The id of a qualifier string, added if new.
    pub(crate) fn qual(&mut self, s: &[u8]) -> u32 {
        let s = String::from_utf8_lossy(s);
        if let Some(&q) = self.qual_ids.get(s.as_ref()) {
            return q;
        }
        let q = self.quals.len() as u32;
        let boxed: Box<str> = s.as_ref().into();
        self.quals.push(boxed.clone());
        self.qual_ids.insert(boxed, q);
        self.alias_of.push(q);
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
            e.qual == qual && &arena[e.start as usize..(e.start + e.len) as usize] == local
        };
        if let Some(&id) = table.find(hash, eq) {
            return Ok(id);
        }
        let id = u32::try_from(entries.len()).map_err(|_| NamesFull)?;
        if id >= PRIMITIVE {
            return Err(NamesFull);
        }
        let start = u32::try_from(arena.len()).map_err(|_| NamesFull)?;
        let len = u32::try_from(local.len()).map_err(|_| NamesFull)?;
        start.checked_add(len).ok_or(NamesFull)?;
        arena.extend_from_slice(local);
        entries.push(Entry { qual, start, len });
        table.insert_unique(hash, id, |id: &u32| {
            let e = entries[*id as usize];
            Self::hash(e.qual, &arena[e.start as usize..(e.start + e.len) as usize])
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
            e.qual == q && &self.arena[e.start as usize..(e.start + e.len) as usize] == local
        })?;
        Some(self.canon(*found))
    }

    /// After every alias is known: maps names interned under an alias to their namespace form.
    pub(crate) fn canonicalize(&mut self) -> Result<(), NamesFull> {
        let n = self.entries.len();
        let mut canon: Vec<u32> = Vec::new();
        for id in 0..n {
            let e = self.entries[id];
            let q = self.resolve_qual(e.qual);
            if q != e.qual {
                if canon.is_empty() {
                    canon = (0..n as u32).collect();
                }
                let local = self.arena[e.start as usize..(e.start + e.len) as usize].to_vec();
                canon[id] = self.intern(q, &local)?;
            }
        }
        self.canon = canon;
        Ok(())
    }

    /// The canonical id of a raw id.
    pub(crate) fn canon(&self, id: u32) -> u32 {
        self.canon.get(id as usize).copied().unwrap_or(id)
    }

    /// The qualifier id of a name (resolved through aliases).
    pub(crate) fn qual_of(&self, id: u32) -> u32 {
        self.entries
            .get(id as usize)
            .map_or(NONE, |e| self.resolve_qual(e.qual))
    }

    /// The simple identifier of a name.
    pub(crate) fn local(&self, id: u32) -> &[u8] {
        match self.entries.get(id as usize) {
            Some(e) => &self.arena[e.start as usize..(e.start + e.len) as usize],
            None => b"",
        }
    }

    /// The number of interned names.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
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
                let mut s = String::from(self.qual_str(e.qual));
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
        let full = n.intern_qualified(b"microsoft.graph.security.alert").unwrap();
        assert_eq!(late, full);
        assert_ne!(early, full);
        n.canonicalize().unwrap();
        assert_eq!(n.canon(early), full);
        assert_eq!(n.lookup("self.alert"), Some(full));
        assert_eq!(n.display(full), "microsoft.graph.security.alert");
        assert_eq!(n.intern_qualified(b"Edm.String").unwrap(), PRIMITIVE);
        assert_ne!(n.intern_qualified(b"Edm.Strin").unwrap(), PRIMITIVE);
        assert_eq!(strip_collection(b"Collection(graph.x)"), (&b"graph.x"[..], true));
    }
}
