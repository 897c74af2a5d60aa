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

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::evaluation::WaitOptions;
use graph_security_copilot::terminal::escape;
use graph_security_copilot::{Client, DEFAULT_BASE_URL};
use graph_security_copilot_emulator::Emulator;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // Error texts can quote the server: escape them like any server-provided text.
            eprintln!("error: {}", escape(&error.to_string()));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let token = std::env::var("GRAPH_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let (client, emulator) = match token {
        Some(token) => {
            let base_url = std::env::var("GRAPH_BASE_URL")
                .ok()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
            println!("Talking to {base_url} with the token in GRAPH_TOKEN.");
            let client = Client::builder()
                .base_url(base_url)
                .credential(StaticToken::new(token))
                .build()?;
            (client, None)
        }
        None => {
            let emulator = Emulator::builder().start().await?;
            println!(
                "GRAPH_TOKEN is not set: talking to the local Security Copilot emulator at {}",
                emulator.base_url()
            );
            println!("(set GRAPH_TOKEN, and optionally GRAPH_BASE_URL, to use a real tenant)");
            let client = Client::builder()
                .base_url(emulator.base_url())
                .credential(StaticToken::new("emulator-accepts-any-token"))
                .build()?;
            (client, Some(emulator))
        }
    };

    let workspace = client.workspace("default");
    let session = workspace.sessions().create("Who am I").await?;
    let session_id = session.id.clone().unwrap_or_default();
    println!("\nCreated session {} \"Who am I\"", escape(&session_id));
    let session = workspace.session(session_id);

    let prompt = session.prompts().create("Who am I?").await?;
    let prompt_id = prompt.id.clone().unwrap_or_default();
    println!("Sent prompt {}: Who am I?", escape(&prompt_id));

    print!("Evaluating");
    std::io::Write::flush(&mut std::io::stdout())?;
    let asked = Instant::now();
    let evaluation = session
        .prompt(prompt_id)
        .evaluations()
        .create_and_wait(WaitOptions {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(500),
            deadline: Duration::from_secs(120),
        })
        .await?;
    let state = evaluation.state.as_ref().map_or_else(
        || "unknown".to_string(),
        |s| format!("{s:?}").to_lowercase(),
    );
    // An unknown state is kept as the server spelled it, so it is escaped too.
    let state = escape(&state);
    println!(
        " ... {state} in {:.1} s (evaluation {})",
        asked.elapsed().as_secs_f64(),
        escape(evaluation.id.as_deref().unwrap_or("?"))
    );
    println!(
        "\nAnswer:\n  {}\n",
        escape(evaluation.answer().unwrap_or("(no answer)").trim())
    );

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
        let name = s.display_name.clone().flatten().unwrap_or_default();
        println!(
            "  {:<36}  {:<20}  {}",
            escape(s.id.as_deref().unwrap_or("")),
            created,
            escape(&name)
        );
    }

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    println!("\nDone in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}
