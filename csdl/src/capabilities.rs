//! The OData Capabilities vocabulary (`Org.OData.Capabilities.V1`) as it decides the API surface.
//!
//! **Exposure is opt-in.** A singleton, entity set or contained navigation becomes operations only
//! when an overlay (`spec/overlay.xml`) tags it with [`EXPOSED`]; Microsoft's metadata lists
//! navigations the service does not implement, so a new one in a refreshed document stays
//! unexposed until someone decides. Within an exposed navigation, the overlay's restrictions say
//! which verbs and query options exist (an absent restriction means "allowed"), and restrictions
//! written in Microsoft's document can only narrow that further ([`Capabilities::narrowed_by`]),
//! never expose anything.

use crate::Annotation;
use crate::{find_annotation, AnnotationValue, Record};

const CAPABILITIES: &str = "Org.OData.Capabilities.V1";
/// Our term that switches the `/$count` segment off (declared in `spec/overlay.xml`).
pub const COUNT_SEGMENT: &str = "graphSecurityCopilot.overlay.CountSegmentSupported";
/// Our tagging term that exposes a singleton, entity set or navigation (declared in
/// `spec/overlay.xml`; honoured only when an overlay writes it).
pub const EXPOSED: &str = "graphSecurityCopilot.overlay.Exposed";

/// Whether these annotations (an overlay's, on one element) expose the element.
pub fn is_exposed<'a>(annotations: impl IntoIterator<Item = &'a Annotation>) -> bool {
    annotations.into_iter().any(|a| {
        crate::term_matches(&a.term, EXPOSED)
            && match &a.value {
                AnnotationValue::Bool(b) => *b,
                _ => true,
            }
    })
}

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
    /// Everything allowed (the surface Microsoft's metadata implies on its own).
    pub fn everything() -> Capabilities {
        Capabilities::from_annotations(&[])
    }

    /// These capabilities, with everything `other` forbids forbidden too (text from `self`
    /// first). Used to let restrictions in Microsoft's document narrow the overlay's.
    pub fn narrowed_by(mut self, other: &Capabilities) -> Capabilities {
        let pick = |mine: OperationText, theirs: &OperationText| OperationText {
            description: mine.description.or_else(|| theirs.description.clone()),
            long_description: mine
                .long_description
                .or_else(|| theirs.long_description.clone()),
        };
        self.readable &= other.readable;
        self.readable_by_key &= other.readable_by_key;
        self.insertable &= other.insertable;
        self.updatable &= other.updatable;
        self.update_uses_put |= other.update_uses_put;
        self.deletable &= other.deletable;
        self.countable &= other.countable;
        self.count_segment &= other.count_segment;
        self.top &= other.top;
        self.skip &= other.skip;
        self.filter &= other.filter;
        self.sort &= other.sort;
        self.select &= other.select;
        self.expand &= other.expand;
        self.search &= other.search;
        self.read_text = pick(self.read_text, &other.read_text);
        self.read_by_key_text = pick(self.read_by_key_text, &other.read_by_key_text);
        self.insert_text = pick(self.insert_text, &other.insert_text);
        self.update_text = pick(self.update_text, &other.update_text);
        self.delete_text = pick(self.delete_text, &other.delete_text);
        self
    }

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
