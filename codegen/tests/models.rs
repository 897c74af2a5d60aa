//! The model generator's shapes for what Graph beta sends: optional and tri-state properties,
//! flags sets, open enums whose catch-all never clashes with a member, boxes for recursion.

use graph_odata_codegen::csdl::{read_str, Model};
use graph_odata_codegen::operations::operations;
use graph_odata_codegen::rust_models::{models, TypeSet};

const DOC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="x.api" Alias="api" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="kinds" IsFlags="true"><Member Name="a" Value="1"/><Member Name="b" Value="2"/></EnumType>
      <EnumType Name="odd"><Member Name="unrecognized" Value="0"/><Member Name="other" Value="1"/></EnumType>
      <ComplexType Name="node">
        <Property Name="next" Type="api.node"/>
        <Property Name="children" Type="Collection(api.node)"/>
      </ComplexType>
      <EntityType Name="thing">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.String" Nullable="false"/>
        <Property Name="label" Type="Edm.String"/>
        <Property Name="size" Type="Edm.Int64" Nullable="false"/>
        <Property Name="seen" Type="Edm.DateTimeOffset"/>
        <Property Name="kinds" Type="api.kinds" Nullable="false"/>
        <Property Name="odd" Type="api.odd"/>
        <Property Name="type" Type="Edm.String"/>
        <Property Name="tree" Type="api.node"/>
      </EntityType>
      <EntityContainer Name="c"><EntitySet Name="things" EntityType="api.thing"/></EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#;

fn generated() -> String {
    let model = Model::build(vec![read_str("x.xml", DOC).unwrap()]).unwrap();
    let ops = operations(&model).unwrap();
    let types = TypeSet::new(&model, &["x.api"], &ops).unwrap();
    let file: syn::File = syn::parse2(models(&model, &types).unwrap()).unwrap();
    prettyplease::unparse(&file)
}

#[test]
fn property_shapes() {
    let code = generated();
    let squash = code
        .split_whitespace()
        .collect::<String>()
        .replace(",>", ">");
    assert!(
        squash.contains("pubid:Option<String>"),
        "non-nullable: Option<T>"
    );
    assert!(
        squash.contains("publabel:Option<Option<String>>"),
        "nullable: tri-state"
    );
    assert!(squash.contains("pubsize:Option<i64>"));
    assert!(squash.contains("with=\"::graph_odata_runtime::__private::codec::int64::option\""));
    assert!(squash.contains("pubseen:Option<Option<::chrono::DateTime<::chrono::Utc>>>"));
    assert!(squash.contains("with=\"::graph_odata_runtime::__private::codec::datetime::nullable\""));
    assert!(
        squash.contains("pubkinds:Option<::graph_odata_runtime::__private::codec::FlagSet<crate::models::Kinds>>"),
        "flags are sets"
    );
    assert!(
        squash.contains("pubtype_:Option<Option<String>>"),
        "keywords escaped"
    );
    assert!(
        squash.contains("pubnext:Option<Option<Box<crate::models::Node>>>"),
        "recursion boxed"
    );
    assert!(
        squash.contains("pubchildren:Option<Vec<crate::models::Node>>"),
        "collections need no box"
    );
    assert!(squash.contains(
        "#[serde(flatten)]pubadditional_properties:::serde_json::Map<String,::serde_json::Value>"
    ));
}

#[test]
fn open_enum_catch_all_is_always_unrecognized() {
    let code = generated();
    // The catch-all's name never depends on the members: the member `unrecognized` is the one
    // that gets the reserved-name underscore.
    assert!(
        code.contains("Unrecognized_,"),
        "the member `unrecognized` is `Unrecognized_`: {code}"
    );
    assert!(code.contains("Unrecognized(String)"), "{code}");
}

#[test]
fn models_are_non_exhaustive_with_constructor_setters_and_accessors() {
    let code = generated();
    let squash = code
        .split_whitespace()
        .collect::<String>()
        .replace(",>", ">");
    assert!(squash.contains("#[non_exhaustive]#[allow(non_camel_case_types)]pubstructThing"));
    assert!(squash.contains("#[non_exhaustive]#[allow(non_camel_case_types)]pubenumOdd"));
    // Required: non-nullable, no default, not computed, not the key.
    assert!(
        squash.contains("pubfnnew(size:implInto<i64>,kinds:implInto<::graph_odata_runtime::__private::codec::FlagSet<crate::models::Kinds>>,)->Self"),
        "{code}"
    );
    assert!(squash.contains("pubfnwith_label(mutself,value:implInto<String>)->Self"));
    assert!(
        squash.contains("pubfnlabel(&self)->Option<&str>"),
        "nullable strings flatten"
    );
    assert!(
        squash.contains("pubfnsize(&self)->Option<i64>"),
        "copies by value"
    );
    assert!(
        squash.contains("pubfnchildren(&self)->&[crate::models::Node]"),
        "collections as slices"
    );
    assert!(squash.contains("pubfntype_(&self)->Option<&str>"));
    assert!(squash.contains("pubfnwith_type_(mutself"));
    assert!(
        squash.contains("pubfnnext(&self)->Option<&crate::models::Node>"),
        "boxes deref"
    );
}
