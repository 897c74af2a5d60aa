//! `graph-spec diff` and `graph-spec openapi`: one case per change kind with its expected
//! classification, the committed spec against itself, Microsoft's real v1.0 document against a
//! modified copy, and the command line (JSON, exit codes, bad input, OpenAPI output).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use graph_odata_codegen::config::SpecConfig;
use graph_odata_codegen::csdl::{read_str, Model};
use graph_odata_codegen::diff::{diff, ApiDiff, ChangeKind, Impact, Section};
use graph_odata_codegen::generate::{load_spec, openapi_for, spec_files};

use ChangeKind::*;
use Impact::*;

/// A small API: a singleton `root` containing `items`, with every kind of member the diff
/// compares. Elements are written on one line so the cases can edit them by replacement.
const BASE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="test.api" Alias="api" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
      </EntityType>
      <EntityType Name="root" BaseType="api.entity">
        <NavigationProperty Name="items" Type="Collection(api.item)" ContainsTarget="true" />
      </EntityType>
      <EntityType Name="item"><Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
        <Property Name="name" Type="Edm.String" />
        <Property Name="count" Type="Edm.Int32" Nullable="false" />
        <Property Name="score" Type="api.score" />
        <Property Name="state" Type="api.state" />
        <Property Name="colors" Type="api.colors" />
        <Property Name="tags" Type="Collection(Edm.String)" />
        <Property Name="details" Type="api.details" />
        <NavigationProperty Name="owner" Type="api.person" />
      </EntityType>
      <EntityType Name="person" BaseType="api.entity">
        <Property Name="displayName" Type="Edm.String" />
      </EntityType>
      <EntityType Name="group" BaseType="api.entity" />
      <ComplexType Name="details"><Property Name="text" Type="Edm.String" /></ComplexType>
      <ComplexType Name="legacy"><Property Name="note" Type="Edm.String" /></ComplexType>
      <EnumType Name="state">
        <Member Name="active" Value="0" />
        <Member Name="inactive" Value="1" />
      </EnumType>
      <EnumType Name="colors" IsFlags="true">
        <Member Name="red" Value="1" />
        <Member Name="green" Value="2" />
      </EnumType>
      <TypeDefinition Name="score" UnderlyingType="Edm.Int32" />
      <EntityContainer Name="Service">
        <Singleton Name="root" Type="api.root" />
        <EntitySet Name="people" EntityType="api.person" />
      </EntityContainer>
      <Annotations Target="api.root/items">
        <Annotation Term="Org.OData.Capabilities.V1.DeleteRestrictions"><Record><PropertyValue Property="Deletable" Bool="false" /></Record></Annotation>
        <Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" />
      </Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#;

const ITEMS: &str =
    r#"<NavigationProperty Name="items" Type="Collection(api.item)" ContainsTarget="true" />"#;

/// A single-valued navigation `archive` holding `things`; readable or not (Microsoft's own
/// restrictions, inline), never updatable or deletable.
fn archive(readable: bool) -> String {
    format!(
        r#"<NavigationProperty Name="archive" Type="api.archive" ContainsTarget="true"><Annotation Term="Org.OData.Capabilities.V1.ReadRestrictions"><Record><PropertyValue Property="Readable" Bool="{readable}" /></Record></Annotation><Annotation Term="Org.OData.Capabilities.V1.UpdateRestrictions"><Record><PropertyValue Property="Updatable" Bool="false" /></Record></Annotation><Annotation Term="Org.OData.Capabilities.V1.DeleteRestrictions"><Record><PropertyValue Property="Deletable" Bool="false" /></Record></Annotation></NavigationProperty>
      </EntityType>
      <EntityType Name="archive" BaseType="api.entity">
        <NavigationProperty Name="things" Type="Collection(api.group)" ContainsTarget="true" />"#
    )
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "test bug: {from:?} must occur exactly once"
    );
    text.replacen(from, to, 1)
}

/// Old = the base document, new = the base with one edit.
fn forward(from: &str, to: &str) -> (String, String) {
    (BASE.to_string(), edit(BASE, from, to))
}

/// Old = the base with one edit, new = the base (the reverse change).
fn backward(from: &str, to: &str) -> (String, String) {
    (edit(BASE, from, to), BASE.to_string())
}

/// Exposes the singleton, the entity set and `items` (exposure is opt-in, see `capabilities`).
/// (Targets for `archive` only when the document has it.)
fn expose(text: &str) -> String {
    let mut targets = vec![
        "test.api.Service/root",
        "test.api.Service/people",
        "test.api.root/items",
    ];
    if text.contains(r#"<EntityType Name="archive""#) {
        targets.extend(["test.api.root/archive", "test.api.archive/things"]);
    }
    let blocks: String = targets
        .iter()
        .map(|t| format!(r#"<Annotations Target="{t}"><Annotation Term="graphSecurityCopilot.overlay.Exposed" /></Annotations>"#))
        .collect();
    format!(
        r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices><Schema Namespace="test.overlay" xmlns="http://docs.oasis-open.org/odata/ns/edm">{blocks}</Schema></edmx:DataServices></edmx:Edmx>"#
    )
}

/// The model of a test document (with [`expose`]) or of a real one (as is).
fn model(name: &str, text: &str) -> Model {
    let document = read_str(name, text).unwrap_or_else(|e| panic!("{name} reads: {e}"));
    let overlays = if text.contains(r#"Namespace="test.api""#) {
        vec![read_str("expose.xml", &expose(text)).unwrap_or_else(|e| panic!("overlay: {e}"))]
    } else {
        Vec::new()
    };
    Model::build_with_overlays(vec![document], overlays)
        .unwrap_or_else(|e| panic!("{name} resolves: {e}"))
}

fn diff_texts(old: &str, new: &str) -> ApiDiff {
    diff(&model("old.xml", old), &model("new.xml", new))
}

/// Checks that exactly these changes (kind, element, expected impact) are reported.
fn check(case: &str, (old, new): (String, String), expected: &[(ChangeKind, &str, Impact)]) {
    let report = diff_texts(&old, &new);
    let got: BTreeSet<(ChangeKind, String)> = report
        .changes
        .iter()
        .map(|c| (c.kind, c.element.clone()))
        .collect();
    let want: BTreeSet<(ChangeKind, String)> = expected
        .iter()
        .map(|(k, e, _)| (*k, e.to_string()))
        .collect();
    assert_eq!(
        got,
        want,
        "{case}: reported changes differ\n{}",
        report.to_markdown("old", "new")
    );
    assert_eq!(report.changes.len(), expected.len(), "{case}: duplicates");
    for (kind, element, impact) in expected {
        let change = report
            .changes
            .iter()
            .find(|c| c.kind == *kind && c.element == *element)
            .unwrap_or_else(|| panic!("{case}: {kind:?} {element}"));
        assert_eq!(
            change.impact(),
            *impact,
            "{case}: {kind:?} on {element} classified wrongly"
        );
    }
    assert_eq!(
        report.is_breaking(),
        expected.iter().any(|(_, _, i)| *i == Breaking),
        "{case}: is_breaking"
    );
}

/// One `#[test]` per case, plus the list of kinds the cases cover.
macro_rules! cases {
    ($($name:ident: $edit:expr => [$(($kind:ident, $element:expr, $impact:ident)),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name), $edit, &[$(($kind, $element, $impact)),*]);
            }
        )*
        const COVERED: &[&[ChangeKind]] = &[$(&[$($kind),*]),*];
    };
}

cases! {
    type_added: forward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="extra" /><ComplexType Name="legacy">"#,
    ) => [(TypeAdded, "test.api.extra", Additive)];

    type_removed: backward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="extra" /><ComplexType Name="legacy">"#,
    ) => [(TypeRemoved, "test.api.extra", Breaking)];

    kind_changed_complex_to_enum: forward(
        r#"<ComplexType Name="legacy"><Property Name="note" Type="Edm.String" /></ComplexType>"#,
        r#"<EnumType Name="legacy"><Member Name="note" /></EnumType>"#,
    ) => [(KindChanged, "test.api.legacy", Breaking)];

    kind_changed_complex_to_entity: forward(
        r#"<ComplexType Name="legacy"><Property Name="note" Type="Edm.String" /></ComplexType>"#,
        r#"<EntityType Name="legacy"><Key><PropertyRef Name="note" /></Key><Property Name="note" Type="Edm.String" Nullable="false" /></EntityType>"#,
    ) => [
        (KindChanged, "test.api.legacy", Breaking),
        (PropertyBecameNonNullable, "test.api.legacy/note", Breaking),
        (KeyChanged, "test.api.legacy", Breaking),
    ];

    base_type_changed: forward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="legacy" BaseType="api.details">"#,
    ) => [(BaseTypeChanged, "test.api.legacy", Breaking)];

    became_abstract: forward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="legacy" Abstract="true">"#,
    ) => [(BecameAbstract, "test.api.legacy", Breaking)];

    became_concrete: backward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="legacy" Abstract="true">"#,
    ) => [(BecameConcrete, "test.api.legacy", Additive)];

    became_open: forward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="legacy" OpenType="true">"#,
    ) => [(BecameOpen, "test.api.legacy", Additive)];

    became_closed: backward(
        r#"<ComplexType Name="legacy">"#,
        r#"<ComplexType Name="legacy" OpenType="true">"#,
    ) => [(BecameClosed, "test.api.legacy", Breaking)];

    type_definition_changed: forward(
        r#"UnderlyingType="Edm.Int32""#,
        r#"UnderlyingType="Edm.Int64""#,
    ) => [(TypeDefinitionChanged, "test.api.score", Breaking)];

    // A type of the API namespace declared earlier takes the simple Rust name `Item`, so the
    // existing model is renamed `ApiItem`.


    property_added: forward(
        r#"<Property Name="name" Type="Edm.String" />"#,
        r#"<Property Name="name" Type="Edm.String" /><Property Name="extra" Type="Edm.String" />"#,
    ) => [(PropertyAdded, "test.api.item/extra", Additive)];

    property_removed: forward(r#"<Property Name="name" Type="Edm.String" />"#, "")
        => [(PropertyRemoved, "test.api.item/name", Breaking)];

    property_type_changed: forward(
        r#"<Property Name="count" Type="Edm.Int32" Nullable="false" />"#,
        r#"<Property Name="count" Type="Edm.Int64" Nullable="false" />"#,
    ) => [(PropertyTypeChanged, "test.api.item/count", Breaking)];

    property_became_nullable: forward(
        r#"<Property Name="count" Type="Edm.Int32" Nullable="false" />"#,
        r#"<Property Name="count" Type="Edm.Int32" />"#,
    ) => [(PropertyBecameNullable, "test.api.item/count", Breaking)];

    property_became_non_nullable: forward(
        r#"<Property Name="name" Type="Edm.String" />"#,
        r#"<Property Name="name" Type="Edm.String" Nullable="false" />"#,
    ) => [(PropertyBecameNonNullable, "test.api.item/name", Breaking)];

    property_became_collection: forward(
        r#"<Property Name="name" Type="Edm.String" />"#,
        r#"<Property Name="name" Type="Collection(Edm.String)" />"#,
    ) => [(PropertyBecameCollection, "test.api.item/name", Breaking)];

    property_became_single: forward(
        r#"<Property Name="tags" Type="Collection(Edm.String)" />"#,
        r#"<Property Name="tags" Type="Edm.String" />"#,
    ) => [(PropertyBecameSingle, "test.api.item/tags", Breaking)];

    navigation_added: forward(
        r#"<Property Name="displayName" Type="Edm.String" />"#,
        r#"<Property Name="displayName" Type="Edm.String" /><NavigationProperty Name="manager" Type="api.person" />"#,
    ) => [(NavigationAdded, "test.api.person/manager", Additive)];

    navigation_removed: forward(r#"<NavigationProperty Name="owner" Type="api.person" />"#, "")
        => [(NavigationRemoved, "test.api.item/owner", Breaking)];

    navigation_type_changed: forward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="api.group" />"#,
    ) => [(NavigationTypeChanged, "test.api.item/owner", Breaking)];

    navigation_became_non_nullable: forward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="api.person" Nullable="false" />"#,
    ) => [(NavigationBecameNonNullable, "test.api.item/owner", Breaking)];

    navigation_became_nullable: backward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="api.person" Nullable="false" />"#,
    ) => [(NavigationBecameNullable, "test.api.item/owner", Breaking)];

    navigation_became_collection: forward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="Collection(api.person)" />"#,
    ) => [(NavigationBecameCollection, "test.api.item/owner", Breaking)];

    navigation_became_single: backward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="Collection(api.person)" />"#,
    ) => [(NavigationBecameSingle, "test.api.item/owner", Breaking)];

    // A contained single-valued navigation gets get / update / delete under its parent's path.
    containment_added: forward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="api.person" ContainsTarget="true" />"#,
    ) => [
        // `owner` is not exposed by the overlay: no operation appears (exposure is opt-in).
        (ContainmentAdded, "test.api.item/owner", Additive),
    ];

    containment_removed: backward(
        r#"<NavigationProperty Name="owner" Type="api.person" />"#,
        r#"<NavigationProperty Name="owner" Type="api.person" ContainsTarget="true" />"#,
    ) => [
        (ContainmentRemoved, "test.api.item/owner", Breaking),
    ];

    enum_member_added: forward(
        r#"<Member Name="inactive" Value="1" />"#,
        r#"<Member Name="inactive" Value="1" /><Member Name="archived" Value="2" />"#,
    ) => [(EnumMemberAdded, "test.api.state/archived", Additive)];

    enum_member_removed: forward(r#"<Member Name="inactive" Value="1" />"#, "")
        => [(EnumMemberRemoved, "test.api.state/inactive", Breaking)];

    became_non_flags: forward(
        r#"<EnumType Name="colors" IsFlags="true">"#,
        r#"<EnumType Name="colors">"#,
    ) => [(BecameNonFlags, "test.api.colors", Breaking)];

    became_flags: backward(
        r#"<EnumType Name="colors" IsFlags="true">"#,
        r#"<EnumType Name="colors">"#,
    ) => [(BecameFlags, "test.api.colors", Breaking)];

    // The key segment `{item-id}` becomes `{item-name}` in every path under the collection.
    key_changed: forward(
        r#"<EntityType Name="item"><Key><PropertyRef Name="id" /></Key>"#,
        r#"<EntityType Name="item"><Key><PropertyRef Name="name" /></Key>"#,
    ) => [
        (KeyChanged, "test.api.item", Breaking),
        (OperationPathChanged, "get_item", Breaking),
        (OperationPathChanged, "update_item", Breaking),
    ];

    operation_added: forward(
        r#"<Annotation Term="Org.OData.Capabilities.V1.DeleteRestrictions"><Record><PropertyValue Property="Deletable" Bool="false" /></Record></Annotation>"#,
        "",
    ) => [(OperationAdded, "delete_item", Additive)];

    operation_removed: forward(
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" />"#,
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" /><Annotation Term="Org.OData.Capabilities.V1.InsertRestrictions"><Record><PropertyValue Property="Insertable" Bool="false" /></Record></Annotation>"#,
    ) => [(OperationRemoved, "create_item", Breaking)];

    // PATCH becomes PUT: same id, new method.
    operation_method_changed: forward(
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" />"#,
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" /><Annotation Term="Org.OData.Capabilities.V1.UpdateRestrictions"><Record><PropertyValue Property="UpdateMethod" EnumMember="Org.OData.Capabilities.V1.HttpMethod/PUT" /></Record></Annotation>"#,
    ) => [(OperationPathChanged, "update_item", Breaking)];

    // A second `items` collection (under a new `archive`) makes the ids clash, so the existing
    // operations are renamed after their parent (`list_items` → `list_root_items`).
    // Names come from the path alone; the one way an id changes is a walked-through
    // single-valued navigation (no operation of its own) gaining one, so its name joins the ids
    // below it. Microsoft's own restrictions (inline here) narrow what the overlay exposes.
    operation_renamed: (
        edit(BASE, ITEMS, &format!("{ITEMS}{}", archive(false))),
        edit(BASE, ITEMS, &format!("{ITEMS}{}", archive(true))),
    ) => [
        (OperationAdded, "get_archive", Additive),
        (OperationRenamed, "GET /root/archive/things", Breaking),
        (OperationRenamed, "POST /root/archive/things", Breaking),
        (OperationRenamed, "GET /root/archive/things/$count", Breaking),
        (OperationRenamed, "GET /root/archive/things/{group-id}", Breaking),
        (OperationRenamed, "PATCH /root/archive/things/{group-id}", Breaking),
        (OperationRenamed, "DELETE /root/archive/things/{group-id}", Breaking),
    ];

    required_property_added: forward(
        r#"<Property Name="name" Type="Edm.String" />"#,
        r#"<Property Name="name" Type="Edm.String" /><Property Name="code" Type="Edm.String" Nullable="false" />"#,
    ) => [(RequiredPropertyAdded, "test.api.item/code", Breaking)];

    // Restrictions in the document itself narrow what the overlay exposes.
    query_option_added: forward(
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" />"#,
        "",
    ) => [(QueryOptionAdded, "list_items", Additive)];

    query_option_removed: forward(
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" />"#,
        r#"<Annotation Term="Org.OData.Capabilities.V1.TopSupported" Bool="false" /><Annotation Term="Org.OData.Capabilities.V1.SkipSupported" Bool="false" />"#,
    ) => [(QueryOptionRemoved, "list_items", Breaking)];

    // `items` now holds a derived type: every operation keeps its id (ids come from the path),
    // bodies and responses change, and the by-key ones get a new key segment.
    request_body_and_response_changed: forward(
        r#"<NavigationProperty Name="items" Type="Collection(api.item)" ContainsTarget="true" />"#,
        r#"<NavigationProperty Name="items" Type="Collection(api.specialItem)" ContainsTarget="true" />
      </EntityType>
      <EntityType Name="specialItem" BaseType="api.item">"#,
    ) => [
        (TypeAdded, "test.api.specialItem", Additive),
        (NavigationTypeChanged, "test.api.root/items", Breaking),
        (ResponseChanged, "list_items", Breaking),
        (RequestBodyChanged, "create_item", Breaking),
        (ResponseChanged, "create_item", Breaking),
        (OperationPathChanged, "get_item", Breaking),
        (ResponseChanged, "get_item", Breaking),
        (OperationPathChanged, "update_item", Breaking),
        (RequestBodyChanged, "update_item", Breaking),
        (ResponseChanged, "update_item", Breaking),
    ];

    // Members are reported on the type that declares them, not on every type inheriting them.
    inherited_key_reported_once: forward(
        r#"<EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />"#,
        r#"<EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="uid" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" /><Property Name="uid" Type="Edm.String" Nullable="false" />"#,
    ) => [
        (PropertyAdded, "test.api.entity/uid", Additive),
        (KeyChanged, "test.api.entity", Breaking),
    ];

    // Moving a property to the base type changes nothing for the derived type's fields.
    property_moved_to_base_is_additive: forward(
        r#"<Property Name="id" Type="Edm.String" Nullable="false" />
      </EntityType>
      <EntityType Name="root""#,
        r#"<Property Name="id" Type="Edm.String" Nullable="false" /><Property Name="displayName" Type="Edm.String" />
      </EntityType>
      <EntityType Name="root""#,
    ) => [(PropertyAdded, "test.api.entity/displayName", Additive)];
}

#[test]
fn every_change_kind_has_a_case() {
    let covered: BTreeSet<ChangeKind> = COVERED.iter().flat_map(|k| k.iter().copied()).collect();
    let missing: Vec<ChangeKind> = ChangeKind::ALL
        .into_iter()
        .filter(|k| !covered.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "change kinds without a case: {missing:?}"
    );
}

#[test]
fn property_moved_to_base_is_not_removed_from_derived() {
    // Same as the case above, but the property also leaves the derived type.
    let old = BASE.to_string();
    let new = edit(
        &edit(
            BASE,
            r#"<Property Name="displayName" Type="Edm.String" />"#,
            "",
        ),
        r#"<Property Name="id" Type="Edm.String" Nullable="false" />
      </EntityType>
      <EntityType Name="root""#,
        r#"<Property Name="id" Type="Edm.String" Nullable="false" /><Property Name="displayName" Type="Edm.String" />
      </EntityType>
      <EntityType Name="root""#,
    );
    check(
        "moved",
        (old, new),
        &[(PropertyAdded, "test.api.entity/displayName", Additive)],
    );
}

#[test]
fn identical_documents_have_no_changes() {
    let report = diff_texts(BASE, BASE);
    assert!(report.is_empty(), "{report:?}");
    assert!(!report.is_breaking());
    assert!(report.to_markdown("a", "b").contains("No API changes."));
}

fn spec_config() -> SpecConfig {
    SpecConfig::read(&spec_dir()).expect("spec/generator.json")
}

fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

fn reference(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join(name)
}

#[test]
fn committed_spec_against_itself_has_no_changes() {
    let files = spec_files(&spec_dir()).expect("generator.json");
    let old = load_spec(&files).expect("spec loads");
    let new = load_spec(&files).expect("spec loads");
    let report = diff(&old, &new);
    assert!(report.is_empty(), "{}", report.to_markdown("spec", "spec"));
}

#[test]
fn without_the_overlay_nothing_is_exposed() {
    // Exposure is opt-in: the fragment alone exposes no navigation, so dropping the overlay
    // removes every operation (breaking), and adding it back adds them all (additive).
    let fragment =
        load_spec(&spec_files(&spec_dir()).expect("generator.json")[..1]).expect("fragment loads");
    let with_overlay =
        load_spec(&spec_files(&spec_dir()).expect("generator.json")).expect("spec loads");
    let (_, operations, _) = openapi_for(&with_overlay, &spec_config()).expect("operations");
    let report = diff(&with_overlay, &fragment);
    let removed: BTreeSet<&str> = report
        .of_kind(OperationRemoved)
        .map(|c| c.element.as_str())
        .collect();
    let expected: BTreeSet<&str> = operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        removed,
        expected,
        "{}",
        report.to_markdown("spec", "fragment")
    );
    assert!(report.changes.iter().all(|c| c.kind == OperationRemoved));
    let reverse = diff(&fragment, &with_overlay);
    assert_eq!(reverse.count(Impact::Additive), operations.len());
    assert!(!reverse.is_breaking());
}

/// Microsoft's full v1.0 `$metadata` against a copy with one property removed and one enum
/// member added: exactly those two changes.
#[test]
fn real_v1_document_against_a_modified_copy() {
    let path = reference("graph-v1.0-metadata.xml");
    let bytes = std::fs::read(&path).expect("reference document (../shared/reference)");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let modified = edit(
        &edit(
            &text,
            "<EntityType Name=\"user\" BaseType=\"graph.directoryObject\" OpenType=\"true\">\n        <Property Name=\"aboutMe\" Type=\"Edm.String\" />\n",
            "<EntityType Name=\"user\" BaseType=\"graph.directoryObject\" OpenType=\"true\">\n",
        ),
        "<EnumType Name=\"riskLevel\">\n",
        "<EnumType Name=\"riskLevel\">\n        <Member Name=\"critical\" Value=\"6\" />\n",
    );
    let old = model("graph-v1.0-metadata.xml", &text);
    let new = model("modified.xml", &modified);
    let report = diff(&old, &new);
    let got: Vec<(ChangeKind, &str, Impact)> = report
        .changes
        .iter()
        .map(|c| (c.kind, c.element.as_str(), c.impact()))
        .collect();
    assert_eq!(
        got,
        vec![
            (PropertyRemoved, "microsoft.graph.user/aboutMe", Breaking),
            (
                EnumMemberAdded,
                "microsoft.graph.riskLevel/critical",
                Additive
            ),
        ],
        "{}",
        report.to_markdown("v1.0", "modified")
    );
    assert_eq!(report.changes[0].section(), Section::Properties);
    assert_eq!(report.changes[0].old.as_deref(), Some("Edm.String"));
    // v1.0's containment is small enough to derive every operation: they were compared too, and
    // neither edit changes one.
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // And the document against itself: nothing.
    assert!(diff(&old, &old).is_empty());
}

/// Microsoft's beta document has far too many containment paths to derive operations for
/// (the walk is exponential); the diff does not try, and finishes.
#[test]
fn real_beta_document_against_itself() {
    let path = reference("graph-beta-usnat-metadata.xml");
    let document = graph_odata_codegen::csdl::read_file(&path).expect("beta document");
    let model = Model::build(vec![document]).expect("resolves");
    assert!(graph_odata_codegen::diff::count_navigation_paths(&model, 10_000) > 10_000);
    let started = std::time::Instant::now();
    let report = diff(&model, &model);
    assert!(report.is_empty(), "{}", report.to_markdown("beta", "beta"));
    assert!(
        report
            .warnings
            .iter()
            .all(|w| w.contains("more than 10000 contained navigation paths")),
        "{:?}",
        report.warnings
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

// ---- The command line -------------------------------------------------------------------------

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("graph-spec-diff-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write scratch file");
    path
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn graph_spec(args: &[&std::ffi::OsStr]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_graph-spec"))
        .args(args)
        .output()
        .expect("graph-spec runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new($a)),*] };
}

/// A new version of [`BASE`] with one breaking and one additive change.
fn breaking_and_additive() -> String {
    edit(
        &edit(BASE, r#"<Property Name="name" Type="Edm.String" />"#, ""),
        r#"<Member Name="inactive" Value="1" />"#,
        r#"<Member Name="inactive" Value="1" /><Member Name="archived" Value="2" />"#,
    )
}

/// A new version of [`BASE`] with one additive change.
fn additive_only() -> String {
    edit(
        BASE,
        r#"<Member Name="inactive" Value="1" />"#,
        r#"<Member Name="inactive" Value="1" /><Member Name="archived" Value="2" />"#,
    )
}

#[test]
fn cli_markdown_report_by_default() {
    let dir = scratch("markdown");
    let old = write(&dir, "old.xml", BASE);
    let new = write(&dir, "new.xml", &breaking_and_additive());
    let run = graph_spec(args!("diff", &old, &new));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("# API changes: "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("**2 changes: 1 breaking, 1 additive.**"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("## Properties (1)"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "| **breaking** | property removed | `test.api.item/name` | `Edm.String` |  |"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| additive | enum member added | `test.api.state/archived` |  |  |"),
        "{}",
        run.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_json_report() {
    let dir = scratch("json");
    let old = write(&dir, "old.xml", BASE);
    let new = write(&dir, "new.xml", &breaking_and_additive());
    let run = graph_spec(args!("diff", "--json", &old, &new));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON report");
    assert_eq!(
        json,
        serde_json::json!({
            "breaking": 1,
            "additive": 1,
            "changes": [
                {
                    "section": "properties",
                    "kind": "property_removed",
                    "impact": "breaking",
                    "element": "test.api.item/name",
                    "old": "Edm.String",
                    "new": null
                },
                {
                    "section": "enums",
                    "kind": "enum_member_added",
                    "impact": "additive",
                    "element": "test.api.state/archived",
                    "old": null,
                    "new": null
                }
            ],
            "warnings": []
        })
    );
    // The library's serialization is the CLI's.
    let report = diff_texts(BASE, &breaking_and_additive());
    assert_eq!(serde_json::to_value(&report).expect("serializes"), json);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_deny_breaking_exit_codes() {
    let dir = scratch("deny");
    let old = write(&dir, "old.xml", BASE);
    let breaking = write(&dir, "breaking.xml", &breaking_and_additive());
    let additive = write(&dir, "additive.xml", &additive_only());
    let run = graph_spec(args!("diff", "--deny-breaking", &old, &breaking));
    assert_eq!(run.code, 1, "breaking change: {}", run.stderr);
    assert!(
        run.stdout.contains("property removed"),
        "report still printed"
    );
    let run = graph_spec(args!("diff", "--deny-breaking", "--json", &old, &breaking));
    assert_eq!(run.code, 1, "breaking change, JSON: {}", run.stderr);
    let run = graph_spec(args!("diff", "--deny-breaking", &old, &additive));
    assert_eq!(run.code, 0, "additive change only: {}", run.stderr);
    let run = graph_spec(args!("diff", "--deny-breaking", &old, &old));
    assert_eq!(run.code, 0, "no change: {}", run.stderr);
    assert!(run.stdout.contains("No API changes."), "{}", run.stdout);
    // Without --deny-breaking a breaking change is only reported.
    let run = graph_spec(args!("diff", &old, &breaking));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `text` contains `file:LINE:COLUMN:`.
fn names_position(text: &str, file: &Path) -> bool {
    let file = file.display().to_string();
    text.match_indices(&file).any(|(at, _)| {
        let rest = &text[at + file.len()..];
        let mut parts = rest.splitn(4, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) && l != "0")
            && parts
                .next()
                .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()) && c != "0")
    })
}

#[test]
fn cli_bad_input_exits_with_2_and_a_position() {
    let dir = scratch("bad");
    let good = write(&dir, "good.xml", BASE);
    let truncated = write(&dir, "truncated.xml", &BASE[..BASE.len() / 2]);
    let not_csdl = write(
        &dir,
        "not-csdl.xml",
        "<?xml version=\"1.0\"?>\n<html><body/></html>\n",
    );
    let dangling = write(
        &dir,
        "dangling.xml",
        &edit(BASE, r#"Type="api.details""#, r#"Type="api.nowhere""#),
    );
    let mut not_utf8 = b"<?xml version=\"1.0\"?>\n<edmx:Edmx \xff/>\n".to_vec();
    not_utf8.extend_from_slice(b"\n");
    let not_utf8_path = dir.join("latin1.xml");
    std::fs::write(&not_utf8_path, not_utf8).expect("write");
    for bad in [&truncated, &not_csdl, &dangling, &not_utf8_path] {
        for (old, new) in [(&good, bad), (bad, &good)] {
            let run = graph_spec(args!("diff", old, new));
            assert_eq!(run.code, 2, "{}: {}", bad.display(), run.stderr);
            assert!(run.stdout.is_empty(), "no report on bad input");
            assert!(
                names_position(&run.stderr, bad),
                "{}: error names file:line:column: {}",
                bad.display(),
                run.stderr
            );
        }
    }
    assert!(graph_spec(args!("diff", &good, &dangling))
        .stderr
        .contains("api.nowhere"));
    // A missing file names the file.
    let missing = dir.join("missing.xml");
    let run = graph_spec(args!("diff", &good, &missing));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.xml"), "{}", run.stderr);
    // So does a bad openapi input, and no output file is left behind.
    let out = dir.join("openapi.json");
    let run = graph_spec(args!("openapi", &truncated, "-o", &out));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(names_position(&run.stderr, &truncated), "{}", run.stderr);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("scratch")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("openapi"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // A full document: no OpenAPI for all of Graph, and a hint to slice it.
    let run = graph_spec(args!(
        "openapi",
        &reference("graph-beta-usnat-metadata.xml")
    ));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("slice"), "{}", run.stderr);
    // Usage errors (clap) exit with 2 too.
    assert_eq!(graph_spec(args!("diff", &good)).code, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_spec_directories_and_overlay() {
    let spec = spec_dir();
    let fragment = spec.join("securityCopilot.csdl.xml");
    let overlay = spec.join("overlay.xml");
    // The committed spec against itself.
    let run = graph_spec(args!("diff", "--deny-breaking", &spec, &spec));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("No API changes."), "{}", run.stdout);
    // The fragment alone exposes nothing (exposure is opt-in): going to the spec only adds
    // operations, and going back removes them, which is breaking.
    let run = graph_spec(args!("diff", "--deny-breaking", &fragment, &spec));
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("operation added"), "{}", run.stdout);
    let run = graph_spec(args!("diff", "--deny-breaking", &spec, &fragment));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("operation removed"), "{}", run.stdout);
    // With --overlay the file gets the same overlay as the directory: no changes.
    let run = graph_spec(args!(
        "diff",
        "--deny-breaking",
        "--overlay",
        &overlay,
        &fragment,
        &spec
    ));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("No API changes."), "{}", run.stdout);
}

fn expected_openapi() -> String {
    let model = load_spec(&spec_files(&spec_dir()).expect("generator.json")).expect("spec loads");
    let (document, _, _) = openapi_for(&model, &spec_config()).expect("OpenAPI");
    serde_json::to_string_pretty(&document).expect("JSON") + "\n"
}

#[test]
fn cli_openapi_prints_what_build_rs_feeds_progenitor() {
    let expected = expected_openapi();
    let spec = spec_dir();
    let run = graph_spec(args!("openapi", &spec));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected);
    // The same from the files, in merge order.
    let run = graph_spec(args!(
        "openapi",
        &spec.join("securityCopilot.csdl.xml"),
        &spec.join("overlay.xml")
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected);
    // To a file: the same text, and nothing else left in the directory.
    let dir = scratch("openapi");
    let out = dir.join("openapi.json");
    std::fs::write(&out, "stale").expect("write");
    let run = graph_spec(args!("openapi", &spec, "-o", &out));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).expect("output"), expected);
    let entries = std::fs::read_dir(&dir).expect("scratch").count();
    assert_eq!(entries, 1, "only the output file");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Round trip: slice → OpenAPI → progenitor --------------------------------------------------

const SECURITY_COPILOT: &str = "microsoft.graph.security.securityCopilot";

/// The securityCopilot schema of `spec/` (and the navigation reaching it from `security`) inside
/// Microsoft's full v1.0 document, as it sits in the real beta `$metadata`.
fn synthetic_full_document() -> String {
    let v1 = std::fs::read_to_string(reference("graph-v1.0-metadata.xml")).expect("v1.0 document");
    let fragment =
        std::fs::read_to_string(spec_dir().join("securityCopilot.csdl.xml")).expect("fragment");
    let element = |text: &str, start: &str, end: &str| -> String {
        let from = text
            .find(start)
            .unwrap_or_else(|| panic!("{start} in the fragment"));
        let to = from + text[from..].find(end).expect("element end") + end.len();
        text[from..to].to_string()
    };
    let schema = element(
        &fragment,
        r#"<Schema Namespace="microsoft.graph.security.securityCopilot""#,
        "</Schema>",
    );
    let navigation = element(
        &fragment,
        r#"<NavigationProperty Name="securityCopilot""#,
        "</NavigationProperty>",
    );
    let copilot_type = element(
        &fragment,
        r#"<EntityType Name="securityCopilot""#,
        "</EntityType>",
    );
    let security = r#"<EntityType Name="security">"#;
    let document = edit(&v1, security, &format!("{security}\n        {navigation}"));
    let security_type = element(&document, security, "</EntityType>");
    let document = edit(
        &document,
        &security_type,
        &format!("{security_type}\n      {copilot_type}"),
    );
    edit(
        &document,
        "</edmx:DataServices>",
        &format!("  {schema}\n  </edmx:DataServices>"),
    )
}

/// Slices `namespace` out of `input`, applies `overlay`, and generates the client from it.
fn slice_and_generate(
    input: &Path,
    namespace: &str,
    overlay: Option<&Path>,
    dir: &Path,
) -> (Model, graph_odata_codegen::generate::Generated) {
    slice_and_generate_except(input, namespace, overlay, dir, &[])
}

/// [`slice_and_generate`], leaving the navigations with these overlay targets unexposed.
fn slice_and_generate_except(
    input: &Path,
    namespace: &str,
    overlay: Option<&Path>,
    dir: &Path,
    unexposed: &[&str],
) -> (Model, graph_odata_codegen::generate::Generated) {
    use graph_odata_codegen::slice::slice_file;
    let out = dir.join(format!("{namespace}.csdl.xml"));
    slice_file(input, &[namespace.to_string()], &out)
        .unwrap_or_else(|e| panic!("slice {namespace} of {}: {e}", input.display()));
    let mut files = vec![out.clone()];
    match overlay {
        Some(overlay) => files.push(overlay.to_path_buf()),
        None => {
            // Exposure is opt-in: expose every navigation of the slice, as `new-crate` would.
            let bare = load_spec(&files).unwrap_or_else(|e| panic!("slice loads: {e}"));
            let text = graph_odata_codegen::overlay::expose_where(&bare, |entry| {
                !unexposed.contains(&entry.target.as_str())
            })
            .unwrap_or_else(|e| panic!("{namespace}: {e}"));
            let path = dir.join(format!("{namespace}.overlay.xml"));
            std::fs::write(&path, text).expect("write overlay");
            files.push(path);
        }
    }
    let model = load_spec(&files).unwrap_or_else(|e| panic!("slice of {namespace} loads: {e}"));
    let committed = spec_config();
    let config = if namespace == committed.namespace {
        committed
    } else {
        SpecConfig::for_namespace(namespace, namespace, "beta")
    };
    let generated = graph_odata_codegen::generate::generate(&model, &config)
        .unwrap_or_else(|e| panic!("{namespace}: generation fails: {e}"));
    assert!(
        !generated.operations.is_empty(),
        "{namespace}: the slice keeps a containment path, so there are operations"
    );
    assert!(!generated.client.is_empty() && !generated.models.is_empty());
    let (document, _, _) = openapi_for(&model, &config).expect("OpenAPI");
    assert_eq!(
        document, generated.openapi,
        "{namespace}: the OpenAPI progenitor got"
    );
    (model, generated)
}

#[test]
fn round_trip_security_copilot_from_a_full_document() {
    let dir = scratch("round-trip-copilot");
    let full = write(&dir, "full.xml", &synthetic_full_document());
    let overlay = spec_dir().join("overlay.xml");
    let (sliced, generated) = slice_and_generate(&full, SECURITY_COPILOT, Some(&overlay), &dir);
    // The same operations as the committed spec, and no API change for callers.
    let committed =
        load_spec(&spec_files(&spec_dir()).expect("generator.json")).expect("spec loads");
    let report = diff(&committed, &sliced);
    assert!(
        !report.is_breaking(),
        "{}",
        report.to_markdown("spec/", "slice of the synthetic document")
    );
    assert!(
        report.section(Section::Operations).next().is_none(),
        "{}",
        report.to_markdown("spec/", "slice")
    );
    let (_, committed_operations, _) = openapi_for(&committed, &spec_config()).expect("operations");
    assert_eq!(generated.operations, committed_operations);
    // The committed fragment slices to itself, too.
    let fragment = spec_dir().join("securityCopilot.csdl.xml");
    let (from_fragment, _) = slice_and_generate(&fragment, SECURITY_COPILOT, Some(&overlay), &dir);
    let report = diff(&committed, &from_fragment);
    assert!(
        report.is_empty(),
        "{}",
        report.to_markdown("spec/", "slice of spec/")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn round_trip_v1_call_records() {
    let dir = scratch("round-trip-v1-call-records");
    let v1 = reference("graph-v1.0-metadata.xml");
    slice_and_generate(&v1, "microsoft.graph.callRecords", None, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn round_trip_beta_usnat_identity_governance() {
    let dir = scratch("round-trip-usnat-identity-governance");
    let beta = reference("graph-beta-usnat-metadata.xml");
    slice_and_generate(&beta, "microsoft.graph.identityGovernance", None, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

// `site` has both `termStore` (single) and `termStores` (collection): `site.term_store()` and
// `site.term_store(id)` would be one Rust name for two wire names. Exposing both fails at the
// CSDL element; exposing one of them generates.
fn term_store_round_trip(input: &Path, dir: &Path) {
    use graph_odata_codegen::slice::slice_file;
    let out = dir.join("both.csdl.xml");
    slice_file(input, &["microsoft.graph.termStore".to_string()], &out).expect("slice");
    let bare = load_spec(std::slice::from_ref(&out)).expect("slice loads");
    let overlay = dir.join("both.overlay.xml");
    std::fs::write(
        &overlay,
        graph_odata_codegen::overlay::expose_all(&bare).unwrap(),
    )
    .unwrap();
    let model = load_spec(&[out.clone(), overlay]).expect("loads");
    let Err(error) = graph_odata_codegen::generate::generate(
        &model,
        &SpecConfig::for_namespace("microsoft.graph.termStore", "termStore", "v1.0"),
    ) else {
        return; // This document has no `site` (termStore is a root singleton there).
    };
    let error = error.to_string();
    assert!(
        error.contains("both.csdl.xml:")
            && error.contains("<NavigationProperty Name=\"termStores\">"),
        "the error names the file, position and element: {error}"
    );
    slice_and_generate_except(
        input,
        "microsoft.graph.termStore",
        None,
        dir,
        &["microsoft.graph.site/termStore"],
    );
}

#[test]
fn round_trip_v1_term_store() {
    let dir = scratch("round-trip-v1-term-store");
    term_store_round_trip(&reference("graph-v1.0-metadata.xml"), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn round_trip_beta_usnat_term_store() {
    let dir = scratch("round-trip-usnat-term-store");
    term_store_round_trip(&reference("graph-beta-usnat-metadata.xml"), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}
