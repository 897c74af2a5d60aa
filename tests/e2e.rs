//! End-to-end: the client against the emulator over loopback HTTP. Every documented operation
//! and query option, the evaluation lifecycle, paging through 1,000 sessions, every error status
//! as a typed `Error::Api`, and each injected fault against the client's retry policy.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::evaluation::WaitOptions;
use graph_security_copilot::filter::{self, Literal};
use graph_security_copilot::models::{
    Evaluation, EvaluationResultType, EvaluationState, PluginCategory, PromptType, Session,
};
use graph_security_copilot::retry::RetryPolicy;
use graph_security_copilot::{Client, Error};
use graph_security_copilot_emulator::{Emulator, EmulatorBuilder, Fault, FaultRule, RetryAfter};

const TOKEN: &str = "e2e-token";

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default().with_base_delay(Duration::from_millis(10))
}

fn client_for(emulator: &Emulator, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new(TOKEN))
        .retry_policy(retry)
        .build()
        .expect("client builds")
}

async fn setup(builder: EmulatorBuilder) -> (Emulator, Client) {
    let emulator = builder.start().await.expect("emulator starts");
    let client = client_for(&emulator, quick_retries());
    (emulator, client)
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .with_intervals(Duration::from_millis(10), Duration::from_millis(40))
        .with_deadline(Duration::from_secs(10))
}

/// The API error inside an `Error`, or a panic naming what came instead.
fn api_error(error: Error) -> Box<graph_security_copilot::ApiError> {
    match error {
        Error::Api(api) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test]
async fn every_documented_operation() {
    let (emulator, client) = setup(
        Emulator::builder().evaluation_delays(Duration::from_millis(20), Duration::from_millis(60)),
    )
    .await;

    // List workspaces.
    let workspaces: Vec<_> = client.workspaces().list().try_collect().await.unwrap();
    assert_eq!(workspaces.len(), 1);
    assert_eq!(workspaces[0].id.as_deref(), Some("default"));
    let workspace = client.workspace("default");

    // List plugins.
    let plugins: Vec<_> = workspace
        .plugins()
        .list()
        .filter(filter::field!("name").eq("Entra"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0].name.as_deref(), Some("Entra"));
    assert_eq!(
        plugins[0].display_name,
        Some(Some("Microsoft Entra".to_string()))
    );
    assert_eq!(plugins[0].category, Some(PluginCategory::Microsoft));
    assert_eq!(plugins[0].is_enabled, Some(true));

    // Create, get, update and list sessions.
    let session = workspace.sessions().create("Who am I").await.unwrap();
    let session_id = session.id.clone().unwrap();
    assert_eq!(session.display_name, Some(Some("Who am I".to_string())));
    assert_eq!(session.created_date_time, session.last_modified_date_time);
    let got = workspace.session(&session_id).get().await.unwrap();
    assert_eq!(got, session);
    let updated = workspace
        .session(&session_id)
        .update(Session::new().with_display_name("API Test: Who am I?"))
        .await
        .unwrap();
    assert_eq!(
        updated.display_name,
        Some(Some("API Test: Who am I?".to_string()))
    );
    assert_eq!(updated.created_date_time, session.created_date_time);
    assert!(updated.last_modified_date_time > session.last_modified_date_time);
    // Sending back what was read (id and computed times included) is accepted.
    let round_trip = workspace
        .session(&session_id)
        .update(updated.clone())
        .await
        .unwrap();
    assert_eq!(round_trip.display_name, updated.display_name);
    let sessions: Vec<_> = workspace.sessions().list().try_collect().await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id.as_deref(), Some(session_id.as_str()));

    // Create, get and list prompts.
    let session_handle = workspace.session(&session_id);
    let prompt = session_handle.prompts().create("who am I").await.unwrap();
    let prompt_id = prompt.id.clone().unwrap();
    assert_eq!(prompt.type_, Some(PromptType::Prompt));
    assert_eq!(prompt.content, Some(Some("who am I".to_string())));
    assert_eq!(
        session_handle.prompt(&prompt_id).get().await.unwrap(),
        prompt
    );
    let prompts: Vec<_> = session_handle.prompts().list().try_collect().await.unwrap();
    assert_eq!(prompts.len(), 1);
    let mut listed_prompt = prompts[0].clone();
    listed_prompt.additional_properties = prompt.additional_properties.clone();
    assert_eq!(
        listed_prompt, prompt,
        "a listed prompt reads like the created one"
    );

    // Create, list and get evaluations; wait for one.
    let prompt_handle = session_handle.prompt(&prompt_id);
    let evaluation = prompt_handle
        .evaluations()
        .create(Evaluation::new())
        .await
        .unwrap();
    assert_eq!(evaluation.state, Some(EvaluationState::Created));
    assert_eq!(evaluation.result, Some(None));
    let evaluation_id = evaluation.id.clone().unwrap();
    let listed: Vec<_> = prompt_handle
        .evaluations()
        .list()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let done = prompt_handle
        .evaluation(&evaluation_id)
        .wait(fast_wait())
        .await
        .unwrap();
    assert!(done.is_completed(), "{done:?}");
    let done = done.into_evaluation();
    assert_eq!(done.state, Some(EvaluationState::Completed));
    assert!(done.answer().unwrap().contains("\"who am I\""));
    let got = prompt_handle
        .evaluation(&evaluation_id)
        .get()
        .await
        .unwrap();
    assert_eq!(got.state, Some(EvaluationState::Completed));
    assert_eq!(got.answer(), done.answer());
    let again = prompt_handle
        .evaluations()
        .create_and_wait(fast_wait())
        .await
        .unwrap()
        .completed()
        .unwrap();
    assert_eq!(again.state, Some(EvaluationState::Completed));
    assert_ne!(again.id, done.id);

    // Every request carried the token and a client-request-id; nothing failed.
    let log = emulator.requests();
    assert!(
        log.iter().all(|r| r.status.is_some_and(|s| s < 300)),
        "{log:#?}"
    );
    assert!(log.iter().all(|r| r.client_request_id.is_some()));
}

#[tokio::test]
async fn every_query_option_the_spec_allows() {
    let (_emulator, client) = setup(Emulator::builder()).await;
    let workspace = client.workspace("default");
    for name in ["alpha", "bravo", "charlie", "it's"] {
        workspace.sessions().create(name).await.unwrap();
    }
    let names = |sessions: Vec<Session>| -> Vec<String> {
        sessions
            .into_iter()
            .map(|s| s.display_name.flatten().unwrap_or_default())
            .collect()
    };

    // $top (newest first).
    let top: Vec<_> = workspace
        .sessions()
        .list()
        .top(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(top), ["it's", "charlie"]);

    // $filter, typed (quotes escaped) and raw.
    let quoted: Vec<_> = workspace
        .sessions()
        .list()
        .filter(filter::field!("displayName").eq("it's"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(quoted), ["it's"]);
    let combined: Vec<_> = workspace
        .sessions()
        .list()
        .filter(
            filter::field!("displayName")
                .starts_with("a")
                .or(filter::field!("displayName").ends_with("lie")),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(combined), ["charlie", "alpha"]);
    let raw: Vec<_> = workspace
        .sessions()
        .list()
        .filter("not contains(displayName,'a')")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(raw), ["it's"]);
    let enabled: Vec<_> = workspace
        .plugins()
        .list()
        .filter(filter::field!("isEnabled").eq(false))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(enabled.len(), 2);
    let web: Vec<_> = workspace
        .plugins()
        .list()
        .filter(filter::field!("category").eq(Literal::enum_member("web")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(web[0].name.as_deref(), Some("Web"));

    // $select: only the selected properties (and the key) come back.
    let selected = workspace
        .sessions()
        .list()
        .select(["displayName"])
        .top(1)
        .page()
        .await
        .unwrap();
    assert_eq!(selected.value.len(), 1);
    assert!(selected.value[0].id.is_some());
    assert!(selected.value[0].display_name.is_some());
    assert!(selected.value[0].created_date_time.is_none());
    let got = workspace
        .session(selected.value[0].id.clone().unwrap())
        .get()
        .select(["createdDateTime"])
        .await
        .unwrap();
    assert!(got.created_date_time.is_some());
    assert!(got.display_name.is_none());

    // $count.
    let page = workspace
        .sessions()
        .list()
        .count(true)
        .top(1)
        .page()
        .await
        .unwrap();
    assert_eq!(page.count, Some(4));
    assert_eq!(page.value.len(), 1);
    let plugins = workspace.plugins().list().count(true).page().await.unwrap();
    assert_eq!(plugins.count, Some(7));
    let workspaces = client
        .workspaces()
        .list()
        .select(["displayName"])
        .count(true)
        .filter(filter::field!("displayName").ne(Literal::null()))
        .page()
        .await
        .unwrap();
    assert_eq!(workspaces.count, Some(1));
}

#[tokio::test]
async fn evaluation_lifecycle_created_running_completed() {
    let (_emulator, client) = setup(
        Emulator::builder()
            .evaluation_delays(Duration::from_millis(300), Duration::from_millis(400)),
    )
    .await;
    let workspace = client.workspace("default");
    let session = workspace.sessions().create("Who am I").await.unwrap();
    let session = workspace.session(session.id.unwrap());
    let prompt = session.prompts().create("who am I").await.unwrap();
    let prompt = session.prompt(prompt.id.unwrap());
    let created = prompt
        .evaluations()
        .create(Evaluation::new())
        .await
        .unwrap();
    assert_eq!(created.state, Some(EvaluationState::Created));
    assert_eq!(created.execution_count, Some(0));
    assert_eq!(created.is_cancelled, Some(false));
    let unset = chrono::DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap();
    assert_eq!(created.run_start_date_time, Some(unset.into()));
    assert_eq!(created.completed_date_time, Some(unset.into()));
    let handle = prompt.evaluation(created.id.clone().unwrap());
    let mut states = vec![created.state.clone().unwrap()];
    let started = Instant::now();
    loop {
        let evaluation = handle.get().await.unwrap();
        let state = evaluation.state.clone().unwrap();
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if state == EvaluationState::Completed {
            let result = evaluation.result.flatten().unwrap();
            assert_eq!(result.type_, Some(EvaluationResultType::Success));
            assert!(evaluation.run_start_date_time > created.created_date_time);
            assert!(evaluation.completed_date_time > evaluation.run_start_date_time);
            assert_eq!(
                evaluation.last_modified_date_time,
                evaluation.completed_date_time
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never completed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        states,
        [
            EvaluationState::Created,
            EvaluationState::Running,
            EvaluationState::Completed
        ]
    );
    // A filter on the state sees the current one.
    let completed: Vec<_> = prompt
        .evaluations()
        .list()
        .filter(filter::field!("state").eq(Literal::enum_member(EvaluationState::Completed)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(completed.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_through_1000_sessions() {
    let (emulator, client) = setup(Emulator::builder().page_size(100).request_log(0)).await;
    let workspace = client.workspace("default");
    let created: HashSet<String> = futures::stream::iter(0..1000)
        .map(|i| {
            let workspace = workspace.clone();
            async move { workspace.sessions().create(format!("session {i:04}")).await }
        })
        .buffer_unordered(16)
        .map_ok(|s| s.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(created.len(), 1000);

    let requests_before = emulator.request_count();
    let listed: Vec<Session> = workspace.sessions().list().try_collect().await.unwrap();
    assert_eq!(
        emulator.request_count() - requests_before,
        10,
        "10 pages of 100"
    );
    let ids: HashSet<String> = listed.iter().map(|s| s.id.clone().unwrap()).collect();
    assert_eq!(ids, created);

    let pages: Vec<_> = workspace
        .sessions()
        .list()
        .count(true)
        .select(["displayName"])
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 10);
    assert!(pages
        .iter()
        .all(|p| p.count == Some(1000) && p.value.len() == 100));
    assert!(pages[..9].iter().all(|p| p.next_link.is_some()));
    assert!(pages[9].next_link.is_none());

    // $top across pages, and a saved nextLink resumes.
    let first = workspace.sessions().list().top(250).page().await.unwrap();
    assert_eq!(first.value.len(), 100);
    let rest: Vec<_> = client
        .resume::<Session>(first.next_link.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|p| p.value.len()).sum::<usize>(), 150);
    // Lazy: taking 150 items fetches 2 pages.
    let before = emulator.request_count();
    let some: Vec<_> = workspace
        .sessions()
        .list()
        .take(150)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(some.len(), 150);
    assert_eq!(emulator.request_count() - before, 2);
}

#[tokio::test]
async fn every_error_status_is_a_typed_api_error() {
    let (emulator, client) = setup(Emulator::builder().token(TOKEN).max_body_bytes(2048)).await;
    let workspace = client.workspace("default");
    let check = |error: Error, status: u16, code: &str| {
        let api = api_error(error);
        assert_eq!(api.status.as_u16(), status, "{api}");
        assert_eq!(api.code.as_deref(), Some(code), "{api}");
        let request_id = api.request_id.clone().expect("request id");
        let logged = emulator
            .requests()
            .into_iter()
            .find(|r| r.request_id == request_id)
            .expect("the emulator logged this request id");
        assert_eq!(logged.status, Some(status));
        assert_eq!(api.client_request_id, logged.client_request_id);
        assert!(api.date.is_some());
        assert!(api.message.as_deref().is_some_and(|m| !m.is_empty()));
        api
    };

    // 400: missing required property, wrong type, unknown property, bad query option.
    let api = check(
        workspace
            .sessions()
            .create(Session::default())
            .await
            .unwrap_err(),
        400,
        "BadRequest",
    );
    assert_eq!(
        api.message.as_deref(),
        Some("The property 'displayName' is required to create a session.")
    );
    let mut wrong_type = Session::default();
    wrong_type
        .additional_properties
        .insert("displayName".into(), serde_json::json!(42));
    check(
        workspace.sessions().create(wrong_type).await.unwrap_err(),
        400,
        "BadRequest",
    );
    let mut unknown = Session::from("x");
    unknown
        .additional_properties
        .insert("colour".into(), serde_json::json!("red"));
    let api = check(
        workspace.sessions().create(unknown).await.unwrap_err(),
        400,
        "BadRequest",
    );
    assert!(api
        .message
        .unwrap()
        .starts_with("The property 'colour' does not exist"));
    let api = check(
        workspace
            .sessions()
            .list()
            .filter("displayName eq")
            .page()
            .await
            .unwrap_err(),
        400,
        "BadRequest",
    );
    assert!(api.message.unwrap().starts_with("Syntax error in $filter"));

    // 401: a token the emulator does not accept.
    let stranger = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new("someone-else"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    check(
        stranger.workspaces().list().page().await.unwrap_err(),
        401,
        "InvalidAuthenticationToken",
    );

    // 404: unknown ids, at every level.
    check(
        workspace.session("missing").get().await.unwrap_err(),
        404,
        "itemNotFound",
    );
    check(
        workspace
            .session("missing")
            .prompts()
            .create("x")
            .await
            .unwrap_err(),
        404,
        "itemNotFound",
    );
    check(
        client
            .workspace("nope")
            .sessions()
            .list()
            .page()
            .await
            .unwrap_err(),
        404,
        "itemNotFound",
    );
    let session = workspace.sessions().create("s").await.unwrap();
    let session = workspace.session(session.id.unwrap());
    check(
        session.prompt("missing").get().await.unwrap_err(),
        404,
        "itemNotFound",
    );

    // 405: paths the CSDL has but the overlay does not allow (reached with a raw GET).
    let not_allowed = client
        .resume::<Session>(format!(
            "{}/security/securityCopilot/workspaces/default",
            emulator.base_url()
        ))
        .next()
        .await
        .unwrap()
        .unwrap_err();
    check(not_allowed, 405, "notAllowed");

    // 413: a body over the limit.
    check(
        workspace
            .sessions()
            .create("x".repeat(4096))
            .await
            .unwrap_err(),
        413,
        "requestEntityTooLarge",
    );
}

#[tokio::test]
async fn retries_recover_from_429_with_retry_after() {
    let (emulator, client) = setup(
        Emulator::builder().fault(
            FaultRule::new(Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Seconds(1)),
            })
            .first(1),
        ),
    )
    .await;
    let started = Instant::now();
    let sessions = client
        .workspace("default")
        .sessions()
        .list()
        .page()
        .await
        .unwrap();
    assert!(sessions.value.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let log = emulator.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, Some(429));
    assert_eq!(log[1].status, Some(200));
    assert_eq!(log[1].retry_attempt, Some(1));
    assert_eq!(log[0].client_request_id, log[1].client_request_id);
}

#[tokio::test]
async fn retries_recover_from_429_with_an_http_date_and_on_post() {
    let (emulator, client) = setup(
        Emulator::builder().fault(
            "429,first=2,retry-after=date:1,route=create_workspace_session"
                .parse()
                .unwrap(),
        ),
    )
    .await;
    let session = client
        .workspace("default")
        .sessions()
        .create("x")
        .await
        .unwrap();
    assert!(session.id.is_some());
    let statuses: Vec<_> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(201)]);
}

#[tokio::test]
async fn retries_recover_from_503_and_504() {
    let (emulator, client) = setup(
        Emulator::builder()
            .fault("503,first=2,route=list_workspace_sessions".parse().unwrap())
            .fault("504,first=1,route=get_workspace_session".parse().unwrap()),
    )
    .await;
    let workspace = client.workspace("default");
    workspace.sessions().list().page().await.unwrap();
    let session = workspace.sessions().create("s").await.unwrap();
    workspace.session(session.id.unwrap()).get().await.unwrap();
    let statuses: Vec<_> = emulator
        .requests()
        .iter()
        .map(|r| r.status.unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 200, 201, 504, 200]);
}

#[tokio::test]
async fn gives_up_with_a_typed_error_when_the_budget_is_spent() {
    // Out of retries.
    let (emulator, _) = setup(Emulator::builder().fault("503".parse().unwrap())).await;
    let client = client_for(&emulator, quick_retries().with_max_retries(2));
    let api = api_error(client.workspaces().list().page().await.unwrap_err());
    assert_eq!(api.status.as_u16(), 503);
    assert_eq!(api.code.as_deref(), Some("serviceNotAvailable"));
    assert_eq!(api.attempts, 3);
    assert_eq!(emulator.request_count(), 3);

    // Out of time: the server asks for longer than the total budget allows.
    let (emulator, _) = setup(
        Emulator::builder().fault(FaultRule::new(Fault::TooManyRequests {
            retry_after: Some(RetryAfter::Seconds(30)),
        })),
    )
    .await;
    let client = client_for(
        &emulator,
        quick_retries().with_total_budget(Duration::from_secs(2)),
    );
    let started = Instant::now();
    let api = api_error(client.workspaces().list().page().await.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(api.status.as_u16(), 429);
    assert_eq!(api.code.as_deref(), Some("activityLimitReached"));
    assert_eq!(api.retry_after, Some(Duration::from_secs(30)));
    assert_eq!(api.inner_codes(), ["throttledRequest"]);
    assert_eq!(api.attempts, 1);
}

#[tokio::test]
async fn post_is_not_retried_on_503_unless_asked() {
    let (emulator, client) = setup(
        Emulator::builder().fault(
            "503,first=1,route=create_workspace_session"
                .parse()
                .unwrap(),
        ),
    )
    .await;
    let workspace = client.workspace("default");
    let api = api_error(workspace.sessions().create("once").await.unwrap_err());
    assert_eq!(api.status.as_u16(), 503);
    assert_eq!(api.attempts, 1);
    assert_eq!(emulator.requests().len(), 1);
    let listed = workspace
        .sessions()
        .list()
        .count(true)
        .page()
        .await
        .unwrap();
    assert_eq!(listed.count, Some(0));

    let (emulator, _) = setup(
        Emulator::builder().fault(
            "503,first=1,route=create_workspace_session"
                .parse()
                .unwrap(),
        ),
    )
    .await;
    let retrying = client_for(
        &emulator,
        quick_retries().with_retry_post_on_server_errors(true),
    );
    retrying
        .workspace("default")
        .sessions()
        .create("twice")
        .await
        .unwrap();
    assert_eq!(emulator.requests().len(), 2);
}

#[tokio::test]
async fn dropped_connections_retry_reads_but_not_writes() {
    let (emulator, client) =
        setup(Emulator::builder().fault("drop,first=1".parse().unwrap())).await;
    let workspace = client.workspace("default");
    let page = workspace.plugins().list().page().await.unwrap();
    assert_eq!(page.value.len(), 7);
    let log = emulator.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault.as_deref(), Some("drop"));

    let (emulator, client) = setup(
        Emulator::builder().fault(
            "drop-response,first=1,route=create_workspace_session"
                .parse()
                .unwrap(),
        ),
    )
    .await;
    let workspace = client.workspace("default");
    let error = workspace.sessions().create("maybe").await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.client_request_id().is_some());
    assert_eq!(emulator.requests().len(), 1);
    // The write happened even though the client never heard back.
    let sessions: Vec<_> = workspace.sessions().list().try_collect().await.unwrap();
    assert_eq!(sessions.len(), 1);
}

#[tokio::test]
async fn latency_past_the_client_timeout() {
    let emulator = Emulator::builder()
        .fault("latency=2s,first=1".parse().unwrap())
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new(TOKEN))
        .retry_policy(quick_retries())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    // A GET that times out is retried.
    let page = client.workspaces().list().page().await.unwrap();
    assert_eq!(page.value.len(), 1);
    // A POST that times out is not.
    let emulator = Emulator::builder()
        .fault("latency=2s,first=1".parse().unwrap())
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(emulator.base_url())
        .credential(StaticToken::new(TOKEN))
        .retry_policy(quick_retries())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let error = client
        .workspace("default")
        .sessions()
        .create("slow")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}
