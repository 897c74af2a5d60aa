//! The command line: global options and the task commands (clap derive), completed at run time
//! by [`command`] with each operation's query options and the `api` commands, both from the
//! operation table the library generates from the spec.

use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::output::Format;

const ABOUT: &str = "Microsoft Graph beta Security Copilot from the command line";

const LONG_ABOUT: &str = "\
Microsoft Graph beta Security Copilot from the command line: ask a question, manage sessions and
prompts, wait for evaluations, and call every operation of the spec with `gsc api`.

Output is a table on a terminal and JSON otherwise (-o table|json|ndjson). Exit status: 0 success,
1 API error (throttling included), 2 usage error, 3 evaluation failed or cancelled, 4 timeout,
5 transport or authentication failure.";

const EXAMPLES: &str = "\
Examples:
  export GRAPH_TOKEN=...                 # a token with SecurityCopilotWorkspaces.ReadWrite.All
  gsc ask \"Which incidents mention host web-01?\"
  gsc sessions list --top 5 -o ndjson
  gsc api list_workspace_sessions --workspace-id default --select id,displayName

  gsc emulator --port 8080 &             # a local emulator, then:
  gsc --base-url http://127.0.0.1:8080/beta --token test ask \"Who am I\"";

/// `gsc`: the Security Copilot API from the command line.
#[derive(Debug, Parser)]
#[command(name = "gsc", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The API root (an emulator's for local trials: http://127.0.0.1:8080/beta)
    #[arg(long, env = "GRAPH_BASE_URL", global = true, value_name = "URL",
          default_value = graph_security_copilot::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Bearer token; prefer GRAPH_TOKEN (command lines are visible to other local users)
    ///
    /// Without a token, a gsc built with the azure-identity feature uses the Azure CLI's
    /// signed-in account (az login).
    #[arg(
        long,
        env = "GRAPH_TOKEN",
        global = true,
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// The Security Copilot workspace.
    #[arg(long, global = true, default_value = "default", value_name = "ID")]
    pub workspace: String,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(short, long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
    /// Give up after this many seconds (the whole command, waiting included); exit status 4.
    #[arg(long, global = true, value_name = "SECONDS", default_value = "300",
          value_parser = parse_seconds)]
    pub timeout: Duration,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err("the timeout must be more than 0 seconds".to_string());
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask a question: new session (or --session), prompt, evaluation, wait, print the answer.
    #[command(after_help = "\
Examples:
  gsc ask \"Summarize incident 42\"
  gsc ask --session 7f3c... \"And who was affected?\"
  gsc ask \"Who am I\" -o json | jq -r .answer")]
    Ask(AskArgs),
    /// Sessions of the workspace.
    #[command(
        subcommand,
        after_help = "Examples:\n  gsc sessions list --top 5\n  gsc sessions create \"Incident 42\""
    )]
    Sessions(SessionsCommand),
    /// Prompts of a session.
    #[command(
        subcommand,
        after_help = "Examples:\n  gsc prompts list --session 7f3c...\n  gsc prompts create --session 7f3c... \"Who am I\""
    )]
    Prompts(PromptsCommand),
    /// Evaluations of a prompt.
    #[command(
        subcommand,
        after_help = "Examples:\n  gsc evaluations wait --session 7f3c... --prompt 1 e5d1..."
    )]
    Evaluations(EvaluationsCommand),
    /// Plugins of the workspace.
    #[command(
        subcommand,
        after_help = "Examples:\n  gsc plugins list --all -o ndjson"
    )]
    Plugins(PluginsCommand),
    /// Security Copilot workspaces.
    #[command(subcommand, after_help = "Examples:\n  gsc workspaces list")]
    Workspaces(WorkspacesCommand),
    /// Every operation of the spec, by operation id (generated from the spec and overlay).
    #[command(
        subcommand_required = true,
        arg_required_else_help = true,
        long_about = "Every operation the spec and overlay expose, by its operation id: path \
                      parameters as --NAME options, the operation's own query options, and \
                      --body JSON (or @FILE, or - for stdin) where it takes a body.",
        after_help = "\
Examples:
  gsc api list_workspace_sessions --workspace-id default --top 5 --count
  gsc api create_workspace_session --workspace-id default --body '{\"displayName\":\"triage\"}'
  gsc api get_workspace_session --workspace-id default --session-id 7f3c... -o json"
    )]
    Api(ApiArgs),
    /// Run the emulator on a loopback port for local trials (until Ctrl-C).
    #[command(after_help = "\
Examples:
  gsc emulator --port 8080
  gsc --base-url http://127.0.0.1:8080/beta --token test sessions list")]
    Emulator(EmulatorArgs),
    /// Print shell completions.
    #[command(after_help = "\
Examples:
  gsc completions bash > ~/.local/share/bash-completion/completions/gsc
  gsc completions zsh > \"${fpath[1]}/_gsc\"")]
    Completions(CompletionsArgs),
}

/// `gsc ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Continue this session instead of starting a new one.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
}

/// `gsc sessions`.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions.
    #[command(after_help = "\
Examples:
  gsc sessions list --top 10
  gsc sessions list --filter \"displayName eq 'triage'\" --select id,displayName
  gsc sessions list --all -o ndjson")]
    List,
    /// Show one session.
    #[command(after_help = "Examples:\n  gsc sessions get 7f3c... --select id,displayName")]
    Get {
        /// The session id.
        id: String,
    },
    /// Create a session.
    #[command(after_help = "Examples:\n  gsc sessions create \"Incident 42 triage\"")]
    Create {
        /// Its display name.
        display_name: String,
    },
}

/// `gsc prompts`.
#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// List the prompts of a session.
    #[command(after_help = "Examples:\n  gsc prompts list --session 7f3c... --top 20")]
    List {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
    },
    /// Show one prompt.
    #[command(after_help = "Examples:\n  gsc prompts get --session 7f3c... 1")]
    Get {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
        /// The prompt id.
        id: String,
    },
    /// Add a prompt to a session (evaluate it with `gsc evaluations`, or use `gsc ask`).
    #[command(after_help = "Examples:\n  gsc prompts create --session 7f3c... \"Who am I\"")]
    Create {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
        /// The prompt text.
        content: String,
    },
}

/// `gsc evaluations`.
#[derive(Debug, Subcommand)]
pub enum EvaluationsCommand {
    /// List the evaluations of a prompt.
    #[command(after_help = "Examples:\n  gsc evaluations list --session 7f3c... --prompt 1")]
    List {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
        /// The prompt id.
        #[arg(long, value_name = "ID")]
        prompt: String,
    },
    /// Show one evaluation.
    #[command(
        after_help = "Examples:\n  gsc evaluations get --session 7f3c... --prompt 1 e5d1..."
    )]
    Get {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
        /// The prompt id.
        #[arg(long, value_name = "ID")]
        prompt: String,
        /// The evaluation id.
        id: String,
    },
    /// Wait until an evaluation completes, fails or is cancelled (exit status 3 for the last two).
    #[command(after_help = "\
Examples:
  gsc evaluations wait --session 7f3c... --prompt 1 e5d1... --timeout 120")]
    Wait {
        /// The session id.
        #[arg(long, value_name = "ID")]
        session: String,
        /// The prompt id.
        #[arg(long, value_name = "ID")]
        prompt: String,
        /// The evaluation id.
        id: String,
    },
}

/// `gsc plugins`.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the workspace's plugins.
    #[command(after_help = "Examples:\n  gsc plugins list --filter \"isEnabled eq true\"")]
    List,
}

/// `gsc workspaces`.
#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// List workspaces.
    #[command(after_help = "Examples:\n  gsc workspaces list -o json")]
    List,
}

/// `gsc api`: the operation subcommands are added by [`command`] from the operation table.
#[derive(Debug, Args)]
pub struct ApiArgs {}

/// `gsc emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Loopback port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Items per page before @odata.nextLink (0: no server-driven paging).
    #[arg(long, default_value_t = graph_security_copilot_emulator::DEFAULT_PAGE_SIZE)]
    pub page_size: usize,
}

/// `gsc completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The whole command line: the derived commands, each task command's query options (exactly
/// those its operation allows) and one `api` subcommand per operation.
pub fn command() -> clap::Command {
    let mut command = Cli::command();
    for (path, id) in crate::commands::TASK_OPERATIONS {
        if let Some(operation) = graph_security_copilot::__operations::operation(id) {
            command = add_args(command, path, crate::options::args(operation));
        }
    }
    if command.find_subcommand("api").is_some() {
        command = command.mut_subcommand("api", |api| api.subcommands(crate::api::subcommands()));
    }
    command
}

fn add_args(command: clap::Command, path: &[&str], args: Vec<clap::Arg>) -> clap::Command {
    match path.split_first() {
        None => command.args(args),
        Some((first, rest)) if command.find_subcommand(first).is_some() => {
            command.mut_subcommand(first, |sub| add_args(sub, rest, args))
        }
        Some(_) => command,
    }
}

/// The matches of the innermost subcommand (`gsc sessions list` → those of `list`).
pub fn leaf(matches: &clap::ArgMatches) -> &clap::ArgMatches {
    let mut current = matches;
    while let Some((_, sub)) = current.subcommand() {
        current = sub;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_task_command_names_an_operation_of_the_spec() {
        for (path, id) in crate::commands::TASK_OPERATIONS {
            assert!(
                graph_security_copilot::__operations::operation(id).is_some(),
                "gsc {} uses {id}, which the spec no longer has",
                path.join(" ")
            );
            let mut command = command();
            for name in *path {
                command = command
                    .find_subcommand(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("no command {path:?}"));
            }
        }
    }
}
