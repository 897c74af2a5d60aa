//! The CSDL document model: what the reader produces, close to the XML.
//!
//! Type references keep the spelling of the source (`graph.entity`) in [`TypeRef::raw`] and
//! carry the alias-resolved qualified name in [`TypeRef::name`] once [`crate::Model`] is built.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A place in a source file: 1-based line and column (columns count bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (in bytes).
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where an element was read: the file and the position of its start tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// Name of the file the element came from (as given to the reader).
    pub file: Arc<str>,
    /// Position of the element's start tag.
    pub position: Position,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.position)
    }
}

/// One CSDL document (`edmx:Edmx`), possibly several merged (fragment plus overlay).
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// The schemas, in document order.
    pub schemas: Vec<Schema>,
}

impl Document {
    /// Document-wide aliases: alias → namespace.
    pub fn aliases(&self) -> BTreeMap<String, String> {
        self.schemas
            .iter()
            .filter_map(|s| s.alias.clone().map(|a| (a, s.namespace.clone())))
            .collect()
    }
}

/// A `<Schema>`: one namespace.
#[derive(Clone, Debug)]
pub struct Schema {
    /// The namespace, e.g. `microsoft.graph.security.securityCopilot`.
    pub namespace: String,
    /// The alias, e.g. `securityCopilot`, usable in type references anywhere in the document.
    pub alias: Option<String>,
    /// Entity and complex types.
    pub structured_types: Vec<StructuredType>,
    /// Enum types.
    pub enum_types: Vec<EnumType>,
    /// Type definitions (named primitive types).
    pub type_definitions: Vec<TypeDefinition>,
    /// Actions and functions.
    pub operations: Vec<Operation>,
    /// Term declarations.
    pub terms: Vec<Term>,
    /// Entity containers (Graph has one, `GraphService`).
    pub containers: Vec<EntityContainer>,
    /// Out-of-line `<Annotations Target="...">` blocks.
    pub annotation_blocks: Vec<AnnotationsBlock>,
    /// Where the schema starts.
    pub location: Location,
}

/// Whether a structured type is an entity type (has a key, is addressable) or a complex type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StructuredKind {
    /// `<EntityType>`.
    Entity,
    /// `<ComplexType>`.
    Complex,
}

/// An `<EntityType>` or `<ComplexType>`.
#[derive(Clone, Debug)]
pub struct StructuredType {
    /// Entity or complex.
    pub kind: StructuredKind,
    /// The simple name, e.g. `session`.
    pub name: String,
    /// The base type, if any.
    pub base_type: Option<TypeRef>,
    /// `Abstract="true"`.
    pub is_abstract: bool,
    /// `OpenType="true"`: instances may carry undeclared (dynamic) properties.
    pub is_open: bool,
    /// `HasStream="true"` (media entities).
    pub has_stream: bool,
    /// Key property names declared on this type (empty when inherited).
    pub key: Vec<String>,
    /// Structural properties declared on this type.
    pub properties: Vec<Property>,
    /// Navigation properties declared on this type.
    pub navigation_properties: Vec<NavigationProperty>,
    /// Annotations, inline and merged from out-of-line blocks.
    pub annotations: Vec<Annotation>,
    /// Where the type is declared.
    pub location: Location,
}

/// A reference to a type, as written in a `Type` or `BaseType` attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeRef {
    /// The attribute text, e.g. `Collection(graph.entity)`.
    pub raw: String,
    /// Whether the reference is `Collection(...)`.
    pub collection: bool,
    /// The element type name: as written until resolution, then namespace-qualified
    /// (`microsoft.graph.entity`, `Edm.String`).
    pub name: String,
}

impl TypeRef {
    /// Parses a `Type` attribute value.
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        match trimmed
            .strip_prefix("Collection(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            Some(inner) => TypeRef {
                raw: raw.to_string(),
                collection: true,
                name: inner.trim().to_string(),
            },
            None => TypeRef {
                raw: raw.to_string(),
                collection: false,
                name: trimmed.to_string(),
            },
        }
    }

    /// Whether the element type is an EDM primitive (`Edm.*`).
    pub fn is_primitive(&self) -> bool {
        self.name.starts_with("Edm.")
    }
}

/// A structural `<Property>`.
#[derive(Clone, Debug)]
pub struct Property {
    /// Property name.
    pub name: String,
    /// Property type.
    pub type_ref: TypeRef,
    /// `Nullable` attribute; absent means nullable.
    pub nullable: bool,
    /// `DefaultValue` attribute.
    pub default_value: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where the property is declared.
    pub location: Location,
}

/// A `<NavigationProperty>`.
#[derive(Clone, Debug)]
pub struct NavigationProperty {
    /// Navigation property name.
    pub name: String,
    /// Target type (single entity or `Collection(...)`).
    pub type_ref: TypeRef,
    /// `Nullable` attribute; absent means nullable.
    pub nullable: bool,
    /// `ContainsTarget="true"`: the targets live under this property's URL.
    pub contains_target: bool,
    /// `Partner` attribute.
    pub partner: Option<String>,
    /// Annotations, inline and merged from `Target="ns.type/nav"` blocks.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// An `<EnumType>`.
#[derive(Clone, Debug)]
pub struct EnumType {
    /// Simple name.
    pub name: String,
    /// `IsFlags="true"`: values are combinations of members, written comma-separated.
    pub is_flags: bool,
    /// `UnderlyingType`, default `Edm.Int32`.
    pub underlying_type: Option<String>,
    /// Members in declaration order.
    pub members: Vec<EnumMember>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// A `<Member>` of an enum type.
#[derive(Clone, Debug)]
pub struct EnumMember {
    /// Member name as sent on the wire.
    pub name: String,
    /// Numeric value, when given.
    pub value: Option<i64>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// A `<TypeDefinition>`.
#[derive(Clone, Debug)]
pub struct TypeDefinition {
    /// Simple name.
    pub name: String,
    /// The primitive type it stands for.
    pub underlying_type: TypeRef,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// Whether an [`Operation`] is an action or a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// `<Action>` (POST, side effects).
    Action,
    /// `<Function>` (GET, no side effects).
    Function,
}

/// An `<Action>` or `<Function>`.
#[derive(Clone, Debug)]
pub struct Operation {
    /// Action or function.
    pub kind: OperationKind,
    /// Simple name.
    pub name: String,
    /// `IsBound="true"`: the first parameter is the binding parameter.
    pub is_bound: bool,
    /// Parameters in order.
    pub parameters: Vec<Parameter>,
    /// `<ReturnType>`, if any.
    pub return_type: Option<TypeRef>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// A `<Parameter>` of an action or function.
#[derive(Clone, Debug)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Parameter type.
    pub type_ref: TypeRef,
    /// `Nullable` attribute; absent means nullable.
    pub nullable: bool,
    /// Where it is declared.
    pub location: Location,
}

/// A `<Term>` declaration (vocabulary term).
#[derive(Clone, Debug)]
pub struct Term {
    /// Simple name.
    pub name: String,
    /// The term's type.
    pub type_ref: TypeRef,
    /// Where it is declared.
    pub location: Location,
}

/// An `<EntityContainer>`.
#[derive(Clone, Debug)]
pub struct EntityContainer {
    /// Container name, e.g. `GraphService`.
    pub name: String,
    /// `<Singleton>` children.
    pub singletons: Vec<ContainerChild>,
    /// `<EntitySet>` children.
    pub entity_sets: Vec<ContainerChild>,
    /// `<ActionImport>` / `<FunctionImport>` children: (name, operation name as written).
    pub operation_imports: Vec<(String, String)>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// A `<Singleton>` or `<EntitySet>`.
#[derive(Clone, Debug)]
pub struct ContainerChild {
    /// Name (first URL segment).
    pub name: String,
    /// Entity type (for an entity set: the element type).
    pub type_ref: TypeRef,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// Where it is declared.
    pub location: Location,
}

/// An `<Annotations Target="...">` block.
#[derive(Clone, Debug)]
pub struct AnnotationsBlock {
    /// The target path, as written (may use aliases).
    pub target: String,
    /// `Qualifier` attribute.
    pub qualifier: Option<String>,
    /// The annotations in the block.
    pub annotations: Vec<Annotation>,
    /// Where the block starts.
    pub location: Location,
}

/// One `<Annotation Term="...">`.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The term, e.g. `Org.OData.Core.V1.Description` (aliases of vocabularies are kept as written).
    pub term: String,
    /// `Qualifier` attribute.
    pub qualifier: Option<String>,
    /// The value.
    pub value: AnnotationValue,
    /// Where it is written.
    pub location: Location,
}

/// The value of an annotation or of a record property.
#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationValue {
    /// No value given (a tagging term, which means `true`) or `<Null/>`.
    Null,
    /// `Bool="..."`.
    Bool(bool),
    /// `String="..."` or `<String>`.
    String(String),
    /// `Int="..."`.
    Int(i64),
    /// `Float="..."` / `Decimal="..."` (kept as text to be lossless).
    Number(String),
    /// `EnumMember="..."`, e.g. `Org.OData.Capabilities.V1.HttpMethod/PUT` (space-separated for flags).
    EnumMember(String),
    /// `Path`, `PropertyPath`, `NavigationPropertyPath`, `AnnotationPath`.
    Path(String),
    /// `<Record>`.
    Record(Record),
    /// `<Collection>`.
    Collection(Vec<AnnotationValue>),
    /// Any other expression kept as its element name and text (e.g. `Date`, `Guid`, `If`).
    Other {
        /// The expression kind (attribute or element name).
        kind: String,
        /// Its text.
        text: String,
    },
}

/// A `<Record>` value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// `Type` attribute.
    pub type_name: Option<String>,
    /// `<PropertyValue>` children in order.
    pub properties: Vec<(String, AnnotationValue)>,
}

impl Record {
    /// The value of a record property.
    pub fn get(&self, property: &str) -> Option<&AnnotationValue> {
        self.properties
            .iter()
            .find(|(name, _)| name == property)
            .map(|(_, value)| value)
    }
}

impl AnnotationValue {
    /// The value as a boolean (`Null` counts as `true` for tagging terms is *not* applied here).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AnnotationValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AnnotationValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a record.
    pub fn as_record(&self) -> Option<&Record> {
        match self {
            AnnotationValue::Record(r) => Some(r),
            _ => None,
        }
    }
}

/// Finds an annotation by term, accepting the vocabulary's usual aliases
/// (`Org.OData.Core.V1.Description` also matches `Core.Description`).
pub fn find_annotation<'a>(annotations: &'a [Annotation], term: &str) -> Option<&'a Annotation> {
    annotations.iter().find(|a| term_matches(&a.term, term))
}

/// Whether `written` names the same term as the fully qualified `term`.
pub fn term_matches(written: &str, term: &str) -> bool {
    if written == term {
        return true;
    }
    // Vocabularies are conventionally aliased by their second-to-last segment
    // (`Org.OData.Capabilities.V1` as `Capabilities`).
    match (term.rsplit_once('.'), written.rsplit_once('.')) {
        (Some((vocabulary, name)), Some((alias, written_name))) => {
            name == written_name
                && vocabulary
                    .trim_end_matches(".V1")
                    .rsplit('.')
                    .next()
                    .is_some_and(|short| short == alias)
        }
        _ => false,
    }
}

/// The `Org.OData.Core.V1.Description` text of an element, if any.
pub fn description(annotations: &[Annotation]) -> Option<&str> {
    find_annotation(annotations, "Org.OData.Core.V1.Description").and_then(|a| a.value.as_str())
}

/// The `Org.OData.Core.V1.LongDescription` text of an element, if any.
pub fn long_description(annotations: &[Annotation]) -> Option<&str> {
    find_annotation(annotations, "Org.OData.Core.V1.LongDescription").and_then(|a| a.value.as_str())
}
