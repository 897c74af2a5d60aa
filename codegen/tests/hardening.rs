//! Hostile CSDL (issue 10): deep nesting is an error with file:line:column, not a stack
//! overflow; `slice` rejects a base-type cycle with the same error as `openapi`; and the CSDL
//! reader never panics, whatever the document (property tests).
//!
//! Case counts stay small for `cargo test`; for a long run:
//! `PROPTEST_CASES=20000 cargo test -p graph-odata-codegen --test hardening`.

use std::path::Path;

use graph_odata_codegen::csdl::{read_bytes, read_str, CsdlErrorKind, Model, MAX_NESTING_DEPTH};
use graph_odata_codegen::slice::{slice_file, SliceError};
use proptest::prelude::*;

const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="test.ns" Alias="t" xmlns="http://docs.oasis-open.org/odata/ns/edm">
"#;
const TAIL: &str = "    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n";
const FRAGMENT: &str = include_str!("../../spec/securityCopilot.csdl.xml");
const OVERLAY: &str = include_str!("../../spec/overlay.xml");

fn doc(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

/// `depth` nested annotation collections inside a complex type (depth 5 is the type itself).
fn nested_collections(depth: usize) -> String {
    doc(&format!(
        "      <ComplexType Name=\"c\">\n<Annotation Term=\"t.x\">{}{}</Annotation>\n      </ComplexType>\n",
        "<Collection>".repeat(depth),
        "</Collection>".repeat(depth)
    ))
}

/// Runs `f` on a thread with a small stack (512 KiB, a quarter of a spawned thread's default,
/// in a debug build), so unbounded recursion fails the test
/// (by aborting it) even where the main thread's stack would have hidden it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn nesting_tens_of_thousands_deep_is_an_error_with_line_and_column() {
    for depth in [MAX_NESTING_DEPTH, 50_000] {
        let text = nested_collections(depth);
        let error = on_small_stack(move || read_str("deep.xml", &text).unwrap_err());
        assert_eq!(error.kind, CsdlErrorKind::TooDeep { limit: 256 });
        assert_eq!(error.location.position.line, 6);
        // The 257th element: the root, DataServices, Schema, ComplexType and Annotation are 5,
        // so the error is at the 252nd <Collection>.
        let column = "<Annotation Term=\"t.x\">".len() + 251 * "<Collection>".len() + 1;
        assert_eq!(
            error.to_string(),
            format!(
                "deep.xml:6:{column}: <Collection>: elements nest deeper than the limit of 256"
            )
        );
    }
}

#[test]
fn nesting_up_to_the_limit_reads_and_drops_on_a_small_stack() {
    let text = nested_collections(MAX_NESTING_DEPTH - 5);
    let copy = text.clone();
    on_small_stack(move || drop(read_str("deep.xml", &copy).expect("within the limit")));
    on_small_stack(move || {
        let document = read_str("deep.xml", &text).expect("within the limit");
        Model::build(vec![document]).expect("a valid model");
    });
}

fn temp_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn slice_rejects_a_base_type_cycle_with_the_same_error_as_openapi() {
    let body = concat!(
        "      <ComplexType Name=\"a\" BaseType=\"test.ns.b\"/>\n",
        "      <ComplexType Name=\"b\" BaseType=\"t.a\"/>\n",
    );
    let text = doc(body);
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(dir.path(), "cycle.xml", &text);
    let output = dir.path().join("out.xml");
    let error = slice_file(&input, &["test.ns".to_string()], &output).unwrap_err();
    let SliceError::BaseTypeCycle { at, chain, .. } = &error else {
        panic!("expected a base type cycle, got {error}");
    };
    assert_eq!(chain, &["test.ns.a", "test.ns.b", "test.ns.a"]);
    assert_eq!((at.line, at.column), (5, 7));
    assert!(!output.exists(), "no output on error");
    // `openapi` (the CSDL reader and model) reports the same cycle the same way.
    let path = input.display().to_string();
    let csdl = Model::build(vec![read_str(&path, &text).unwrap()]).unwrap_err();
    assert_eq!(error.to_string(), csdl.to_string());
    assert_eq!(
        error.to_string(),
        format!("{path}:5:7: <ComplexType Name=\"a\">: base type cycle: test.ns.a -> test.ns.b -> test.ns.a")
    );
}

#[test]
fn slice_rejects_a_type_that_derives_from_itself() {
    let text = doc("      <EntityType Name=\"e\" BaseType=\"t.e\"><Key><PropertyRef Name=\"id\"/></Key><Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\"/></EntityType>\n");
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(dir.path(), "self.xml", &text);
    let error =
        slice_file(&input, &["test.ns".to_string()], &dir.path().join("o.xml")).unwrap_err();
    assert!(
        matches!(&error, SliceError::BaseTypeCycle { chain, .. } if chain == &["test.ns.e", "test.ns.e"]),
        "{error}"
    );
}

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One edit of a document's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
    Replace(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..8),
        prop_oneof![
            Just(&b"<"[..]),
            Just(&b">"[..]),
            Just(&b"</Property>"[..]),
            Just(&b"<Record>"[..]),
            Just(&b"<Collection>"[..]),
            Just(&b"\""[..]),
            Just(&b"&amp;"[..]),
            Just(&b"&#xFFFFFF;"[..]),
            Just(&b"BaseType=\"t.session\""[..]),
            Just(&b"Type=\"Collection(Edm.String)\""[..]),
            Just(&b"<![CDATA[x]]>"[..]),
            Just(&b"\xff\xfe"[..]),
        ]
        .prop_map(<[u8]>::to_vec),
    ];
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), snippet).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 0usize..512).prop_map(|(at, len)| Mutation::Duplicate(at, len)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    if len == 0 {
        return;
    }
    match mutation {
        Mutation::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(len);
            bytes.drain(at..end);
        }
        Mutation::Insert(at, new) => {
            let at = at % (len + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Duplicate(at, n) => {
            let at = at % len;
            let end = (at + n).min(len);
            let copy = bytes[at..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Replace(at, b) => {
            let at = at % len;
            bytes[at] = *b;
        }
    }
}

/// Small random documents from CSDL's vocabulary of element and attribute names.
fn element(depth: u32) -> BoxedStrategy<String> {
    let name = prop_oneof![
        Just("EntityType"),
        Just("ComplexType"),
        Just("EnumType"),
        Just("Member"),
        Just("Property"),
        Just("NavigationProperty"),
        Just("Key"),
        Just("PropertyRef"),
        Just("Annotation"),
        Just("Annotations"),
        Just("Record"),
        Just("Collection"),
        Just("PropertyValue"),
        Just("String"),
        Just("EntityContainer"),
        Just("EntitySet"),
        Just("Singleton"),
        Just("Function"),
        Just("Action"),
        Just("Parameter"),
        Just("ReturnType"),
    ];
    let attribute = (
        prop_oneof![
            Just("Name"),
            Just("Type"),
            Just("BaseType"),
            Just("Term"),
            Just("Target"),
            Just("Property"),
            Just("EntityType"),
            Just("Nullable"),
            Just("IsBound"),
            Just("ContainsTarget"),
            Just("Bool"),
            Just("Int"),
            Just("Value"),
        ],
        prop_oneof![
            Just("a".to_string()),
            Just("test.ns.a".to_string()),
            Just("t.b".to_string()),
            Just("Collection(t.a)".to_string()),
            Just("Edm.String".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            "[A-Za-z0-9.()/]{0,12}",
        ],
    )
        .prop_map(|(k, v)| format!(" {k}=\"{v}\""));
    let head = (name, prop::collection::vec(attribute, 0..4));
    if depth == 0 {
        return head
            .prop_map(|(name, attrs)| format!("<{name}{}/>", attrs.concat()))
            .boxed();
    }
    (head, prop::collection::vec(element(depth - 1), 0..4))
        .prop_map(|((name, attrs), children)| {
            format!("<{name}{}>{}</{name}>", attrs.concat(), children.concat())
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_mutated_real_document_is_an_error_or_a_model(
        mutations in prop::collection::vec(mutation(), 1..6),
        which in 0u8..2,
    ) {
        let mut bytes = if which == 0 { FRAGMENT } else { OVERLAY }.as_bytes().to_vec();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(document) = read_bytes("mutated.xml", &bytes) {
            let _ = Model::build(vec![document]);
        }
    }

    #[test]
    fn an_arbitrary_document_is_an_error_or_a_model(
        body in prop::collection::vec(element(3), 0..6),
        junk in any::<String>(),
    ) {
        if let Ok(document) = read_str("random.xml", &doc(&body.concat())) {
            let _ = Model::build(vec![document]);
        }
        let _ = read_str("junk.xml", &junk);
    }
}

#[test]
fn a_long_chain_of_base_types_is_checked_in_linear_time() {
    let n = 20_000;
    let mut body = String::from("      <ComplexType Name=\"t0\"/>\n");
    for i in 1..n {
        body.push_str(&format!(
            "      <ComplexType Name=\"t{i}\" BaseType=\"test.ns.t{}\"/>\n",
            i - 1
        ));
    }
    // A cycle at the far end is still found, with the same error as before.
    body.push_str("      <ComplexType Name=\"x\" BaseType=\"t.y\"/>\n      <ComplexType Name=\"y\" BaseType=\"t.x\"/>\n");
    let text = doc(&body);
    let started = std::time::Instant::now();
    let error = Model::build(vec![read_str("long.xml", &text).unwrap()]).unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        error.kind,
        CsdlErrorKind::BaseTypeCycle(vec![
            "test.ns.x".to_string(),
            "test.ns.y".to_string(),
            "test.ns.x".to_string()
        ])
    );
}

#[test]
fn slice_checks_a_long_chain_of_base_types_in_linear_time() {
    let n = 20_000;
    let mut body = String::from("      <ComplexType Name=\"t0\"/>\n");
    for i in 1..n {
        body.push_str(&format!(
            "      <ComplexType Name=\"t{i}\" BaseType=\"test.ns.t{}\"/>\n",
            i - 1
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(dir.path(), "long.xml", &doc(&body));
    let started = std::time::Instant::now();
    let summary = slice_file(&input, &["test.ns".to_string()], &dir.path().join("o.xml")).unwrap();
    assert_eq!(summary.types, n);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
