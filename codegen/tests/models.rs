//! The model generator's shapes for what Graph beta sends: optional and tri-state properties,
//! flags sets, open enums whose catch-all never clashes with a member, boxes for recursion.

use graph_security_copilot_codegen::csdl::{read_str, Model};
use graph_security_copilot_codegen::operations::operations;
use graph_security_copilot_codegen::rust_models::{models, TypeSet};

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
    let types = TypeSet::new(&model, &["x.api"], &ops);
    let file: syn::File = syn::parse2(models(&model, &types)).unwrap();
    prettyplease::unparse(&file)
}

#[test]
fn property_shapes() {
    let code = generated();
    let squash = code.split_whitespace().collect::<String>();
    assert!(
        squash.contains("pubid:Option<String>"),
        "non-nullable: Option<T>"
    );
    assert!(
        squash.contains("publabel:Option<Option<String>>"),
        "nullable: tri-state"
    );
    assert!(squash.contains("pubsize:Option<i64>"));
    assert!(squash.contains("with=\"crate::codec::int64::option\""));
    assert!(squash.contains("pubseen:Option<Option<::chrono::DateTime<::chrono::Utc>>>"));
    assert!(squash.contains("with=\"crate::codec::datetime::nullable\""));
    assert!(
        squash.contains("pubkinds:Option<crate::codec::FlagSet<Kinds>>"),
        "flags are sets"
    );
    assert!(
        squash.contains("pubtype_:Option<Option<String>>"),
        "keywords escaped"
    );
    assert!(
        squash.contains("pubnext:Option<Option<Box<Node>>>"),
        "recursion boxed"
    );
    assert!(
        squash.contains("pubchildren:Option<Vec<Node>>"),
        "collections need no box"
    );
    assert!(squash.contains(
        "#[serde(flatten)]pubadditional_properties:::serde_json::Map<String,::serde_json::Value>"
    ));
}

#[test]
fn open_enum_catch_all_avoids_member_names() {
    let code = generated();
    assert!(
        code.contains("Unrecognized,"),
        "the member `unrecognized` keeps its name"
    );
    assert!(code.contains("UnrecognizedValue(String)"), "{code}");
}
