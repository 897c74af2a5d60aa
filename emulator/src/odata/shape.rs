//! Type information the engine needs about an entity type: its name, its key
//! property and the kind of each structural property.

use std::fmt;

/// The kind of a structural property, as far as the query engine cares.
///
/// The kind decides how a property is compared in `$filter` and ordered in
/// `$orderby`, and which literals it may be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyKind {
    /// `Edm.String`: compared ordinally (case-sensitive, by Unicode scalar value).
    String,
    /// `Edm.Int32` (and the smaller integer types): JSON numbers.
    Int32,
    /// `Edm.Int64`: JSON numbers, or strings holding an integer (as OData
    /// serialises them with `IEEE754Compatible=true`).
    Int64,
    /// `Edm.Double`, `Edm.Single` or `Edm.Decimal`: JSON numbers (or numeric strings).
    Double,
    /// `Edm.Boolean`: `false` orders before `true`.
    Boolean,
    /// `Edm.DateTimeOffset`: RFC 3339 strings, compared chronologically.
    DateTimeOffset,
    /// An enumeration member, serialised as its member name; compared as a string.
    Enum,
    /// A complex-typed value (a JSON object); can only be compared with `null`.
    Complex,
    /// A collection (a JSON array); can only be compared with `null`.
    Collection,
    /// Anything else (e.g. `Edm.Guid`, `Edm.Duration`): compared dynamically
    /// according to the JSON value found in the entity.
    Other,
}

impl PropertyKind {
    /// Maps a CSDL type name to a kind for the `Edm.*` primitive types and
    /// `Collection(...)`.
    ///
    /// Enumeration and complex types cannot be told apart from their name
    /// alone, so every other name yields [`PropertyKind::Other`]; callers that
    /// know the schema should use [`PropertyKind::Enum`] or
    /// [`PropertyKind::Complex`] for those.
    pub fn from_edm(type_name: &str) -> Self {
        if type_name.starts_with("Collection(") {
            return Self::Collection;
        }
        match type_name {
            "Edm.String" => Self::String,
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => Self::Int32,
            "Edm.Int64" => Self::Int64,
            "Edm.Double" | "Edm.Single" | "Edm.Decimal" => Self::Double,
            "Edm.Boolean" => Self::Boolean,
            "Edm.DateTimeOffset" => Self::DateTimeOffset,
            _ => Self::Other,
        }
    }

    /// Whether `$orderby` may use a property of this kind.
    pub fn is_orderable(self) -> bool {
        !matches!(self, Self::Complex | Self::Collection)
    }
}

impl fmt::Display for PropertyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::String => "Edm.String",
            Self::Int32 => "Edm.Int32",
            Self::Int64 => "Edm.Int64",
            Self::Double => "Edm.Double",
            Self::Boolean => "Edm.Boolean",
            Self::DateTimeOffset => "Edm.DateTimeOffset",
            Self::Enum => "enum",
            Self::Complex => "complex",
            Self::Collection => "collection",
            Self::Other => "untyped",
        };
        f.write_str(name)
    }
}

/// The shape of an entity type: what the engine validates property names
/// against and what tells it how to compare values.
///
/// ```
/// use graph_security_copilot_emulator::odata::{EntityShape, PropertyKind};
///
/// let session = EntityShape::new("session", "id")
///     .with_property("id", PropertyKind::String)
///     .with_property("displayName", PropertyKind::String)
///     .with_property("createdDateTime", PropertyKind::DateTimeOffset);
/// assert_eq!(session.property_kind("displayName"), Some(PropertyKind::String));
/// assert_eq!(session.property_kind("foo"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityShape {
    /// The type name used in error messages, e.g. `session` or
    /// `microsoft.graph.security.securityCopilot.session`.
    pub type_name: String,
    /// The key property (`id` for most types, `name` for plugins). `$select`
    /// always keeps it.
    pub key: String,
    /// The structural properties with their kinds. Names are case-sensitive.
    pub properties: Vec<(String, PropertyKind)>,
}

impl EntityShape {
    /// Creates a shape with no properties yet.
    pub fn new(type_name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            type_name: type_name.into(),
            key: key.into(),
            properties: Vec::new(),
        }
    }

    /// Adds a property (builder style). A later declaration of the same name
    /// replaces the earlier one.
    pub fn with_property(mut self, name: impl Into<String>, kind: PropertyKind) -> Self {
        let name = name.into();
        if let Some(slot) = self.properties.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = kind;
        } else {
            self.properties.push((name, kind));
        }
        self
    }

    /// The kind of the named property, or `None` if the type has no such property.
    pub fn property_kind(&self, name: &str) -> Option<PropertyKind> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, kind)| *kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_lookup() {
        let shape = EntityShape::new("plugin", "name")
            .with_property("name", PropertyKind::String)
            .with_property("isEnabled", PropertyKind::Boolean)
            .with_property("isEnabled", PropertyKind::Other);
        assert_eq!(shape.key, "name");
        assert_eq!(shape.properties.len(), 2);
        assert_eq!(shape.property_kind("isEnabled"), Some(PropertyKind::Other));
        assert_eq!(shape.property_kind("IsEnabled"), None);
    }

    #[test]
    fn edm_mapping() {
        assert_eq!(PropertyKind::from_edm("Edm.String"), PropertyKind::String);
        assert_eq!(PropertyKind::from_edm("Edm.Int64"), PropertyKind::Int64);
        assert_eq!(PropertyKind::from_edm("Edm.Int32"), PropertyKind::Int32);
        assert_eq!(PropertyKind::from_edm("Edm.Double"), PropertyKind::Double);
        assert_eq!(PropertyKind::from_edm("Edm.Boolean"), PropertyKind::Boolean);
        assert_eq!(
            PropertyKind::from_edm("Edm.DateTimeOffset"),
            PropertyKind::DateTimeOffset
        );
        assert_eq!(
            PropertyKind::from_edm("Collection(securityCopilot.pluginSetting)"),
            PropertyKind::Collection
        );
        assert_eq!(
            PropertyKind::from_edm("securityCopilot.evaluationState"),
            PropertyKind::Other
        );
        assert!(!PropertyKind::Complex.is_orderable());
        assert!(PropertyKind::Enum.is_orderable());
    }
}
