//! `gsc api OPERATION`: one subcommand per row of the operation table the library generates
//! from the spec and overlay, so an operation added to the overlay appears here with no edit.
//! Requests go through the client's transport (auth, retries, throttling, limits, redaction).

use std::io::Read;

use clap::{Arg, ArgMatches};
use futures::TryStreamExt;
use graph_security_copilot::__operations::{self, Operation, ResponseKind, OPERATIONS};
use graph_security_copilot::Client;
use serde_json::Value;

use crate::exit::Failure;
use crate::options;
use crate::output::Output;

/// The `api` subcommands, one per operation.
pub fn subcommands() -> Vec<clap::Command> {
    OPERATIONS.iter().map(subcommand).collect()
}

fn subcommand(operation: &'static Operation) -> clap::Command {
    let mut example = format!("gsc api {}", operation.id);
    let mut command = clap::Command::new(operation.id)
        .about(operation.summary)
        .long_about(format!(
            "{}\n\n{} {} (success {}; entity {}).",
            operation.summary,
            operation.method,
            operation.path,
            operation.success_status,
            operation.entity_type
        ));
    for name in operation.path_parameters {
        command = command.arg(
            Arg::new(*name)
                .long(*name)
                .required(true)
                .value_name("ID")
                .help(format!("Path parameter {{{name}}}")),
        );
        example.push_str(&format!(" --{name} ID"));
    }
    command = command.args(options::args(operation));
    if operation.request_body.is_some() {
        command = command.arg(
            Arg::new("body")
                .long("body")
                .required(true)
                .value_name("JSON")
                .help(format!(
                    "The request body, a {} as JSON; @FILE reads a file, - reads stdin",
                    operation.request_body.unwrap_or_default()
                )),
        );
        example.push_str(" --body '{...}'");
    }
    command.after_help(format!("Example:\n  {example}"))
}

/// Runs the operation `id` with the options in `matches` and prints its result.
pub async fn run(
    client: &Client,
    output: &Output,
    id: &str,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let operation = __operations::operation(id)
        .ok_or_else(|| Failure::Usage(format!("no operation {id:?} in the spec")))?;
    let path_values: Vec<&str> = operation
        .path_parameters
        .iter()
        .map(|name| {
            matches
                .try_get_one::<String>(name)
                .ok()
                .flatten()
                .map(String::as_str)
                .unwrap_or_default()
        })
        .collect();
    let query = options::query(matches, operation);
    let columns: Vec<String> = options::selected(&query).unwrap_or_default();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    match operation.response {
        ResponseKind::Collection => {
            let all = options::all(matches);
            let mut pages =
                __operations::pages(client.transport(), operation, &path_values, &query);
            let mut writer = output.list(&columns);
            while let Some(page) = pages.try_next().await? {
                writer.page(page)?;
                if !all {
                    break;
                }
            }
            writer.finish()?;
        }
        ResponseKind::Entity | ResponseKind::Count | ResponseKind::Empty => {
            let body = match matches.try_get_one::<String>("body").ok().flatten() {
                Some(text) => Some(read_body(text)?),
                None => None,
            };
            let value = __operations::send(
                client.transport(),
                operation,
                &path_values,
                &query,
                body.as_ref(),
            )
            .await?
            .into_value();
            if !value.is_null() {
                output.entity(&value)?;
            }
        }
    }
    Ok(())
}

/// The `--body` value: JSON text, `@FILE`, or `-` for stdin.
fn read_body(text: &str) -> Result<Value, Failure> {
    let json = if text == "-" {
        let mut buffer = String::new();
        std::io::stdin().read_to_string(&mut buffer)?;
        buffer
    } else if let Some(path) = text.strip_prefix('@') {
        std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("--body {text}: {e}")))?
    } else {
        text.to_string()
    };
    serde_json::from_str(&json).map_err(|e| Failure::Usage(format!("--body is not JSON: {e}")))
}
