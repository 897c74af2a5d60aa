//! Every error status, in Graph's body format: 400, 401, 404, 405, 409-free keys, 413.

mod common;

use common::*;
use graph_security_copilot_emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn assert_error(reply: &Reply, status: StatusCode, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.error(),
        (code.to_string(), message.to_string()),
        "{}",
        reply.text
    );
    let body = reply.json();
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["request-id"], reply.header("request-id"));
    assert_eq!(
        inner["client-request-id"],
        reply.header("client-request-id")
    );
    assert!(inner["date"].is_string());
    assert!(reply.header("content-type").starts_with("application/json"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let api = start_default().await;
    let sessions = format!("{WS}/sessions");
    let reply = api.post_raw(&sessions, "{\"displayName\": ").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let (code, message) = reply.error();
    assert_eq!(code, "BadRequest");
    assert!(
        message.starts_with("Unable to read JSON request payload: EOF while parsing"),
        "{message}"
    );
    // The docs' create-prompt example has a trailing comma; strict JSON refuses it.
    let session = api.session("s").await;
    let reply = api
        .post_raw(
            &format!("{WS}/sessions/{session}/prompts"),
            "{\n  \"type\": \"prompt\",\n  \"content\": \"who am I\",\n}",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error().1.contains("trailing comma"), "{}", reply.text);
    assert_error(
        &api.post_raw(&sessions, "").await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The request body is empty; send a JSON object (for example {}).",
    );
    assert_error(
        &api.post(&sessions, json!(["Who am I"])).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The request body must be a JSON object describing a \
         microsoft.graph.security.securityCopilot.session, not an array.",
    );
}

#[tokio::test]
async fn wrong_types_unknown_and_missing_properties_are_400() {
    let api = start_default().await;
    let sessions = format!("{WS}/sessions");
    assert_error(
        &api.post(&sessions, json!({"displayName": 7})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Invalid value for property 'displayName': expected Edm.String, found a number (7).",
    );
    assert_error(
        &api.post(&sessions, json!({"displayName": "x", "colour": "red"}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The property 'colour' does not exist on type \
         'microsoft.graph.security.securityCopilot.session'. Make sure to only use property \
         names that are defined by the type.",
    );
    assert_error(
        &api.post(&sessions, json!({"@odata.type": SESSION_TYPE}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The property 'displayName' is required to create a session.",
    );
    assert_error(
        &api.post(&sessions, json!({"displayName": null})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The property 'displayName' is required to create a session.",
    );
    let session = api.session("s").await;
    let prompts = format!("{WS}/sessions/{session}/prompts");
    assert_error(
        &api.post(&prompts, json!({"type": "prompt"})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The property 'content' is required to create a prompt.",
    );
    assert_error(
        &api.post(&prompts, json!({"content": "x", "type": "skill"}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Only prompts of type 'prompt' are supported, not 'skill'.",
    );
    assert_error(
        &api.post(&prompts, json!({"content": "x", "type": "question"}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Invalid value for property 'type': 'question' is not a member of enum type \
         'microsoft.graph.security.securityCopilot.promptType' (members: unknown, context, \
         prompt, skill, feedback, unknownFutureValue).",
    );
    assert_error(
        &api.patch(
            &format!("{sessions}/{session}"),
            json!({"displayName": false}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Invalid value for property 'displayName': expected Edm.String, found a boolean (false).",
    );
    assert_error(
        &api.patch(&format!("{sessions}/{session}"), json!({"id": "other"}))
            .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "The key property 'id' cannot be changed.",
    );
    // Evaluations take `{}`; computed members are checked, then ignored.
    let prompt = api.prompt(&session, "who am I").await;
    let evaluations = format!("{prompts}/{prompt}/evaluations");
    assert_error(
        &api.post(&evaluations, json!({"state": 3})).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Invalid value for property 'state': expected a member of \
         microsoft.graph.security.securityCopilot.evaluationState, found a number (3).",
    );
    let reply = api.post(&evaluations, json!({"state": "completed"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["state"], "created");
    // The target names the property.
    let reply = api.post(&sessions, json!({"displayName": 7})).await;
    assert_eq!(reply.json()["error"]["target"], "displayName");
}

#[tokio::test]
async fn missing_or_wrong_tokens_are_401() {
    let api = start(Emulator::builder().token("secret")).await;
    let path = format!("{WS}/sessions");
    let no_token = api.send(api.http.get(api.url(&path))).await;
    assert_error(
        &no_token,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token is empty.",
    );
    assert!(no_token.header("www-authenticate").starts_with("Bearer "));
    let basic = api
        .send(
            api.http
                .get(api.url(&path))
                .header("Authorization", "Basic c2VjcmV0"),
        )
        .await;
    assert_error(
        &basic,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token validation failure. The Authorization header must be 'Bearer <token>'.",
    );
    let wrong = api
        .send(api.http.get(api.url(&path)).bearer_auth("guess"))
        .await;
    assert_error(
        &wrong,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        "Access token validation failure. The token is not the one this emulator accepts.",
    );
    // Unknown paths need a token too.
    let reply = api.send(api.http.get(api.url("/nowhere"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let right = api
        .send(api.http.get(api.url(&path)).bearer_auth("secret"))
        .await;
    assert_eq!(right.status, StatusCode::OK);
    // Without a configured token any bearer passes, but one is required.
    let open = start_default().await;
    let reply = open.send(open.http.get(open.url(&path))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = open
        .send(open.http.get(open.url(&path)).bearer_auth("anything"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_ids_and_paths_are_404() {
    let api = start_default().await;
    let session = api.session("s").await;
    assert_error(
        &api.get(&format!("{WS}/sessions/missing")).await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The session with id 'missing' was not found.",
    );
    assert_error(
        &api.patch(
            &format!("{WS}/sessions/missing"),
            json!({"displayName": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The session with id 'missing' was not found.",
    );
    assert_error(
        &api.get(&format!("{WS}/sessions/{session}/prompts/missing"))
            .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The prompt with id 'missing' was not found.",
    );
    // A missing parent is reported first.
    assert_error(
        &api.get(&format!("{WS}/sessions/missing/prompts")).await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The session with id 'missing' was not found.",
    );
    assert_error(
        &api.post(
            "/security/securityCopilot/workspaces/other/sessions",
            json!({"displayName": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The workspace with id 'other' was not found.",
    );
    assert_error(
        &api.post(
            &format!("{WS}/sessions/{session}/prompts/missing/evaluations"),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The prompt with id 'missing' was not found.",
    );
    assert_error(
        &api.get("/security/securityCopilot/gadgets").await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "Resource not found for the segment 'gadgets'.",
    );
    assert_error(
        &api.get(&format!("{WS}/sessions/{session}/notes")).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "Resource not found for the segment 'notes'.",
    );
    let outside = api
        .send(
            api.http
                .get(format!("http://{}/v1.0/me", api.emulator.local_addr()))
                .bearer_auth("t"),
        )
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn operations_the_overlay_does_not_allow_are_405() {
    let api = start_default().await;
    let session = api.session("s").await;
    let cases = [
        (
            Method::DELETE,
            format!("{WS}/sessions/{session}"),
            "GET, PATCH",
        ),
        (Method::POST, format!("{WS}/plugins"), "GET"),
        (Method::GET, format!("{WS}/plugins/Entra"), ""),
        (
            Method::GET,
            "/security/securityCopilot/workspaces/default".to_string(),
            "",
        ),
        (
            Method::POST,
            "/security/securityCopilot/workspaces".to_string(),
            "GET",
        ),
        (Method::GET, "/security/securityCopilot".to_string(), ""),
        (Method::GET, format!("{WS}/sessions/$count"), ""),
        (Method::PUT, format!("{WS}/sessions"), "GET, POST"),
    ];
    for (method, path, allow) in cases {
        let reply = api
            .send(
                api.request(method.clone(), &path)
                    .header("Content-Type", "application/json")
                    .body("{}"),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.error().0, "notAllowed");
        assert_eq!(reply.header("allow"), allow, "{method} {path}");
    }
    let reply = api
        .send(api.request(Method::DELETE, &format!("{WS}/sessions/{session}")))
        .await;
    assert_eq!(
        reply.error().1,
        "The HTTP method 'DELETE' is not allowed on \
         '/security/securityCopilot/workspaces/{workspace-id}/sessions/{session-id}'. Allowed: GET, PATCH."
    );
    // Nothing was deleted.
    assert_eq!(
        api.get(&format!("{WS}/sessions/{session}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let api = start(Emulator::builder().max_body_bytes(1024)).await;
    let sessions = format!("{WS}/sessions");
    let big = json!({"displayName": "x".repeat(2048)});
    assert_error(
        &api.post(&sessions, big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "requestEntityTooLarge",
        "The request body is larger than the limit of 1024 bytes.",
    );
    // Chunked bodies (no Content-Length) are cut off too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"displayName\": \"".to_vec()),
        Ok(vec![b'y'; 4096]),
        Ok(b"\"}".to_vec()),
    ];
    let reply = api
        .send(
            api.request(Method::POST, &sessions)
                .header("Content-Type", "application/json")
                .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Just under the limit is fine, and nothing oversized was stored.
    let ok = api
        .post(&sessions, json!({"displayName": "z".repeat(900)}))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let list = api.get(&format!("{sessions}?$count=true")).await.json();
    assert_eq!(list["@odata.count"], 1);
}
