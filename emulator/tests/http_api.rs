//! The emulator answers like the Graph documentation's examples: raw HTTP, exact bodies and
//! headers.

mod common;

use std::time::Duration;

use common::*;
use graph_security_copilot_emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn lists_workspaces_with_the_default_one() {
    let api = start_default().await;
    let reply = api.get("/security/securityCopilot/workspaces").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces",
            api.emulator.base_url()
        )
    );
    assert_eq!(
        values(&body),
        vec![json!({"id": "default", "displayName": "Default workspace"})]
    );
}

#[tokio::test]
async fn lists_plugins_like_the_docs_example() {
    let api = start_default().await;
    let reply = api
        .get(&format!("{WS}/plugins?$filter=name+eq+'Entra'"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/plugins",
            api.emulator.base_url()
        )
    );
    assert_eq!(
        values(&body),
        vec![json!({
            "name": "Entra",
            "authorization": null,
            "catalogScope": "global",
            "category": "microsoft",
            "description": "Skills that interact with the Microsoft Graph APIs.",
            "displayName": "Microsoft Entra",
            "isEnabled": true,
            "previewState": "ga",
            "settings": [],
            "supportedAuthTypes": "none"
        })]
    );
    let all = api.get(&format!("{WS}/plugins")).await.json();
    assert_eq!(
        column(&all, "name"),
        vec![
            json!("Entra"),
            json!("DefenderXDR"),
            json!("Intune"),
            json!("Purview"),
            json!("ThreatIntelligence"),
            json!("Sentinel"),
            json!("Web")
        ]
    );
}

#[tokio::test]
async fn creates_gets_and_updates_a_session_like_the_docs() {
    let api = start_default().await;
    let reply = api
        .post(
            &format!("{WS}/sessions"),
            json!({"@odata.type": SESSION_TYPE, "displayName": "Who am I"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // `@odata.context`, then every structural property of the spec's session type, base first
    // (the docs example has exactly these today; the spec decides, so a refresh keeps it true).
    let spec = graph_security_copilot_emulator::Spec::bundled().unwrap();
    let expected: Vec<&str> = std::iter::once("@odata.context")
        .chain(
            spec.properties("microsoft.graph.security.securityCopilot.session")
                .into_iter()
                .map(|p| p.name.as_str()),
        )
        .collect();
    assert_eq!(keys, expected);
    for documented in [
        "id",
        "createdDateTime",
        "displayName",
        "lastModifiedDateTime",
    ] {
        assert!(keys.contains(&documented), "{documented}");
    }
    let base = api.emulator.base_url();
    assert_eq!(
        created["@odata.context"],
        format!("{base}/$metadata#security/securityCopilot/workspaces('default')/sessions/$entity")
    );
    assert_eq!(created["displayName"], "Who am I");
    let created_at = created["createdDateTime"].as_str().unwrap();
    assert!(is_graph_time(created_at), "{created_at}");
    assert_eq!(created["lastModifiedDateTime"], created["createdDateTime"]);
    assert_eq!(
        reply.header("location"),
        format!("{base}{WS}/sessions/{id}")
    );

    let got = api.get(&format!("{WS}/sessions/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), created);

    tokio::time::sleep(Duration::from_millis(2)).await;
    let patched = api
        .patch(
            &format!("{WS}/sessions/{id}"),
            json!({"@odata.type": SESSION_TYPE, "displayName": "API Test: Who am I?"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let patched = patched.json();
    assert_eq!(patched["displayName"], "API Test: Who am I?");
    assert_eq!(patched["createdDateTime"], created["createdDateTime"]);
    let modified =
        chrono::DateTime::parse_from_rfc3339(patched["lastModifiedDateTime"].as_str().unwrap())
            .unwrap();
    let created_time = chrono::DateTime::parse_from_rfc3339(created_at).unwrap();
    assert!(modified > created_time);
    assert_eq!(
        api.get(&format!("{WS}/sessions/{id}")).await.json(),
        patched
    );

    // Key-in-parentheses addressing, as in @odata.context.
    let by_parens = api
        .get(&format!(
            "/security/securityCopilot/workspaces('default')/sessions('{id}')"
        ))
        .await;
    assert_eq!(by_parens.json(), patched);
}

#[tokio::test]
async fn get_with_select_projects_and_says_so_in_the_context() {
    let api = start_default().await;
    let id = api.session("who am i").await;
    let reply = api
        .get(&format!("{WS}/sessions/{id}?$select=displayName"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({
            "@odata.context": format!(
                "{}/$metadata#security/securityCopilot/workspaces('default')/sessions(displayName)/$entity",
                api.emulator.base_url()
            ),
            "id": id,
            "displayName": "who am i"
        })
    );
}

#[tokio::test]
async fn creates_and_reads_prompts_like_the_docs() {
    let api = start_default().await;
    let session = api.session("s").await;
    let reply = api
        .post(
            &format!("{WS}/sessions/{session}/prompts"),
            json!({
                "@odata.type": "#microsoft.graph.security.securityCopilot.prompt",
                "type": "prompt",
                "content": "who am I"
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let prompt = reply.json();
    let id = prompt["id"].as_str().unwrap();
    assert_eq!(
        prompt["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/sessions('{session}')/prompts/$entity",
            api.emulator.base_url()
        )
    );
    assert_eq!(prompt["type"], "prompt");
    assert_eq!(prompt["content"], "who am I");
    assert_eq!(prompt["skillName"], json!(null));
    assert_eq!(prompt["inputs"], json!({"keyValuePairs": []}));
    assert_eq!(prompt["skillInputDescriptors"], json!([]));
    assert_eq!(prompt["createdDateTime"], prompt["lastModifiedDateTime"]);

    // `type` defaults to `prompt`.
    let second = api
        .post(
            &format!("{WS}/sessions/{session}/prompts"),
            json!({"content": "list risky users"}),
        )
        .await
        .json();
    assert_eq!(second["type"], "prompt");

    let got = api
        .get(&format!("{WS}/sessions/{session}/prompts/{id}"))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json(), prompt);

    let list = api
        .get(&format!("{WS}/sessions/{session}/prompts"))
        .await
        .json();
    assert_eq!(
        list["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/sessions('{session}')/prompts",
            api.emulator.base_url()
        )
    );
    assert_eq!(
        column(&list, "content"),
        vec![json!("list risky users"), json!("who am I")]
    );
}

#[tokio::test]
async fn evaluations_run_from_created_to_running_to_completed() {
    let api = start(
        Emulator::builder()
            .evaluation_delays(Duration::from_millis(300), Duration::from_millis(1000)),
    )
    .await;
    let session = api.session("Who am I").await;
    let prompt = api.prompt(&session, "who am I").await;
    let path = format!("{WS}/sessions/{session}/prompts/{prompt}/evaluations");
    let reply = api.post(&path, json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["@odata.context"],
        format!(
            "{}/$metadata#security/securityCopilot/workspaces('default')/sessions('{session}')/prompts('{prompt}')/evaluations/$entity",
            api.emulator.base_url()
        )
    );
    assert_eq!(created["state"], "created");
    assert_eq!(created["runStartDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(created["completedDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(created["executionCount"], 0);
    assert_eq!(created["isCancelled"], false);
    assert_eq!(created["result"], json!(null));
    assert_eq!(created["createdDateTime"], created["lastModifiedDateTime"]);

    // Running from 300 ms to 1300 ms after creation.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let running = api.get(&format!("{path}/{id}")).await.json();
    assert_eq!(running["state"], "running");
    assert!(is_graph_time(running["runStartDateTime"].as_str().unwrap()));
    assert_eq!(running["completedDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(running["lastModifiedDateTime"], running["runStartDateTime"]);
    assert_eq!(
        running["result"],
        json!({"content": null, "type": "unknown", "previewState": "ga"})
    );
    // Filters see the current state.
    let listed = api
        .get(&format!("{path}?$filter=state eq 'running'"))
        .await
        .json();
    assert_eq!(column(&listed, "id"), vec![json!(id)]);

    tokio::time::sleep(Duration::from_millis(1000)).await;
    let done = api.get(&format!("{path}/{id}")).await.json();
    assert_eq!(done["state"], "completed");
    assert_eq!(done["result"]["type"], "success");
    let answer = done["result"]["content"].as_str().unwrap();
    assert!(answer.contains("\"who am I\""), "{answer}");
    assert_eq!(done["lastModifiedDateTime"], done["completedDateTime"]);
    assert_eq!(done["runStartDateTime"], running["runStartDateTime"]);
    let run_start =
        chrono::DateTime::parse_from_rfc3339(done["runStartDateTime"].as_str().unwrap()).unwrap();
    let completed =
        chrono::DateTime::parse_from_rfc3339(done["completedDateTime"].as_str().unwrap()).unwrap();
    assert_eq!((completed - run_start).num_milliseconds(), 1000);
}

#[tokio::test]
async fn every_response_carries_request_ids_and_a_date() {
    let api = start_default().await;
    let reply = api
        .send(
            api.request(Method::GET, &format!("{WS}/sessions"))
                .header("client-request-id", "my-correlation-id"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("client-request-id"), "my-correlation-id");
    assert!(uuid::Uuid::parse_str(reply.header("request-id")).is_ok());
    assert!(httpdate::parse_http_date(reply.header("date")).is_ok());
    assert_eq!(
        reply.header("content-type"),
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    );
    assert_eq!(reply.header("odata-version"), "4.0");
    // Without a client-request-id, the request-id stands in for it.
    let reply = api.get(&format!("{WS}/sessions")).await;
    assert_eq!(
        reply.header("client-request-id"),
        reply.header("request-id")
    );
    // Errors too, in the body as well.
    let reply = api
        .send(
            api.request(Method::GET, &format!("{WS}/sessions/nope"))
                .header("client-request-id", "abc"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let inner = &reply.json()["error"]["innerError"];
    assert_eq!(inner["client-request-id"], "abc");
    assert_eq!(inner["request-id"], reply.header("request-id"));
    let date = inner["date"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{date}"
    );
}

#[tokio::test]
async fn serves_its_metadata() {
    let api = start_default().await;
    let reply = api.get("/$metadata").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/xml");
    assert!(reply.text.contains("<EntityType Name=\"session\""));
}

#[tokio::test]
async fn state_is_per_emulator_and_sessions_list_newest_first() {
    let a = start_default().await;
    let b = start_default().await;
    let first = a.session("first").await;
    let second = a.session("second").await;
    let list = a.get(&format!("{WS}/sessions")).await.json();
    assert_eq!(column(&list, "id"), vec![json!(second), json!(first)]);
    assert_eq!(
        values(&b.get(&format!("{WS}/sessions")).await.json()).len(),
        0
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let api = start_default().await;
    let url = api.url(&format!("{WS}/sessions"));
    assert_eq!(
        api.get(&format!("{WS}/sessions")).await.status,
        StatusCode::OK
    );
    let Api { emulator, .. } = api;
    emulator.shutdown().await;
    let error = http().get(&url).bearer_auth("t").send().await.unwrap_err();
    assert!(error.is_connect(), "{error}");
}

#[tokio::test]
async fn dropping_the_handle_stops_serving() {
    let emulator = Emulator::start().await.unwrap();
    let url = format!(
        "{}/security/securityCopilot/workspaces",
        emulator.base_url()
    );
    drop(emulator);
    let mut stopped = false;
    for _ in 0..50 {
        if http().get(&url).bearer_auth("t").send().await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped);
}
