//! The API change report between two versions of the spec (`graph-spec diff`).
//!
//! [`diff`] compares two [`Model`]s (each a fragment or a full `$metadata` document, with the
//! overlay applied) and lists every change that reaches the generated client: types, structural
//! and navigation properties, enum members, keys, and the HTTP operations derived from
//! containment and the overlay's Capabilities restrictions ([`crate::operations`]). Each change is
//! classified [`Impact::Breaking`] or [`Impact::Additive`] **for Rust callers of the generated
//! client**: breaking means code written against the old client may stop compiling or start
//! failing at run time against the new one; additive means it keeps working.
//!
//! The classification follows from the shape of the generated code ([`crate::rust_models`],
//! [`crate::rust_handles`]):
//! - every structural and navigation property is a field (inherited ones included) that is
//!   `Option<T>` when read; a nullable single value is `Option<Option<T>>` (absent / null); a
//!   collection is `Option<Vec<T>>`;
//! - enums are open (`Unrecognized(String)` catches values the client does not know) and
//!   `IsFlags` enums are `FlagSet<T>`;
//! - every struct and enum is `#[non_exhaustive]`: callers build structs with `new` (the
//!   properties the service requires, see [`crate::rust_models::required_properties`]) and
//!   `with_*` setters, never with a struct literal, and match enums with a wildcard arm, so a new
//!   field or variant does not break them; every struct keeps unknown JSON members in
//!   `additional_properties`;
//! - Rust names are a function of the wire name alone ([`crate::rust_names`]), so no change
//!   renames an existing item;
//! - only what the overlay exposes becomes operations ([`crate::capabilities::EXPOSED`]); each
//!   operation is a handle method and a raw client method named from its verb and path, with one
//!   parameter per key segment and one builder method per query option.
//!
//! # Rules
//!
//! | Section | Change ([`ChangeKind`]) | Impact | Why |
//! | --- | --- | --- | --- |
//! | types | `type_added` | additive | a new struct or enum |
//! | types | `type_removed` | breaking | the Rust type disappears |
//! | types | `kind_changed` (entity / complex / enum / type definition) | breaking | the Rust item changes shape; entity-only features (key, operations) appear or go |
//! | types | `base_type_changed` | breaking | inherited fields change; the type moves in the `@odata.type` hierarchy |
//! | types | `became_abstract` | breaking | the service no longer accepts or returns the type itself, only derived types |
//! | types | `became_concrete` | additive | the type itself may now appear; nothing in Rust changes |
//! | types | `became_open` | additive | dynamic properties land in `additional_properties`, which every model already has |
//! | types | `became_closed` | breaking | dynamic properties a caller read or wrote through `additional_properties` are no longer accepted |
//! | types | `type_definition_changed` (underlying type) | breaking | the Rust type of every field using it changes |
//! | properties | `property_added` | additive | a new `Option` field and accessor; models are `#[non_exhaustive]`, so no caller builds them with a struct literal |
//! | properties | `required_property_added` | breaking | a non-nullable, non-computed property without a default is a parameter of the model's `new` |
//! | properties | `property_removed` | breaking | the field disappears |
//! | properties | `property_type_changed` | breaking | the field's type changes (`i32` → `i64` included) |
//! | properties | `property_became_nullable` | breaking | the field changes from `Option<T>` to `Option<Option<T>>` |
//! | properties | `property_became_non_nullable` | breaking | the field changes from `Option<Option<T>>` to `Option<T>` |
//! | properties | `property_became_collection` / `property_became_single` | breaking | `Option<T>` ↔ `Option<Vec<T>>` |
//! | navigation | `navigation_added` | additive | a new `Option` field (and, if contained, new operations, listed under operations) |
//! | navigation | `navigation_removed` | breaking | the field (and its operations) disappear |
//! | navigation | `navigation_type_changed` | breaking | the field's type changes |
//! | navigation | `navigation_became_nullable` / `navigation_became_non_nullable` | breaking | same as for structural properties: the field type changes |
//! | navigation | `navigation_became_collection` / `navigation_became_single` | breaking | `Option<T>` ↔ `Option<Vec<T>>`, and the operations under it change |
//! | navigation | `containment_added` | additive | the targets become addressable under this property; the new operations are listed under operations |
//! | navigation | `containment_removed` | breaking | the targets are no longer addressed under this property; its operations disappear |
//! | enums | `enum_member_added` | additive | enums are open and `#[non_exhaustive]`: old clients see the value as `Unrecognized(..)`, new ones get a variant (a run-time change every typed SDK has; match on `as_str()` to treat both alike) |
//! | enums | `enum_member_removed` | breaking | a variant disappears (matches and constructions naming it stop compiling) |
//! | enums | `became_flags` / `became_non_flags` | breaking | fields of the enum switch between `T` and `FlagSet<T>` |
//! | keys | `key_changed` | breaking | the key segment of paths changes (`{workspace-id}` → `{workspace-name}`) |
//! | operations | `operation_added` | additive | a new method |
//! | operations | `operation_removed` | breaking | the method disappears |
//! | operations | `operation_renamed` (same method and path, new id) | breaking | the Rust method is renamed (ids come from the path; this happens when a walked-through single-valued navigation gains an operation of its own) |
//! | operations | `operation_path_changed` (same id, new method or path) | breaking | the key parameters or the URL the method calls change |
//! | operations | `query_option_added` | additive | a new builder method (`$top`, `$filter`, ...) |
//! | operations | `query_option_removed` | breaking | the builder method disappears |
//! | operations | `request_body_changed` | breaking | the body parameter's type changes |
//! | operations | `response_changed` | breaking | the return type changes |
//!
//! Nullability changes are breaking in **both** directions: the generated field type of a
//! nullable property is `Option<Option<T>>` and that of a non-nullable one `Option<T>`, so either
//! change alters the field's type (the same rule is applied to collections, whose elements become
//! or stop being nullable).
//!
//! Properties, navigation properties and keys are compared on the effective (inherited included)
//! members of each type present in both versions, and a change is reported once, on the type that
//! declares the member; derived types inherit it. A member moved from a type to its base is no
//! change for the derived type (its fields stay the same) and shows as added on the base.
//! Operations are matched by method and path first, then by id; when they cannot be derived for
//! one side (a full `$metadata` document has thousands of containment paths; the generator is
//! meant for a slice), they are not compared and [`ApiDiff::warnings`] says so.
//!
//! Changes that do not reach the generated client are not reported: descriptions and other
//! annotations (except the Capabilities restrictions, through the operations they decide),
//! default values, enum member values (the wire uses names), and actions and functions (the
//! generator does not emit them).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::csdl::{read_file, CsdlError, Model, StructuredKind, TypeKind};
use crate::operations::{operations, ApiOperation, ResponseShape};

/// Whether a change breaks Rust callers of the generated client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Code written against the old client may stop compiling or fail against the new one.
    Breaking,
    /// Code written against the old client keeps working.
    Additive,
}

impl Impact {
    /// `breaking` / `additive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
        }
    }
}

/// The part of the API a change is about (one section of the report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Entity, complex and enum types and type definitions as a whole.
    Types,
    /// Structural properties.
    Properties,
    /// Navigation properties.
    Navigation,
    /// Enum members and flags.
    Enums,
    /// Entity keys.
    Keys,
    /// HTTP operations and their query options, bodies and responses.
    Operations,
}

impl Section {
    /// All sections, in report order.
    pub const ALL: [Section; 6] = [
        Section::Types,
        Section::Properties,
        Section::Navigation,
        Section::Enums,
        Section::Keys,
        Section::Operations,
    ];

    /// The section heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Types => "Types",
            Section::Properties => "Properties",
            Section::Navigation => "Navigation properties",
            Section::Enums => "Enum types",
            Section::Keys => "Keys",
            Section::Operations => "Operations",
        }
    }
}

/// What changed. The impact of each kind is fixed; see the rule table in the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A type was added.
    TypeAdded,
    /// A type was removed.
    TypeRemoved,
    /// A type changed between entity, complex, enum and type definition.
    KindChanged,
    /// A structured type's base type changed (added, removed or replaced).
    BaseTypeChanged,
    /// A structured type became abstract.
    BecameAbstract,
    /// An abstract structured type became concrete.
    BecameConcrete,
    /// A structured type became open.
    BecameOpen,
    /// An open structured type became closed.
    BecameClosed,
    /// A type definition's underlying type changed.
    TypeDefinitionChanged,
    /// A structural property was added.
    PropertyAdded,
    /// A structural property the service requires was added (non-nullable, no default, not
    /// computed, not the key): the model's constructor gains a parameter.
    RequiredPropertyAdded,
    /// A structural property was removed.
    PropertyRemoved,
    /// A structural property's element type changed.
    PropertyTypeChanged,
    /// A structural property became nullable.
    PropertyBecameNullable,
    /// A structural property became non-nullable.
    PropertyBecameNonNullable,
    /// A single-valued structural property became a collection.
    PropertyBecameCollection,
    /// A collection structural property became single-valued.
    PropertyBecameSingle,
    /// A navigation property was added.
    NavigationAdded,
    /// A navigation property was removed.
    NavigationRemoved,
    /// A navigation property's target type changed.
    NavigationTypeChanged,
    /// A navigation property became nullable.
    NavigationBecameNullable,
    /// A navigation property became non-nullable.
    NavigationBecameNonNullable,
    /// A single-valued navigation property became a collection.
    NavigationBecameCollection,
    /// A collection navigation property became single-valued.
    NavigationBecameSingle,
    /// A navigation property became `ContainsTarget="true"`.
    ContainmentAdded,
    /// A navigation property stopped being `ContainsTarget="true"`.
    ContainmentRemoved,
    /// An enum member was added.
    EnumMemberAdded,
    /// An enum member was removed.
    EnumMemberRemoved,
    /// An enum type became `IsFlags="true"`.
    BecameFlags,
    /// An enum type stopped being `IsFlags="true"`.
    BecameNonFlags,
    /// An entity type's key changed.
    KeyChanged,
    /// An operation was added.
    OperationAdded,
    /// An operation was removed.
    OperationRemoved,
    /// An operation (same method and path) got a new id, i.e. a new Rust method name.
    OperationRenamed,
    /// An operation (same id) got a new method or path.
    OperationPathChanged,
    /// An operation accepts a new query option.
    QueryOptionAdded,
    /// An operation no longer accepts a query option.
    QueryOptionRemoved,
    /// An operation's request body type changed.
    RequestBodyChanged,
    /// An operation's success response changed.
    ResponseChanged,
}

impl ChangeKind {
    /// Every change kind, in report order.
    pub const ALL: [ChangeKind; 39] = [
        ChangeKind::TypeAdded,
        ChangeKind::TypeRemoved,
        ChangeKind::KindChanged,
        ChangeKind::BaseTypeChanged,
        ChangeKind::BecameAbstract,
        ChangeKind::BecameConcrete,
        ChangeKind::BecameOpen,
        ChangeKind::BecameClosed,
        ChangeKind::TypeDefinitionChanged,
        ChangeKind::PropertyAdded,
        ChangeKind::RequiredPropertyAdded,
        ChangeKind::PropertyRemoved,
        ChangeKind::PropertyTypeChanged,
        ChangeKind::PropertyBecameNullable,
        ChangeKind::PropertyBecameNonNullable,
        ChangeKind::PropertyBecameCollection,
        ChangeKind::PropertyBecameSingle,
        ChangeKind::NavigationAdded,
        ChangeKind::NavigationRemoved,
        ChangeKind::NavigationTypeChanged,
        ChangeKind::NavigationBecameNullable,
        ChangeKind::NavigationBecameNonNullable,
        ChangeKind::NavigationBecameCollection,
        ChangeKind::NavigationBecameSingle,
        ChangeKind::ContainmentAdded,
        ChangeKind::ContainmentRemoved,
        ChangeKind::EnumMemberAdded,
        ChangeKind::EnumMemberRemoved,
        ChangeKind::BecameFlags,
        ChangeKind::BecameNonFlags,
        ChangeKind::KeyChanged,
        ChangeKind::OperationAdded,
        ChangeKind::OperationRemoved,
        ChangeKind::OperationRenamed,
        ChangeKind::OperationPathChanged,
        ChangeKind::QueryOptionAdded,
        ChangeKind::QueryOptionRemoved,
        ChangeKind::RequestBodyChanged,
        ChangeKind::ResponseChanged,
    ];

    /// The classification (the rule table of the [module docs](self)).
    pub fn impact(self) -> Impact {
        use ChangeKind::*;
        match self {
            TypeAdded | BecameConcrete | BecameOpen | PropertyAdded | NavigationAdded
            | ContainmentAdded | EnumMemberAdded | OperationAdded | QueryOptionAdded => {
                Impact::Additive
            }
            TypeRemoved
            | KindChanged
            | BaseTypeChanged
            | BecameAbstract
            | BecameClosed
            | TypeDefinitionChanged
            | RequiredPropertyAdded
            | PropertyRemoved
            | PropertyTypeChanged
            | PropertyBecameNullable
            | PropertyBecameNonNullable
            | PropertyBecameCollection
            | PropertyBecameSingle
            | NavigationRemoved
            | NavigationTypeChanged
            | NavigationBecameNullable
            | NavigationBecameNonNullable
            | NavigationBecameCollection
            | NavigationBecameSingle
            | ContainmentRemoved
            | EnumMemberRemoved
            | BecameFlags
            | BecameNonFlags
            | KeyChanged
            | OperationRemoved
            | OperationRenamed
            | OperationPathChanged
            | QueryOptionRemoved
            | RequestBodyChanged
            | ResponseChanged => Impact::Breaking,
        }
    }

    /// The report section the change belongs to.
    pub fn section(self) -> Section {
        use ChangeKind::*;
        match self {
            TypeAdded
            | TypeRemoved
            | KindChanged
            | BaseTypeChanged
            | BecameAbstract
            | BecameConcrete
            | BecameOpen
            | BecameClosed
            | TypeDefinitionChanged => Section::Types,
            PropertyAdded
            | RequiredPropertyAdded
            | PropertyRemoved
            | PropertyTypeChanged
            | PropertyBecameNullable
            | PropertyBecameNonNullable
            | PropertyBecameCollection
            | PropertyBecameSingle => Section::Properties,
            NavigationAdded
            | NavigationRemoved
            | NavigationTypeChanged
            | NavigationBecameNullable
            | NavigationBecameNonNullable
            | NavigationBecameCollection
            | NavigationBecameSingle
            | ContainmentAdded
            | ContainmentRemoved => Section::Navigation,
            EnumMemberAdded | EnumMemberRemoved | BecameFlags | BecameNonFlags => Section::Enums,
            KeyChanged => Section::Keys,
            OperationAdded | OperationRemoved | OperationRenamed | OperationPathChanged
            | QueryOptionAdded | QueryOptionRemoved | RequestBodyChanged | ResponseChanged => {
                Section::Operations
            }
        }
    }

    /// The snake_case name used in JSON (`property_removed`).
    pub fn as_str(self) -> &'static str {
        use ChangeKind::*;
        match self {
            TypeAdded => "type_added",
            TypeRemoved => "type_removed",
            KindChanged => "kind_changed",
            BaseTypeChanged => "base_type_changed",
            BecameAbstract => "became_abstract",
            BecameConcrete => "became_concrete",
            BecameOpen => "became_open",
            BecameClosed => "became_closed",
            TypeDefinitionChanged => "type_definition_changed",
            RequiredPropertyAdded => "required_property_added",
            PropertyAdded => "property_added",
            PropertyRemoved => "property_removed",
            PropertyTypeChanged => "property_type_changed",
            PropertyBecameNullable => "property_became_nullable",
            PropertyBecameNonNullable => "property_became_non_nullable",
            PropertyBecameCollection => "property_became_collection",
            PropertyBecameSingle => "property_became_single",
            NavigationAdded => "navigation_added",
            NavigationRemoved => "navigation_removed",
            NavigationTypeChanged => "navigation_type_changed",
            NavigationBecameNullable => "navigation_became_nullable",
            NavigationBecameNonNullable => "navigation_became_non_nullable",
            NavigationBecameCollection => "navigation_became_collection",
            NavigationBecameSingle => "navigation_became_single",
            ContainmentAdded => "containment_added",
            ContainmentRemoved => "containment_removed",
            EnumMemberAdded => "enum_member_added",
            EnumMemberRemoved => "enum_member_removed",
            BecameFlags => "became_flags",
            BecameNonFlags => "became_non_flags",
            KeyChanged => "key_changed",
            OperationAdded => "operation_added",
            OperationRemoved => "operation_removed",
            OperationRenamed => "operation_renamed",
            OperationPathChanged => "operation_path_changed",
            QueryOptionAdded => "query_option_added",
            QueryOptionRemoved => "query_option_removed",
            RequestBodyChanged => "request_body_changed",
            ResponseChanged => "response_changed",
        }
    }

    /// A short phrase for the Markdown report (`property removed`).
    pub fn phrase(self) -> String {
        self.as_str().replace('_', " ")
    }
}

/// One change between the old and the new model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The element: a qualified type (`microsoft.graph.entity`), a member
    /// (`microsoft.graph.entity/id`), or an operation id (`list_sessions`; for
    /// [`ChangeKind::OperationRenamed`], `METHOD /path`).
    pub element: String,
    /// The old value, when the change has one (a type, a key, `METHOD /path`, ...).
    pub old: Option<String>,
    /// The new value, when the change has one.
    pub new: Option<String>,
}

impl Change {
    /// Breaking or additive.
    pub fn impact(&self) -> Impact {
        self.kind.impact()
    }

    /// The report section.
    pub fn section(&self) -> Section {
        self.kind.section()
    }

    fn new(
        kind: ChangeKind,
        element: impl Into<String>,
        old: Option<String>,
        new: Option<String>,
    ) -> Change {
        Change {
            kind,
            element: element.into(),
            old,
            new,
        }
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Change", 6)?;
        s.serialize_field("section", &self.section())?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("impact", &self.impact())?;
        s.serialize_field("element", &self.element)?;
        s.serialize_field("old", &self.old)?;
        s.serialize_field("new", &self.new)?;
        s.end()
    }
}

/// The changes from an old model to a new one, sorted by section, element and kind.
///
/// Serializes as `{"breaking": N, "additive": M, "changes": [{"section", "kind", "impact",
/// "element", "old", "new"}, ...], "warnings": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiDiff {
    /// Every change.
    pub changes: Vec<Change>,
    /// What could not be compared, e.g. the operations of a full `$metadata` document (the
    /// generator derives operations for a slice, not for all of Graph). Not changes.
    pub warnings: Vec<String>,
}

impl Serialize for ApiDiff {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ApiDiff", 4)?;
        s.serialize_field("breaking", &self.count(Impact::Breaking))?;
        s.serialize_field("additive", &self.count(Impact::Additive))?;
        s.serialize_field("changes", &self.changes)?;
        s.serialize_field("warnings", &self.warnings)?;
        s.end()
    }
}

impl ApiDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.impact() == Impact::Breaking)
    }

    /// The number of changes with this impact.
    pub fn count(&self, impact: Impact) -> usize {
        self.changes.iter().filter(|c| c.impact() == impact).count()
    }

    /// The changes of one section.
    pub fn section(&self, section: Section) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.section() == section)
    }

    /// The changes of one kind.
    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    /// The Markdown report: a title naming both sides, the warnings, a summary line with the
    /// counts, then one table per section that has changes, each row tagged breaking or additive.
    pub fn to_markdown(&self, old_label: &str, new_label: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# API changes: `{}` → `{}`\n",
            cell(old_label),
            cell(new_label)
        );
        for warning in &self.warnings {
            let _ = writeln!(out, "> **Warning:** {warning}\n");
        }
        if self.is_empty() {
            out.push_str("No API changes.\n");
            return out;
        }
        let breaking = self.count(Impact::Breaking);
        let additive = self.count(Impact::Additive);
        let _ = writeln!(
            out,
            "**{} change{}: {breaking} breaking, {additive} additive.**",
            self.changes.len(),
            if self.changes.len() == 1 { "" } else { "s" },
        );
        for section in Section::ALL {
            let rows: Vec<&Change> = self.section(section).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n## {} ({})\n", section.title(), rows.len());
            out.push_str("| Impact | Change | Element | Old | New |\n");
            out.push_str("| --- | --- | --- | --- | --- |\n");
            for change in rows {
                let impact = match change.impact() {
                    Impact::Breaking => "**breaking**",
                    Impact::Additive => "additive",
                };
                let code = |value: &Option<String>| {
                    value
                        .as_deref()
                        .map(|v| format!("`{}`", cell(v)))
                        .unwrap_or_default()
                };
                let _ = writeln!(
                    out,
                    "| {impact} | {} | `{}` | {} | {} |",
                    change.kind.phrase(),
                    cell(&change.element),
                    code(&change.old),
                    code(&change.new),
                );
            }
        }
        out
    }
}

/// Escapes text for a Markdown table cell inside backticks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('`', "'")
        .replace('\n', " ")
}

/// Compares two models and classifies every change for Rust callers of the generated client.
///
/// When the operations of either side cannot be derived ([`derive_operations`]: the generator
/// would fail on it too, or it is a full document with thousands of containment paths), the
/// operations and Rust names are not compared and [`ApiDiff::warnings`] says so.
pub fn diff(old: &Model, new: &Model) -> ApiDiff {
    let mut changes = Vec::new();
    let old_types = type_index(old);
    let new_types = type_index(new);
    diff_types(old, new, &old_types, &new_types, &mut changes);
    let mut warnings = Vec::new();
    match (derive_operations(old), derive_operations(new)) {
        (Ok(old_ops), Ok(new_ops)) => {
            diff_operations(&old_ops, &new_ops, &mut changes);
        }
        (old_ops, new_ops) => {
            for (side, result) in [("old", old_ops), ("new", new_ops)] {
                if let Err(err) = result {
                    warnings.push(format!(
                        "operations and Rust names not compared: the {side} spec's operations cannot be derived: {err}"
                    ));
                }
            }
        }
    }
    changes.sort_by(|a, b| {
        (a.section(), &a.element, a.kind, &a.old, &a.new).cmp(&(
            b.section(),
            &b.element,
            b.kind,
            &b.old,
            &b.new,
        ))
    });
    changes.dedup();
    ApiDiff { changes, warnings }
}

/// The most contained navigation paths the operations are derived for. Microsoft's full
/// documents have far more (the walk is exponential in them); a slice has a handful.
pub const MAX_NAVIGATION_PATHS: usize = 10_000;

/// Counts the contained navigation paths [`operations`] would walk (each gives up to six
/// operations), counting no further than just past `limit`.
pub fn count_navigation_paths(model: &Model, limit: usize) -> usize {
    fn walk(
        model: &Model,
        type_name: &str,
        visited: &mut BTreeSet<String>,
        count: &mut usize,
        limit: usize,
    ) {
        for navigation in model.all_navigation(type_name) {
            if *count > limit {
                return;
            }
            let target = &navigation.type_ref.name;
            if !navigation.contains_target || visited.contains(target) {
                continue;
            }
            *count += 1;
            visited.insert(target.clone());
            walk(model, target, visited, count, limit);
            visited.remove(target);
        }
    }
    let mut count = 0;
    for container in model.containers() {
        for child in container.singletons.iter().chain(&container.entity_sets) {
            let mut visited = BTreeSet::from([child.type_ref.name.clone()]);
            walk(model, &child.type_ref.name, &mut visited, &mut count, limit);
        }
    }
    count
}

/// The operations of a model, or why they cannot be derived (more than
/// [`MAX_NAVIGATION_PATHS`], or an [`operations`] error).
pub fn derive_operations(model: &Model) -> Result<Vec<ApiOperation>, String> {
    if count_navigation_paths(model, MAX_NAVIGATION_PATHS) > MAX_NAVIGATION_PATHS {
        return Err(format!(
            "more than {MAX_NAVIGATION_PATHS} contained navigation paths (a full document? slice it first)"
        ));
    }
    operations(model).map_err(|e| e.to_string())
}

/// The category of a named type, for the types section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    Entity,
    Complex,
    Enum,
    Definition,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Entity => "entity type",
            Category::Complex => "complex type",
            Category::Enum => "enum type",
            Category::Definition => "type definition",
        }
    }
}

/// Every named type of a model with its category, by qualified name.
fn type_index(model: &Model) -> BTreeMap<String, Category> {
    let mut index = BTreeMap::new();
    for (name, t) in model.structured_types() {
        let category = match t.kind {
            StructuredKind::Entity => Category::Entity,
            StructuredKind::Complex => Category::Complex,
        };
        index.insert(name, category);
    }
    for (name, _) in model.enum_types() {
        index.insert(name, Category::Enum);
    }
    for schema in &model.document().schemas {
        for d in &schema.type_definitions {
            index.insert(
                format!("{}.{}", schema.namespace, d.name),
                Category::Definition,
            );
        }
    }
    index
}

fn diff_types(
    old: &Model,
    new: &Model,
    old_types: &BTreeMap<String, Category>,
    new_types: &BTreeMap<String, Category>,
    changes: &mut Vec<Change>,
) {
    for (name, category) in old_types {
        if !new_types.contains_key(name) {
            changes.push(Change::new(
                ChangeKind::TypeRemoved,
                name,
                Some(category.as_str().to_string()),
                None,
            ));
        }
    }
    for (name, category) in new_types {
        let Some(old_category) = old_types.get(name) else {
            changes.push(Change::new(
                ChangeKind::TypeAdded,
                name,
                None,
                Some(category.as_str().to_string()),
            ));
            continue;
        };
        if old_category != category {
            changes.push(Change::new(
                ChangeKind::KindChanged,
                name,
                Some(old_category.as_str().to_string()),
                Some(category.as_str().to_string()),
            ));
        }
        match (old.lookup(name), new.lookup(name)) {
            (Some(TypeKind::Structured(_)), Some(TypeKind::Structured(_))) => {
                diff_structured(old, new, name, changes);
            }
            (Some(TypeKind::Enum(o)), Some(TypeKind::Enum(n))) => {
                if o.is_flags != n.is_flags {
                    let kind = if n.is_flags {
                        ChangeKind::BecameFlags
                    } else {
                        ChangeKind::BecameNonFlags
                    };
                    changes.push(Change::new(kind, name, None, None));
                }
                let old_members: BTreeSet<&str> =
                    o.members.iter().map(|m| m.name.as_str()).collect();
                let new_members: BTreeSet<&str> =
                    n.members.iter().map(|m| m.name.as_str()).collect();
                for member in old_members.difference(&new_members) {
                    changes.push(Change::new(
                        ChangeKind::EnumMemberRemoved,
                        format!("{name}/{member}"),
                        None,
                        None,
                    ));
                }
                for member in new_members.difference(&old_members) {
                    changes.push(Change::new(
                        ChangeKind::EnumMemberAdded,
                        format!("{name}/{member}"),
                        None,
                        None,
                    ));
                }
            }
            (Some(TypeKind::Definition(o)), Some(TypeKind::Definition(n)))
                if type_text(&o.underlying_type) != type_text(&n.underlying_type) =>
            {
                changes.push(Change::new(
                    ChangeKind::TypeDefinitionChanged,
                    name,
                    Some(type_text(&o.underlying_type)),
                    Some(type_text(&n.underlying_type)),
                ));
            }
            _ => {}
        }
    }
}

/// A type reference as `Collection(ns.type)` / `ns.type`, alias-resolved.
fn type_text(r: &crate::csdl::TypeRef) -> String {
    if r.collection {
        format!("Collection({})", r.name)
    } else {
        r.name.clone()
    }
}

/// A member (structural or navigation) as compared: its type, flags and declaring type.
#[derive(Clone, Debug)]
struct Member {
    /// A constructor parameter of the generated model (structural properties only).
    required: bool,
    type_name: String,
    collection: bool,
    nullable: bool,
    contains_target: bool,
    declared_on: String,
}

fn structural_members(model: &Model, name: &str) -> BTreeMap<String, Member> {
    let required: BTreeSet<String> = crate::rust_models::required_properties(model, name)
        .into_iter()
        .map(|p| p.name.clone())
        .collect();
    let mut members = BTreeMap::new();
    for level in model.base_chain(name) {
        let declared_on = model.qualified_name_of(level).unwrap_or_default();
        for p in &level.properties {
            members.insert(
                p.name.clone(),
                Member {
                    required: required.contains(&p.name),
                    type_name: p.type_ref.name.clone(),
                    collection: p.type_ref.collection,
                    nullable: p.nullable,
                    contains_target: false,
                    declared_on: declared_on.clone(),
                },
            );
        }
    }
    members
}

fn navigation_members(model: &Model, name: &str) -> BTreeMap<String, Member> {
    let mut members = BTreeMap::new();
    for level in model.base_chain(name) {
        let declared_on = model.qualified_name_of(level).unwrap_or_default();
        for n in &level.navigation_properties {
            members.insert(
                n.name.clone(),
                Member {
                    required: false,
                    type_name: n.type_ref.name.clone(),
                    collection: n.type_ref.collection,
                    nullable: n.nullable,
                    contains_target: n.contains_target,
                    declared_on: declared_on.clone(),
                },
            );
        }
    }
    members
}

/// The change kinds for one member family.
struct MemberKinds {
    added: ChangeKind,
    removed: ChangeKind,
    type_changed: ChangeKind,
    became_nullable: ChangeKind,
    became_non_nullable: ChangeKind,
    became_collection: ChangeKind,
    became_single: ChangeKind,
}

const PROPERTY_KINDS: MemberKinds = MemberKinds {
    added: ChangeKind::PropertyAdded,
    removed: ChangeKind::PropertyRemoved,
    type_changed: ChangeKind::PropertyTypeChanged,
    became_nullable: ChangeKind::PropertyBecameNullable,
    became_non_nullable: ChangeKind::PropertyBecameNonNullable,
    became_collection: ChangeKind::PropertyBecameCollection,
    became_single: ChangeKind::PropertyBecameSingle,
};

const NAVIGATION_KINDS: MemberKinds = MemberKinds {
    added: ChangeKind::NavigationAdded,
    removed: ChangeKind::NavigationRemoved,
    type_changed: ChangeKind::NavigationTypeChanged,
    became_nullable: ChangeKind::NavigationBecameNullable,
    became_non_nullable: ChangeKind::NavigationBecameNonNullable,
    became_collection: ChangeKind::NavigationBecameCollection,
    became_single: ChangeKind::NavigationBecameSingle,
};

fn diff_structured(old: &Model, new: &Model, name: &str, changes: &mut Vec<Change>) {
    let (Some(o), Some(n)) = (old.structured(name), new.structured(name)) else {
        return;
    };
    let old_base = o.base_type.as_ref().map(|b| b.name.clone());
    let new_base = n.base_type.as_ref().map(|b| b.name.clone());
    if old_base != new_base {
        changes.push(Change::new(
            ChangeKind::BaseTypeChanged,
            name,
            old_base.clone(),
            new_base.clone(),
        ));
    }
    if o.is_abstract != n.is_abstract {
        let kind = if n.is_abstract {
            ChangeKind::BecameAbstract
        } else {
            ChangeKind::BecameConcrete
        };
        changes.push(Change::new(kind, name, None, None));
    }
    if o.is_open != n.is_open {
        let kind = if n.is_open {
            ChangeKind::BecameOpen
        } else {
            ChangeKind::BecameClosed
        };
        changes.push(Change::new(kind, name, None, None));
    }
    diff_members(
        name,
        &structural_members(old, name),
        &structural_members(new, name),
        &PROPERTY_KINDS,
        changes,
    );
    diff_members(
        name,
        &navigation_members(old, name),
        &navigation_members(new, name),
        &NAVIGATION_KINDS,
        changes,
    );
    // Keys: reported on the type where the change originates, not on every type inheriting it.
    let (old_key, new_key) = (old.key(name), new.key(name));
    if old_key != new_key && (o.kind == StructuredKind::Entity || n.kind == StructuredKind::Entity)
    {
        let inherited = match (&old_base, &new_base) {
            (Some(ob), Some(nb)) if ob == nb => {
                o.key.is_empty()
                    && n.key.is_empty()
                    && old.key(ob) == old_key
                    && new.key(nb) == new_key
            }
            _ => false,
        };
        if !inherited {
            let show = |key: &[String]| (!key.is_empty()).then(|| key.join(", "));
            changes.push(Change::new(
                ChangeKind::KeyChanged,
                name,
                show(&old_key),
                show(&new_key),
            ));
        }
    }
}

fn diff_members(
    owner: &str,
    old: &BTreeMap<String, Member>,
    new: &BTreeMap<String, Member>,
    kinds: &MemberKinds,
    changes: &mut Vec<Change>,
) {
    // A change is reported on the type that declares the member (in either version).
    let reported_here = |o: Option<&Member>, n: Option<&Member>| {
        o.is_some_and(|m| m.declared_on == owner) || n.is_some_and(|m| m.declared_on == owner)
    };
    for (name, o) in old {
        if !new.contains_key(name) && reported_here(Some(o), None) {
            changes.push(Change::new(
                kinds.removed,
                format!("{owner}/{name}"),
                Some(member_text(o)),
                None,
            ));
        }
    }
    for (name, n) in new {
        let element = format!("{owner}/{name}");
        let Some(o) = old.get(name) else {
            if reported_here(None, Some(n)) {
                let kind = if n.required && kinds.added == ChangeKind::PropertyAdded {
                    ChangeKind::RequiredPropertyAdded
                } else {
                    kinds.added
                };
                changes.push(Change::new(kind, element, None, Some(member_text(n))));
            }
            continue;
        };
        if !reported_here(Some(o), Some(n)) {
            continue;
        }
        if o.type_name != n.type_name {
            changes.push(Change::new(
                kinds.type_changed,
                element.clone(),
                Some(o.type_name.clone()),
                Some(n.type_name.clone()),
            ));
        }
        if o.collection != n.collection {
            let kind = if n.collection {
                kinds.became_collection
            } else {
                kinds.became_single
            };
            changes.push(Change::new(
                kind,
                element.clone(),
                Some(member_text(o)),
                Some(member_text(n)),
            ));
        }
        if o.nullable != n.nullable {
            let kind = if n.nullable {
                kinds.became_nullable
            } else {
                kinds.became_non_nullable
            };
            changes.push(Change::new(
                kind,
                element.clone(),
                Some(format!("Nullable={}", o.nullable)),
                Some(format!("Nullable={}", n.nullable)),
            ));
        }
        if o.contains_target != n.contains_target {
            let kind = if n.contains_target {
                ChangeKind::ContainmentAdded
            } else {
                ChangeKind::ContainmentRemoved
            };
            changes.push(Change::new(
                kind,
                element.clone(),
                Some(format!("ContainsTarget={}", o.contains_target)),
                Some(format!("ContainsTarget={}", n.contains_target)),
            ));
        }
    }
}

fn member_text(m: &Member) -> String {
    let mut text = if m.collection {
        format!("Collection({})", m.type_name)
    } else {
        m.type_name.clone()
    };
    if !m.nullable {
        text.push_str(" not null");
    }
    text
}

fn endpoint(op: &ApiOperation) -> String {
    format!("{} {}", op.method, op.path)
}

fn response_text(response: &ResponseShape) -> String {
    match response {
        ResponseShape::Entity(t) => t.clone(),
        ResponseShape::Collection(t) => format!("Collection({t})"),
        ResponseShape::Count => "count (text/plain)".to_string(),
        ResponseShape::Empty => "no content".to_string(),
    }
}

fn diff_operations(old: &[ApiOperation], new: &[ApiOperation], changes: &mut Vec<Change>) {
    let by_endpoint = |ops: &[ApiOperation]| -> BTreeMap<(String, String), usize> {
        ops.iter()
            .enumerate()
            .map(|(i, op)| ((op.method.to_string(), op.path.clone()), i))
            .collect()
    };
    let old_by_endpoint = by_endpoint(old);
    let new_by_endpoint = by_endpoint(new);
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut old_matched = vec![false; old.len()];
    let mut new_matched = vec![false; new.len()];
    for (endpoint, &i) in &old_by_endpoint {
        if let Some(&j) = new_by_endpoint.get(endpoint) {
            pairs.push((i, j));
            old_matched[i] = true;
            new_matched[j] = true;
        }
    }
    // Then by id among the rest.
    let new_by_id: BTreeMap<&str, usize> = new
        .iter()
        .enumerate()
        .filter(|(j, _)| !new_matched[*j])
        .map(|(j, op)| (op.id.as_str(), j))
        .collect();
    for (i, op) in old.iter().enumerate() {
        if old_matched[i] {
            continue;
        }
        if let Some(&j) = new_by_id.get(op.id.as_str()) {
            if !new_matched[j] {
                pairs.push((i, j));
                old_matched[i] = true;
                new_matched[j] = true;
            }
        }
    }
    for (i, op) in old.iter().enumerate() {
        if !old_matched[i] {
            changes.push(Change::new(
                ChangeKind::OperationRemoved,
                &op.id,
                Some(endpoint(op)),
                None,
            ));
        }
    }
    for (j, op) in new.iter().enumerate() {
        if !new_matched[j] {
            changes.push(Change::new(
                ChangeKind::OperationAdded,
                &op.id,
                None,
                Some(endpoint(op)),
            ));
        }
    }
    for (i, j) in pairs {
        let (o, n) = (&old[i], &new[j]);
        if o.id != n.id {
            changes.push(Change::new(
                ChangeKind::OperationRenamed,
                endpoint(n),
                Some(o.id.clone()),
                Some(n.id.clone()),
            ));
        }
        if o.method != n.method || o.path != n.path {
            changes.push(Change::new(
                ChangeKind::OperationPathChanged,
                &n.id,
                Some(endpoint(o)),
                Some(endpoint(n)),
            ));
        }
        for option in &o.query_options {
            if !n.query_options.contains(option) {
                changes.push(Change::new(
                    ChangeKind::QueryOptionRemoved,
                    &n.id,
                    Some(option.parameter().to_string()),
                    None,
                ));
            }
        }
        for option in &n.query_options {
            if !o.query_options.contains(option) {
                changes.push(Change::new(
                    ChangeKind::QueryOptionAdded,
                    &n.id,
                    None,
                    Some(option.parameter().to_string()),
                ));
            }
        }
        if o.request_body != n.request_body {
            changes.push(Change::new(
                ChangeKind::RequestBodyChanged,
                &n.id,
                o.request_body.clone(),
                n.request_body.clone(),
            ));
        }
        if o.response != n.response {
            changes.push(Change::new(
                ChangeKind::ResponseChanged,
                &n.id,
                Some(response_text(&o.response)),
                Some(response_text(&n.response)),
            ));
        }
    }
}

/// The files a spec input stands for: a spec directory gives the fragment and overlay its
/// `generator.json` names (the overlay only if present) and ignores `overlay`; a CSDL file gives
/// itself, then `overlay` if given. A directory without a readable `generator.json` gives that
/// file, so reading it fails naming it.
pub fn input_files(input: &Path, overlay: Option<&Path>) -> Vec<PathBuf> {
    if input.is_dir() {
        let Ok(config) = crate::config::SpecConfig::read(input) else {
            return vec![input.join(crate::config::CONFIG_FILE)];
        };
        let mut files = vec![input.join(&config.fragment)];
        let spec_overlay = input.join(&config.overlay);
        if spec_overlay.is_file() {
            files.push(spec_overlay);
        }
        files
    } else {
        let mut files = vec![input.to_path_buf()];
        files.extend(overlay.map(Path::to_path_buf));
        files
    }
}

/// Reads a spec input (see [`input_files`]) into a model.
pub fn load_input(input: &Path, overlay: Option<&Path>) -> Result<Model, CsdlError> {
    let mut documents = input_files(input, overlay)
        .iter()
        .map(|f| read_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    // The first file is the CSDL document, the rest overlays (which alone expose navigations).
    let overlays = documents.split_off(documents.len().min(1));
    Model::build_with_overlays(documents, overlays)
}
