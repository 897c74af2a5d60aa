//! What every example shares: a client for Graph (with `GRAPH_TOKEN`) or for the emulator
//! started in-process (without), and error printing.

use graph_security_copilot::auth::StaticToken;
use graph_security_copilot::terminal::escape;
use graph_security_copilot::{Client, DEFAULT_BASE_URL};
use graph_security_copilot_emulator::Emulator;

/// The error type the examples return.
pub type BoxError = Box<dyn std::error::Error>;

/// A client for `GRAPH_BASE_URL` (default Graph beta) when `GRAPH_TOKEN` is set, else for a
/// Security Copilot emulator started in this process (returned so it can be shut down).
pub async fn connect() -> Result<(Client, Option<Emulator>), BoxError> {
    let token = std::env::var("GRAPH_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    if let Some(token) = token {
        let base_url = std::env::var("GRAPH_BASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        println!("Talking to {base_url} with the token in GRAPH_TOKEN.");
        let client = Client::builder()
            .base_url(base_url)
            .credential(StaticToken::new(token))
            .build()?;
        return Ok((client, None));
    }
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
    Ok((client, Some(emulator)))
}

/// Runs an example's body and turns its error into exit status 1, escaped for the terminal
/// (error texts can quote the server).
pub fn exit_code(result: Result<(), BoxError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", escape(&error.to_string()));
            std::process::ExitCode::FAILURE
        }
    }
}
