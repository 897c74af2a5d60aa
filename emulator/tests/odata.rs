//! OData query options over raw HTTP: `$top`, `$skip`, `$count`, `$select`, `$orderby`,
//! `$filter`, server-driven paging, and the errors for bad options.

mod common;

use std::time::Duration;

use common::*;
use graph_security_copilot_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NAMES: [&str; 6] = ["alpha", "Bravo", "charlie", "delta", "echo", "it's"];

/// An emulator with six sessions, created in NAMES order (so listed newest first).
async fn sessions() -> (Api, Vec<String>) {
    let api = start(Emulator::builder().page_size(0)).await;
    let mut ids = Vec::new();
    for name in NAMES {
        ids.push(api.session(name).await);
    }
    (api, ids)
}

async fn names(api: &Api, query: &str) -> Vec<Value> {
    let reply = api.get(&format!("{WS}/sessions?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    column(&reply.json(), "displayName")
}

fn strs(items: &[&str]) -> Vec<Value> {
    items.iter().map(|s| json!(s)).collect()
}

#[tokio::test]
async fn top_skip_and_count() {
    let (api, _) = sessions().await;
    assert_eq!(
        names(&api, "").await,
        strs(&["it's", "echo", "delta", "charlie", "Bravo", "alpha"])
    );
    assert_eq!(names(&api, "$top=2").await, strs(&["it's", "echo"]));
    assert_eq!(names(&api, "$skip=4").await, strs(&["Bravo", "alpha"]));
    assert_eq!(
        names(&api, "$skip=1&$top=2").await,
        strs(&["echo", "delta"])
    );
    assert_eq!(names(&api, "$top=0").await, strs(&[]));
    let body = api
        .get(&format!(
            "{WS}/sessions?$count=true&$top=1&$filter=startswith(displayName,'e')"
        ))
        .await
        .json();
    assert_eq!(body["@odata.count"], 1);
    let body = api
        .get(&format!("{WS}/sessions?$count=true&$top=1"))
        .await
        .json();
    assert_eq!(body["@odata.count"], 6);
    assert_eq!(values(&body).len(), 1);
    // `@odata.count` comes before `value`, after the context.
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["@odata.context", "@odata.count", "value"]);
    let body = api.get(&format!("{WS}/sessions?$count=false")).await.json();
    assert!(body.get("@odata.count").is_none());
}

#[tokio::test]
async fn select_projects_and_keeps_the_key() {
    let (api, _) = sessions().await;
    let body = api
        .get(&format!(
            "{WS}/sessions?$select=displayName,createdDateTime&$top=1"
        ))
        .await
        .json();
    let item = &values(&body)[0];
    let mut keys: Vec<_> = item.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, vec!["createdDateTime", "displayName", "id"]);
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/sessions(displayName,createdDateTime)",
            api.emulator.base_url()
        )
    );
}

#[tokio::test]
async fn orderby_with_directions_and_several_keys() {
    let (api, _) = sessions().await;
    // Ordinal string order: uppercase before lowercase.
    assert_eq!(
        names(&api, "$orderby=displayName").await,
        strs(&["Bravo", "alpha", "charlie", "delta", "echo", "it's"])
    );
    assert_eq!(
        names(&api, "$orderby=displayName desc").await,
        strs(&["it's", "echo", "delta", "charlie", "alpha", "Bravo"])
    );
    assert_eq!(
        names(&api, "$orderby=createdDateTime asc&$top=2").await,
        strs(&["alpha", "Bravo"])
    );
    // Several keys: prompts by type (all equal) then content descending.
    let session = api.session("x").await;
    for content in ["b", "a", "c"] {
        api.prompt(&session, content).await;
    }
    let body = api
        .get(&format!(
            "{WS}/sessions/{session}/prompts?$orderby=type asc,content desc"
        ))
        .await
        .json();
    assert_eq!(column(&body, "content"), strs(&["c", "b", "a"]));
}

#[tokio::test]
async fn filter_on_strings() {
    let (api, _) = sessions().await;
    let cases: [(&str, &[&str]); 12] = [
        ("displayName eq 'delta'", &["delta"]),
        (
            "displayName ne 'delta'",
            &["it's", "echo", "charlie", "Bravo", "alpha"],
        ),
        ("displayName gt 'delta'", &["it's", "echo"]),
        ("displayName ge 'delta'", &["it's", "echo", "delta"]),
        ("displayName lt 'alpha'", &["Bravo"]),
        ("displayName le 'alpha'", &["Bravo", "alpha"]),
        ("contains(displayName,'ha')", &["charlie", "alpha"]),
        ("startswith(displayName,'e')", &["echo"]),
        ("endswith(displayName,'a')", &["delta", "alpha"]),
        ("displayName eq 'it''s'", &["it's"]),
        (
            "(displayName eq 'alpha' or displayName eq 'echo') and not contains(displayName,'x')",
            &["echo", "alpha"],
        ),
        (
            "not (startswith(displayName,'a') or startswith(displayName,'B'))",
            &["it's", "echo", "delta", "charlie"],
        ),
    ];
    for (filter, expected) in cases {
        let query = format!(
            "$filter={}",
            filter.replace(' ', "%20").replace('\'', "%27")
        );
        assert_eq!(names(&api, &query).await, strs(expected), "{filter}");
    }
}

#[tokio::test]
async fn filter_on_dates() {
    let (api, _) = sessions().await;
    let body = api
        .get(&format!("{WS}/sessions?$orderby=createdDateTime"))
        .await
        .json();
    let third = values(&body)[2]["createdDateTime"]
        .as_str()
        .unwrap()
        .to_string();
    let query = format!("$filter=createdDateTime%20gt%20{third}");
    assert_eq!(names(&api, &query).await, strs(&["it's", "echo", "delta"]));
    let query = format!("$filter=createdDateTime%20le%20{third}&$orderby=createdDateTime");
    assert_eq!(
        names(&api, &query).await,
        strs(&["alpha", "Bravo", "charlie"])
    );
    assert_eq!(
        names(&api, "$filter=createdDateTime gt 2000-01-01T00:00:00Z and createdDateTime lt 9999-01-01T00:00:00Z").await.len(),
        6
    );
}

#[tokio::test]
async fn filter_on_booleans_and_enums() {
    let api = start_default().await;
    let get = |query: &'static str| {
        let api = &api;
        async move {
            let reply = api.get(&format!("{WS}/plugins?$filter={query}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
            column(&reply.json(), "name")
        }
    };
    assert_eq!(get("isEnabled eq false").await, strs(&["Sentinel", "Web"]));
    assert_eq!(get("isEnabled").await.len(), 5);
    assert_eq!(get("category eq 'web'").await, strs(&["Web"]));
    assert_eq!(
        get("catalogScope ne 'global' or previewState eq 'public'").await,
        strs(&["Sentinel", "Web"])
    );
    assert_eq!(get("name eq 'Entra'").await, strs(&["Entra"]));
    assert_eq!(
        get("contains(name,'Intel')").await,
        strs(&["ThreatIntelligence"])
    );
    assert_eq!(
        get("displayName eq 'Microsoft Intune'").await,
        strs(&["Intune"])
    );
}

#[tokio::test]
async fn filter_on_numbers_and_evaluation_states() {
    let api =
        start(Emulator::builder().evaluation_delays(Duration::ZERO, Duration::from_secs(3600)))
            .await;
    let session = api.session("s").await;
    let prompt = api.prompt(&session, "who am I").await;
    let id = api.evaluation(&session, &prompt).await;
    let path = format!("{WS}/sessions/{session}/prompts/{prompt}/evaluations");
    for (filter, expected) in [
        ("executionCount eq 0", 1),
        ("executionCount gt 0", 0),
        ("executionCount le 0 and isCancelled eq false", 1),
        ("state eq 'running'", 1),
        ("state eq 'completed'", 0),
        ("result ne null", 1),
    ] {
        let reply = api
            .get(&format!("{path}?$filter={}", filter.replace(' ', "%20")))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.text);
        assert_eq!(values(&reply.json()).len(), expected, "{filter}");
    }
    let reply = api.get(&format!("{path}?$select=state")).await.json();
    assert_eq!(values(&reply), vec![json!({"id": id, "state": "running"})]);
}

#[tokio::test]
async fn server_driven_paging_with_opaque_skiptokens() {
    let api = start(Emulator::builder().page_size(4)).await;
    for i in 0..10 {
        api.session(&format!("s{i:02}")).await;
    }
    let mut url = api.url(&format!(
        "{WS}/sessions?$orderby=displayName&$count=true&$select=displayName"
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = api.http.get(&url).bearer_auth("t").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        pages += 1;
        assert_eq!(body["@odata.count"], 10);
        seen.extend(column(&body, "displayName"));
        match body["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&api.url(&format!("{WS}/sessions?"))),
                    "{next}"
                );
                assert!(next.contains("$skiptoken="), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<Value> = (0..10).map(|i| json!(format!("s{i:02}"))).collect();
    assert_eq!(seen, expected);

    // $top bounds the whole result, not the page.
    let body = api.get(&format!("{WS}/sessions?$top=6")).await.json();
    assert_eq!(values(&body).len(), 4);
    let next = body["@odata.nextLink"].as_str().unwrap().to_string();
    let rest: Value = api
        .http
        .get(&next)
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(values(&rest).len(), 2);
    assert!(rest.get("@odata.nextLink").is_none());

    // A token is bound to its query and tamper-evident.
    let token = next.split("$skiptoken=").nth(1).unwrap();
    let reply = api
        .get(&format!("{WS}/sessions?$top=5&$skiptoken={token}"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().1.starts_with("Invalid $skiptoken value"),
        "{}",
        reply.text
    );
    let reply = api.get(&format!("{WS}/sessions?$skiptoken=nonsense")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_query_options_are_400_naming_the_problem() {
    let (api, ids) = sessions().await;
    let cases = [
        ("$top=abc", "Invalid $top value 'abc': expected a non-negative integer"),
        ("$skip=-1", "Invalid $skip value '-1': expected a non-negative integer"),
        ("$count=yes", "Invalid $count value 'yes': expected 'true' or 'false'"),
        (
            "$select=nope",
            "Could not find a property named 'nope' on type 'microsoft.graph.security.securityCopilot.session'",
        ),
        (
            "$orderby=displayName sideways",
            "Invalid $orderby value 'displayName sideways': expected 'asc' or 'desc' after 'displayName' but found 'sideways'",
        ),
        (
            "$filter=nope eq 1",
            "Could not find a property named 'nope' on type 'microsoft.graph.security.securityCopilot.session'",
        ),
        ("$expand=prompts", "Query option '$expand' is not allowed for this request"),
        ("$search=x", "Query option '$search' is not allowed for this request"),
        ("$format=json", "Unknown system query option '$format'"),
        ("$top=1&$top=2", "Query option '$top' was specified more than once"),
    ];
    for (query, message) in cases {
        let reply = api.get(&format!("{WS}/sessions?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            reply.error(),
            ("BadRequest".to_string(), message.to_string()),
            "{query}"
        );
    }
    let reply = api
        .get(&format!("{WS}/sessions?$filter=displayName eq"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .error()
            .1
            .starts_with("Syntax error in $filter at position"),
        "{}",
        reply.text
    );
    let reply = api
        .get(&format!("{WS}/sessions?$filter=displayName eq 5"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().1.starts_with("Invalid $filter at position"),
        "{}",
        reply.text
    );
    // A single entity takes $select only.
    let reply = api.get(&format!("{WS}/sessions/{}?$top=1", ids[0])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error().1,
        "Query option '$top' is not allowed for this request"
    );
    // Writes take none.
    let reply = api
        .post(
            &format!("{WS}/sessions?$select=id"),
            json!({"displayName": "x"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.error().1,
        "Query option '$select' is not allowed for this request"
    );
}

#[tokio::test]
async fn strict_mode_accepts_only_the_documented_options() {
    let api = start(Emulator::builder().strict_query_options(true)).await;
    api.session("a").await;
    for ok in [
        "$top=1",
        "$count=true",
        "$select=displayName",
        "$filter=displayName eq 'a'",
    ] {
        let reply = api.get(&format!("{WS}/sessions?{ok}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{ok}");
    }
    for (bad, option) in [("$orderby=displayName", "$orderby"), ("$skip=1", "$skip")] {
        let reply = api.get(&format!("{WS}/sessions?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            reply.error().1,
            format!("Query option '{option}' is not allowed for this request")
        );
    }
    // Workspaces document $count, $filter and $select, not $top.
    let reply = api.get("/security/securityCopilot/workspaces?$top=1").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}
