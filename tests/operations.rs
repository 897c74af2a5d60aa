//! The operation table the library exports for tools (`gsc api`): the same operations as the
//! golden surface listing, each sendable through the client's transport.

use graph_security_copilot::__operations::{self, ResponseKind, OPERATIONS};
use graph_security_copilot::{auth::StaticToken, query::Query, Client};
use graph_security_copilot_emulator::Emulator;

#[test]
fn the_table_lists_the_operations_of_the_golden_surface() {
    let surface = include_str!("../spec/generated/surface.txt");
    let golden: Vec<(&str, &str, &str)> = surface
        .lines()
        .skip_while(|l| !l.starts_with("## Operations"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .filter_map(|l| {
            let mut parts = l.split(' ');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .collect();
    let table: Vec<(&str, &str, &str)> = OPERATIONS
        .iter()
        .map(|op| (op.id, op.method, op.path))
        .collect();
    assert_eq!(table, golden);
    for op in OPERATIONS {
        assert_eq!(
            op.path_parameters.len(),
            op.path.matches('{').count(),
            "{}",
            op.id
        );
    }
}

#[tokio::test]
async fn rows_are_sent_through_the_transport() {
    let emulator = Emulator::builder().page_size(1).start().await.unwrap();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new("operations-test-token"))
        .build()
        .unwrap();
    let create = __operations::operation("create_workspace_session").unwrap();
    let body = serde_json::json!({ "displayName": "by table" });
    for _ in 0..2 {
        let created = __operations::send(
            client.transport(),
            create,
            &["default"],
            &Query::default(),
            Some(&body),
        )
        .await
        .unwrap();
        assert_eq!(created.metadata().status().as_u16(), 201);
        assert_eq!(created.value()["displayName"], "by table");
    }
    let list = __operations::operation("list_workspace_sessions").unwrap();
    assert_eq!(list.response, ResponseKind::Collection);
    let query = Query {
        count: Some(true),
        ..Query::default()
    };
    let pages: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(__operations::pages(
        client.transport(),
        list,
        &["default"],
        &query,
    ))
    .await
    .unwrap();
    assert_eq!(pages.len(), 2, "page_size 1: two pages");
    assert_eq!(pages[0].count, Some(2));

    // Refused before sending: an option the operation does not allow, a missing body.
    let get = __operations::operation("get_workspace_session").unwrap();
    let error = __operations::send(client.transport(), get, &["default", "x"], &query, None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("$count"), "{error}");
    let error = __operations::send(
        client.transport(),
        create,
        &["default"],
        &Query::default(),
        None,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("body"), "{error}");
    let not_found = __operations::send(
        client.transport(),
        get,
        &["default", "missing"],
        &Query::default(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(not_found.status().map(|s| s.as_u16()), Some(404));
    assert!(not_found.request_id().is_some());
}
