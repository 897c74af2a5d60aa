//! "Create session" (Microsoft Graph beta docs): `POST /security/securityCopilot/workspaces/
//! {workspaceId}/sessions` with `{"@odata.type": "#...session", "displayName": "Who am I"}`,
//! answered `201 Created` with the session.
//!
//! ```text
//! cargo run --example create_session
//! ```
//!
//! Runs on the in-process emulator unless `GRAPH_TOKEN` is set (see `support/mod.rs`).

use graph_security_copilot::models::Session;
use graph_security_copilot::terminal::escape;

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::exit_code(run().await)
}

async fn run() -> Result<(), support::BoxError> {
    let (client, emulator) = support::connect().await?;
    let sessions = client.workspace("default").sessions();

    // `create("Who am I")` sends exactly the documented body: the `@odata.type` and the one
    // property the service requires. A `Session` built by hand works too:
    // `Session::new().with_display_name("Who am I")`.
    let response = sessions.create("Who am I").send_with_metadata().await?;
    let session: &Session = response.value();
    println!(
        "{} Created, request-id {}",
        response.metadata().status().as_u16(),
        escape(response.metadata().request_id().unwrap_or("none"))
    );
    println!(
        "  id                    {}",
        escape(session.id.as_deref().unwrap_or(""))
    );
    println!(
        "  displayName           {}",
        escape(session.display_name().unwrap_or_default())
    );
    if let Some(created) = session.created_date_time {
        println!("  createdDateTime       {}", created.to_rfc3339());
    }
    if let Some(modified) = session.last_modified_date_time {
        println!("  lastModifiedDateTime  {}", modified.to_rfc3339());
    }

    // The created session gives its handle, for what comes next (prompts, updates).
    let handle = sessions.handle(session)?;
    let again = handle.get().await?;
    println!(
        "Read back: {}",
        escape(again.display_name().unwrap_or_default())
    );

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
