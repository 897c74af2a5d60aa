//! Integration tests of `graph-spec slice` on Microsoft's real CSDL documents
//! (`../shared/reference/`, beside the project folder) and on bad input.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use graph_odata_codegen::slice::{slice_file, verify_self_contained, SliceError, SliceSummary};

const V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/graph-v1.0-metadata.xml"
);
const BETA_USNAT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/graph-beta-usnat-metadata.xml"
);
const FRAGMENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/securityCopilot.csdl.xml"
);
const SECURITY_COPILOT: &str = "microsoft.graph.security.securityCopilot";

// ---------------------------------------------------------------------------------------------
// An independent model of a CSDL document (roxmltree DOM; fine for tests).

#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeModel {
    kind: String,
    base: Option<String>,
    is_abstract: bool,
    open: bool,
    key: Vec<String>,
    /// name → (type, nullable, description)
    props: BTreeMap<String, (String, bool, Option<String>)>,
    /// name → (type, contains target)
    navs: BTreeMap<String, (String, bool)>,
    members: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct Model {
    namespaces: Vec<String>,
    aliases: HashMap<String, String>,
    types: BTreeMap<String, TypeModel>,
    /// (name, binding type) per operation
    operations: Vec<(String, Option<String>)>,
    /// (element, name, type) per entity set / singleton
    container: BTreeSet<(String, String, String)>,
    annotation_targets: Vec<String>,
    /// (element, attribute, value) of every type reference
    type_refs: Vec<(String, String, String)>,
}

fn canon(aliases: &HashMap<String, String>, name: &str) -> String {
    let inner = name
        .strip_prefix("Collection(")
        .and_then(|n| n.strip_suffix(')'))
        .map(|n| (n, true))
        .unwrap_or((name, false));
    let (n, collection) = inner;
    let n = match n.rsplit_once('.') {
        Some((q, local)) => match aliases.get(q) {
            Some(ns) => format!("{ns}.{local}"),
            None => n.to_string(),
        },
        None => n.to_string(),
    };
    if collection {
        format!("Collection({n})")
    } else {
        n
    }
}

fn description(node: roxmltree::Node) -> Option<String> {
    node.children()
        .find(|c| {
            c.has_tag_name("Annotation")
                && c.attribute("Term") == Some("Org.OData.Core.V1.Description")
        })
        .and_then(|c| c.attribute("String").map(str::to_string))
}

fn model(xml: &str) -> Model {
    let doc = roxmltree::Document::parse(xml).expect("output parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "Edmx");
    let mut m = Model::default();
    let schemas: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("Schema"))
        .collect();
    for s in &schemas {
        let ns = s.attribute("Namespace").expect("Namespace").to_string();
        if let Some(a) = s.attribute("Alias") {
            m.aliases.insert(a.to_string(), ns.clone());
        }
        m.namespaces.push(ns);
    }
    let aliases = m.aliases.clone();
    let c = |n: &str| canon(&aliases, n);
    for s in &schemas {
        let ns = s.attribute("Namespace").unwrap_or_default();
        for el in s.children().filter(|n| n.is_element()) {
            let kind = el.tag_name().name();
            for d in el.descendants().filter(|n| n.is_element()) {
                for attr in ["Type", "BaseType", "UnderlyingType", "EntityType"] {
                    if let Some(v) = d.attribute(attr) {
                        if d.has_tag_name("Record") {
                            continue;
                        }
                        m.type_refs
                            .push((d.tag_name().name().to_string(), attr.to_string(), c(v)));
                    }
                }
            }
            match kind {
                "EntityType" | "ComplexType" | "EnumType" | "TypeDefinition" => {
                    let name = format!("{ns}.{}", el.attribute("Name").unwrap_or_default());
                    let key = el
                        .children()
                        .filter(|k| k.has_tag_name("Key"))
                        .flat_map(|k| k.children().filter(|p| p.has_tag_name("PropertyRef")))
                        .map(|p| p.attribute("Name").unwrap_or_default().to_string())
                        .collect();
                    let t = TypeModel {
                        kind: kind.to_string(),
                        base: el.attribute("BaseType").map(c),
                        is_abstract: el.attribute("Abstract") == Some("true"),
                        open: el.attribute("OpenType") == Some("true"),
                        key,
                        props: el
                            .children()
                            .filter(|p| p.has_tag_name("Property"))
                            .map(|p| {
                                (
                                    p.attribute("Name").unwrap_or_default().to_string(),
                                    (
                                        c(p.attribute("Type").unwrap_or_default()),
                                        p.attribute("Nullable") != Some("false"),
                                        description(p),
                                    ),
                                )
                            })
                            .collect(),
                        navs: el
                            .children()
                            .filter(|p| p.has_tag_name("NavigationProperty"))
                            .map(|p| {
                                (
                                    p.attribute("Name").unwrap_or_default().to_string(),
                                    (
                                        c(p.attribute("Type").unwrap_or_default()),
                                        p.attribute("ContainsTarget") == Some("true"),
                                    ),
                                )
                            })
                            .collect(),
                        members: el
                            .children()
                            .filter(|p| p.has_tag_name("Member"))
                            .map(|p| {
                                (
                                    p.attribute("Name").unwrap_or_default().to_string(),
                                    p.attribute("Value").unwrap_or_default().to_string(),
                                )
                            })
                            .collect(),
                    };
                    m.types.insert(name, t);
                }
                "Action" | "Function" => {
                    let name = format!("{ns}.{}", el.attribute("Name").unwrap_or_default());
                    let binding = (el.attribute("IsBound") == Some("true"))
                        .then(|| {
                            el.children()
                                .find(|p| p.has_tag_name("Parameter"))
                                .and_then(|p| p.attribute("Type"))
                                .map(c)
                        })
                        .flatten();
                    m.operations.push((name, binding));
                }
                "EntityContainer" => {
                    for ch in el.children().filter(|n| n.is_element()) {
                        let ty = ch.attribute("EntityType").or(ch.attribute("Type"));
                        if let Some(ty) = ty {
                            m.container.insert((
                                ch.tag_name().name().to_string(),
                                ch.attribute("Name").unwrap_or_default().to_string(),
                                c(ty),
                            ));
                        }
                    }
                }
                "Annotations" => m
                    .annotation_targets
                    .push(el.attribute("Target").unwrap_or_default().to_string()),
                _ => {}
            }
        }
    }
    m
}

impl Model {
    fn types_in(&self, namespace: &str) -> BTreeSet<String> {
        self.types
            .keys()
            .filter(|t| t.rsplit_once('.').map(|(q, _)| q) == Some(namespace))
            .cloned()
            .collect()
    }

    fn has_member(&self, ty: &str, member: &str) -> bool {
        let mut cur = Some(ty.to_string());
        let mut guard = 0;
        while let Some(t) = cur {
            let Some(tm) = self.types.get(&t) else {
                return false;
            };
            if tm.props.contains_key(member)
                || tm.navs.contains_key(member)
                || tm.members.iter().any(|(n, _)| n == member)
            {
                return true;
            }
            cur = tm.base.clone();
            guard += 1;
            if guard > 64 {
                return false;
            }
        }
        false
    }

    /// The test's own self-containment check: every type reference, key and annotation target.
    fn assert_self_contained(&self) {
        for (element, attr, value) in &self.type_refs {
            let inner = value
                .strip_prefix("Collection(")
                .and_then(|v| v.strip_suffix(')'))
                .unwrap_or(value);
            assert!(
                inner.starts_with("Edm.") || self.types.contains_key(inner),
                "<{element} {attr}=\"{value}\"> does not resolve in the slice"
            );
        }
        for (name, t) in &self.types {
            for k in &t.key {
                assert!(
                    self.has_member(name, k),
                    "key {k} of {name} is not declared"
                );
            }
        }
        let ops: BTreeSet<&str> = self.operations.iter().map(|(n, _)| n.as_str()).collect();
        for target in &self.annotation_targets {
            let head_end = target.find(['(', '/']).unwrap_or(target.len());
            let head = canon(&self.aliases, &target[..head_end]);
            if self.types.contains_key(&head) {
                if let Some(member) = target[head_end..].strip_prefix('/') {
                    let member = member.split('/').next().unwrap_or_default();
                    assert!(
                        self.has_member(&head, member),
                        "annotation target {target}: {member} is not on {head}"
                    );
                }
            } else if ops.contains(head.as_str()) {
            } else {
                let container = self.container.iter().any(|(_, n, _)| {
                    target[head_end..].trim_start_matches('/').split('/').next() == Some(n)
                });
                assert!(
                    head.ends_with(".GraphService") && container,
                    "annotation target {target} does not resolve in the slice"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn slice(input: &Path, namespaces: &[&str], out: &Path) -> Result<SliceSummary, SliceError> {
    let ns: Vec<String> = namespaces.iter().map(|s| s.to_string()).collect();
    slice_file(input, &ns, out)
}

/// Slices, then checks the result with both the library checker and the test's own.
fn slice_ok(input: &Path, namespaces: &[&str], dir: &Path) -> (SliceSummary, Model, Model) {
    let out = dir.join("out.xml");
    let summary = slice(input, namespaces, &out).unwrap_or_else(|e| panic!("slice failed: {e}"));
    let unresolved = verify_self_contained(&out).expect("verify reads the output");
    assert!(
        unresolved.is_empty(),
        "not self-contained:\n{}",
        unresolved
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let text = fs::read_to_string(&out).expect("output is UTF-8");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<edmx:Edmx"));
    let out_model = model(&text);
    out_model.assert_self_contained();
    let input_text = fs::read_to_string(input).expect("input is UTF-8");
    let input_model = model(input_text.trim_start_matches('\u{feff}'));
    // Every type of every requested namespace is there, unchanged.
    for ns in namespaces {
        let wanted = input_model.types_in(ns);
        assert!(!wanted.is_empty(), "{ns} has types in the input");
        assert_eq!(out_model.types_in(ns), wanted, "types of {ns}");
        for t in &wanted {
            // Unchanged, except for navigation properties to types outside the slice.
            let mut expected = input_model.types[t].clone();
            expected.navs.retain(|_, (ty, _)| {
                let inner = ty
                    .strip_prefix("Collection(")
                    .and_then(|t| t.strip_suffix(')'))
                    .unwrap_or(ty);
                out_model.types.contains_key(inner)
            });
            assert_eq!(out_model.types[t], expected, "type {t}");
        }
    }
    // Nothing but the output and no temporary file in the directory.
    let entries: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(entries.is_empty(), "temporary files left: {entries:?}");
    (summary, out_model, input_model)
}

fn container_child(m: &Model, element: &str, name: &str, ty: &str) -> bool {
    m.container
        .contains(&(element.to_string(), name.to_string(), ty.to_string()))
}

fn nav_names(m: &Model, ty: &str) -> Vec<String> {
    m.types[ty].navs.keys().cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// Real documents.

#[test]
fn v1_call_records_and_term_store() {
    let dir = temp();
    let (summary, out, input) = slice_ok(
        Path::new(V1),
        &["microsoft.graph.callRecords", "microsoft.graph.termStore"],
        dir.path(),
    );
    // Containment paths: /communications/callRecords and /sites/{id}/termStore(s).
    assert!(container_child(
        &out,
        "Singleton",
        "communications",
        "microsoft.graph.cloudCommunications"
    ));
    assert!(container_child(
        &out,
        "EntitySet",
        "sites",
        "microsoft.graph.site"
    ));
    assert_eq!(out.container.len(), 2, "{:?}", out.container);
    assert_eq!(
        nav_names(&out, "microsoft.graph.cloudCommunications"),
        ["callRecords"]
    );
    assert_eq!(
        nav_names(&out, "microsoft.graph.site"),
        ["termStore", "termStores"]
    );
    // Path types keep no structural properties beyond keys; their bases stay.
    assert!(out.types["microsoft.graph.site"].props.is_empty());
    assert!(out.types["microsoft.graph.baseItem"].props.is_empty());
    assert_eq!(
        out.types["microsoft.graph.entity"],
        input.types["microsoft.graph.entity"]
    );
    let mut paths = summary.paths.clone();
    paths.sort();
    assert_eq!(
        paths,
        [
            "communications/callRecords",
            "sites/termStore",
            "sites/termStores"
        ]
    );
    // Referenced types from other namespaces are pulled in whole.
    assert_eq!(
        out.types["microsoft.graph.identitySet"],
        input.types["microsoft.graph.identitySet"]
    );
    // Unrelated types are not.
    for absent in [
        "microsoft.graph.user",
        "microsoft.graph.group",
        "microsoft.graph.security",
        "microsoft.graph.security.alert",
        "microsoft.graph.drive",
    ] {
        assert!(
            !out.types.contains_key(absent),
            "{absent} should not be in the slice"
        );
    }
    // Bound functions come along.
    let ops: Vec<&str> = out.operations.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        ops,
        [
            "microsoft.graph.callRecords.getDirectRoutingCalls",
            "microsoft.graph.callRecords.getPstnCalls"
        ]
    );
    // Annotations on kept targets are kept (they live in another schema in this document).
    for target in [
        "microsoft.graph.callRecords.callRecord/organizer_v2",
        "microsoft.graph.GraphService/sites",
        "microsoft.graph.site",
    ] {
        assert!(
            out.annotation_targets.iter().any(|t| t == target),
            "{target}"
        );
    }
    assert!(!out
        .annotation_targets
        .iter()
        .any(|t| t.contains("microsoft.graph.user")));
    assert!(summary.output_bytes < summary.input_bytes / 50);
}

#[test]
fn beta_usnat_identity_governance_and_term_store() {
    let dir = temp();
    let (summary, out, _input) = slice_ok(
        Path::new(BETA_USNAT),
        &[
            "microsoft.graph.identityGovernance",
            "microsoft.graph.termStore",
        ],
        dir.path(),
    );
    // termStore is a singleton of a requested type; lifecycle workflows hang off the
    // identityGovernance singleton (type microsoft.graph.identityGovernance, a path type).
    assert!(container_child(
        &out,
        "Singleton",
        "termStore",
        "microsoft.graph.termStore.store"
    ));
    assert!(container_child(
        &out,
        "Singleton",
        "identityGovernance",
        "microsoft.graph.identityGovernance"
    ));
    assert_eq!(out.container.len(), 2, "{:?}", out.container);
    assert_eq!(
        nav_names(&out, "microsoft.graph.identityGovernance"),
        ["lifecycleWorkflows"]
    );
    let mut paths = summary.paths.clone();
    paths.sort();
    assert_eq!(
        paths,
        ["identityGovernance/lifecycleWorkflows", "termStore"]
    );
    // `workflow/activate(subjects: Collection(graph.user))` pulls in `user` (structurally: its
    // navigation properties to types outside the slice are dropped)...
    assert!(out
        .operations
        .iter()
        .any(|(n, _)| n == "microsoft.graph.identityGovernance.activate"));
    assert!(out.types.contains_key("microsoft.graph.user"));
    assert!(!out.types["microsoft.graph.user"].navs.contains_key("drive"));
    // ...but navigation targets are never pulled in.
    for absent in [
        "microsoft.graph.drive",
        "microsoft.graph.site",
        "microsoft.graph.message",
        "microsoft.graph.security.alert",
    ] {
        assert!(
            !out.types.contains_key(absent),
            "{absent} should not be in the slice"
        );
    }
    // Operations bound to the namespace's types came along.
    assert!(summary.operations > 0);
    assert!(out.operations.iter().all(|(_, b)| b
        .as_deref()
        .is_some_and(|b| b.contains(".identityGovernance.") || b.contains(".termStore."))));
}

#[test]
fn every_namespace_of_both_documents_slices_self_contained() {
    for doc in [V1, BETA_USNAT] {
        let text = fs::read_to_string(doc).expect("read");
        let namespaces = model(text.trim_start_matches('\u{feff}')).namespaces;
        for ns in namespaces {
            let dir = temp();
            let out = dir.path().join("out.xml");
            slice(Path::new(doc), &[&ns], &out).unwrap_or_else(|e| panic!("{ns}: {e}"));
            let unresolved = verify_self_contained(&out).expect("verify");
            assert!(unresolved.is_empty(), "{doc} {ns}: {unresolved:?}");
            model(&fs::read_to_string(&out).expect("read")).assert_self_contained();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The synthetic full document: v1.0 plus the Security Copilot schema.

/// The text of the first element starting with `start` (through its end tag `end`).
fn element<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in text"));
    let to = from + text[from..].find(end).expect("end tag") + end.len();
    &text[from..to]
}

/// v1.0 + the securityCopilot Schema of the fragment + `security/securityCopilot` +
/// `microsoft.graph.securityCopilot`, as the fragment has them.
fn synthetic_document() -> String {
    let v1 = fs::read_to_string(V1).expect("v1.0");
    let fragment = fs::read_to_string(FRAGMENT).expect("fragment");
    let schema = element(
        &fragment,
        "<Schema Namespace=\"microsoft.graph.security.securityCopilot\"",
        "</Schema>",
    );
    let nav = element(
        &fragment,
        "<NavigationProperty Name=\"securityCopilot\"",
        "</NavigationProperty>",
    );
    let copilot_type = element(
        &fragment,
        "<EntityType Name=\"securityCopilot\"",
        "</EntityType>",
    );
    let security_start = "<EntityType Name=\"security\">";
    assert_eq!(v1.matches(security_start).count(), 1);
    let mut doc = v1.replacen(
        security_start,
        &format!("{security_start}\n        {nav}"),
        1,
    );
    let security = element(&doc, security_start, "</EntityType>").to_string();
    doc = doc.replacen(&security, &format!("{security}\n      {copilot_type}"), 1);
    doc = doc.replacen(
        "</edmx:DataServices>",
        &format!("  {schema}\n  </edmx:DataServices>"),
        1,
    );
    doc
}

#[test]
fn synthetic_security_copilot_equals_fragment() {
    let dir = temp();
    let full = dir.path().join("full.xml");
    fs::write(&full, synthetic_document()).expect("write synthetic document");
    let (summary, out, _) = slice_ok(&full, &[SECURITY_COPILOT], dir.path());
    let fragment = model(&fs::read_to_string(FRAGMENT).expect("fragment"));

    let out_types: BTreeSet<&String> = out.types.keys().collect();
    let fragment_types: BTreeSet<&String> = fragment.types.keys().collect();
    assert_eq!(out_types, fragment_types, "same set of types");
    for (name, t) in &fragment.types {
        let o = &out.types[name];
        assert_eq!(o.kind, t.kind, "{name} kind");
        assert_eq!(o.base, t.base, "{name} base type");
        assert_eq!(o.key, t.key, "{name} key");
        assert_eq!(o.navs, t.navs, "{name} navigation properties");
        assert_eq!(o.members, t.members, "{name} enum members");
        let props = |m: &TypeModel| -> BTreeMap<String, (String, bool)> {
            m.props
                .iter()
                .map(|(k, (ty, nullable, _))| (k.clone(), (ty.clone(), *nullable)))
                .collect()
        };
        assert_eq!(props(o), props(t), "{name} properties (type, nullability)");
        if name.starts_with(SECURITY_COPILOT) {
            assert_eq!(o, t, "{name} is copied verbatim, descriptions included");
        }
    }
    assert_eq!(out.container, fragment.container, "same container path");
    assert_eq!(
        nav_names(&out, "microsoft.graph.security"),
        ["securityCopilot"]
    );
    assert_eq!(summary.paths, ["security/securityCopilot/workspaces"]);
    assert_eq!(summary.container_children, ["security"]);
    assert_eq!(summary.path_types, 2);
}

// ---------------------------------------------------------------------------------------------
// Bad input.

/// 1-based line and column (in characters) of byte `offset` of `text`, BOM not counted.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let offset = offset - (text.len() - body.len());
    let before = &body[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count() as u64
        + 1;
    (line, col)
}

/// Slices `input` (bytes written to a file) and returns the error; checks that neither the
/// output nor a temporary file was left, and that a pre-existing output was not touched.
fn slice_err(input: &[u8], namespaces: &[&str]) -> SliceError {
    let dir = temp();
    let file = dir.path().join("input.xml");
    fs::write(&file, input).expect("write input");
    let out = dir.path().join("out.xml");
    let err = slice(&file, namespaces, &out).expect_err("slicing must fail");
    assert!(!out.exists(), "no output file after an error");
    let names: Vec<String> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["input.xml"],
        "nothing but the input in the directory"
    );
    // An existing output file stays as it was.
    fs::write(&out, "previous").expect("write");
    let again = slice(&file, namespaces, &out).expect_err("still fails");
    assert_eq!(again.to_string(), err.to_string());
    assert_eq!(fs::read_to_string(&out).expect("read"), "previous");
    err
}

fn assert_at(err: &SliceError, expected: (u64, u64)) {
    let at = err
        .location()
        .unwrap_or_else(|| panic!("{err} has a location"));
    assert_eq!((at.line, at.column), expected, "location of: {err}");
    assert!(at.file.ends_with("input.xml"), "{err} names the file");
    let message = err.to_string();
    assert!(
        message.contains(&format!("input.xml:{}:{}", expected.0, expected.1)),
        "message names file, line and column: {message}"
    );
}

fn fragment_text() -> String {
    fs::read_to_string(FRAGMENT).expect("fragment")
}

#[test]
fn fragment_slices_to_itself() {
    let dir = temp();
    let (summary, out, input) = slice_ok(Path::new(FRAGMENT), &[SECURITY_COPILOT], dir.path());
    assert_eq!(out.types, input.types);
    assert_eq!(out.container, input.container);
    assert_eq!(summary.paths, ["security/securityCopilot/workspaces"]);
}

/// Markup and text larger than pass 1's read chunk (256 KiB): a comment full of `<`, a long
/// annotation string; the slice is unchanged and positions after them are still right.
#[test]
fn content_larger_than_a_read_chunk() {
    let big_comment = format!("<!-- {} -->", "a < b; ".repeat(100_000));
    let big_text = format!(
        "<Annotation Term=\"Org.OData.Core.V1.LongDescription\"><String>{}</String></Annotation>",
        "long text without markup ".repeat(40_000)
    );
    let text = fragment_text()
        .replacen(
            "<EnumType Name=\"evaluationResultType\">",
            &format!("{big_comment}\n      <EnumType Name=\"evaluationResultType\">"),
            1,
        )
        .replacen(
            "<EntityType Name=\"session\" BaseType=\"graph.entity\">",
            &format!("<EntityType Name=\"session\" BaseType=\"graph.entity\">\n        {big_text}"),
            1,
        );
    assert!(text.len() > 1_500_000);
    let dir = temp();
    let file = dir.path().join("big.xml");
    fs::write(&file, &text).expect("write");
    let (_, out, _) = slice_ok(&file, &[SECURITY_COPILOT], dir.path());
    let fragment = model(&fragment_text());
    assert_eq!(
        out.types.keys().collect::<Vec<_>>(),
        fragment.types.keys().collect::<Vec<_>>()
    );
    let session = fs::read_to_string(dir.path().join("out.xml")).expect("read");
    assert!(
        session.contains(&big_text),
        "the long annotation is copied whole"
    );

    let bad = text.replacen(
        "Type=\"securityCopilot.pluginAuth\"",
        "Type=\"securityCopilot.missing\"",
        1,
    );
    let at = bad
        .find("<Property Name=\"authorization\"")
        .expect("property");
    let err = slice_err(bad.as_bytes(), &[SECURITY_COPILOT]);
    assert!(
        matches!(err, SliceError::DanglingReference { .. }),
        "{err:?}"
    );
    assert_at(&err, line_col(&bad, at));
}

#[test]
fn byte_order_mark_is_accepted() {
    let dir = temp();
    let file = dir.path().join("bom.xml");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(fragment_text().as_bytes());
    fs::write(&file, &bytes).expect("write");
    let (_, out, input) = slice_ok(&file, &[SECURITY_COPILOT], dir.path());
    assert_eq!(out.types, input.types);
}

#[test]
fn unknown_namespace() {
    let v1 = fs::read(V1).expect("v1.0");
    let err = slice_err(&v1, &["microsoft.graph.doesNotExist"]);
    let SliceError::UnknownNamespace {
        namespace,
        available,
        element,
        ..
    } = &err
    else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(namespace, "microsoft.graph.doesNotExist");
    assert!(available.contains(&"microsoft.graph.callRecords".to_string()));
    assert_eq!(element, "<edmx:DataServices>");
    // Line 2, column 3 of the v1.0 document (its BOM is not counted).
    assert_at(&err, (2, 3));
}

#[test]
fn truncated_between_elements() {
    let text = fragment_text();
    let cut = text.find("<EntityType Name=\"plugin\">").expect("plugin");
    let err = slice_err(&text.as_bytes()[..cut], &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::Truncated { .. }), "{err:?}");
    assert_at(&err, line_col(&text, cut));
    assert!(err.to_string().contains("Schema"), "{err}");
}

#[test]
fn truncated_inside_a_tag() {
    let text = fragment_text();
    let tag = text
        .find("<Property Name=\"authorization\"")
        .expect("property");
    let cut = tag + "<Property Name=\"auth".len();
    let err = slice_err(&text.as_bytes()[..cut], &[SECURITY_COPILOT]);
    let SliceError::Truncated { element, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert!(element.contains("<Property Name=\"auth"), "{element}");
    assert!(
        element.contains("<EntityType Name=\"plugin\">"),
        "{element}"
    );
    assert_at(&err, line_col(&text, tag));
}

#[test]
fn not_xml() {
    let err = slice_err(b"{\"value\": [1, 2, 3]}\n", &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotCsdl { .. }), "{err:?}");
    assert_at(&err, (1, 1));
    let err = slice_err(b"", &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotCsdl { .. }), "{err:?}");
    assert_at(&err, (1, 1));
}

#[test]
fn malformed_xml() {
    let text = fragment_text();
    let bad = text.replacen("</ComplexType>", "</EnumType>", 1);
    let at = bad
        .find("</EnumType>\n      <ComplexType Name=\"errorDetails\"")
        .expect("spot");
    let err = slice_err(bad.as_bytes(), &[SECURITY_COPILOT]);
    let SliceError::Xml { element, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(element, "<ComplexType Name=\"collection_pluginSetting\">");
    assert_at(&err, line_col(&bad, at));
}

#[test]
fn xml_but_not_csdl() {
    let text = "<?xml version=\"1.0\"?>\n<html>\n  <body/>\n</html>\n";
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    let SliceError::NotCsdl { element, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(element, "<html>");
    assert_at(&err, (2, 1));
    // An edmx:Edmx without edmx:DataServices.
    let text =
        "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\"/>";
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotCsdl { .. }), "{err:?}");
    assert_at(&err, (1, 1));
}

#[test]
fn dangling_property_type() {
    let text = fragment_text().replacen(
        "Type=\"securityCopilot.pluginAuth\"",
        "Type=\"securityCopilot.pluginAuthorization\"",
        1,
    );
    let at = text
        .find("<Property Name=\"authorization\"")
        .expect("property");
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    let SliceError::DanglingReference { name, element, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(
        name,
        "microsoft.graph.security.securityCopilot.pluginAuthorization"
    );
    assert_eq!(element, "<Property Name=\"authorization\">");
    assert_at(&err, line_col(&text, at));
}

#[test]
fn dangling_base_type_and_collection_element() {
    let text = fragment_text().replacen(
        "<EntityType Name=\"securityCopilot\" BaseType=\"graph.entity\">",
        "<EntityType Name=\"securityCopilot\" BaseType=\"graph.entityBase\">",
        1,
    );
    let at = text
        .find("<EntityType Name=\"securityCopilot\"")
        .expect("type");
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    let SliceError::DanglingReference { name, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(name, "microsoft.graph.entityBase");
    assert_at(&err, line_col(&text, at));

    let text = fragment_text().replacen(
        "Collection(securityCopilot.skillInputDescriptor)",
        "Collection(securityCopilot.skillInputDescriptorX)",
        1,
    );
    let at = text
        .find("<Property Name=\"skillInputDescriptors\"")
        .expect("property");
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    assert!(
        matches!(err, SliceError::DanglingReference { .. }),
        "{err:?}"
    );
    assert_at(&err, line_col(&text, at));
}

#[test]
fn not_utf8() {
    // A Latin-1 byte inside an attribute value.
    let text = fragment_text();
    let spot = text
        .find("Name of the Security Copilot workspace.")
        .expect("spot");
    let mut bytes = text.as_bytes().to_vec();
    bytes[spot] = 0xC9; // 'É' in Latin-1, not UTF-8 here
    let err = slice_err(&bytes, &[SECURITY_COPILOT]);
    let SliceError::NotUtf8 { element, .. } = &err else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(
        element,
        "<Annotation Term=\"Org.OData.Core.V1.Description\">"
    );
    assert_at(&err, line_col(&text, spot));

    // The same in text content.
    let text = fragment_text().replacen("<!--", "<!-- caf\u{e9} ", 1);
    let spot = text.find('\u{e9}').expect("é");
    let mut bytes = text.as_bytes().to_vec();
    bytes.remove(spot + 1);
    bytes[spot] = 0xE9;
    let err = slice_err(&bytes, &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotUtf8 { .. }), "{err:?}");
    assert_at(&err, line_col(&text, spot));

    // UTF-16 with a byte-order mark.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in fragment_text().encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let err = slice_err(&utf16, &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotUtf8 { .. }), "{err:?}");
    assert_at(&err, (1, 1));

    // A declared encoding other than UTF-8.
    let text = fragment_text().replacen("encoding=\"utf-8\"", "encoding=\"ISO-8859-1\"", 1);
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    assert!(matches!(err, SliceError::NotUtf8 { .. }), "{err:?}");
    assert_at(&err, (1, 1));
}

#[test]
fn positions_skip_the_byte_order_mark() {
    let text = format!(
        "\u{feff}{}",
        fragment_text().replacen(
            "Type=\"securityCopilot.pluginAuth\"",
            "Type=\"securityCopilot.nope\"",
            1
        )
    );
    let at = text
        .find("<Property Name=\"authorization\"")
        .expect("property");
    let err = slice_err(text.as_bytes(), &[SECURITY_COPILOT]);
    assert!(
        matches!(err, SliceError::DanglingReference { .. }),
        "{err:?}"
    );
    assert_at(&err, line_col(&text, at));
}

// ---------------------------------------------------------------------------------------------
// The binary.

fn graph_spec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_graph-spec"))
}

#[test]
fn binary_exits_2_on_a_missing_namespace() {
    let dir = temp();
    let out: PathBuf = dir.path().join("out.xml");
    let result = graph_spec()
        .args([
            "slice",
            "--metadata",
            FRAGMENT,
            "--namespace",
            "microsoft.graph.nope",
            "-o",
        ])
        .arg(&out)
        .output()
        .expect("run graph-spec");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("microsoft.graph.nope"), "{stderr}");
    assert!(stderr.contains("securityCopilot.csdl.xml:"), "{stderr}");
    assert!(!out.exists());
    assert!(result.stdout.is_empty());
}

#[test]
fn binary_writes_the_slice() {
    let dir = temp();
    let out = dir.path().join("out.xml");
    let result = graph_spec()
        .args(["slice", "--metadata", V1])
        .args(["--namespace", "microsoft.graph.callRecords", "-o"])
        .arg(&out)
        .output()
        .expect("run graph-spec");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("communications/callRecords"), "{stderr}");
    assert!(verify_self_contained(&out).expect("verify").is_empty());
}
