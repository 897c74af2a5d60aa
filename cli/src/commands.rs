//! The task commands, on the library's ergonomic layer (handles, typed models, `wait`). Every
//! call `gsc` makes into that layer is in this module, so an API change is adapted here.

use std::io::IsTerminal;

use clap::ArgMatches;
use futures::TryStreamExt;
use graph_security_copilot::evaluation::{EvaluationOutcome, WaitOptions};
use graph_security_copilot::query::{OperationOptions, Query};
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
    let session = match &args.session {
        Some(id) => workspace.session(id.as_str()),
        None => {
            let name: String = args.question.chars().take(128).collect();
            let created = workspace.sessions().create(name).await?;
            workspace.sessions().handle(&created)?
        }
    };
    let session_id = session.session_id().to_string();
    let prompt = session.prompts().create(args.question.as_str()).await?;
    let prompt = session.prompts().handle(&prompt)?;
    let prompt_id = prompt.prompt_id().to_string();
    let evaluations = prompt.evaluations();
    let spinner = Spinner::start("waiting for the answer");
    let outcome = evaluations.create_and_wait(cx.wait.clone()).await;
    spinner.stop();
    let outcome = outcome?;
    let answer = outcome.answer().unwrap_or_default().to_string();
    let document = json!({
        "sessionId": session_id,
        "promptId": prompt_id,
        "answer": outcome.answer(),
        "outcome": outcome.to_string(),
        "evaluation": to_value(outcome.evaluation())?,
    });
    cx.output.text(&answer, &document)?;
    if cx.output.is_table() && std::io::stderr().is_terminal() {
        eprintln!(
            "\n(session {}: continue it with gsc ask --session ID \"...\")",
            escape(&session_id)
        );
    }
    check_outcome(&outcome)
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
            let outcome = handle.wait(cx.wait.clone()).await;
            spinner.stop();
            let outcome = outcome?;
            entity(cx, outcome.evaluation())?;
            check_outcome(&outcome)
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
fn check_outcome(outcome: &EvaluationOutcome) -> Result<(), Failure> {
    if outcome.is_completed() {
        Ok(())
    } else {
        Err(Failure::EvaluationFailed(format!(
            "the evaluation ended {outcome}"
        )))
    }
}

/// Sets the query options (those of the operation's table row, parsed from the command line)
/// on a listing; the request checks them against its operation before sending.
fn with_list_query<T, O>(request: ListRequest<T, O>, query: &Query) -> ListRequest<T, O>
where
    T: DeserializeOwned + Send + 'static,
    O: OperationOptions,
{
    request.with_query(query.clone())
}

/// Sets the query options on a get (see [`with_list_query`]).
fn with_get_query<T, O>(request: GetRequest<T, O>, query: &Query) -> GetRequest<T, O>
where
    T: Send + 'static,
    O: OperationOptions,
{
    request.with_query(query.clone())
}

/// Prints a listing: the first page, or every page with `--all` (NDJSON streams as they come).
async fn list<T, O>(
    cx: &Context,
    request: ListRequest<T, O>,
    query: &Query,
    matches: &ArgMatches,
    columns: &[&str],
) -> Result<(), Failure>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    O: OperationOptions,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    fn outcome(evaluation: Value) -> Option<Exit> {
        let evaluation = serde_json::from_value(evaluation).unwrap();
        let outcome = EvaluationOutcome::of(evaluation).unwrap();
        check_outcome(&outcome).err().map(|f| f.exit())
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
            json!({"state": "running", "result": {"type": "capacityExceeded"}}),
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
