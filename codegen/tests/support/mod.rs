//! Shared by the refresh and semver tests: scratch copies of `spec/`, full documents built by
//! embedding an (edited) fragment into Microsoft's real v1.0 `$metadata`, and the edits that
//! stand for Microsoft's next beta document.
#![allow(dead_code)]

use std::path::PathBuf;

use graph_odata_codegen::embed::embed;
use graph_odata_codegen::refresh::{refresh, spec_outputs, RefreshOptions, RefreshReport};

pub fn spec_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec"))
}

/// The committed spec's `generator.json`.
#[allow(dead_code)] // not every test binary generates
pub fn spec_config() -> graph_odata_codegen::config::SpecConfig {
    graph_odata_codegen::config::SpecConfig::read(&spec_dir()).expect("spec/generator.json")
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

pub const NS: &str = "microsoft.graph.security.securityCopilot";

/// Byte range of the API namespace's `<Schema>` element in `text`: (start, index of its `</Schema>`).
pub fn api_schema(text: &str) -> (usize, usize) {
    let start = text
        .find(&format!(r#"<Schema Namespace="{NS}""#))
        .expect("the fragment has the API schema");
    let end = start + text[start..].find("</Schema>").expect("schema end");
    (start, end)
}

/// `base`, or `base2`, `base3`, ... : the first spelling no element of `text` is named yet, so
/// the edits below never collide with what a refreshed spec already has.
pub fn fresh(text: &str, base: &str) -> String {
    let taken = |name: &str| text.contains(&format!(r#"Name="{name}""#));
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken(n))
        .unwrap_or_default()
}

/// The simple name of the first element `<{tag} Name="...` in the API schema matching `pick`,
/// and the byte range of the element (start tag start, end of its closing tag).
pub fn find_element(
    text: &str,
    tag: &str,
    pick: impl Fn(&str) -> bool,
) -> Option<(String, usize, usize)> {
    let (start, end) = api_schema(text);
    let open = format!("<{tag} Name=\"");
    let mut at = start;
    while let Some(i) = text[at..end].find(&open) {
        let begin = at + i;
        let name_start = begin + open.len();
        let name = &text[name_start..name_start + text[name_start..].find('"')?];
        let close = format!("</{tag}>");
        let tag_end = begin + text[begin..].find('>')?;
        let finish = if text.as_bytes()[tag_end - 1] == b'/' {
            tag_end + 1
        } else {
            begin + text[begin..].find(&close)? + close.len()
        };
        if pick(&text[begin..finish]) {
            return Some((name.to_string(), begin, finish));
        }
        at = finish;
    }
    None
}

/// What [`additive_fragment`] added, to name in assertions.
pub struct Additive {
    pub fragment: String,
    /// The enum that got a member, and the member.
    pub enum_type: String,
    pub member: String,
    /// The entity type that got the properties and the navigation.
    pub entity: String,
    pub property: String,
    /// A property that differs from an existing one of `entity` only in case.
    pub existing: String,
    pub twin: String,
    /// The new entity type and its containing navigation on `entity`.
    pub new_type: String,
    pub navigation: String,
    /// The new bound action (bound to `entity`).
    pub action: String,
}

/// Additive only, on the committed fragment whatever it holds: an enum member, a nullable
/// property, a property that differs from an existing one only in case, a new entity type
/// with a containing navigation, and a bound action. Names are fresh ([`fresh`]) and anchors
/// are found by shape, so a refreshed spec takes the same edits.
pub fn additive() -> Additive {
    let text = fragment();
    let (enum_type, _, enum_end) =
        find_element(&text, "EnumType", |e| !e.contains(r#"IsFlags="true""#)).expect("an enum");
    let member = fresh(&text, "paused");
    let insert_at = enum_end - "</EnumType>".len();
    let text = format!(
        r#"{}<Member Name="{member}" Value="9999" />{}"#,
        &text[..insert_at],
        &text[insert_at..]
    );
    // An exposed entity type with a conventional property to twin.
    let overlay = std::fs::read_to_string(spec_dir().join("overlay.xml")).unwrap();
    let conventional = |e: &str| -> Option<String> {
        e.match_indices(r#"<Property Name=""#).find_map(|(i, m)| {
            let rest = &e[i + m.len()..];
            let name = &rest[..rest.find('"')?];
            (name.len() > 1
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| name.to_string())
        })
    };
    let (entity, entity_start, entity_end) = find_element(&text, "EntityType", |e| {
        let name = &e[r#"<EntityType Name=""#.len()..];
        let name = &name[..name.find('"').unwrap_or(0)];
        conventional(e).is_some() && overlay.contains(&format!(r#"Target="{NS}.{name}/"#))
    })
    .expect("an exposed entity type with a property");
    let existing = conventional(&text[entity_start..entity_end]).unwrap();
    let mut twin = existing.clone();
    twin[..1].make_ascii_uppercase();
    let property = fresh(&text, "priority");
    let new_type = fresh(&text, "note");
    let navigation = fresh(&text, &format!("{new_type}s"));
    let action = fresh(&text, "cancel");
    let tag_end = entity_start + text[entity_start..].find('>').unwrap() + 1;
    let text = format!(
        r#"{}<Property Name="{property}" Type="Edm.Int32" /><Property Name="{twin}" Type="Edm.String" /><NavigationProperty Name="{navigation}" Type="Collection({NS}.{new_type})" ContainsTarget="true" />{}"#,
        &text[..tag_end],
        &text[tag_end..]
    );
    let (_, schema_end) = api_schema(&text);
    let fragment = format!(
        r#"{}<EntityType Name="{new_type}" BaseType="graph.entity"><Property Name="text" Type="Edm.String" /></EntityType>
      <Action Name="{action}" IsBound="true"><Parameter Name="bindingParameter" Type="{NS}.{entity}" /></Action>
    {}"#,
        &text[..schema_end],
        &text[schema_end..]
    );
    Additive {
        fragment,
        enum_type,
        member,
        entity,
        property,
        existing,
        twin,
        new_type,
        navigation,
        action,
    }
}

pub fn additive_fragment() -> String {
    additive().fragment
}

/// What [`breaking`] removed.
pub struct Breaking {
    pub fragment: String,
    /// The type and the nullable string property removed from it.
    pub owner: String,
    pub property: String,
    /// The overlay target of the removed navigation (an exposed leaf).
    pub navigation_target: String,
}

/// Breaking, found by shape: a nullable string property of a complex or entity type removed,
/// and an exposed navigation with nothing exposed below it removed.
pub fn breaking() -> Breaking {
    let text = fragment();
    let overlay = std::fs::read_to_string(spec_dir().join("overlay.xml")).unwrap();
    // The property: the first `Edm.String` property without `Nullable="false"`.
    let mut found = None;
    for tag in ["EntityType", "ComplexType"] {
        found = find_element(&text, tag, |e| {
            e.contains(r#"Type="Edm.String">"#) || e.contains(r#"Type="Edm.String" />"#)
        });
        if found.is_some() {
            break;
        }
    }
    let (owner, start, end) = found.expect("a type with a string property");
    let block = &text[start..end];
    let (i, property, len) = block
        .match_indices(r#"<Property Name=""#)
        .find_map(|(i, m)| {
            let rest = &block[i + m.len()..];
            let name = &rest[..rest.find('"')?];
            let tag_end = rest.find('>')?;
            let tag = &rest[..tag_end];
            if !tag.contains(r#"Type="Edm.String""#) || tag.contains("Nullable=\"false\"") {
                return None;
            }
            let len = if tag.ends_with('/') {
                m.len() + tag_end + 1
            } else {
                m.len() + rest.find("</Property>")? + "</Property>".len()
            };
            Some((i, name.to_string(), len))
        })
        .expect("a nullable string property");
    let text = format!("{}{}", &text[..start + i], &text[start + i + len..]);
    // The navigation: an exposed one of the API namespace with no exposed navigation below it.
    let targets: Vec<&str> = overlay
        .split(r#"<Annotations Target=""#)
        .skip(1)
        .filter(|b| b[..b.find("</Annotations>").unwrap_or(0)].contains("overlay.Exposed"))
        .map(|b| &b[..b.find('"').unwrap_or(0)])
        .filter(|t| t.starts_with(&format!("{NS}.")) && t.contains('/'))
        .collect();
    let leaf = targets
        .iter()
        .find(|t| {
            let (owner, nav) = t.split_once('/').unwrap();
            let block = find_element(&text, "EntityType", |e| {
                e.starts_with(&format!(r#"<EntityType Name="{}""#, &owner[NS.len() + 1..]))
            });
            let Some((_, s, e)) = block else { return false };
            let nav_tag = &text[s..e][text[s..e]
                .find(&format!(r#"<NavigationProperty Name="{nav}""#))
                .unwrap_or(0)..];
            let target_type = nav_tag
                .split("Type=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("")
                .trim_start_matches("Collection(")
                .trim_end_matches(')')
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_string();
            !targets
                .iter()
                .any(|o| o.starts_with(&format!("{NS}.{target_type}/")))
        })
        .expect("an exposed leaf navigation")
        .to_string();
    let (owner_type, nav) = leaf.split_once('/').unwrap();
    let (_, s, e) = find_element(&text, "EntityType", |el| {
        el.starts_with(&format!(
            r#"<EntityType Name="{}""#,
            &owner_type[NS.len() + 1..]
        ))
    })
    .unwrap();
    let block = &text[s..e];
    let i = block
        .find(&format!(r#"<NavigationProperty Name="{nav}""#))
        .unwrap();
    let rest = &block[i..];
    let tag_end = rest.find('>').unwrap();
    let len = if rest[..tag_end].ends_with('/') {
        tag_end + 1
    } else {
        rest.find("</NavigationProperty>").unwrap() + "</NavigationProperty>".len()
    };
    let fragment = format!("{}{}", &text[..s + i], &text[s + i + len..]);
    Breaking {
        fragment,
        owner,
        property,
        navigation_target: leaf,
    }
}

pub fn breaking_fragment() -> String {
    breaking().fragment
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

/// Names that break naive generators, on types of their own (so they never collide with what a
/// refreshed spec has): keywords (`self`, `Self`, `crate`, `super`, `type`), the generator's own
/// items (`new`, `withDisplayName`, `odataType`, `additionalProperties`), case twins,
/// non-identifiers, a type named like a prelude type, a second `entity` (beside
/// `microsoft.graph.entity`), and enum members `unrecognized`, `Self` and `self`.
pub fn hostile_fragment() -> String {
    let text = fragment();
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
        "displayName",
        "DisplayName",
        "display_name",
        "@odata.etag",
        "2fa",
        "async",
    ]
    .iter()
    .map(|name| format!(r#"<Property Name="{name}" Type="Edm.String" />"#))
    .collect::<String>();
    let probe = fresh(&text, "hostileProbe");
    let members = fresh(&text, "hostileMembers");
    let result = fresh(&text, "result");
    let entity = fresh(&text, "entity");
    let (_, end) = api_schema(&text);
    format!(
        r#"{}<EntityType Name="{probe}" BaseType="graph.entity">{properties}<Property Name="outcome" Type="{NS}.{result}" /><Property Name="local" Type="{NS}.{entity}" /><Property Name="kind" Type="{NS}.{members}" /></EntityType>
      <EnumType Name="{members}"><Member Name="unrecognized" Value="0" /><Member Name="Self" Value="1" /><Member Name="self" Value="2" /></EnumType>
      <ComplexType Name="{result}"><Property Name="option" Type="Edm.String" /></ComplexType>
      <ComplexType Name="{entity}"><Property Name="self" Type="{NS}.{result}" /></ComplexType>
    {}"#,
        &text[..end],
        &text[end..]
    )
}
