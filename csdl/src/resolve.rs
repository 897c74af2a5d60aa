//! Turns read [`Document`]s into a checked [`Model`]: aliases resolved, every type reference
//! checked, base-type cycles and duplicates rejected, out-of-line annotations merged onto the
//! elements they target (this is how `spec/overlay.xml` lands on Microsoft's fragment).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{CsdlError, CsdlErrorKind};
use crate::model::*;

/// The EDM primitive types (OData CSDL 4.01 §4.4) plus the abstract ones allowed in vocabularies.
pub const EDM_PRIMITIVES: &[&str] = &[
    "Edm.Binary",
    "Edm.Boolean",
    "Edm.Byte",
    "Edm.Date",
    "Edm.DateTimeOffset",
    "Edm.Decimal",
    "Edm.Double",
    "Edm.Duration",
    "Edm.Guid",
    "Edm.Int16",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.SByte",
    "Edm.Single",
    "Edm.Stream",
    "Edm.String",
    "Edm.TimeOfDay",
    "Edm.Geography",
    "Edm.GeographyPoint",
    "Edm.GeographyLineString",
    "Edm.GeographyPolygon",
    "Edm.GeographyMultiPoint",
    "Edm.GeographyMultiLineString",
    "Edm.GeographyMultiPolygon",
    "Edm.GeographyCollection",
    "Edm.Geometry",
    "Edm.GeometryPoint",
    "Edm.GeometryLineString",
    "Edm.GeometryPolygon",
    "Edm.GeometryMultiPoint",
    "Edm.GeometryMultiLineString",
    "Edm.GeometryMultiPolygon",
    "Edm.GeometryCollection",
    "Edm.Untyped",
    "Edm.PrimitiveType",
    "Edm.ComplexType",
    "Edm.EntityType",
    "Edm.AnnotationPath",
    "Edm.PropertyPath",
    "Edm.NavigationPropertyPath",
    "Edm.AnyPropertyPath",
    "Edm.ModelElementPath",
];

/// Where a named type lives in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Structured(usize, usize),
    Enum(usize, usize),
    Definition(usize, usize),
}

/// What a qualified type name refers to.
#[derive(Clone, Copy, Debug)]
pub enum TypeKind<'a> {
    /// An `Edm.*` primitive.
    Primitive(&'a str),
    /// An entity or complex type.
    Structured(&'a StructuredType),
    /// An enum type.
    Enum(&'a EnumType),
    /// A type definition.
    Definition(&'a TypeDefinition),
}

/// A resolved, checked CSDL model.
#[derive(Clone, Debug)]
pub struct Model {
    document: Document,
    index: HashMap<String, Slot>,
    /// Schemas (by index) whose annotation targets must exist (our overlays).
    strict_schemas: Vec<usize>,
    /// Files the overlays were read from (annotations from them decide what is exposed).
    overlay_files: Vec<std::sync::Arc<str>>,
    warnings: Vec<CsdlError>,
}

impl Model {
    /// Builds a model from one or more documents (e.g. Microsoft's fragment, then our overlay).
    /// Aliases are document-wide across all of them.
    ///
    /// Annotation blocks whose target does not exist are tolerated here (Microsoft's published
    /// documents contain some) and reported by [`Model::warnings`]; use
    /// [`Model::build_with_overlays`] for documents where they are errors.
    pub fn build(documents: Vec<Document>) -> Result<Model, CsdlError> {
        Model::build_with_overlays(documents, Vec::new())
    }

    /// Builds a model from base documents plus overlays whose every annotation target must exist
    /// (a typo in our overlay must fail the build, not silently change nothing).
    pub fn build_with_overlays(
        documents: Vec<Document>,
        overlays: Vec<Document>,
    ) -> Result<Model, CsdlError> {
        Model::build_inner(documents, overlays, true)
    }

    /// Like [`Model::build_with_overlays`], but an overlay block whose target does not exist is
    /// a warning ([`Model::warnings`]) rather than an error: how `graph-spec refresh` reads a new
    /// document against the committed overlay, to report targets the document removed.
    pub fn build_with_overlays_lenient(
        documents: Vec<Document>,
        overlays: Vec<Document>,
    ) -> Result<Model, CsdlError> {
        Model::build_inner(documents, overlays, false)
    }

    fn build_inner(
        documents: Vec<Document>,
        overlays: Vec<Document>,
        strict_overlays: bool,
    ) -> Result<Model, CsdlError> {
        let mut document = Document::default();
        for d in documents {
            document.schemas.extend(d.schemas);
        }
        let first_strict = document.schemas.len();
        for d in overlays {
            document.schemas.extend(d.schemas);
        }
        let strict_schemas: Vec<usize> = (first_strict..document.schemas.len()).collect();
        let aliases = document.aliases();
        let mut index = HashMap::new();
        let mut first_seen: HashMap<String, Location> = HashMap::new();
        for (s, schema) in document.schemas.iter().enumerate() {
            let mut declare = |name: &str,
                               slot: Slot,
                               location: &Location,
                               element: String|
             -> Result<(), CsdlError> {
                let qualified = format!("{}.{}", schema.namespace, name);
                if let Some(first) = first_seen.get(&qualified) {
                    return Err(CsdlError {
                        location: location.clone(),
                        element,
                        kind: CsdlErrorKind::Duplicate {
                            what: "type",
                            name: qualified,
                            first: first.clone(),
                        },
                    });
                }
                first_seen.insert(qualified.clone(), location.clone());
                index.insert(qualified, slot);
                Ok(())
            };
            for (i, t) in schema.structured_types.iter().enumerate() {
                declare(
                    &t.name,
                    Slot::Structured(s, i),
                    &t.location,
                    describe_type(t),
                )?;
            }
            for (i, t) in schema.enum_types.iter().enumerate() {
                declare(
                    &t.name,
                    Slot::Enum(s, i),
                    &t.location,
                    format!("<EnumType Name=\"{}\">", t.name),
                )?;
            }
            for (i, t) in schema.type_definitions.iter().enumerate() {
                declare(
                    &t.name,
                    Slot::Definition(s, i),
                    &t.location,
                    format!("<TypeDefinition Name=\"{}\">", t.name),
                )?;
            }
        }
        let mut overlay_files: Vec<std::sync::Arc<str>> = Vec::new();
        for &i in &strict_schemas {
            let file = document.schemas[i].location.file.clone();
            if !overlay_files.contains(&file) {
                overlay_files.push(file);
            }
        }
        let mut model = Model {
            document,
            index,
            strict_schemas,
            overlay_files,
            warnings: Vec::new(),
        };
        model.qualify_references(&aliases);
        model.check_references()?;
        model.check_members()?;
        model.check_base_cycles()?;
        if !strict_overlays {
            model.strict_schemas.clear();
        }
        model.merge_annotation_blocks(&aliases)?;
        model.check_keys()?;
        Ok(model)
    }

    /// Whether an annotation was written in one of the overlays (rather than in the CSDL
    /// document itself): only overlays expose navigations, documents may only narrow them.
    pub fn is_overlay_annotation(&self, annotation: &Annotation) -> bool {
        self.overlay_files.contains(&annotation.location.file)
    }

    /// Whether the model was built with at least one overlay.
    pub fn has_overlay(&self) -> bool {
        !self.overlay_files.is_empty()
    }

    /// Problems tolerated while building (annotation blocks of Microsoft's documents whose
    /// target no longer exists).
    pub fn warnings(&self) -> &[CsdlError] {
        &self.warnings
    }

    /// The underlying document (with qualified type references and merged annotations).
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Looks up a qualified type name (`microsoft.graph.entity`, `Edm.String`).
    pub fn lookup(&self, name: &str) -> Option<TypeKind<'_>> {
        if let Some(primitive) = EDM_PRIMITIVES.iter().find(|p| **p == name) {
            return Some(TypeKind::Primitive(primitive));
        }
        match self.index.get(name)? {
            Slot::Structured(s, i) => self.document.schemas[*s]
                .structured_types
                .get(*i)
                .map(TypeKind::Structured),
            Slot::Enum(s, i) => self.document.schemas[*s]
                .enum_types
                .get(*i)
                .map(TypeKind::Enum),
            Slot::Definition(s, i) => self.document.schemas[*s]
                .type_definitions
                .get(*i)
                .map(TypeKind::Definition),
        }
    }

    /// The entity or complex type with this qualified name.
    pub fn structured(&self, name: &str) -> Option<&StructuredType> {
        match self.lookup(name)? {
            TypeKind::Structured(t) => Some(t),
            _ => None,
        }
    }

    /// The enum type with this qualified name.
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        match self.lookup(name)? {
            TypeKind::Enum(t) => Some(t),
            _ => None,
        }
    }

    /// All structured types with their qualified names, in document order.
    pub fn structured_types(&self) -> impl Iterator<Item = (String, &StructuredType)> {
        self.document.schemas.iter().flat_map(|s| {
            s.structured_types
                .iter()
                .map(move |t| (format!("{}.{}", s.namespace, t.name), t))
        })
    }

    /// All enum types with their qualified names, in document order.
    pub fn enum_types(&self) -> impl Iterator<Item = (String, &EnumType)> {
        self.document.schemas.iter().flat_map(|s| {
            s.enum_types
                .iter()
                .map(move |t| (format!("{}.{}", s.namespace, t.name), t))
        })
    }

    /// The entity containers of all schemas.
    pub fn containers(&self) -> impl Iterator<Item = &EntityContainer> {
        self.document
            .schemas
            .iter()
            .flat_map(|s| s.containers.iter())
    }

    /// The base-type chain of a structured type, root first, the type itself last.
    pub fn base_chain<'a>(&'a self, name: &str) -> Vec<&'a StructuredType> {
        let mut chain = Vec::new();
        let mut current = self.structured(name);
        while let Some(t) = current {
            // Cycles were rejected when the model was built; the bound is a second guard.
            if chain.len() > self.index.len() {
                break;
            }
            chain.push(t);
            current = t.base_type.as_ref().and_then(|b| self.structured(&b.name));
        }
        chain.reverse();
        chain
    }

    /// Structural properties of a type including inherited ones, base first.
    pub fn all_properties<'a>(&'a self, name: &str) -> Vec<&'a Property> {
        self.base_chain(name)
            .into_iter()
            .flat_map(|t| t.properties.iter())
            .collect()
    }

    /// Navigation properties of a type including inherited ones, base first.
    pub fn all_navigation<'a>(&'a self, name: &str) -> Vec<&'a NavigationProperty> {
        self.base_chain(name)
            .into_iter()
            .flat_map(|t| t.navigation_properties.iter())
            .collect()
    }

    /// The key property names of an entity type (declared on it or inherited).
    pub fn key(&self, name: &str) -> Vec<String> {
        self.base_chain(name)
            .into_iter()
            .rev()
            .find(|t| !t.key.is_empty())
            .map(|t| t.key.clone())
            .unwrap_or_default()
    }

    /// The namespace-qualified names of all types deriving (directly or not) from `name`.
    pub fn derived_types(&self, name: &str) -> Vec<String> {
        self.structured_types()
            .filter(|(qualified, _)| {
                qualified != name && self.base_chain(qualified).len() > 1 && {
                    let chain = self.base_chain(qualified);
                    chain
                        .iter()
                        .rev()
                        .skip(1)
                        .any(|t| self.qualified_name_of(t).as_deref() == Some(name))
                }
            })
            .map(|(qualified, _)| qualified)
            .collect()
    }

    /// The qualified name of an entity container of this model (`microsoft.graph.GraphService`).
    pub fn container_qualified_name(&self, container: &EntityContainer) -> Option<String> {
        self.document.schemas.iter().find_map(|s| {
            s.containers
                .iter()
                .any(|candidate| std::ptr::eq(candidate, container))
                .then(|| format!("{}.{}", s.namespace, container.name))
        })
    }

    /// The qualified name of the type in `name`'s base chain that declares the structural or
    /// navigation property `member` (the target an annotation on it names).
    pub fn declaring_type(&self, name: &str, member: &str) -> Option<String> {
        self.base_chain(name)
            .into_iter()
            .rev()
            .find(|t| {
                t.navigation_properties.iter().any(|n| n.name == member)
                    || t.properties.iter().any(|p| p.name == member)
            })
            .and_then(|t| self.qualified_name_of(t))
    }

    /// The qualified name of a structured type that belongs to this model.
    pub fn qualified_name_of(&self, t: &StructuredType) -> Option<String> {
        self.document.schemas.iter().find_map(|s| {
            s.structured_types
                .iter()
                .any(|candidate| std::ptr::eq(candidate, t))
                .then(|| format!("{}.{}", s.namespace, t.name))
        })
    }

    fn qualify_references(&mut self, aliases: &BTreeMap<String, String>) {
        let qualify = |r: &mut TypeRef| r.name = qualify_name(&r.name, aliases);
        for schema in &mut self.document.schemas {
            for t in &mut schema.structured_types {
                if let Some(base) = &mut t.base_type {
                    qualify(base);
                }
                t.properties
                    .iter_mut()
                    .for_each(|p| qualify(&mut p.type_ref));
                t.navigation_properties
                    .iter_mut()
                    .for_each(|n| qualify(&mut n.type_ref));
            }
            for d in &mut schema.type_definitions {
                qualify(&mut d.underlying_type);
            }
            for o in &mut schema.operations {
                o.parameters
                    .iter_mut()
                    .for_each(|p| qualify(&mut p.type_ref));
                if let Some(r) = &mut o.return_type {
                    qualify(r);
                }
            }
            for term in &mut schema.terms {
                qualify(&mut term.type_ref);
            }
            for c in &mut schema.containers {
                c.singletons
                    .iter_mut()
                    .for_each(|x| qualify(&mut x.type_ref));
                c.entity_sets
                    .iter_mut()
                    .for_each(|x| qualify(&mut x.type_ref));
            }
        }
    }

    fn check_ref(
        &self,
        r: &TypeRef,
        location: &Location,
        element: String,
    ) -> Result<(), CsdlError> {
        if r.name.starts_with("Edm.") {
            if EDM_PRIMITIVES.contains(&r.name.as_str()) {
                return Ok(());
            }
            return Err(CsdlError {
                location: location.clone(),
                element,
                kind: CsdlErrorKind::UnknownPrimitive(r.name.clone()),
            });
        }
        if self.index.contains_key(&r.name) {
            Ok(())
        } else {
            Err(CsdlError {
                location: location.clone(),
                element,
                kind: CsdlErrorKind::UnknownType(r.raw.clone()),
            })
        }
    }

    fn check_references(&self) -> Result<(), CsdlError> {
        for schema in &self.document.schemas {
            for t in &schema.structured_types {
                if let Some(base) = &t.base_type {
                    self.check_ref(base, &t.location, describe_type(t))?;
                    let same_kind = self
                        .structured(&base.name)
                        .is_some_and(|b| b.kind == t.kind);
                    if !same_kind {
                        return Err(CsdlError {
                            location: t.location.clone(),
                            element: describe_type(t),
                            kind: CsdlErrorKind::InvalidAttribute {
                                attribute: "BaseType",
                                value: base.raw.clone(),
                            },
                        });
                    }
                }
                for p in &t.properties {
                    self.check_ref(
                        &p.type_ref,
                        &p.location,
                        describe_member("Property", &p.name, t),
                    )?;
                }
                for n in &t.navigation_properties {
                    let element = describe_member("NavigationProperty", &n.name, t);
                    self.check_ref(&n.type_ref, &n.location, element.clone())?;
                    if self
                        .structured(&n.type_ref.name)
                        .is_none_or(|target| target.kind != StructuredKind::Entity)
                    {
                        return Err(CsdlError {
                            location: n.location.clone(),
                            element,
                            kind: CsdlErrorKind::InvalidAttribute {
                                attribute: "Type",
                                value: format!("{} (not an entity type)", n.type_ref.raw),
                            },
                        });
                    }
                }
            }
            for d in &schema.type_definitions {
                self.check_ref(
                    &d.underlying_type,
                    &d.location,
                    format!("<TypeDefinition Name=\"{}\">", d.name),
                )?;
            }
            for o in &schema.operations {
                let element = format!("<{:?} Name=\"{}\">", o.kind, o.name);
                for p in &o.parameters {
                    self.check_ref(
                        &p.type_ref,
                        &p.location,
                        format!("<Parameter Name=\"{}\"> of {element}", p.name),
                    )?;
                }
                if let Some(r) = &o.return_type {
                    self.check_ref(r, &o.location, format!("<ReturnType> of {element}"))?;
                }
            }
            for c in &schema.containers {
                for child in c.singletons.iter().chain(&c.entity_sets) {
                    self.check_ref(
                        &child.type_ref,
                        &child.location,
                        format!(
                            "<{} Name=\"{}\">",
                            if c.singletons.iter().any(|s| std::ptr::eq(s, child)) {
                                "Singleton"
                            } else {
                                "EntitySet"
                            },
                            child.name
                        ),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn check_members(&self) -> Result<(), CsdlError> {
        for schema in &self.document.schemas {
            for t in &schema.structured_types {
                let mut seen: HashMap<&str, &Location> = HashMap::new();
                let members = t
                    .properties
                    .iter()
                    .map(|p| (p.name.as_str(), &p.location, "Property"))
                    .chain(
                        t.navigation_properties
                            .iter()
                            .map(|n| (n.name.as_str(), &n.location, "NavigationProperty")),
                    );
                for (name, location, tag) in members {
                    if let Some(first) = seen.insert(name, location) {
                        return Err(CsdlError {
                            location: location.clone(),
                            element: describe_member(tag, name, t),
                            kind: CsdlErrorKind::Duplicate {
                                what: "property",
                                name: name.to_string(),
                                first: first.clone(),
                            },
                        });
                    }
                }
            }
            for e in &schema.enum_types {
                let mut seen: HashMap<&str, &Location> = HashMap::new();
                for m in &e.members {
                    if let Some(first) = seen.insert(m.name.as_str(), &m.location) {
                        return Err(CsdlError {
                            location: m.location.clone(),
                            element: format!(
                                "<Member Name=\"{}\"> of <EnumType Name=\"{}\">",
                                m.name, e.name
                            ),
                            kind: CsdlErrorKind::Duplicate {
                                what: "enum member",
                                name: m.name.clone(),
                                first: first.clone(),
                            },
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Linear in the number of types: a chain already known to end is not walked again, and
    /// the current chain is checked with a set (a document with a long chain of base types
    /// must not make this quadratic or worse).
    fn check_base_cycles(&self) -> Result<(), CsdlError> {
        let mut ends: HashSet<String> = HashSet::new();
        for (name, t) in self.structured_types() {
            let mut chain = vec![name.clone()];
            let mut seen: HashSet<String> = HashSet::from([name.clone()]);
            let mut current = t.base_type.as_ref().map(|b| b.name.clone());
            while let Some(base) = current {
                if ends.contains(&base) {
                    break;
                }
                if !seen.insert(base.clone()) {
                    chain.push(base);
                    return Err(CsdlError {
                        location: t.location.clone(),
                        element: describe_type(t),
                        kind: CsdlErrorKind::BaseTypeCycle(chain),
                    });
                }
                chain.push(base.clone());
                current = self
                    .structured(&base)
                    .and_then(|b| b.base_type.as_ref().map(|r| r.name.clone()));
            }
            ends.extend(chain);
        }
        Ok(())
    }

    fn check_keys(&self) -> Result<(), CsdlError> {
        for (name, t) in self.structured_types() {
            if t.key.is_empty() {
                continue;
            }
            let properties = self.all_properties(&name);
            for key in &t.key {
                if !properties.iter().any(|p| &p.name == key) {
                    return Err(CsdlError {
                        location: t.location.clone(),
                        element: describe_type(t),
                        kind: CsdlErrorKind::UnknownKeyProperty(key.clone()),
                    });
                }
            }
        }
        Ok(())
    }

    /// Copies each `<Annotations Target>` block's annotations onto the element it targets.
    fn merge_annotation_blocks(
        &mut self,
        aliases: &BTreeMap<String, String>,
    ) -> Result<(), CsdlError> {
        let blocks: Vec<(bool, AnnotationsBlock)> = self
            .document
            .schemas
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let strict = self.strict_schemas.contains(&i);
                s.annotation_blocks
                    .iter()
                    .cloned()
                    .map(move |b| (strict, b))
            })
            .collect();
        for (strict, block) in blocks {
            let target = qualify_target(&block.target, aliases);
            let annotations = block.annotations.clone();
            let not_found = || CsdlError {
                location: block.location.clone(),
                element: format!("<Annotations Target=\"{}\">", block.target),
                kind: CsdlErrorKind::UnknownTarget(block.target.clone()),
            };
            let Some(slot) = self.resolve_target(&target) else {
                if strict {
                    return Err(not_found());
                }
                self.warnings.push(not_found());
                continue;
            };
            if let Some(list) = self.annotations_mut(slot) {
                list.extend(annotations);
            }
        }
        Ok(())
    }

    fn resolve_target(&self, target: &str) -> Option<TargetSlot> {
        // Operation overloads: `ns.action(ns.type)` — check the operation exists.
        let (head, tail) = match target.split_once('/') {
            Some((h, t)) => (h, Some(t)),
            None => (target, None),
        };
        let head_no_params = head.split('(').next().unwrap_or(head);
        if let Some(slot) = self.index.get(head_no_params) {
            return match (slot, tail) {
                (_, None) => Some(TargetSlot::Type(*slot)),
                (Slot::Structured(s, i), Some(member)) => {
                    // Members may be inherited: search the base chain.
                    let t = &self.document.schemas[*s].structured_types[*i];
                    let qualified = format!("{}.{}", self.document.schemas[*s].namespace, t.name);
                    let member = member.split('/').next().unwrap_or(member);
                    self.find_member(&qualified, member)
                }
                (Slot::Enum(s, i), Some(member)) => self.document.schemas[*s].enum_types[*i]
                    .members
                    .iter()
                    .position(|m| m.name == member)
                    .map(|m| TargetSlot::EnumMember(*s, *i, m)),
                (Slot::Definition(..), Some(_)) => None,
            };
        }
        let (namespace, name) = head_no_params.rsplit_once('.')?;
        for (s, schema) in self.document.schemas.iter().enumerate() {
            if schema.namespace != namespace {
                continue;
            }
            if let Some(c) = schema.containers.iter().position(|c| c.name == name) {
                return match tail {
                    None => Some(TargetSlot::Container(s, c)),
                    Some(child) => {
                        let child = child.split('/').next().unwrap_or(child);
                        let container = &schema.containers[c];
                        if let Some(i) = container.singletons.iter().position(|x| x.name == child) {
                            Some(TargetSlot::Singleton(s, c, i))
                        } else if let Some(i) =
                            container.entity_sets.iter().position(|x| x.name == child)
                        {
                            Some(TargetSlot::EntitySet(s, c, i))
                        } else if container.operation_imports.iter().any(|(n, _)| n == child) {
                            Some(TargetSlot::Unstored)
                        } else {
                            None
                        }
                    }
                };
            }
            if schema.operations.iter().any(|o| o.name == name) {
                return Some(TargetSlot::Unstored);
            }
            if schema.terms.iter().any(|t| t.name == name) {
                return Some(TargetSlot::Unstored);
            }
        }
        None
    }

    fn find_member(&self, type_name: &str, member: &str) -> Option<TargetSlot> {
        for t in self.base_chain(type_name).into_iter().rev() {
            let qualified = self.qualified_name_of(t)?;
            let Some(Slot::Structured(s, i)) = self.index.get(&qualified).copied() else {
                continue;
            };
            if let Some(p) = t.properties.iter().position(|p| p.name == member) {
                return Some(TargetSlot::Property(s, i, p));
            }
            if let Some(n) = t
                .navigation_properties
                .iter()
                .position(|n| n.name == member)
            {
                return Some(TargetSlot::Navigation(s, i, n));
            }
        }
        None
    }

    fn annotations_mut(&mut self, slot: TargetSlot) -> Option<&mut Vec<Annotation>> {
        let schemas = &mut self.document.schemas;
        Some(match slot {
            TargetSlot::Type(Slot::Structured(s, i)) => {
                &mut schemas[s].structured_types[i].annotations
            }
            TargetSlot::Type(Slot::Enum(s, i)) => &mut schemas[s].enum_types[i].annotations,
            TargetSlot::Type(Slot::Definition(s, i)) => {
                &mut schemas[s].type_definitions[i].annotations
            }
            TargetSlot::Property(s, i, p) => {
                &mut schemas[s].structured_types[i].properties[p].annotations
            }
            TargetSlot::Navigation(s, i, n) => {
                &mut schemas[s].structured_types[i].navigation_properties[n].annotations
            }
            TargetSlot::EnumMember(s, i, m) => &mut schemas[s].enum_types[i].members[m].annotations,
            TargetSlot::Container(s, c) => &mut schemas[s].containers[c].annotations,
            TargetSlot::Singleton(s, c, i) => {
                &mut schemas[s].containers[c].singletons[i].annotations
            }
            TargetSlot::EntitySet(s, c, i) => {
                &mut schemas[s].containers[c].entity_sets[i].annotations
            }
            TargetSlot::Unstored => return None,
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum TargetSlot {
    Type(Slot),
    Property(usize, usize, usize),
    Navigation(usize, usize, usize),
    EnumMember(usize, usize, usize),
    Container(usize, usize),
    Singleton(usize, usize, usize),
    EntitySet(usize, usize, usize),
    /// Exists (operation, term, import) but annotations on it are not used by the generator.
    Unstored,
}

/// Replaces a leading alias with its namespace: `graph.entity` → `microsoft.graph.entity`.
pub fn qualify_name(name: &str, aliases: &BTreeMap<String, String>) -> String {
    if name.starts_with("Edm.") {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((prefix, simple)) => match aliases.get(prefix) {
            Some(namespace) => format!("{namespace}.{simple}"),
            None => name.to_string(),
        },
        None => name.to_string(),
    }
}

/// Qualifies the type (or container) part of an annotation target path.
pub fn qualify_target(target: &str, aliases: &BTreeMap<String, String>) -> String {
    match target.split_once('/') {
        Some((head, rest)) => format!("{}/{}", qualify_name(head, aliases), rest),
        None => {
            // `ns.op(ns.type)`: qualify the operation name only.
            match target.split_once('(') {
                Some((head, rest)) => format!("{}({}", qualify_name(head, aliases), rest),
                None => qualify_name(target, aliases),
            }
        }
    }
}

fn describe_type(t: &StructuredType) -> String {
    let tag = match t.kind {
        StructuredKind::Entity => "EntityType",
        StructuredKind::Complex => "ComplexType",
    };
    format!("<{tag} Name=\"{}\">", t.name)
}

fn describe_member(tag: &str, name: &str, owner: &StructuredType) -> String {
    format!("<{tag} Name=\"{name}\"> of {}", describe_type(owner))
}
