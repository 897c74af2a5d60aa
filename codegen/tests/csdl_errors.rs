//! Malformed or inconsistent CSDL fails with an error naming the file, line, column and element.

use graph_odata_codegen::csdl::{read_str, CsdlError, CsdlErrorKind, Model};

const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="test.ns" Alias="t" xmlns="http://docs.oasis-open.org/odata/ns/edm">
"#;
const TAIL: &str = "    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n";

fn doc(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

fn build(body: &str) -> Result<Model, CsdlError> {
    Model::build(vec![read_str("test.xml", &doc(body))?])
}

fn line_of(text: &str, needle: &str) -> u32 {
    let offset = text.find(needle).expect("needle in text");
    text[..offset].matches('\n').count() as u32 + 1
}

#[test]
fn broken_xml_names_line_and_column() {
    let text = doc("      <EntityType Name=\"a\">\n        <Property Name=\"x\" Type=\"Edm.String\"\n      </EntityType>\n");
    let error = read_str("broken.xml", &text).unwrap_err();
    assert!(matches!(error.kind, CsdlErrorKind::Xml(_)), "{error}");
    assert_eq!(&*error.location.file, "broken.xml");
    assert!(
        error.location.position.line >= line_of(&text, "<Property"),
        "{error}"
    );
    assert!(error.to_string().starts_with("broken.xml:"), "{error}");
}

#[test]
fn truncated_file_is_an_error_naming_the_open_element() {
    let text = doc("      <EntityType Name=\"a\">\n");
    let truncated = &text[..text.find("</Schema>").unwrap()];
    let error = read_str("cut.xml", truncated).unwrap_err();
    assert!(matches!(error.kind, CsdlErrorKind::Xml(_)), "{error}");
    assert!(
        error.element.contains("EntityType") || error.element.contains("Schema"),
        "{error}"
    );
}

#[test]
fn non_csdl_root_is_rejected() {
    let error = read_str("x.xml", "<html><body/></html>").unwrap_err();
    assert!(matches!(error.kind, CsdlErrorKind::NotCsdl(_)), "{error}");
    assert_eq!(error.location.position.line, 1);
}

#[test]
fn unknown_type_reference_names_the_property_and_line() {
    let body = "      <EntityType Name=\"a\">\n        <Key><PropertyRef Name=\"id\"/></Key>\n        <Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\"/>\n        <Property Name=\"b\" Type=\"t.missing\"/>\n      </EntityType>\n";
    let text = doc(body);
    let error = build(body).unwrap_err();
    assert_eq!(
        error.kind,
        CsdlErrorKind::UnknownType("t.missing".to_string())
    );
    assert_eq!(
        error.element,
        "<Property Name=\"b\"> of <EntityType Name=\"a\">"
    );
    assert_eq!(
        error.location.position.line,
        line_of(&text, "<Property Name=\"b\"")
    );
    assert_eq!(error.location.position.column, 9);
}

#[test]
fn unknown_edm_primitive_is_rejected() {
    let body = "      <ComplexType Name=\"c\">\n        <Property Name=\"when\" Type=\"Edm.DateTime\"/>\n      </ComplexType>\n";
    let error = build(body).unwrap_err();
    assert_eq!(
        error.kind,
        CsdlErrorKind::UnknownPrimitive("Edm.DateTime".to_string())
    );
    assert!(error.to_string().contains("Edm.DateTime"), "{error}");
}

#[test]
fn base_type_cycle_is_rejected() {
    let body = "      <ComplexType Name=\"a\" BaseType=\"t.b\"/>\n      <ComplexType Name=\"b\" BaseType=\"test.ns.a\"/>\n";
    let error = build(body).unwrap_err();
    match &error.kind {
        CsdlErrorKind::BaseTypeCycle(chain) => {
            assert_eq!(chain.first(), chain.last(), "{chain:?}");
            assert!(chain.len() >= 3, "{chain:?}");
        }
        other => panic!("expected a cycle, got {other:?}"),
    }
}

#[test]
fn duplicate_type_and_property_names_are_rejected() {
    let body = "      <ComplexType Name=\"a\"/>\n      <EnumType Name=\"a\"><Member Name=\"x\"/></EnumType>\n";
    let error = build(body).unwrap_err();
    assert!(
        matches!(&error.kind, CsdlErrorKind::Duplicate { what: "type", name, .. } if name == "test.ns.a"),
        "{error}"
    );

    let body = "      <ComplexType Name=\"c\">\n        <Property Name=\"x\" Type=\"Edm.String\"/>\n        <Property Name=\"x\" Type=\"Edm.Int32\"/>\n      </ComplexType>\n";
    let error = build(body).unwrap_err();
    match &error.kind {
        CsdlErrorKind::Duplicate { what, name, first } => {
            assert_eq!((*what, name.as_str()), ("property", "x"));
            assert!(first.position.line < error.location.position.line);
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
}

#[test]
fn overlay_targeting_a_missing_element_fails() {
    let fragment = read_str(
        "fragment.xml",
        &doc("      <ComplexType Name=\"c\">\n        <Property Name=\"x\" Type=\"Edm.String\"/>\n      </ComplexType>\n"),
    )
    .unwrap();
    let overlay_text = format!(
        "{}{}{}",
        HEAD.replace("test.ns\" Alias=\"t\"", "overlay.ns\""),
        "      <Annotations Target=\"test.ns.c/y\">\n        <Annotation Term=\"Org.OData.Core.V1.Computed\" Bool=\"true\"/>\n      </Annotations>\n",
        TAIL
    );
    let overlay = read_str("overlay.xml", &overlay_text).unwrap();
    let error =
        Model::build_with_overlays(vec![fragment.clone()], vec![overlay.clone()]).unwrap_err();
    assert_eq!(
        error.kind,
        CsdlErrorKind::UnknownTarget("test.ns.c/y".to_string())
    );
    assert_eq!(&*error.location.file, "overlay.xml");
    assert_eq!(
        error.location.position.line,
        line_of(&overlay_text, "<Annotations")
    );
    // The same block in a base document is tolerated and reported.
    let model = Model::build(vec![fragment, overlay]).unwrap();
    assert_eq!(model.warnings().len(), 1);
}

#[test]
fn invalid_attribute_values_are_rejected() {
    let body = "      <ComplexType Name=\"c\">\n        <Property Name=\"x\" Type=\"Edm.String\" Nullable=\"maybe\"/>\n      </ComplexType>\n";
    let error = build(body).unwrap_err();
    assert_eq!(
        error.kind,
        CsdlErrorKind::InvalidAttribute {
            attribute: "Nullable",
            value: "maybe".to_string()
        }
    );
    let body = "      <ComplexType Name=\"c\">\n        <Property Type=\"Edm.String\"/>\n      </ComplexType>\n";
    assert_eq!(
        build(body).unwrap_err().kind,
        CsdlErrorKind::MissingAttribute("Name")
    );
}

#[test]
fn not_utf8_is_rejected_and_a_bom_is_accepted() {
    let mut bytes = doc("").into_bytes();
    let position = bytes.len() - 20;
    bytes[position] = 0xff;
    let error = graph_odata_codegen::csdl::read_bytes("latin1.xml", &bytes).unwrap_err();
    assert_eq!(error.kind, CsdlErrorKind::NotUtf8);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(doc("").as_bytes());
    assert!(graph_odata_codegen::csdl::read_bytes("bom.xml", &with_bom).is_ok());
}

#[test]
fn keys_other_than_id_and_flags_enums_are_read() {
    let body = r#"      <EnumType Name="f" IsFlags="true"><Member Name="a" Value="1"/><Member Name="b" Value="2"/></EnumType>
      <EntityType Name="plugin">
        <Property Name="name" Type="Edm.String" Nullable="false"/>
        <Property Name="kinds" Type="t.f"/>
        <Key><PropertyRef Name="name"/></Key>
      </EntityType>
"#;
    let model = build(body).unwrap();
    assert_eq!(model.key("test.ns.plugin"), vec!["name".to_string()]);
    assert!(model.enum_type("test.ns.f").unwrap().is_flags);
    let kinds = &model.structured("test.ns.plugin").unwrap().properties[1];
    assert_eq!(kinds.type_ref.name, "test.ns.f", "alias resolved");
}
