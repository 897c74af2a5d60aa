//! The task commands, on the library's ergonomic layer (handles, typed models, `wait`). Every
//! call `gsc` makes into that layer is in this module, so an API change is adapted here.

use std::io::IsTerminal;

use clap::ArgMatches;
use futures::TryStreamExt;
use graph_security_copilot::evaluation::WaitOptions;
use graph_security_copilot::models::{Evaluation, EvaluationResultType, EvaluationState};
use graph_security_copilot::query::Query;
use graph_security_copilot::request::{GetRequest, ListRequest};
use graph_security_copilot::terminal::escape;
use graph_security_copilot::{Client, Page};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::{
    AskArgs, EvaluationsCommand, PluginsCommand, PromptsCommand, SessionsCommand, WorkspacesCommand,
};
use crate::exit::Failure;
use crate::options;
use crate::output::Output;
use crate::spinner::Spinner;

/// Each task command (its path below `gsc`) and the operation whose query options it takes.
pub const TASK_OPERATIONS: &[(&[&str], &str)] = &[
    (&["sessions", "list"], "list_workspace_sessions"),
    (&["sessions", "get"], "get_workspace_session"),
    (&["prompts", "list"], "list_workspace_session_prompts"),
    (&["prompts", "get"], "get_workspace_session_prompt"),
    (
        &["evaluations", "list"],
        "list_workspace_session_prompt_evaluations",
    ),
    (
        &["evaluations", "get"],
        "get_workspace_session_prompt_evaluation",
    ),
    (&["plugins", "list"], "list_workspace_plugins"),
    (&["workspaces", "list"], "list_workspaces"),
];

const SESSION_COLUMNS: &[&str] = &[
    "id",
    "displayName",
    "createdDateTime",
    "lastModifiedDateTime",
];
const PROMPT_COLUMNS: &[&str] = &["id", "type", "content", "createdDateTime"];
const EVALUATION_COLUMNS: &[&str] = &["id", "state", "createdDateTime", "completedDateTime"];
const PLUGIN_COLUMNS: &[&str] = &["name", "displayName", "category", "isEnabled"];
const WORKSPACE_COLUMNS: &[&str] = &["id", "displayName"];

/// What every task command needs.
#[derive(Debug)]
pub struct Context {
    /// The client.
    pub client: Client,
    /// `--workspace`.
    pub workspace: String,
    /// Where results go.
    pub output: Output,
    /// How long waiting for an evaluation may take (`--timeout`).
    pub wait: WaitOptions,
}

/// The query options of the operation `id` set in `matches` (the leaf command's).
fn query(matches: &ArgMatches, id: &str) -> Query {
    graph_security_copilot::__operations::operation(id)
        .map(|operation| options::query(matches, operation))
        .unwrap_or_default()
}

/// `gsc ask`.
pub async fn ask(cx: &Context, args: &AskArgs) -> Result<(), Failure> {
    let workspace = cx.client.workspace(cx.workspace.as_str());
    let session_id = match &args.session {
        Some(id) => id.clone(),
        None => {
            let name: String = args.question.chars().take(128).collect();
            let session = workspace.sessions().create(name).await?;
            id_of(session.id, "session")?
        }
    };
    let session = workspace.session(session_id.as_str());
    let prompt = session.prompts().create(args.question.as_str()).await?;
    let prompt_id = id_of(prompt.id, "prompt")?;
    let evaluations = session.prompt(prompt_id.as_str()).evaluations();
    let spinner = Spinner::start("waiting for the answer");
    let evaluation = evaluations.create_and_wait(cx.wait.clone()).await;
    spinner.stop();
    let evaluation = evaluation?;
    let answer = evaluation.answer().unwrap_or_default().to_string();
    let document = json!({
        "sessionId": session_id,
        "promptId": prompt_id,
        "answer": evaluation.answer(),
        "evaluation": to_value(&evaluation)?,
    });
    cx.output.text(&answer, &document)?;
    if cx.output.is_table() && std::io::stderr().is_terminal() {
        eprintln!(
            "\n(session {}: continue it with gsc ask --session ID \"...\")",
            escape(&session_id)
        );
    }
    check_outcome(&evaluation)
}

/// `gsc sessions`.
pub async fn sessions(
    cx: &Context,
    command: &SessionsCommand,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let workspace = cx.client.workspace(cx.workspace.as_str());
    match command {
        SessionsCommand::List => {
            let query = query(matches, "list_workspace_sessions");
            let request = with_list_query(workspace.sessions().list(), &query);
            list(cx, request, &query, matches, SESSION_COLUMNS).await
        }
        SessionsCommand::Get { id } => {
            let query = query(matches, "get_workspace_session");
            let session = with_get_query(workspace.session(id.as_str()).get(), &query).await?;
            entity(cx, &session)
        }
        SessionsCommand::Create { display_name } => {
            let session = workspace.sessions().create(display_name.as_str()).await?;
            entity(cx, &session)
        }
    }
}

/// `gsc prompts`.
pub async fn prompts(
    cx: &Context,
    command: &PromptsCommand,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let workspace = cx.client.workspace(cx.workspace.as_str());
    match command {
        PromptsCommand::List { session } => {
            let query = query(matches, "list_workspace_session_prompts");
            let prompts = workspace.session(session.as_str()).prompts();
            let request = with_list_query(prompts.list(), &query);
            list(cx, request, &query, matches, PROMPT_COLUMNS).await
        }
        PromptsCommand::Get { session, id } => {
            let query = query(matches, "get_workspace_session_prompt");
            let prompt = workspace.session(session.as_str()).prompt(id.as_str());
            entity(cx, &with_get_query(prompt.get(), &query).await?)
        }
        PromptsCommand::Create { session, content } => {
            let prompts = workspace.session(session.as_str()).prompts();
            entity(cx, &prompts.create(content.as_str()).await?)
        }
    }
}

/// `gsc evaluations`.
pub async fn evaluations(
    cx: &Context,
    command: &EvaluationsCommand,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let workspace = cx.client.workspace(cx.workspace.as_str());
    match command {
        EvaluationsCommand::List { session, prompt } => {
            let query = query(matches, "list_workspace_session_prompt_evaluations");
            let evaluations = workspace
                .session(session.as_str())
                .prompt(prompt.as_str())
                .evaluations();
            let request = with_list_query(evaluations.list(), &query);
            list(cx, request, &query, matches, EVALUATION_COLUMNS).await
        }
        EvaluationsCommand::Get {
            session,
            prompt,
            id,
        } => {
            let query = query(matches, "get_workspace_session_prompt_evaluation");
            let handle = workspace
                .session(session.as_str())
                .prompt(prompt.as_str())
                .evaluation(id.as_str());
            entity(cx, &with_get_query(handle.get(), &query).await?)
        }
        EvaluationsCommand::Wait {
            session,
            prompt,
            id,
        } => {
            let handle = workspace
                .session(session.as_str())
                .prompt(prompt.as_str())
                .evaluation(id.as_str());
            let spinner = Spinner::start("waiting for the evaluation");
            let evaluation = handle.wait(cx.wait.clone()).await;
            spinner.stop();
            let evaluation = evaluation?;
            entity(cx, &evaluation)?;
            check_outcome(&evaluation)
        }
    }
}

/// `gsc plugins`.
pub async fn plugins(
    cx: &Context,
    command: &PluginsCommand,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    match command {
        PluginsCommand::List => {
            let query = query(matches, "list_workspace_plugins");
            let plugins = cx.client.workspace(cx.workspace.as_str()).plugins();
            let request = with_list_query(plugins.list(), &query);
            list(cx, request, &query, matches, PLUGIN_COLUMNS).await
        }
    }
}

/// `gsc workspaces`.
pub async fn workspaces(
    cx: &Context,
    command: &WorkspacesCommand,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    match command {
        WorkspacesCommand::List => {
            let query = query(matches, "list_workspaces");
            let request = with_list_query(cx.client.workspaces().list(), &query);
            list(cx, request, &query, matches, WORKSPACE_COLUMNS).await
        }
    }
}

/// Exit status 3 for an evaluation that ended failed or cancelled.
fn check_outcome(evaluation: &Evaluation) -> Result<(), Failure> {
    let cancelled = evaluation.is_cancelled == Some(true)
        || matches!(evaluation.state, Some(EvaluationState::Cancelled));
    if cancelled {
        return Err(Failure::EvaluationFailed(
            "the evaluation was cancelled".to_string(),
        ));
    }
    let result_type = evaluation
        .result
        .as_ref()
        .and_then(|r| r.as_ref())
        .and_then(|r| r.type_.as_ref());
    match result_type {
        Some(
            kind @ (EvaluationResultType::Error
            | EvaluationResultType::Rejected
            | EvaluationResultType::TimedOut
            | EvaluationResultType::CapacityExceeded
            | EvaluationResultType::NeedAdditionalClaims),
        ) => Err(Failure::EvaluationFailed(format!(
            "the evaluation failed: {}",
            kind.as_str()
        ))),
        _ => Ok(()),
    }
}

/// Sets the query options on a listing.
fn with_list_query<T>(mut request: ListRequest<T>, query: &Query) -> ListRequest<T>
where
    T: DeserializeOwned + Send + 'static,
{
    if let Some(n) = query.top {
        request = request.top(n);
    }
    if let Some(n) = query.skip {
        request = request.skip(n);
    }
    if let Some(filter) = &query.filter {
        request = request.filter(filter.as_str());
    }
    if let Some(search) = &query.search {
        request = request.search(search.as_str());
    }
    if let Some(count) = query.count {
        request = request.count(count);
    }
    if let Some(fields) = &query.orderby {
        request = request.orderby(fields.clone());
    }
    if let Some(fields) = &query.select {
        request = request.select(fields.clone());
    }
    if let Some(fields) = &query.expand {
        request = request.expand(fields.clone());
    }
    request
}

/// Sets the query options on a get.
fn with_get_query<T: Send + 'static>(mut request: GetRequest<T>, query: &Query) -> GetRequest<T> {
    if let Some(fields) = &query.select {
        request = request.select(fields.clone());
    }
    if let Some(fields) = &query.expand {
        request = request.expand(fields.clone());
    }
    request
}

/// Prints a listing: the first page, or every page with `--all` (NDJSON streams as they come).
async fn list<T>(
    cx: &Context,
    request: ListRequest<T>,
    query: &Query,
    matches: &ArgMatches,
    columns: &[&str],
) -> Result<(), Failure>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let selected = options::selected(query);
    let columns: Vec<&str> = match &selected {
        Some(fields) => fields.iter().map(String::as_str).collect(),
        None => columns.to_vec(),
    };
    let mut writer = cx.output.list(&columns);
    if options::all(matches) {
        let mut pages = request.pages();
        while let Some(page) = pages.try_next().await? {
            writer.page(to_value_page(page)?)?;
        }
    } else {
        writer.page(to_value_page(request.page().await?)?)?;
    }
    writer.finish()?;
    Ok(())
}

fn entity<T: Serialize>(cx: &Context, value: &T) -> Result<(), Failure> {
    cx.output.entity(&to_value(value)?)?;
    Ok(())
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::Io(std::io::Error::other(e)))
}

// Built from `default()` so that a `#[non_exhaustive]` `Page` would still compile here.
#[allow(clippy::field_reassign_with_default)]
fn to_value_page<T: Serialize>(page: Page<T>) -> Result<Page<Value>, Failure> {
    let mut converted = Page::default();
    converted.value = page.value.iter().map(to_value).collect::<Result<_, _>>()?;
    converted.count = page.count;
    converted.next_link = page.next_link;
    converted.additional_properties = page.additional_properties;
    Ok(converted)
}

fn id_of(id: Option<String>, what: &str) -> Result<String, Failure> {
    id.filter(|id| !id.is_empty())
        .ok_or_else(|| Failure::Service(format!("the created {what} has no id")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    fn outcome(evaluation: Value) -> Option<Exit> {
        let evaluation: Evaluation = serde_json::from_value(evaluation).unwrap();
        check_outcome(&evaluation).err().map(|f| f.exit())
    }

    #[test]
    fn failed_and_cancelled_evaluations_exit_3() {
        let completed =
            json!({"state": "completed", "result": {"type": "success", "content": "hi"}});
        assert_eq!(outcome(completed), None);
        for failed in [
            json!({"state": "cancelled"}),
            json!({"state": "running", "isCancelled": true}),
            json!({"state": "completed", "result": {"type": "error", "content": null}}),
            json!({"state": "completed", "result": {"type": "rejected"}}),
            json!({"state": "completed", "result": {"type": "timedOut"}}),
        ] {
            assert_eq!(
                outcome(failed.clone()),
                Some(Exit::EvaluationFailed),
                "{failed}"
            );
        }
    }
}
