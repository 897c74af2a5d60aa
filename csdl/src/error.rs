//! Errors for reading and resolving CSDL: each names the file, line, column and element.

use std::fmt;

use crate::model::Location;

/// A CSDL document could not be read or is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {element}: {kind}")]
pub struct CsdlError {
    /// Where the problem is.
    pub location: Location,
    /// The element, e.g. `<Property Name="state">` or `<EntityType Name="session">`.
    pub element: String,
    /// What is wrong.
    pub kind: CsdlErrorKind,
}

/// What is wrong with a CSDL document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsdlErrorKind {
    /// Not well-formed XML (or truncated).
    Xml(String),
    /// The document is not CSDL (wrong root or structure).
    NotCsdl(String),
    /// A required attribute is missing.
    MissingAttribute(&'static str),
    /// An attribute has a value that cannot be used.
    InvalidAttribute {
        /// Attribute name.
        attribute: &'static str,
        /// Its value.
        value: String,
    },
    /// A type reference names no declared type.
    UnknownType(String),
    /// An `Edm.` type that is not an EDM primitive.
    UnknownPrimitive(String),
    /// A chain of `BaseType` references loops.
    BaseTypeCycle(Vec<String>),
    /// Two elements share a name where names must be unique.
    Duplicate {
        /// What kind of thing is duplicated.
        what: &'static str,
        /// The duplicated name.
        name: String,
        /// Where the first one is.
        first: Location,
    },
    /// An `<Annotations Target>` names nothing in the model.
    UnknownTarget(String),
    /// An entity type without a key anywhere in its base chain (and not abstract).
    MissingKey,
    /// A key names a property that does not exist.
    UnknownKeyProperty(String),
    /// The file is not valid UTF-8.
    NotUtf8,
    /// The element cannot be given a Rust name (two wire names on one Rust item, or not an
    /// identifier): reported here rather than as a compile error in generated code.
    RustName(String),
    /// Elements nest deeper than [`MAX_NESTING_DEPTH`](crate::MAX_NESTING_DEPTH) (real CSDL
    /// nests 10 to 20 deep); reported at the first element past the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for CsdlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsdlErrorKind::Xml(message) => write!(f, "malformed XML: {message}"),
            CsdlErrorKind::NotCsdl(message) => write!(f, "not a CSDL document: {message}"),
            CsdlErrorKind::MissingAttribute(attribute) => {
                write!(f, "missing required attribute `{attribute}`")
            }
            CsdlErrorKind::InvalidAttribute { attribute, value } => {
                write!(f, "invalid value {value:?} for attribute `{attribute}`")
            }
            CsdlErrorKind::UnknownType(name) => write!(f, "unknown type `{name}`"),
            CsdlErrorKind::UnknownPrimitive(name) => {
                write!(f, "`{name}` is not an EDM primitive type")
            }
            CsdlErrorKind::BaseTypeCycle(chain) => {
                write!(f, "base type cycle: {}", chain.join(" -> "))
            }
            CsdlErrorKind::Duplicate { what, name, first } => {
                write!(f, "duplicate {what} `{name}` (first declared at {first})")
            }
            CsdlErrorKind::UnknownTarget(target) => {
                write!(f, "annotation target `{target}` does not exist")
            }
            CsdlErrorKind::MissingKey => write!(f, "entity type has no key"),
            CsdlErrorKind::UnknownKeyProperty(name) => {
                write!(f, "key property `{name}` is not a property of the type")
            }
            CsdlErrorKind::NotUtf8 => write!(f, "file is not valid UTF-8"),
            CsdlErrorKind::RustName(message) => {
                write!(f, "cannot name the generated Rust item: {message}")
            }
            CsdlErrorKind::TooDeep { limit } => {
                write!(f, "elements nest deeper than the limit of {limit}")
            }
        }
    }
}
