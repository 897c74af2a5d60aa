//! Wire-level tests of the 12 documented operations against a mockito server on loopback:
//! exact method, path, query string, headers and body sent; the docs' example responses decoded.

use futures::TryStreamExt;
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::filter::{self, Literal};
use graph_security_copilot::models::{
    Evaluation, EvaluationResultType, EvaluationState, PromptType, Session,
};
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error};
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::json;

const TOKEN: &str = "test-token-0123456789";
const SESSION: &str = "ecdfb9b3-58f5-457f-a18c-4a477890b252";
const PROMPT: &str = "76a9b8c6-6656-4ef4-a4c7-7ed07fb93e01";
const EVALUATION: &str = "5bde1164-29a3-4dfb-84b0-b6c0cf0e23b7";
const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

fn client(server: &ServerGuard) -> Client {
    Client::builder()
        .base_url(format!("{}/beta", server.url()))
        .credential(StaticToken::new(TOKEN))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn base() -> &'static str {
    "/beta/security/securityCopilot/workspaces"
}

/// The headers every request carries (and `api-version`, which progenitor would add, is absent).
fn expect_common(mock: Mock) -> Mock {
    mock.match_header("authorization", format!("Bearer {TOKEN}").as_str())
        .match_header("client-request-id", Matcher::Regex(UUID.to_string()))
        .match_header("prefer", "include-unknown-enum-members")
        .match_header(
            "user-agent",
            Matcher::Regex("^graph-security-copilot/[0-9]+\\.[0-9]+\\.[0-9]+$".to_string()),
        )
        .match_header("accept", "application/json")
        .match_header("api-version", Matcher::Missing)
}

fn json_response(mock: Mock, status: usize, body: &serde_json::Value) -> Mock {
    mock.with_status(status)
        .with_header("content-type", "application/json")
        .with_header("request-id", "req-1")
        .with_body(body.to_string())
}

#[tokio::test]
async fn list_workspaces_decodes_the_docs_example() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({"value": [{
        "@odata.type": "#microsoft.graph.security.securityCopilot.workspace",
        "id": "17aafe23-ab95-3b37-9546-56dec5ac0218",
        "displayName": "SecurityCopilot_Workspace"
    }]});
    let mock = json_response(expect_common(server.mock("GET", base())), 200, &body)
        .match_query(Matcher::Missing)
        .match_body(Matcher::Missing)
        .create_async()
        .await;
    let workspaces: Vec<_> = client(&server)
        .workspaces()
        .list()
        .try_collect()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(workspaces.len(), 1);
    assert_eq!(
        workspaces[0].id.as_deref(),
        Some("17aafe23-ab95-3b37-9546-56dec5ac0218")
    );
    assert_eq!(
        workspaces[0].display_name,
        Some(Some("SecurityCopilot_Workspace".to_string()))
    );
    assert_eq!(
        workspaces[0].odata_type.as_deref(),
        Some("#microsoft.graph.security.securityCopilot.workspace")
    );
}

#[tokio::test]
async fn list_plugins_sends_filter_with_escaped_literal() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/securityCopilot/workspaces('default')/plugins",
        "value": [{
            "name": "Entra", "displayName": "Microsoft Entra",
            "description": "Skills that interact with the Microsoft Graph APIs.",
            "category": "microsoft", "catalogScope": "global", "previewState": "ga",
            "isEnabled": true, "authorization": null, "settings": []
        }]
    });
    let mock = json_response(
        expect_common(server.mock("GET", format!("{}/default/plugins", base()).as_str())),
        200,
        &body,
    )
    .match_query(Matcher::Exact("%24filter=name+eq+%27Entra%27".to_string()))
    .create_async()
    .await;
    let plugins: Vec<_> = client(&server)
        .workspace("default")
        .plugins()
        .list()
        .filter(filter::field!("name").eq("Entra"))
        .try_collect()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(plugins[0].name.as_deref(), Some("Entra"));
    assert_eq!(plugins[0].is_enabled, Some(true));
    assert_eq!(plugins[0].authorization, Some(None), "null kept as null");
    assert_eq!(plugins[0].settings.as_deref(), Some(&[][..]));
}

#[tokio::test]
async fn list_sessions_sends_top_count_and_select_comma_joined_in_caller_order() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({
        "@odata.count": 2,
        "value": [
            {"id": "f0f54c69-8f8a-4f33-b6e3-386d58b408db", "displayName": null},
            {"id": "8e95c36e-c9bd-4e14-8317-3cd4332e1e3b", "displayName": "who am i"}
        ]
    });
    let mock = json_response(
        expect_common(server.mock("GET", format!("{}/default/sessions", base()).as_str())),
        200,
        &body,
    )
    .match_query(Matcher::Exact(
        "%24count=true&%24select=displayName%2Cid&%24top=2".to_string(),
    ))
    .create_async()
    .await;
    let page = client(&server)
        .workspace("default")
        .sessions()
        .list()
        .top(2)
        .select(["displayName", "id"])
        .count(true)
        .page()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.count, Some(2));
    assert_eq!(page.value[0].display_name, Some(None));
    assert_eq!(
        page.value[1].display_name,
        Some(Some("who am i".to_string()))
    );
    assert_eq!(
        page.value[1].created_date_time, None,
        "not selected, absent"
    );
}

#[tokio::test]
async fn create_session_posts_the_documented_body_and_expects_201() {
    let mut server = mockito::Server::new_async().await;
    let response = json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/securityCopilot/workspaces('default')/sessions/$entity",
        "id": "71a8abb6-ce18-496c-a8d4-4d0f51986c3e",
        "createdDateTime": "2025-09-17T01:03:14.07343Z",
        "lastModifiedDateTime": "2025-09-17T01:03:14.07343Z",
        "displayName": "Who am I"
    });
    let mock = json_response(
        expect_common(server.mock("POST", format!("{}/default/sessions", base()).as_str())),
        201,
        &response,
    )
    .match_query(Matcher::Missing)
    .match_header("content-type", "application/json")
    .match_body(Matcher::Json(json!({
        "@odata.type": "#microsoft.graph.security.securityCopilot.session",
        "displayName": "Who am I"
    })))
    .create_async()
    .await;
    let session = client(&server)
        .workspace("default")
        .sessions()
        .create("Who am I")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        session.id.as_deref(),
        Some("71a8abb6-ce18-496c-a8d4-4d0f51986c3e")
    );
    assert_eq!(
        session
            .created_date_time
            .map(|d| graph_odata_runtime::__private::codec::format_datetime(&d)),
        Some("2025-09-17T01:03:14.07343Z".to_string())
    );
    assert_eq!(
        session.additional_properties.get("@odata.context").and_then(|v| v.as_str()),
        Some("https://graph.microsoft.com/beta/$metadata#security/securityCopilot/workspaces('default')/sessions/$entity")
    );
}

#[tokio::test]
async fn a_200_where_201_is_documented_is_a_decode_error_with_status() {
    let mut server = mockito::Server::new_async().await;
    let _mock = json_response(
        server.mock("POST", format!("{}/default/sessions", base()).as_str()),
        200,
        &json!({"id": "x"}),
    )
    .create_async()
    .await;
    let error = client(&server)
        .workspace("default")
        .sessions()
        .create("x")
        .await
        .unwrap_err();
    match &error {
        Error::Decode(d) => {
            assert_eq!(d.status.as_u16(), 200);
            assert_eq!(d.request_id.as_deref(), Some("req-1"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn get_session_with_select() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({
        "id": SESSION,
        "createdDateTime": "2025-10-22T20:10:54.4940649Z",
        "lastModifiedDateTime": "2025-10-22T20:10:54.4940649Z",
        "displayName": "API: who am I"
    });
    let mock = json_response(
        expect_common(server.mock(
            "GET",
            format!("{}/default/sessions/{SESSION}", base()).as_str(),
        )),
        200,
        &body,
    )
    .match_query(Matcher::Exact(
        "%24select=displayName%2CcreatedDateTime".to_string(),
    ))
    .create_async()
    .await;
    let session = client(&server)
        .workspace("default")
        .session(SESSION)
        .get()
        .select(["displayName", "createdDateTime"])
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        session.display_name,
        Some(Some("API: who am I".to_string()))
    );
}

#[tokio::test]
async fn update_session_patches_only_what_is_set() {
    let mut server = mockito::Server::new_async().await;
    let body = json!({
        "id": SESSION,
        "createdDateTime": "2025-10-22T20:10:54.4940649Z",
        "lastModifiedDateTime": "2025-10-22T20:53:40.2100304Z",
        "displayName": "API Test: Who am I?"
    });
    let mock = json_response(
        expect_common(server.mock(
            "PATCH",
            format!("{}/default/sessions/{SESSION}", base()).as_str(),
        )),
        200,
        &body,
    )
    .match_header("content-type", "application/json")
    .match_body(Matcher::Json(json!({
        "@odata.type": "#microsoft.graph.security.securityCopilot.session",
        "displayName": "API Test: Who am I?"
    })))
    .create_async()
    .await;
    let updated = client(&server)
        .workspace("default")
        .session(SESSION)
        .update("API Test: Who am I?")
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        updated.display_name,
        Some(Some("API Test: Who am I?".to_string()))
    );

    // Setting a property to null is expressible and sent as null.
    let mock = json_response(
        server.mock(
            "PATCH",
            format!("{}/default/sessions/{SESSION}", base()).as_str(),
        ),
        200,
        &json!({"id": SESSION, "displayName": null}),
    )
    .match_body(Matcher::Json(json!({"displayName": null})))
    .create_async()
    .await;
    let cleared = client(&server)
        .workspace("default")
        .session(SESSION)
        .update({
            // An explicit null: the public field, as the setter docs say.
            let mut clear = Session::new();
            clear.display_name = Some(None);
            clear
        })
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(cleared.display_name, Some(None));
}

#[tokio::test]
async fn list_and_create_and_get_prompts() {
    let mut server = mockito::Server::new_async().await;
    let prompt = json!({
        "id": PROMPT, "type": "prompt",
        "createdDateTime": "2025-10-22T20:12:13.759634Z",
        "lastModifiedDateTime": "2025-10-22T20:12:57.8775792Z",
        "skillName": null, "content": "who am I",
        "inputs": {"keyValuePairs": []}, "skillInputDescriptors": []
    });
    let path = format!("{}/default/sessions/{SESSION}/prompts", base());
    let list = json_response(
        expect_common(server.mock("GET", path.as_str())),
        200,
        &json!({"value": [prompt.clone()]}),
    )
    .match_query(Matcher::Exact("%24top=1".to_string()))
    .create_async()
    .await;
    let create = json_response(
        expect_common(server.mock("POST", path.as_str())),
        201,
        &prompt,
    )
    .match_body(Matcher::Json(json!({
        "@odata.type": "#microsoft.graph.security.securityCopilot.prompt",
        "type": "prompt",
        "content": "who am I"
    })))
    .create_async()
    .await;
    let get = json_response(
        expect_common(server.mock("GET", format!("{path}/{PROMPT}").as_str())),
        200,
        &prompt,
    )
    .match_query(Matcher::Missing)
    .create_async()
    .await;
    let session = client(&server).workspace("default").session(SESSION);
    let listed: Vec<_> = session.prompts().list().top(1).try_collect().await.unwrap();
    let created = session.prompts().create("who am I").await.unwrap();
    let fetched = session.prompt(PROMPT).get().await.unwrap();
    list.assert_async().await;
    create.assert_async().await;
    get.assert_async().await;
    assert_eq!(listed[0], fetched);
    assert_eq!(created.type_, Some(PromptType::Prompt));
    assert_eq!(
        fetched
            .inputs
            .clone()
            .flatten()
            .map(|d| d.additional_properties.get("keyValuePairs").cloned()),
        Some(Some(json!([])))
    );
}

#[tokio::test]
async fn evaluations_create_posts_empty_object_then_get_and_list() {
    let mut server = mockito::Server::new_async().await;
    let path = format!(
        "{}/default/sessions/{SESSION}/prompts/{PROMPT}/evaluations",
        base()
    );
    let created = json!({
        "id": "b2d2c632-e799-4472-9b36-e5c84c065f72",
        "createdDateTime": "2025-10-22T20:12:57.8667119Z",
        "runStartDateTime": "0001-01-01T00:00:00Z",
        "completedDateTime": "0001-01-01T00:00:00Z",
        "lastModifiedDateTime": "2025-10-22T20:12:57.8667119Z",
        "state": "created", "executionCount": 0, "isCancelled": false, "result": null
    });
    let done = json!({
        "id": EVALUATION,
        "createdDateTime": "2025-10-22T22:00:54.7638231Z",
        "runStartDateTime": "2025-10-22T22:00:55.0719448Z",
        "completedDateTime": "2025-10-22T22:01:11.2594216Z",
        "lastModifiedDateTime": "2025-10-22T22:01:11.2594216Z",
        "state": "completed", "executionCount": 0, "isCancelled": false,
        "result": {"content": "You are signed in as Lorenz X.\n", "type": "success", "previewState": "private"}
    });
    let create = json_response(
        expect_common(server.mock("POST", path.as_str())),
        201,
        &created,
    )
    .match_header("content-type", "application/json")
    .match_body(Matcher::Exact("{}".to_string()))
    .create_async()
    .await;
    let get = json_response(
        expect_common(server.mock("GET", format!("{path}/{EVALUATION}").as_str())),
        200,
        &done,
    )
    .match_query(Matcher::Exact("%24select=state%2Cresult".to_string()))
    .create_async()
    .await;
    let list = json_response(
        expect_common(server.mock("GET", path.as_str())),
        200,
        &json!({"value": [done.clone()]}),
    )
    .match_query(Matcher::Exact(
        "%24filter=state+eq+%27completed%27".to_string(),
    ))
    .create_async()
    .await;
    let prompt = client(&server)
        .workspace("default")
        .session(SESSION)
        .prompt(PROMPT);
    let evaluation = prompt
        .evaluations()
        .create(Evaluation::new())
        .await
        .unwrap();
    assert_eq!(evaluation.state, Some(EvaluationState::Created));
    assert_eq!(evaluation.result, Some(None));
    let fetched = prompt
        .evaluation(EVALUATION)
        .get()
        .select(["state", "result"])
        .await
        .unwrap();
    assert_eq!(fetched.state, Some(EvaluationState::Completed));
    assert_eq!(fetched.answer(), Some("You are signed in as Lorenz X.\n"));
    let result = fetched.result.clone().flatten().unwrap();
    assert_eq!(result.type_, Some(EvaluationResultType::Success));
    let listed: Vec<_> = prompt
        .evaluations()
        .list()
        .filter(filter::field!("state").eq(Literal::enum_member(EvaluationState::Completed)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, vec![fetched]);
    create.assert_async().await;
    get.assert_async().await;
    list.assert_async().await;
}

#[tokio::test]
async fn ids_stay_one_path_segment_and_bad_ids_are_refused_before_sending() {
    let mut server = mockito::Server::new_async().await;
    let mock = json_response(
        server.mock(
            "GET",
            format!("{}/de%20fault%2F..%2Fx/sessions/a%3Fb%23c%25d", base()).as_str(),
        ),
        200,
        &json!({"id": "a?b#c%d"}),
    )
    .expect(1)
    .create_async()
    .await;
    let client = client(&server);
    let session = client
        .workspace("de fault/../x")
        .session("a?b#c%d")
        .get()
        .await
        .unwrap();
    assert_eq!(session.id.as_deref(), Some("a?b#c%d"));
    mock.assert_async().await;

    let any = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    for bad in ["", "a\nb", "tab\there", "..", "."] {
        let error = client
            .workspace("default")
            .session(bad)
            .get()
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidRequest(_)),
            "{bad:?}: {error}"
        );
    }
    any.assert_async().await;
}
