//! "List sessions" (Microsoft Graph beta docs): `GET /security/securityCopilot/workspaces/
//! {workspaceId}/sessions`, which supports `$count`, `$filter`, `$select` and `$top`, and pages
//! with `@odata.nextLink`.
//!
//! ```text
//! cargo run --example list_sessions
//! ```
//!
//! Runs on the in-process emulator unless `GRAPH_TOKEN` is set (see `support/mod.rs`); on the
//! emulator it first creates a few sessions so there is something to list.

use graph_security_copilot::prelude::*;
use graph_security_copilot::terminal::escape;

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::exit_code(run().await)
}

async fn run() -> Result<(), support::BoxError> {
    let (client, emulator) = support::connect().await?;
    let workspace = client.workspace("default");
    if emulator.is_some() {
        for name in [
            "who am i",
            "Triage incident 42",
            "Who signed in from Lisbon?",
        ] {
            workspace.sessions().create(name).await?;
        }
    }

    // The documented request, as it is: every session, every page.
    let all: Vec<_> = workspace.sessions().list().try_collect().await?;
    println!("{} sessions in workspace `default`", all.len());

    // $count + $filter + $select + $top, in one request. The builder only offers the options
    // the spec allows for this operation: `.orderby(..)` here would not compile.
    let page = workspace
        .sessions()
        .list()
        .filter(filter::field!("displayName").starts_with("Who"))
        .select(["id", "displayName", "createdDateTime"])
        .count(true)
        .top(10)
        .page()
        .await?;
    println!(
        "\nstartswith(displayName,'Who'): {} matching ($count), {} on this page{}",
        page.count.unwrap_or_default(),
        page.value.len(),
        if page.has_next() {
            ", more to follow"
        } else {
            ""
        }
    );
    println!("  {:<36}  {:<20}  displayName", "id", "created (UTC)");
    for session in &page.value {
        println!(
            "  {:<36}  {:<20}  {}",
            escape(session.id.as_deref().unwrap_or("")),
            session
                .created_date_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            // `displayName` can be null (the docs' example has one): the accessor flattens it.
            escape(session.display_name().unwrap_or("(no name)"))
        );
    }

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
