//! Property tests of the query-option lexer and parser (issue 10).
//!
//! - Any query string, and any `$filter` text, gives a result or an [`ODataError`] (a 400),
//!   never a panic or a stack overflow; the engine also runs any filter it accepted.
//! - Whatever the client's typed `$filter` builder produces parses, here, to the expression
//!   it was built from (`and`/`or` chains compared flattened, since the client drops the
//!   parentheses of an associative chain).
//!
//! Case counts stay small for `cargo test`; for a long run:
//! `PROPTEST_CASES=100000 cargo test -p graph-security-copilot-emulator --test query_properties`.

use graph_security_copilot::filter::{self as client, try_field};
use graph_security_copilot_emulator::odata::{
    CompareOp, EntityShape, Expr, Filter, Literal, PropertyKind, QueryOptions,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

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

fn shape() -> EntityShape {
    EntityShape::new("session", "id")
        .with_property("id", PropertyKind::String)
        .with_property("displayName", PropertyKind::String)
        .with_property("count", PropertyKind::Int64)
        .with_property("enabled", PropertyKind::Boolean)
}

fn entities() -> Vec<Map<String, Value>> {
    [
        json!({"id": "1", "displayName": "alpha", "count": 1, "enabled": true}),
        json!({"id": "2", "displayName": "it's", "count": -5, "enabled": false}),
        json!({"id": "3", "displayName": null, "count": null, "enabled": null}),
    ]
    .into_iter()
    .filter_map(|v| v.as_object().cloned())
    .collect()
}

/// Tokens the lexer knows, so random text often gets deep into the parser.
fn filter_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        Just("and".to_string()),
        Just("or".to_string()),
        Just("not".to_string()),
        Just("eq".to_string()),
        Just("ne".to_string()),
        Just("gt".to_string()),
        Just("in".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("displayName".to_string()),
        Just("count".to_string()),
        Just("enabled".to_string()),
        Just("contains".to_string()),
        Just("tolower".to_string()),
        Just("'".to_string()),
        Just("''".to_string()),
        Just("2025-01-01T00:00:00Z".to_string()),
        Just("ns.type'member'".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        "[a-z]{1,6}",
        "'[^']{0,6}'",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..60).prop_map(|tokens| tokens.join(" "))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_filter_text_is_a_result_or_a_400(text in prop_oneof![filter_text(), any::<String>()]) {
        if let Ok(filter) = Filter::parse(&text, &shape()) {
            // Accepted filters run, and print as text that parses to the same expression.
            for entity in entities() {
                let _ = filter.matches(&entity);
            }
            let canonical = filter.expr.to_string();
            let again = Filter::parse(&canonical, &shape());
            prop_assert!(again.is_ok(), "{canonical}: {again:?}");
        }
    }

    #[test]
    fn any_query_string_is_a_result_or_a_400(query in prop_oneof![
        "[$a-z&=%+'(),0-9 ]{0,80}",
        any::<String>(),
        filter_text().prop_map(|f| format!("$filter={f}&$top=2&$orderby=displayName desc")),
    ]) {
        if let Ok(options) = QueryOptions::parse(&query, &shape()) {
            let _ = options.execute(entities(), Some(2));
        }
    }

    #[test]
    fn deep_nesting_never_overflows(depth in 0usize..5000, kind in 0u8..4) {
        let text = match kind {
            0 => format!("{}displayName eq 'x'{}", "(".repeat(depth), ")".repeat(depth)),
            1 => format!("{}displayName{}", "tolower(".repeat(depth), ")".repeat(depth)),
            2 => format!("{}true", "not ".repeat(depth)),
            _ => vec!["enabled"; depth + 1].join(" or "),
        };
        let _ = Filter::parse(&text, &shape());
    }
}

/// A filter as the client can build it, over the shape above.
#[derive(Debug, Clone)]
enum Tree {
    Compare(&'static str, u8, Lit),
    Call(u8, &'static str, String),
    And(Box<Tree>, Box<Tree>),
    Or(Box<Tree>, Box<Tree>),
    Not(Box<Tree>),
}

#[derive(Debug, Clone)]
enum Lit {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

fn tree() -> impl Strategy<Value = Tree> {
    let string_compare =
        (0u8..6, any::<String>()).prop_map(|(op, s)| Tree::Compare("displayName", op, Lit::Str(s)));
    let int_compare =
        (0u8..6, any::<i64>()).prop_map(|(op, i)| Tree::Compare("count", op, Lit::Int(i)));
    let bool_compare =
        (0u8..2, any::<bool>()).prop_map(|(op, b)| Tree::Compare("enabled", op, Lit::Bool(b)));
    let null_compare = (0u8..2, prop_oneof![Just("displayName"), Just("count")])
        .prop_map(|(op, field)| Tree::Compare(field, op, Lit::Null));
    let call = (0u8..3, any::<String>()).prop_map(|(f, s)| Tree::Call(f, "displayName", s));
    let leaf = prop_oneof![
        string_compare,
        int_compare,
        bool_compare,
        null_compare,
        call
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Tree::Not(Box::new(a))),
        ]
    })
}

const OPS: [CompareOp; 6] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Gt,
    CompareOp::Ge,
    CompareOp::Lt,
    CompareOp::Le,
];

fn build(tree: &Tree) -> client::Filter {
    match tree {
        Tree::Compare(field, op, lit) => {
            let field = try_field(field).expect("valid field");
            let value: client::Literal = match lit {
                Lit::Str(s) => s.as_str().into(),
                Lit::Int(i) => (*i).into(),
                Lit::Bool(b) => (*b).into(),
                Lit::Null => client::Literal::null(),
            };
            match op {
                0 => field.eq(value),
                1 => field.ne(value),
                2 => field.gt(value),
                3 => field.ge(value),
                4 => field.lt(value),
                _ => field.le(value),
            }
        }
        Tree::Call(function, field, s) => {
            let field = try_field(field).expect("valid field");
            match function {
                0 => field.contains(s),
                1 => field.starts_with(s),
                _ => field.ends_with(s),
            }
        }
        Tree::And(a, b) => build(a).and(build(b)),
        Tree::Or(a, b) => build(a).or(build(b)),
        Tree::Not(a) => client::not(build(a)),
    }
}

/// An expression with `and`/`or` chains flattened, for comparing modulo associativity.
#[derive(Debug, Clone, PartialEq)]
enum Norm {
    Compare(CompareOp, String, Literal),
    Call(String, String, Literal),
    And(Vec<Norm>),
    Or(Vec<Norm>),
    Not(Box<Norm>),
    Other(String),
}

fn flatten(into: &mut Vec<Norm>, norm: Norm, and: bool) {
    match (norm, and) {
        (Norm::And(items), true) | (Norm::Or(items), false) => into.extend(items),
        (other, _) => into.push(other),
    }
}

fn expected(tree: &Tree) -> Norm {
    match tree {
        Tree::Compare(field, op, lit) => Norm::Compare(
            OPS[usize::from(*op)],
            (*field).to_string(),
            match lit {
                Lit::Str(s) => Literal::String(s.clone()),
                Lit::Int(i) => Literal::Int(*i),
                Lit::Bool(b) => Literal::Boolean(*b),
                Lit::Null => Literal::Null,
            },
        ),
        Tree::Call(function, field, s) => Norm::Call(
            ["contains", "startswith", "endswith"][usize::from(*function)].to_string(),
            (*field).to_string(),
            Literal::String(s.clone()),
        ),
        Tree::And(a, b) | Tree::Or(a, b) => {
            let and = matches!(tree, Tree::And(..));
            let mut items = Vec::new();
            flatten(&mut items, expected(a), and);
            flatten(&mut items, expected(b), and);
            if and {
                Norm::And(items)
            } else {
                Norm::Or(items)
            }
        }
        Tree::Not(a) => Norm::Not(Box::new(expected(a))),
    }
}

fn parsed(expr: &Expr) -> Norm {
    match expr {
        Expr::Compare { op, left, right } => match (&**left, &**right) {
            (Expr::Property { name, .. }, Expr::Literal(lit)) => {
                Norm::Compare(*op, name.clone(), lit.clone())
            }
            _ => Norm::Other(expr.to_string()),
        },
        Expr::Call { function, args } => match args.as_slice() {
            [Expr::Property { name, .. }, Expr::Literal(lit)] => {
                Norm::Call(function.name().to_string(), name.clone(), lit.clone())
            }
            _ => Norm::Other(expr.to_string()),
        },
        Expr::And(a, b) | Expr::Or(a, b) => {
            let and = matches!(expr, Expr::And(..));
            let mut items = Vec::new();
            flatten(&mut items, parsed(a), and);
            flatten(&mut items, parsed(b), and);
            if and {
                Norm::And(items)
            } else {
                Norm::Or(items)
            }
        }
        Expr::Not(a) => Norm::Not(Box::new(parsed(a))),
        other => Norm::Other(other.to_string()),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_client_filter_builder_output_parses_to_the_same_expression(tree in tree()) {
        let text = build(&tree).to_string();
        let filter = Filter::parse(&text, &shape());
        prop_assert!(filter.is_ok(), "{text}: {filter:?}");
        if let Ok(filter) = filter {
            prop_assert_eq!(parsed(&filter.expr), expected(&tree), "{}", text);
        }
    }
}

/// Over HTTP: any query string on a list gets a 200 or a Graph 400, and the emulator keeps
/// serving.
#[test]
fn any_query_over_http_is_200_or_a_graph_400() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime
        .block_on(graph_security_copilot_emulator::Emulator::builder().start())
        .unwrap();
    // reqwest is built with `rustls-no-provider` here (the client's TLS is rustls on ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/security/securityCopilot/workspaces/default/sessions",
        emulator.base_url()
    );
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let query = prop_oneof![
        filter_text().prop_map(move |f| format!("$filter={}", encode(&f))),
        "[$a-z&=%+'(),0-9 ]{0,80}".prop_map(|q| q.replace(' ', "+")),
        (0usize..400).prop_map(|n| format!("$filter={}", "%28".repeat(n))),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(config(64));
    let result = runner.run(&query, |query| {
        let (status, body) = runtime.block_on(async {
            let response = http
                .get(format!("{url}?{query}"))
                .bearer_auth("t")
                .send()
                .await
                .expect("answered");
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        });
        prop_assert!(status == 200 || status == 400, "{query}: {status} {body}");
        if status == 400 {
            let json: Value = serde_json::from_str(&body).unwrap_or_default();
            prop_assert_eq!(&json["error"]["code"], "BadRequest", "{}", body);
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let alive = runtime.block_on(async {
        http.get(&url)
            .bearer_auth("t")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(alive.ok(), Some(200));
}
