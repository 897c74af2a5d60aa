//! Quickstart: ask Security Copilot "Who am I?" and list your sessions.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without `GRAPH_TOKEN` it starts the bundled Security Copilot emulator in-process (no tenant,
//! no network) and talks to that. With `GRAPH_TOKEN` set to a Microsoft Graph access token
//! (scope `SecurityCopilotWorkspaces.ReadWrite.All`) it talks to `GRAPH_BASE_URL`, by default
//! Microsoft Graph's beta endpoint.
//!
//! Everything the server sends (ids, names, the answer, error messages) is printed through
//! `graph_security_copilot::terminal::escape`, so a hostile server cannot put control
//! sequences on the terminal; errors never show the bearer token, even if a server echoes it.

use std::time::{Duration, Instant};

use graph_security_copilot::prelude::*;
use graph_security_copilot::terminal::escape;

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::exit_code(run().await)
}

async fn run() -> Result<(), support::BoxError> {
    let started = Instant::now();
    let (client, emulator) = support::connect().await?;

    let workspace = client.workspace("default");
    let session = workspace.sessions().create("Who am I").await?;
    let session = workspace.sessions().handle(&session)?;
    println!(
        "\nCreated session {} \"Who am I\"",
        escape(session.session_id())
    );

    let prompt = session.prompts().create("Who am I?").await?;
    let prompt = session.prompts().handle(&prompt)?;
    println!("Sent prompt {}: Who am I?", escape(prompt.prompt_id()));

    print!("Evaluating");
    std::io::Write::flush(&mut std::io::stdout())?;
    let asked = Instant::now();
    let wait = WaitOptions::default()
        .with_intervals(Duration::from_millis(100), Duration::from_millis(500))
        .with_deadline(Duration::from_secs(120));
    let outcome = prompt.evaluations().create_and_wait(wait).await?;
    println!(
        " ... {} in {:.1} s (evaluation {})",
        escape(&outcome.to_string()),
        asked.elapsed().as_secs_f64(),
        escape(outcome.evaluation().id.as_deref().unwrap_or("?"))
    );
    match &outcome {
        EvaluationOutcome::Completed(evaluation) => println!(
            "\nAnswer:\n  {}\n",
            escape(evaluation.answer().unwrap_or("(no answer)").trim())
        ),
        other => println!(
            "\nNo answer: the evaluation {}. {}\n",
            escape(&other.to_string()),
            escape(other.evaluation().answer().unwrap_or_default())
        ),
    }

    let page = workspace
        .sessions()
        .list()
        .top(5)
        .select(["displayName", "createdDateTime"])
        .page()
        .await?;
    println!("Your latest sessions ($top=5, $select=displayName,createdDateTime):");
    println!("  {:<36}  {:<20}  displayName", "id", "created (UTC)");
    println!("  {:-<36}  {:-<20}  {:-<24}", "", "", "");
    for s in &page.value {
        let created = s
            .created_date_time
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        println!(
            "  {:<36}  {:<20}  {}",
            escape(s.id.as_deref().unwrap_or("")),
            created,
            escape(s.display_name().unwrap_or_default())
        );
    }
    if let Some(metadata) = page.metadata() {
        println!(
            "  (request-id {})",
            escape(metadata.request_id().unwrap_or("none"))
        );
    }

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}
