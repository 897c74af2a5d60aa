//! `gsc`: the Microsoft Graph beta Security Copilot API from the command line, on the
//! `graph-security-copilot` client.
//!
//! - task commands on the ergonomic layer ([`commands`]): `ask`, `sessions`, `prompts`,
//!   `evaluations`, `plugins`, `workspaces`;
//! - `api OPERATION`: every operation of the spec, from the library's operation table ([`api`]);
//! - output as a table, JSON or NDJSON ([`output`]); exit codes in one place ([`exit`]);
//! - `emulator` for local trials, `completions SHELL`.

mod api;
mod args;
mod auth;
mod commands;
mod emulator;
mod exit;
mod options;
mod output;
mod spinner;

use std::process::ExitCode;

use clap::FromArgMatches;
use graph_security_copilot::evaluation::WaitOptions;
use graph_security_copilot::Client;

use crate::args::{Cli, Command};
use crate::commands::Context;
use crate::exit::{Exit, Failure};
use crate::output::Output;

fn main() -> ExitCode {
    let matches = match args::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            }
            .into();
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return Exit::Usage.into();
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report(Failure::Io(error)),
    };
    match runtime.block_on(run(&cli, &matches)) {
        Ok(()) => Exit::Success.into(),
        Err(failure) => report(failure),
    }
}

fn report(failure: Failure) -> ExitCode {
    if failure.is_closed_pipe() {
        return Exit::Success.into();
    }
    eprintln!("{}", failure.report());
    failure.exit().into()
}

async fn run(cli: &Cli, matches: &clap::ArgMatches) -> Result<(), Failure> {
    match &cli.command {
        Command::Emulator(args) => return emulator::run(args).await,
        Command::Completions(args) => {
            let mut command = args::command();
            clap_complete::generate(args.shell, &mut command, "gsc", &mut std::io::stdout());
            return Ok(());
        }
        _ => {}
    }
    let global = &cli.global;
    let client = Client::builder()
        .base_url(global.base_url.as_str())
        .shared_credential(auth::credential(global.token.as_deref())?)
        .application(concat!("gsc/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let cx = Context {
        client,
        workspace: global.workspace.clone(),
        output: Output::new(global.output),
        wait: WaitOptions::default().with_deadline(global.timeout),
    };
    let leaf = args::leaf(matches);
    let work = async {
        match &cli.command {
            Command::Ask(args) => commands::ask(&cx, args).await,
            Command::Sessions(command) => commands::sessions(&cx, command, leaf).await,
            Command::Prompts(command) => commands::prompts(&cx, command, leaf).await,
            Command::Evaluations(command) => commands::evaluations(&cx, command, leaf).await,
            Command::Plugins(command) => commands::plugins(&cx, command, leaf).await,
            Command::Workspaces(command) => commands::workspaces(&cx, command, leaf).await,
            Command::Api(_) => {
                let (id, api_matches) = matches
                    .subcommand_matches("api")
                    .and_then(clap::ArgMatches::subcommand)
                    .ok_or_else(|| Failure::Usage("gsc api needs an operation".to_string()))?;
                api::run(&cx.client, &cx.output, id, api_matches).await
            }
            Command::Emulator(_) | Command::Completions(_) => Ok(()),
        }
    };
    match tokio::time::timeout(global.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Failure::TimedOut(global.timeout)),
    }
}
