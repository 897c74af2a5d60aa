//! The OData Capabilities vocabulary (`Org.OData.Capabilities.V1`) as it decides the API surface.
//!
//! Microsoft's CSDL carries no restrictions for Security Copilot, so by itself every contained
//! navigation gets every verb (as in Microsoft's SDKs). `spec/overlay.xml` annotates each
//! navigation with what the service documents; an absent restriction means "allowed".

use crate::csdl::Annotation;
use crate::csdl::{find_annotation, AnnotationValue, Record};

const CAPABILITIES: &str = "Org.OData.Capabilities.V1";
/// Our one term beyond the standard vocabularies (declared in `spec/overlay.xml`).
pub const COUNT_SEGMENT: &str = "graphSecurityCopilot.overlay.CountSegmentSupported";

/// Text for one operation, from a restriction record's `Description` / `LongDescription`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationText {
    /// One-line summary.
    pub description: Option<String>,
    /// Longer documentation.
    pub long_description: Option<String>,
}

/// What a navigation property (or a singleton / entity set) allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `ReadRestrictions/Readable`: GET the collection (or the single entity).
    pub readable: bool,
    /// `ReadRestrictions/ReadByKeyRestrictions/Readable`: GET one member by key.
    pub readable_by_key: bool,
    /// `InsertRestrictions/Insertable`: POST to the collection.
    pub insertable: bool,
    /// `UpdateRestrictions/Updatable`: PATCH a member.
    pub updatable: bool,
    /// `UpdateRestrictions/UpdateMethod` is PUT rather than PATCH.
    pub update_uses_put: bool,
    /// `DeleteRestrictions/Deletable`: DELETE a member.
    pub deletable: bool,
    /// `CountRestrictions/Countable`: `$count=true` and the `/$count` path.
    pub countable: bool,
    /// `graphSecurityCopilot.overlay.CountSegmentSupported`: the `GET .../$count` path.
    pub count_segment: bool,
    /// `TopSupported`.
    pub top: bool,
    /// `SkipSupported`.
    pub skip: bool,
    /// `FilterRestrictions/Filterable`.
    pub filter: bool,
    /// `SortRestrictions/Sortable` (`$orderby`).
    pub sort: bool,
    /// `SelectSupport/Supported`.
    pub select: bool,
    /// `ExpandRestrictions/Expandable`.
    pub expand: bool,
    /// `SearchRestrictions/Searchable`.
    pub search: bool,
    /// Text for list / get-single.
    pub read_text: OperationText,
    /// Text for get-by-key.
    pub read_by_key_text: OperationText,
    /// Text for create.
    pub insert_text: OperationText,
    /// Text for update.
    pub update_text: OperationText,
    /// Text for delete.
    pub delete_text: OperationText,
}

impl Capabilities {
    /// Reads the restrictions from an element's annotations (absent means allowed).
    pub fn from_annotations(annotations: &[Annotation]) -> Capabilities {
        let record = |term: &str| -> Option<&Record> {
            find_annotation(annotations, &format!("{CAPABILITIES}.{term}"))
                .and_then(|a| a.value.as_record())
        };
        let tag = |term: &str| -> bool {
            match find_annotation(annotations, &format!("{CAPABILITIES}.{term}")) {
                Some(a) => match &a.value {
                    AnnotationValue::Bool(b) => *b,
                    // A tagging term without a value means true.
                    AnnotationValue::Null => true,
                    _ => true,
                },
                None => true,
            }
        };
        let flag = |term: &str, property: &str| -> bool {
            record(term)
                .and_then(|r| r.get(property))
                .and_then(AnnotationValue::as_bool)
                .unwrap_or(true)
        };
        let text = |r: Option<&Record>| OperationText {
            description: r
                .and_then(|r| r.get("Description"))
                .and_then(AnnotationValue::as_str)
                .map(str::to_string),
            long_description: r
                .and_then(|r| r.get("LongDescription"))
                .and_then(AnnotationValue::as_str)
                .map(str::to_string),
        };
        let read = record("ReadRestrictions");
        let by_key = read
            .and_then(|r| r.get("ReadByKeyRestrictions"))
            .and_then(AnnotationValue::as_record);
        let readable = flag("ReadRestrictions", "Readable");
        Capabilities {
            readable,
            readable_by_key: by_key
                .and_then(|r| r.get("Readable"))
                .and_then(AnnotationValue::as_bool)
                .unwrap_or(readable),
            insertable: flag("InsertRestrictions", "Insertable"),
            updatable: flag("UpdateRestrictions", "Updatable"),
            update_uses_put: record("UpdateRestrictions")
                .and_then(|r| r.get("UpdateMethod"))
                .is_some_and(
                    |v| matches!(v, AnnotationValue::EnumMember(m) if m.ends_with("/PUT")),
                ),
            deletable: flag("DeleteRestrictions", "Deletable"),
            countable: flag("CountRestrictions", "Countable"),
            count_segment: flag("CountRestrictions", "Countable")
                && find_annotation(annotations, COUNT_SEGMENT)
                    .and_then(|a| a.value.as_bool())
                    .unwrap_or(true),
            top: tag("TopSupported"),
            skip: tag("SkipSupported"),
            filter: flag("FilterRestrictions", "Filterable"),
            sort: flag("SortRestrictions", "Sortable"),
            select: flag("SelectSupport", "Supported"),
            expand: flag("ExpandRestrictions", "Expandable"),
            search: flag("SearchRestrictions", "Searchable"),
            read_text: text(read),
            read_by_key_text: text(by_key),
            insert_text: text(record("InsertRestrictions")),
            update_text: text(record("UpdateRestrictions")),
            delete_text: text(record("DeleteRestrictions")),
        }
    }
}
