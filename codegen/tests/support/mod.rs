//! Shared by the refresh and semver tests: scratch copies of `spec/`, full documents built by
//! embedding an (edited) fragment into Microsoft's real v1.0 `$metadata`, and the edits that
//! stand for Microsoft's next beta document.
#![allow(dead_code)]

use std::path::PathBuf;

use graph_security_copilot_codegen::embed::embed;
use graph_security_copilot_codegen::refresh::{
    refresh, spec_outputs, RefreshOptions, RefreshReport,
};

pub fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

pub fn host() -> String {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference"
    ))
    .join("graph-v1.0-metadata.xml");
    std::fs::read_to_string(path).expect("../shared/reference/graph-v1.0-metadata.xml")
}

pub fn fragment() -> String {
    std::fs::read_to_string(spec_dir().join("securityCopilot.csdl.xml")).unwrap()
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "test bug: {from:?} must occur once"
    );
    text.replacen(from, to, 1)
}

pub const SESSION_PROMPTS: &str = r#"<NavigationProperty Name="prompts" Type="Collection(securityCopilot.prompt)" ContainsTarget="true">"#;
pub const LAST_EVALUATION_STATE: &str = r#"<Member Name="unknownFutureValue" Value="8" />"#;
pub const SESSION_TYPE: &str = r#"<EntityType Name="session" BaseType="graph.entity">"#;

/// Additive only: an enum member, a nullable property, a property that differs from an existing
/// one only in case, a new entity type with a containing navigation, and a bound action.
pub fn additive_fragment() -> String {
    let text = edit(
        &fragment(),
        LAST_EVALUATION_STATE,
        &format!(r#"{LAST_EVALUATION_STATE}<Member Name="paused" Value="9" />"#),
    );
    let text = edit(
        &text,
        SESSION_PROMPTS,
        &format!(
            r#"<Property Name="priority" Type="Edm.Int32" /><Property Name="DisplayName" Type="Edm.String" /><NavigationProperty Name="notes" Type="Collection(securityCopilot.note)" ContainsTarget="true" />{SESSION_PROMPTS}"#
        ),
    );
    edit(
        &text,
        SESSION_TYPE,
        &format!(
            r#"<EntityType Name="note" BaseType="graph.entity"><Property Name="text" Type="Edm.String" /></EntityType>
      <Action Name="cancel" IsBound="true"><Parameter Name="bindingParameter" Type="securityCopilot.evaluation" /></Action>
      {SESSION_TYPE}"#
        ),
    )
}

/// Breaking: `prompt.skillName` removed, and `workspace.plugins` (an overlay target) removed.
pub fn breaking_fragment() -> String {
    let text = fragment();
    let start = text.find(r#"<Property Name="skillName""#).unwrap();
    let end = start + text[start..].find("</Property>").unwrap() + "</Property>".len();
    let text = format!("{}{}", &text[..start], &text[end..]);
    let start = text.find(r#"<NavigationProperty Name="plugins""#).unwrap();
    let end = start
        + text[start..].find("</NavigationProperty>").unwrap()
        + "</NavigationProperty>".len();
    format!("{}{}", &text[..start], &text[end..])
}

/// A scratch copy of `spec/` (fragment, overlay, golden files) and a full document beside it.
pub struct Case {
    pub dir: PathBuf,
}

impl Case {
    pub fn new(name: &str, fragment: &str) -> Case {
        let dir = std::env::temp_dir().join(format!("graph-spec-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let spec = dir.join("spec");
        for (path, bytes) in spec_outputs(&spec_dir()) {
            let target = spec.join(&path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, bytes).unwrap();
        }
        let full = embed(&host(), fragment).expect("embed");
        std::fs::write(dir.join("FULL.xml"), full).unwrap();
        Case { dir }
    }

    pub fn spec(&self) -> PathBuf {
        self.dir.join("spec")
    }

    pub fn metadata(&self) -> PathBuf {
        self.dir.join("FULL.xml")
    }

    pub fn refresh(&self) -> RefreshReport {
        refresh(&RefreshOptions::new(self.metadata(), self.spec())).expect("refresh")
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Names that break naive generators: keywords (`self`, `Self`, `crate`, `super`, `type`),
/// the generator's own items (`new`, `withDisplayName`, `odataType`, `additionalProperties`),
/// case twins, non-identifiers, a type named like a prelude type, a type whose simple name is
/// also `microsoft.graph.entity`'s, and enum members `unrecognized` and `Self`.
pub fn hostile_fragment() -> String {
    let properties = [
        "self",
        "Self",
        "crate",
        "super",
        "type",
        "new",
        "withDisplayName",
        "odataType",
        "additionalProperties",
        "DisplayName",
        "display_name",
        "@odata.etag",
        "2fa",
        "async",
    ]
    .iter()
    .map(|name| format!(r#"<Property Name="{name}" Type="Edm.String" />"#))
    .collect::<String>();
    let text = edit(
        &fragment(),
        SESSION_PROMPTS,
        &format!("{properties}{SESSION_PROMPTS}"),
    );
    let text = edit(
        &text,
        LAST_EVALUATION_STATE,
        &format!(
            r#"{LAST_EVALUATION_STATE}<Member Name="unrecognized" Value="9" /><Member Name="Self" Value="10" /><Member Name="self" Value="11" />"#
        ),
    );
    edit(
        &text,
        SESSION_TYPE,
        &format!(
            r#"<ComplexType Name="result"><Property Name="option" Type="Edm.String" /></ComplexType>
      <ComplexType Name="entity"><Property Name="self" Type="securityCopilot.result" /></ComplexType>
      {SESSION_TYPE}<Property Name="outcome" Type="securityCopilot.result" /><Property Name="local" Type="securityCopilot.entity" />"#
        ),
    )
}
